"""The customer list, the customer form, bulk actions and the recycle bin, through the web UI."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import services
from guanxi.customers.models import (
    CollaboratorAccess,
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    Level,
    LifecycleStage,
)
from guanxi.testing import factories

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")
BULK = reverse("customers:customer-bulk")
BIN = reverse("customers:recycle-bin")


@pytest.fixture(autouse=True)
def _english(rep_client: Any) -> None:
    """Messages are asserted in English, the source language."""
    rep_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def names(response: Any) -> list[str]:
    """The customer names of the list's rows, in the order shown."""
    text = response.content.decode()
    return [html.unescape(n) for n in re.findall(r'data-testid="customer-name">([^<]*)</a>', text)]


def link(response: Any, testid: str) -> str:
    """The href of the element with this data-testid."""
    text = response.content.decode()
    match = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', text)
    assert match, f"no link {testid}"
    return html.unescape(match.group(1))


def shown_messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def customer(owner: Any, name: str, **fields: Any) -> Customer:
    return factories.CustomerFactory(owner=owner, name=name, **fields)


def edit_data(obj: Customer, **changes: Any) -> dict[str, Any]:
    """The edit form's fields as the browser posts them."""
    data = {
        "kind": obj.kind,
        "name": obj.name,
        "short_name": obj.short_name,
        "industry": obj.industry_id or "",
        "size": obj.size,
        "level": obj.level_id or "",
        "source": obj.source_id or "",
        "lifecycle_stage": obj.lifecycle_stage,
        "province": obj.province,
        "city": obj.city,
        "district": obj.district,
        "address": obj.address,
        "website": obj.website,
        "phone": obj.phone,
        "email": obj.email,
        "owner": obj.owner_id or "",
        "tags": [t.pk for t in obj.tags.all()],
        "next_follow_up_on": obj.next_follow_up_on.isoformat() if obj.next_follow_up_on else "",
        "description": obj.description,
        "version": obj.version,
    }
    data.update(changes)
    return data


# --- access --------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_list_shows_only_customers_in_the_users_scope(rep_client, rep, other_rep):
    customer(rep, "甲公司")
    customer(rep, "乙公司")
    customer(other_rep, "别人的公司")

    response = rep_client.get(LIST)

    assert response.status_code == 200
    assert names(response) == ["乙公司", "甲公司"]


def test_rep_cannot_open_edit_or_delete_another_reps_customer(rep_client, other_rep):
    theirs = customer(other_rep, "别人的公司")

    edit = rep_client.get(reverse("customers:customer-edit", kwargs={"pk": theirs.pk}))
    post = rep_client.post(
        reverse("customers:customer-edit", kwargs={"pk": theirs.pk}),
        edit_data(theirs, name="被我改了"),
    )
    delete = rep_client.post(reverse("customers:customer-delete", kwargs={"pk": theirs.pk}))

    assert (edit.status_code, post.status_code, delete.status_code) == (404, 404, 404)
    theirs.refresh_from_db()
    assert theirs.name == "别人的公司"
    assert theirs.deleted_at is None
    assert theirs.version == 1


def test_rep_cannot_bulk_edit_another_reps_customer(rep_client, rep, other_rep):
    mine = customer(rep, "我的公司")
    theirs = customer(other_rep, "别人的公司")
    tag = factories.TagFactory(name="VIP")

    response = rep_client.post(
        BULK, {"action": "add_tag", "tag": tag.pk, "ids": [mine.pk, theirs.pk]}
    )
    assign = rep_client.post(BULK, {"action": "assign_owner", "owner": rep.pk, "ids": [theirs.pk]})

    assert (response.status_code, assign.status_code) == (404, 404)
    assert list(mine.tags.all()) == []
    assert list(theirs.tags.all()) == []
    theirs.refresh_from_db()
    assert theirs.owner == other_rep


# --- filters, search, sort, paging ---------------------------------------------------------


def test_filters_narrow_the_list_to_exactly_the_matching_rows(rep_client, rep, other_rep, admin):
    vip = factories.TagFactory(name="VIP")
    gold = Level.objects.create(name="金牌")
    a = customer(
        rep, "北京甲", province="北京", city="北京", lifecycle_stage=LifecycleStage.CUSTOMER
    )
    a.tags.add(vip)
    customer(rep, "上海乙", province="上海", city="上海", level=gold, kind="person")
    customer(rep, "北京丙", province="北京", city="北京", level=gold)
    client = rep_client

    assert names(client.get(LIST, {"tag": vip.pk})) == ["北京甲"]
    assert names(client.get(LIST, {"level": gold.pk})) == ["北京丙", "上海乙"]
    assert names(client.get(LIST, {"province": "北京"})) == ["北京丙", "北京甲"]
    assert names(client.get(LIST, {"city": "上海"})) == ["上海乙"]
    assert names(client.get(LIST, {"lifecycle_stage": "customer"})) == ["北京甲"]
    assert names(client.get(LIST, {"kind": "person"})) == ["上海乙"]
    assert names(client.get(LIST, {"level": gold.pk, "province": "北京"})) == ["北京丙"]
    assert names(client.get(LIST, {"owner": rep.pk})) == ["北京丙", "上海乙", "北京甲"]
    assert names(client.get(LIST, {"owner": other_rep.pk})) == []


def test_date_filters_and_never_contacted(rep_client, rep):
    now = timezone.now()
    old = customer(rep, "老客户", last_contacted_at=now - dt.timedelta(days=40))
    Customer.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=100))
    customer(rep, "新客户", last_contacted_at=now - dt.timedelta(days=1))
    customer(rep, "从未联系")
    today = timezone.localdate()

    recent = rep_client.get(LIST, {"contacted_from": (today - dt.timedelta(days=7)).isoformat()})
    earlier = rep_client.get(LIST, {"contacted_to": (today - dt.timedelta(days=30)).isoformat()})
    created = rep_client.get(LIST, {"created_from": (today - dt.timedelta(days=7)).isoformat()})
    never = rep_client.get(LIST, {"never_contacted": "on"})

    assert names(recent) == ["新客户"]
    assert names(earlier) == ["老客户"]
    assert names(created) == ["从未联系", "新客户"]
    assert names(never) == ["从未联系"]


def test_a_filter_that_does_not_parse_is_left_out_with_a_warning(rep_client, rep):
    customer(rep, "甲公司")

    response = rep_client.get(LIST, {"created_from": "not-a-date", "tag": "99999"})

    assert response.status_code == 200
    assert names(response) == ["甲公司"]
    assert "Some filters could not be read" in response.content.decode()


def test_search_box_finds_by_name(rep_client, rep):
    customer(rep, "星辰科技有限公司")
    customer(rep, "大地贸易")

    response = rep_client.get(LIST, {"q": "星辰"})

    assert names(response) == ["星辰科技有限公司"]


def test_empty_state_says_nothing_matches(rep_client, rep):
    customer(rep, "甲公司")

    response = rep_client.get(LIST, {"q": "不存在的名字"})

    assert names(response) == []
    assert 'data-testid="empty-state"' in response.content.decode()
    assert "No customers match" in response.content.decode()


def test_clicking_a_column_header_sorts_and_a_second_click_reverses(rep_client, rep):
    for name in ("b公司", "c公司", "a公司"):
        customer(rep, name)

    first = rep_client.get(LIST)
    by_name = rep_client.get(link(first, "sort-link"))
    reversed_ = rep_client.get(link(by_name, "sort-link"))

    assert names(first) == ["a公司", "c公司", "b公司"]
    assert names(by_name) == ["a公司", "b公司", "c公司"]
    assert names(reversed_) == ["c公司", "b公司", "a公司"]


def test_an_unknown_sort_falls_back_to_newest_first(rep_client, rep):
    customer(rep, "甲")
    customer(rep, "乙")

    response = rep_client.get(LIST, {"sort": "password"})

    assert names(response) == ["乙", "甲"]


def walk(client: Any, params: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    """All pages forward through Next, then back through Previous."""
    forward = []
    response = client.get(LIST, params)
    forward.append(names(response))
    while 'data-testid="next-page"' in response.content.decode() and re.search(
        r'href="[^"]*"[^>]*data-testid="next-page"', response.content.decode()
    ):
        response = client.get(link(response, "next-page"))
        forward.append(names(response))
    backward = [names(response)]
    while re.search(r'href="[^"]*"[^>]*data-testid="previous-page"', response.content.decode()):
        response = client.get(link(response, "previous-page"))
        backward.append(names(response))
    return forward, backward


@pytest.mark.parametrize(
    "sort", ["", "name", "-name", "last_contacted_at", "-last_contacted_at", "next_follow_up_on"]
)
def test_keyset_paging_visits_every_row_once_in_order(rep_client, rep, sort):
    # Given 60 customers with repeated and empty sort values
    now = timezone.now().replace(microsecond=0)
    created = []
    for i in range(60):
        created.append(
            customer(
                rep,
                f"客户{i % 20:02d}",
                last_contacted_at=None if i % 3 == 0 else now - dt.timedelta(days=i % 7),
                next_follow_up_on=None if i % 4 == 0 else dt.date(2026, 12, 1 + i % 5),
            )
        )
    field = sort.lstrip("-") or "id"
    descending = sort.startswith("-") or not sort

    def key(c: Customer) -> tuple[Any, ...]:
        value = getattr(c, field)
        missing = value is None
        return (missing, value if not missing else 0, c.pk)

    present = sorted([c for c in created if getattr(c, field) is not None], key=key)
    missing = sorted([c for c in created if getattr(c, field) is None], key=lambda c: c.pk)
    if descending:
        present.reverse()
        missing.reverse()
    expected = [c.name for c in present + missing]

    # When the list is walked to the end and back
    forward, backward = walk(rep_client, {"sort": sort} if sort else {})

    # Then every row appears once, in order, in pages of 25
    assert [len(page) for page in forward] == [25, 25, 10]
    assert [name for page in forward for name in page] == expected
    assert backward == list(reversed(forward))


def test_a_cursor_that_does_not_parse_gives_the_first_page(rep_client, rep):
    customer(rep, "甲")

    response = rep_client.get(LIST, {"after": "!!!not-a-cursor", "sort": "name"})

    assert response.status_code == 200
    assert names(response) == ["甲"]


def test_an_htmx_request_gets_only_the_results_with_a_clean_url(rep_client, rep):
    customer(rep, "甲公司", province="北京")

    response = rep_client.get(
        LIST,
        {"province": "北京", "owner": "", "q": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="gx-results",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert names(response) == ["甲公司"]
    assert response["HX-Push-Url"] == LIST + "?province=%E5%8C%97%E4%BA%AC"
    assert "HX-Request" in response["Vary"]


def test_list_page_costs_the_same_number_of_queries_for_5_and_50_rows(
    rep_client, rep, django_assert_max_num_queries
):
    level = Level.objects.create(name="金牌")
    tags = [factories.TagFactory(name=f"标签{i}") for i in range(3)]

    def add(count: int) -> None:
        for _ in range(count):
            c = customer(rep, "客户", level=level, last_contacted_at=timezone.now())
            c.tags.set(tags)

    add(5)
    with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as five:
        assert len(names(rep_client.get(LIST, {"size": "50"}))) == 5
    add(45)
    with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as fifty:
        assert len(names(rep_client.get(LIST, {"size": "50"}))) == 50

    assert len(fifty) == len(five), [q["sql"][:150] for q in fifty.captured_queries]


def test_html_in_a_customer_name_is_shown_escaped(rep_client, rep):
    customer(rep, '<script>alert("x")</script>公司')

    response = rep_client.get(LIST)

    body = response.content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;公司" in body


# --- bulk actions --------------------------------------------------------------------------


def test_bulk_assign_owner_changes_the_selected_customers_and_says_how_many(
    rep_client, rep, other_rep
):
    a = customer(rep, "甲")
    b = customer(rep, "乙")
    untouched = customer(rep, "丙")

    response = rep_client.post(
        BULK,
        {"action": "assign_owner", "owner": other_rep.pk, "ids": [a.pk, b.pk], "next": LIST},
        follow=True,
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert shown_messages(response) == ["2 customers assigned to other."]
    assert list(Customer.objects.filter(owner=other_rep).order_by("pk")) == [a, b]
    untouched.refresh_from_db()
    assert untouched.owner == rep
    assert AuditEntry.objects.filter(action=AuditAction.TRANSFER).count() == 2


def test_bulk_add_and_remove_tag(rep_client, rep):
    a = customer(rep, "甲")
    b = customer(rep, "乙")
    vip = factories.TagFactory(name="VIP")
    b.tags.add(vip)

    added = rep_client.post(
        BULK, {"action": "add_tag", "tag": vip.pk, "ids": [a.pk, b.pk]}, follow=True
    )
    assert shown_messages(added) == ["Tag “VIP” added to 1 customer."]
    assert set(vip.customers.all()) == {a, b}

    removed = rep_client.post(
        BULK, {"action": "remove_tag", "tag": vip.pk, "ids": [a.pk, b.pk]}, follow=True
    )
    assert shown_messages(removed) == ["Tag “VIP” removed from 2 customers."]
    assert list(vip.customers.all()) == []


def test_bulk_without_a_selection_or_a_tag_explains_and_changes_nothing(rep_client, rep):
    a = customer(rep, "甲")

    nothing = rep_client.post(BULK, {"action": "add_tag", "tag": "", "ids": [a.pk]}, follow=True)
    no_rows = rep_client.post(
        BULK, {"action": "assign_owner", "owner": rep.pk, "ids": []}, follow=True
    )

    assert shown_messages(nothing) == ["Choose a tag."]
    assert shown_messages(no_rows) == ["Select at least one customer."]
    a.refresh_from_db()
    assert a.version == 1


def test_bulk_with_a_customer_she_may_only_view_changes_none_of_them(rep_client, rep, other_rep):
    mine = customer(rep, "我的公司")
    shared = customer(other_rep, "同事的公司")
    CustomerCollaborator.objects.create(customer=shared, user=rep, access=CollaboratorAccess.READ)
    tag = factories.TagFactory(name="VIP")

    listed = rep_client.get(LIST)
    response = rep_client.post(
        BULK, {"action": "add_tag", "tag": tag.pk, "ids": [mine.pk, shared.pk]}, follow=True
    )

    assert names(listed) == ["同事的公司", "我的公司"]
    assert shown_messages(response) == ["You do not have permission to do this."]
    assert list(tag.customers.all()) == []


def test_bulk_redirects_only_to_this_site(rep_client, rep):
    a = customer(rep, "甲")
    tag = factories.TagFactory(name="VIP")

    response = rep_client.post(
        BULK, {"action": "add_tag", "tag": tag.pk, "ids": [a.pk], "next": "https://evil.example/"}
    )

    assert response["Location"] == LIST


# --- create and edit -----------------------------------------------------------------------


def test_create_stores_the_customer_and_opens_it(rep_client, rep):
    vip = factories.TagFactory(name="VIP")

    response = rep_client.post(
        reverse("customers:customer-create"),
        {
            "kind": "company",
            "name": "星辰科技",
            "lifecycle_stage": "prospect",
            "phone": "138 1234 5678",
            "owner": rep.pk,
            "tags": [vip.pk],
            "next_follow_up_on": "2026-12-24",
        },
    )

    created = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer-detail", kwargs={"pk": created.pk})
    assert (created.name, created.lifecycle_stage, created.phone) == (
        "星辰科技",
        "prospect",
        "+8613812345678",
    )
    assert list(created.tags.all()) == [vip]
    assert created.next_follow_up_on == dt.date(2026, 12, 24)
    assert created.owner == rep


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call me", "This is not a phone number."),
        ("email", "not-an-email", None),
        ("name", "   ", "This field is required."),
    ],
)
def test_create_with_bad_input_shows_the_message_next_to_the_field_and_stores_nothing(
    rep_client, rep, field, value, message
):
    data = {"kind": "company", "name": "星辰科技", "lifecycle_stage": "lead", "owner": rep.pk}
    data[field] = value

    response = rep_client.post(reverse("customers:customer-create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    match = re.search(rf'data-testid="error-{field}">([^<]*)<', body)
    assert match, body
    if message:
        assert html.unescape(match.group(1)) == message
    assert Customer.all_objects.count() == 0


def test_edit_saves_the_changes(rep_client, rep):
    obj = customer(rep, "旧名字")

    response = rep_client.post(
        reverse("customers:customer-edit", kwargs={"pk": obj.pk}),
        edit_data(obj, name="新名字", city="杭州"),
    )

    obj.refresh_from_db()
    assert response.status_code == 302
    assert (obj.name, obj.city, obj.version) == ("新名字", "杭州", 2)


def test_edit_with_a_stale_version_shows_the_conflict_screen_and_changes_nothing(rep_client, rep):
    # Given the form was opened at version 1, then a colleague saved a change
    obj = customer(rep, "原名")
    opened = edit_data(obj, name="我的名字", city="杭州")
    services.customer_update(actor=rep, customer=obj, data={"name": "同事的名字"}, version=1)

    # When the form is saved
    response = rep_client.post(reverse("customers:customer-edit", kwargs={"pk": obj.pk}), opened)

    # Then the conflict screen shows both versions and nothing changed
    body = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert 'data-testid="conflict"' in body
    assert "同事的名字" in body
    assert "我的名字" in body
    obj.refresh_from_db()
    assert (obj.name, obj.city, obj.version) == ("同事的名字", "", 2)

    # And saving deliberately over it, with the version the screen carries, works
    overwrite = re.search(r'name="version" value="(\d+)"', response.content.decode())
    assert overwrite
    assert overwrite.group(1) == "2"
    again = rep_client.post(
        reverse("customers:customer-edit", kwargs={"pk": obj.pk}), {**opened, "version": 2}
    )
    obj.refresh_from_db()
    assert again.status_code == 302
    assert (obj.name, obj.city, obj.version) == ("我的名字", "杭州", 3)


# --- delete, undo and the recycle bin ------------------------------------------------------


def test_delete_moves_to_the_recycle_bin_and_undo_restores(rep_client, rep):
    obj = customer(rep, "要删除的公司")

    deleted = rep_client.post(
        reverse("customers:customer-delete", kwargs={"pk": obj.pk}), follow=True
    )

    obj.refresh_from_db()
    assert obj.deleted_at is not None
    assert names(deleted) == []
    body = deleted.content.decode()
    assert "“要删除的公司” was moved to the recycle bin." in html.unescape(body)
    undo = re.search(r'formaction="([^"]*)"[^>]*data-testid="undo"', body)
    assert undo

    restored = rep_client.post(html.unescape(undo.group(1)))

    obj.refresh_from_db()
    assert obj.deleted_at is None
    assert restored["Location"] == reverse("customers:customer-detail", kwargs={"pk": obj.pk})


def test_recycle_bin_lists_deleted_records_and_restores_them(rep_client, rep, other_rep):
    mine = customer(rep, "我的公司")
    contact = factories.ContactFactory(customer=mine, name="张三")
    interaction = factories.InteractionFactory(customer=mine, subject="第一次拜访")
    gone = customer(rep, "已删除公司")
    theirs = customer(other_rep, "别人的公司")
    services.contact_delete(actor=rep, contact=contact)
    services.interaction_delete(actor=rep, interaction=interaction)
    services.customer_delete(actor=rep, customer=gone)
    services.customer_delete(actor=other_rep, customer=theirs)

    customers = rep_client.get(BIN)
    contacts = rep_client.get(BIN, {"kind": "contact"})
    interactions = rep_client.get(BIN, {"kind": "interaction"})

    def titles(response: Any) -> list[str]:
        return re.findall(
            r'data-testid="bin-row">\s*<td class="fw-bold">([^<]*)<', response.content.decode()
        )

    assert titles(customers) == ["已删除公司"]
    assert titles(contacts) == ["张三"]
    assert titles(interactions) == ["第一次拜访"]
    assert "30 days" in customers.content.decode()

    for kind, pk in (
        ("customer", gone.pk),
        ("contact", contact.pk),
        ("interaction", interaction.pk),
    ):
        response = rep_client.post(
            reverse("customers:recycle-bin-restore", kwargs={"kind": kind, "pk": pk})
        )
        assert response.status_code == 302
    assert Customer.objects.filter(pk=gone.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert Interaction.objects.filter(pk=interaction.pk).exists()


def test_rep_cannot_restore_another_reps_deleted_customer(rep_client, other_rep):
    theirs = customer(other_rep, "别人的公司")
    services.customer_delete(actor=other_rep, customer=theirs)

    response = rep_client.post(
        reverse("customers:recycle-bin-restore", kwargs={"kind": "customer", "pk": theirs.pk})
    )
    unknown = rep_client.post(
        reverse("customers:recycle-bin-restore", kwargs={"kind": "deal", "pk": theirs.pk})
    )

    assert (response.status_code, unknown.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.deleted_at is not None
