"""The contacts API: the people at a customer."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Contact
from guanxi.customers.tests.api_support import error_field, stored_state
from guanxi.testing import factories

URL = "/api/v1/contacts/"


def test_a_contact_is_created_with_decrypted_data_shown(rep_api, customer):
    response = rep_api.post(
        URL,
        {
            "customer": customer.pk,
            "name": "李娜",
            "title": "采购经理",
            "mobile": "139-1234-5678",
            "email": "LiNa@Example.com",
            "wechat": "lina_wx",
            "birthday": "1990-05-04",
            "notes": "<b>爱喝茶</b>",
        },
        format="json",
    )

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response["ETag"] == '"1"'
    assert response.json() == {
        "id": contact.pk,
        "customer": {"id": customer.pk, "name": customer.name},
        "name": "李娜",
        "title": "采购经理",
        "mobile": "+8613912345678",
        "phone": "",
        "email": "lina@example.com",
        "wechat": "lina_wx",
        "birthday": "1990-05-04",
        "is_primary": True,
        "notes": "<b>爱喝茶</b>",
        "custom": {},
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
        "version": 1,
    }
    assert contact.mobile == "+8613912345678"


def test_contacts_are_filtered_by_customer(rep_api, rep, customer):
    other_customer = factories.CustomerFactory(owner=rep)
    a = factories.ContactFactory(customer=customer, name="甲")
    b = factories.ContactFactory(customer=customer, name="乙")
    factories.ContactFactory(customer=other_customer, name="丙")

    response = rep_api.get(URL, {"customer": customer.pk})

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [a.pk, b.pk]
    assert rep_api.get(URL, {"customer": 999999}).json()["results"] == []


def test_contacts_of_customers_out_of_scope_are_not_listed(rep_api, other_rep, customer):
    mine = factories.ContactFactory(customer=customer)
    factories.ContactFactory(customer=factories.CustomerFactory(owner=other_rep))

    assert [c["id"] for c in rep_api.get(URL).json()["results"]] == [mine.pk]


def test_a_contact_is_changed_with_its_version(rep_api, customer):
    contact = factories.ContactFactory(customer=customer, name="李娜")

    changed = rep_api.patch(f"{URL}{contact.pk}/", {"title": "总监", "version": 1}, format="json")
    stale = rep_api.patch(f"{URL}{contact.pk}/", {"title": "经理", "version": 1}, format="json")

    assert changed.status_code == 200
    assert changed.json()["title"] == "总监"
    assert changed.json()["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "总监"
    contact.refresh_from_db()
    assert contact.title == "总监"


def test_a_deleted_contact_is_gone(rep_api, customer):
    contact = factories.ContactFactory(customer=customer)

    assert rep_api.delete(f"{URL}{contact.pk}/").status_code == 204
    assert rep_api.get(f"{URL}{contact.pk}/").status_code == 404
    contact.refresh_from_db()
    assert contact.deleted_at is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"mobile": "12"}, "mobile"),
        ({"email": "nope"}, "email"),
        ({"birthday": "2999-01-01"}, "birthday"),
        ({"birthday": "1990-13-01"}, "birthday"),
        ({"customer": 999999}, "customer"),
        ({"customer": "abc"}, "customer"),
        ({"is_primary": "perhaps"}, "is_primary"),
    ],
)
def test_bad_contact_input_is_a_400_naming_the_field(rep_api, customer, body, field):
    before = stored_state()

    response = rep_api.post(URL, {"customer": customer.pk, "name": "李娜", **body}, format="json")

    assert response.status_code == 400
    assert error_field(response) == field
    assert stored_state() == before


def test_listing_contacts_costs_the_same_queries_for_one_or_many(
    rep_api, customer, django_assert_num_queries
):
    factories.ContactFactory(customer=customer)
    rep_api.get(URL)

    # token + roles, the page (with its customers)
    with django_assert_num_queries(3):
        assert len(rep_api.get(URL).json()["results"]) == 1
    for _ in range(10):
        factories.ContactFactory(customer=factories.CustomerFactory(owner=customer.owner))
    with django_assert_num_queries(3):
        assert len(rep_api.get(URL).json()["results"]) == 11
