from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import ValidationError
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.sales import selectors
from guanxi.testing import factories

TODAY = dt.date(2026, 11, 26)


def _due(owner: Any, on: dt.date, **fields: Any) -> Customer:
    """A customer whose latest interaction (a call yesterday) planned a follow-up on ``on``."""
    customer = factories.CustomerFactory(owner=owner, **fields)
    customer_services.interaction_create(
        actor=owner,
        customer=customer,
        data={
            "subject": "电话",
            "kind": "call",
            "occurred_at": timezone.now() - dt.timedelta(days=1),
            "next_follow_up_on": on,
        },
    )
    customer.refresh_from_db()
    return customer


def _names(qs: Any) -> list[str]:
    return [c.name for c in qs]


@pytest.fixture
def client_for() -> Any:
    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def test_tabs_split_open_follow_ups_by_date(rep):
    today = timezone.localdate()
    due = _due(rep, today, name="今天")
    late = _due(rep, today - dt.timedelta(days=3), name="逾期")
    later = _due(rep, today + dt.timedelta(days=2), name="以后")

    assert _names(selectors.follow_up_list(actor=rep, tab="today")) == [due.name]
    assert _names(selectors.follow_up_list(actor=rep, tab="overdue")) == [late.name]
    assert _names(selectors.follow_up_list(actor=rep, tab="upcoming")) == [later.name]
    assert selectors.follow_up_counts(actor=rep) == {"today": 1, "overdue": 1, "upcoming": 1}
    assert selectors.follow_up_due_count(actor=rep) == 2


def test_logging_a_contact_marks_the_follow_up_done(rep):
    customer = _due(rep, timezone.localdate() - dt.timedelta(days=1))
    assert selectors.follow_up_due_count(actor=rep) == 1

    customer_services.interaction_create(
        actor=rep, customer=customer, data={"subject": "回访了", "kind": "call"}
    )

    assert selectors.follow_up_due_count(actor=rep) == 0


def test_a_note_does_not_count_as_contact(rep):
    customer = _due(rep, timezone.localdate())

    customer_services.interaction_create(
        actor=rep, customer=customer, data={"subject": "备注", "kind": "note"}
    )

    assert selectors.follow_up_due_count(actor=rep) == 1


def test_a_new_date_replaces_the_old_follow_up(rep):
    customer = _due(rep, timezone.localdate() - dt.timedelta(days=5))

    customer_services.interaction_create(
        actor=rep,
        customer=customer,
        data={
            "subject": "再约",
            "kind": "call",
            "next_follow_up_on": timezone.localdate() + dt.timedelta(days=7),
        },
    )

    assert selectors.follow_up_counts(actor=rep) == {"today": 0, "overdue": 0, "upcoming": 1}


def test_a_rep_never_sees_another_reps_follow_ups(rep, other_rep, manager):
    mine = _due(rep, timezone.localdate(), name="我的")
    theirs = _due(other_rep, timezone.localdate(), name="别人的")

    assert _names(selectors.follow_up_list(actor=rep)) == [mine.name]
    assert _names(selectors.follow_up_list(actor=other_rep)) == [theirs.name]
    assert sorted(_names(selectors.follow_up_list(actor=manager))) == sorted(
        [mine.name, theirs.name]
    )
    assert _names(selectors.follow_up_list(actor=manager, filters={"owner": rep.pk})) == [mine.name]


def test_a_rep_cannot_widen_her_scope_with_the_owner_filter(rep, other_rep, client_for):
    _due(other_rep, timezone.localdate(), name="别人的")

    response = client_for(rep).get(reverse("sales:follow-up-list"), {"owner": other_rep.pk})

    assert response.status_code == 200
    assert "别人的" not in response.content.decode()
    assert response.context["customers"] == []


def test_idle_customers_are_those_not_contacted_for_n_days(rep, other_rep):
    now = timezone.now()
    old = factories.CustomerFactory(
        owner=rep, name="很久", last_contacted_at=now - dt.timedelta(40)
    )
    factories.CustomerFactory(owner=rep, name="最近", last_contacted_at=now - dt.timedelta(3))
    never = factories.CustomerFactory(owner=rep, name="从未", last_contacted_at=None)
    Customer.objects.filter(pk=never.pk).update(created_at=now - dt.timedelta(days=60))
    factories.CustomerFactory(owner=rep, name="新客户", last_contacted_at=None)
    factories.CustomerFactory(owner=other_rep, last_contacted_at=now - dt.timedelta(days=90))

    assert set(_names(selectors.idle_customer_list(actor=rep))) == {old.name, never.name}
    assert set(_names(selectors.idle_customer_list(actor=rep, days=50))) == {never.name}
    assert set(_names(selectors.idle_customer_list(actor=rep, days="2"))) == {
        old.name,
        never.name,
        "最近",
    }


@pytest.mark.parametrize("days", [-1, 0, 3651, 10**9, "abc", "1.5"])
def test_absurd_day_counts_are_refused_naming_the_field(rep, days):
    with pytest.raises(ValidationError) as error:
        selectors.idle_customer_list(actor=rep, days=days)

    assert error.value.field == "days"


@pytest.mark.parametrize("days", ["-5", "0", "99999", "abc"])
def test_idle_page_explains_a_bad_day_count(rep, client_for, days):
    response = client_for(rep).get(reverse("sales:idle-customer-list"), {"days": days})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="days-error"' in html
    assert "3650" in html


def test_follow_up_page_shows_tabs_counts_and_a_log_link(rep, client_for):
    customer = _due(rep, timezone.localdate() - dt.timedelta(days=2), name="逾期客户")

    response = client_for(rep).get(reverse("sales:follow-up-list"), {"tab": "overdue"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "逾期客户" in html
    assert 'data-testid="count-overdue">1<' in html
    assert reverse("customers:interaction-create", args=[customer.pk]) in html
    badge = client_for(rep).get(reverse("sales:follow-up-badge")).content.decode()
    assert 'data-testid="follow-ups-due"' in badge
    assert ">1<" in badge


def test_follow_up_page_empty_state(rep, client_for):
    response = client_for(rep).get(reverse("sales:follow-up-list"))

    assert response.status_code == 200
    assert 'data-testid="empty"' in response.content.decode()


def test_follow_up_pages_need_a_login_and_the_sales_right(client, client_for):
    assert client.get(reverse("sales:follow-up-list")).status_code == 302
    nobody = factories.UserFactory(username="nobody", roles=[])

    assert client_for(nobody).get(reverse("sales:follow-up-list")).status_code == 403
    assert client_for(nobody).get(reverse("sales:idle-customer-list")).status_code == 403


def test_follow_up_pages_walk_page_by_page(rep, client_for, settings):
    today = timezone.localdate()
    for i in range(55):
        _due(rep, today - dt.timedelta(days=1 + i % 3), name=f"客户{i:02d}")
    client = client_for(rep)

    first = client.get(reverse("sales:follow-up-list"), {"tab": "overdue"})
    second = client.get(reverse("sales:follow-up-list") + "?" + first.context["next_query"])

    seen = [c.pk for c in first.context["customers"]] + [c.pk for c in second.context["customers"]]
    assert len(seen) == 55
    assert len(set(seen)) == 55
    assert second.context["next_query"] == ""


def test_manager_filters_by_owner_on_the_page(rep, other_rep, manager, client_for):
    _due(rep, timezone.localdate(), name="甲的")
    _due(other_rep, timezone.localdate(), name="乙的")

    response = client_for(manager).get(reverse("sales:follow-up-list"), {"owner": other_rep.pk})

    assert [c.name for c in response.context["customers"]] == ["乙的"]


def test_badge_is_empty_without_due_follow_ups_or_rights(rep, client_for):
    _due(rep, timezone.localdate() + dt.timedelta(days=3))
    nobody = factories.UserFactory(username="nobody", roles=[])

    assert client_for(rep).get(reverse("sales:follow-up-badge")).content == b""
    assert client_for(nobody).get(reverse("sales:follow-up-badge")).content == b""


# --- API ----------------------------------------------------------------------------------------

FOLLOW_UPS = "/api/v1/sales/follow-ups/"
NOT_CONTACTED = "/api/v1/sales/not-contacted/"


def test_api_lists_follow_ups_of_the_callers_scope_only(rep, other_rep, rep_api):
    mine = _due(rep, timezone.localdate() - dt.timedelta(days=1), name="我的")
    _due(other_rep, timezone.localdate() - dt.timedelta(days=1), name="别人的")

    response = rep_api.get(FOLLOW_UPS, {"tab": "overdue"})
    leaked = rep_api.get(FOLLOW_UPS, {"tab": "overdue", "owner": other_rep.pk})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["next_follow_up_on"] == str(mine.next_follow_up_on)
    assert response.json()["results"][0]["owner"]["id"] == rep.pk
    assert leaked.json()["results"] == []


def test_api_lists_customers_not_contacted(rep, rep_api):
    old = factories.CustomerFactory(
        owner=rep, last_contacted_at=timezone.now() - dt.timedelta(days=10)
    )

    assert [r["id"] for r in rep_api.get(NOT_CONTACTED, {"days": 5}).json()["results"]] == [old.pk]
    assert rep_api.get(NOT_CONTACTED).json()["results"] == []


@pytest.mark.parametrize("days", ["-1", "0", "3651", "abc", ""])
def test_api_refuses_a_bad_day_count_naming_the_field(rep_api, days):
    response = rep_api.get(NOT_CONTACTED, {"days": days})

    assert response.status_code == 400
    assert response.json()["field"] == "days"


def test_api_refuses_an_unknown_tab(rep_api):
    response = rep_api.get(FOLLOW_UPS, {"tab": "someday"})

    assert response.status_code == 400
    assert response.json()["field"] == "tab"


def test_api_follow_ups_need_a_token_and_the_sales_right(client, api_client_for):
    nobody = factories.UserFactory(username="nobody", roles=[])

    assert client.get(FOLLOW_UPS).status_code == 401
    assert api_client_for(nobody).get(FOLLOW_UPS).status_code == 403
    assert api_client_for(nobody).get(NOT_CONTACTED).status_code == 403


def test_api_follow_up_list_costs_the_same_for_few_and_many(
    rep, rep_api, django_assert_max_num_queries
):
    for _ in range(3):
        _due(rep, timezone.localdate())
    with django_assert_max_num_queries(20) as few:
        assert len(rep_api.get(FOLLOW_UPS).json()["results"]) == 3
    for _ in range(20):
        _due(rep, timezone.localdate())
    with django_assert_max_num_queries(20) as many:
        assert len(rep_api.get(FOLLOW_UPS).json()["results"]) == 23

    assert len(many.captured_queries) <= len(few.captured_queries)
