"""The interactions API: a customer's timeline, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.customers import services
from guanxi.customers.models import Interaction
from guanxi.customers.tests.api_support import error_field, stored_state, upload
from guanxi.testing import factories

URL = "/api/v1/interactions/"


def at(text: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(text))


def test_an_interaction_is_written_by_the_actor(rep_api, rep, customer):
    contact = factories.ContactFactory(customer=customer, name="李娜")

    response = rep_api.post(
        URL,
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "kind": "visit",
            "occurred_at": "2026-11-20T15:30:00+08:00",
            "subject": "上门拜访",
            "content": "谈了续约",
            "outcome": "positive",
            "duration_minutes": 45,
            "next_follow_up_on": "2026-12-01",
        },
        format="json",
    )

    assert response.status_code == 201
    interaction = Interaction.objects.get()
    assert response.json() == {
        "id": interaction.pk,
        "customer": {"id": customer.pk, "name": customer.name},
        "contact": {"id": contact.pk, "name": "李娜"},
        "kind": "visit",
        "occurred_at": "2026-11-20T15:30:00+08:00",
        "subject": "上门拜访",
        "content": "谈了续约",
        "outcome": "positive",
        "duration_minutes": 45,
        "author": {"id": rep.pk, "username": "rep", "name": "rep"},
        "next_follow_up_on": "2026-12-01",
        "custom": {},
        "attachments": [],
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
        "version": 1,
    }
    customer.refresh_from_db()
    assert customer.last_contacted_at == at("2026-11-20T15:30:00")


@pytest.fixture
def timeline(rep, customer):
    other_customer = factories.CustomerFactory(owner=rep, name="另一个客户")
    contact = factories.ContactFactory(customer=customer)
    colleague = factories.UserFactory(username="colleague")
    return {
        "call": factories.InteractionFactory(
            customer=customer, kind="call", occurred_at=at("2026-03-01T09:00:00")
        ),
        "visit": factories.InteractionFactory(
            customer=customer,
            kind="visit",
            contact=contact,
            occurred_at=at("2026-04-01T09:00:00"),
            outcome="positive",
        ),
        "note": factories.InteractionFactory(
            customer=other_customer,
            kind="note",
            author=colleague,
            occurred_at=at("2026-05-01T09:00:00"),
        ),
        "same_time": factories.InteractionFactory(
            customer=other_customer, kind="call", occurred_at=at("2026-05-01T09:00:00")
        ),
        "contact": contact,
        "customer": customer,
        "colleague": colleague,
    }


def ids(response):
    assert response.status_code == 200, response.json()
    return [i["id"] for i in response.json()["results"]]


def test_the_timeline_is_newest_first(rep_api, timeline):
    t = timeline
    assert ids(rep_api.get(URL)) == [
        t["same_time"].pk,
        t["note"].pk,
        t["visit"].pk,
        t["call"].pk,
    ]


def test_interactions_are_filtered(rep_api, timeline):
    t = timeline
    assert ids(rep_api.get(URL, {"customer": t["customer"].pk})) == [t["visit"].pk, t["call"].pk]
    assert ids(rep_api.get(URL, {"kind": "call"})) == [t["same_time"].pk, t["call"].pk]
    assert ids(rep_api.get(URL, {"author": t["colleague"].pk})) == [t["note"].pk]
    assert ids(rep_api.get(URL, {"contact": t["contact"].pk})) == [t["visit"].pk]
    assert ids(rep_api.get(URL, {"outcome": "positive"})) == [t["visit"].pk]
    assert ids(rep_api.get(URL, {"occurred_from": "2026-04-01"})) == [
        t["same_time"].pk,
        t["note"].pk,
        t["visit"].pk,
    ]
    assert ids(rep_api.get(URL, {"occurred_to": "2026-04-01"})) == [t["visit"].pk, t["call"].pk]
    assert ids(rep_api.get(URL, {"occurred_from": "2026-03-02", "occurred_to": "2026-04-30"})) == [
        t["visit"].pk
    ]


def test_the_timeline_pages_walk_every_entry_once(rep_api, rep, customer):
    # given entries that share their times
    for i in range(9):
        factories.InteractionFactory(customer=customer, occurred_at=at(f"2026-0{1 + i % 3}-01"))
    expected = list(
        Interaction.objects.order_by("-occurred_at", "-id").values_list("id", flat=True)
    )

    seen, url = [], f"{URL}?page_size=2"
    while url:
        body = rep_api.get(url).json()
        seen += [i["id"] for i in body["results"]]
        url = body["next"]

    assert seen == expected


def test_an_interaction_is_changed_and_deleted(rep_api, timeline):
    call = timeline["call"]

    changed = rep_api.patch(f"{URL}{call.pk}/", {"content": "改了", "version": 1}, format="json")
    stale = rep_api.put(f"{URL}{call.pk}/", {"subject": "旧", "version": 1}, format="json")
    deleted = rep_api.delete(f"{URL}{call.pk}/")

    assert changed.status_code == 200
    assert changed.json()["content"] == "改了"
    assert stale.status_code == 409
    assert stale.json()["current"]["content"] == "改了"
    assert deleted.status_code == 204
    assert rep_api.get(f"{URL}{call.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "", "content": ""}, "content"),
        ({"kind": "telepathy"}, "kind"),
        ({"outcome": "great"}, "outcome"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-02-30T10:00:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00"}, "occurred_at"),
        ({"occurred_at": "9999-12-31T23:59:59-23:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00"}, "occurred_at"),
        ({"duration_minutes": -1}, "duration_minutes"),
        ({"duration_minutes": 100000}, "duration_minutes"),
        ({"customer": None}, "customer"),
        ({"contact": 999999}, "contact"),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_bad_interaction_input_is_a_400_naming_the_field(rep_api, customer, body, field):
    before = stored_state()

    response = rep_api.post(
        URL, {"customer": customer.pk, "subject": "电话", **body}, format="json"
    )

    assert response.status_code == 400
    assert error_field(response) == field
    assert stored_state() == before


def test_the_contact_must_belong_to_the_customer(rep_api, rep, customer):
    elsewhere = factories.ContactFactory(customer=factories.CustomerFactory(owner=rep))

    response = rep_api.post(
        URL, {"customer": customer.pk, "subject": "电话", "contact": elsewhere.pk}, format="json"
    )

    assert response.status_code == 400
    assert error_field(response) == "contact"


def test_listing_interactions_costs_the_same_queries_for_one_or_many(
    rep_api, rep, customer, django_assert_num_queries
):
    first = factories.InteractionFactory(customer=customer)
    services.attachment_create(actor=rep, customer=customer, upload=upload(), interaction=first)
    rep_api.get(URL)

    # token + roles, the page (with customer, contact and author), the attachments of the page
    with django_assert_num_queries(4):
        assert len(rep_api.get(URL).json()["results"]) == 1
    for _ in range(10):
        entry = factories.InteractionFactory(
            customer=factories.CustomerFactory(owner=rep),
            contact=factories.ContactFactory(customer=customer),
        )
        services.attachment_create(
            actor=rep, customer=entry.customer, upload=upload(), interaction=entry
        )
    with django_assert_num_queries(4):
        body = rep_api.get(URL).json()
    assert len(body["results"]) == 11
    assert all(len(i["attachments"]) == 1 for i in body["results"])
