"""Bad input and stale versions: a 400 naming the field (or a 409 with the current record), and
nothing stored changes."""

from __future__ import annotations

import pytest

from guanxi.customers import services
from guanxi.customers.models import Industry
from guanxi.customers.tests.api_support import error_field, stored_state
from guanxi.testing import factories

URL = "/api/v1/customers/"


def field_root(response):
    """The field an error names, without the index of a list item ("tags.0" -> "tags")."""
    return error_field(response).split(".")[0]


BAD_CUSTOMER_INPUT = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "长" * 201}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"name": None}, "name"),
    ({"name": ["x"]}, "name"),
    ({"kind": "robot"}, "kind"),
    ({"size": "huge"}, "size"),
    ({"lifecycle_stage": "dead"}, "lifecycle_stage"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "not a phone"}, "phone"),
    ({"phone": "1" * 65}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b@c.com"}, "email"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"website": "http://"}, "website"),
    ({"city": "x" * 33}, "city"),
    ({"description": "x" * 20001}, "description"),
    ({"next_follow_up_on": "2026-02-30"}, "next_follow_up_on"),
    ({"next_follow_up_on": "tomorrow"}, "next_follow_up_on"),
    ({"next_follow_up_on": "0001-01-01"}, "next_follow_up_on"),
    ({"next_follow_up_on": "9999-12-31"}, "next_follow_up_on"),
    ({"industry": 999999}, "industry"),
    ({"industry": "abc"}, "industry"),
    ({"industry": True}, "industry"),
    ({"industry": 2**70}, "industry"),
    ({"owner": 999999}, "owner"),
    ({"owner": "inactive"}, "owner"),
    ({"tags": [999999]}, "tags"),
    ({"tags": "1,2"}, "tags"),
    ({"tags": ["x"]}, "tags"),
    ({"tags": [-1]}, "tags"),
    ({"custom": ["not", "an", "object"]}, "custom"),
    ({"custom": {"note": "a\x00b"}}, "custom"),
    ({"custom": {"blob": "x" * 70000}}, "custom"),
    ({"version": "abc"}, "version"),
    ({"version": 0}, "version"),
    ({"version": 2**40}, "version"),
]


@pytest.fixture
def inactive(db):
    return factories.UserFactory(username="left", is_active=False)


def _resolve(body, inactive):
    return {k: inactive.pk if v == "inactive" else v for k, v in body.items()}


@pytest.mark.parametrize(("body", "field"), BAD_CUSTOMER_INPUT)
def test_creating_with_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    rep_api, inactive, body, field
):
    # given a valid name unless the case is about the name
    data = {"name": "星辰科技", **_resolve(body, inactive)}
    before = stored_state()

    # when the customer is created
    response = rep_api.post(URL, data, format="json")

    # then it is refused, naming the field, and nothing was stored
    assert response.status_code == 400, response.json()
    assert field_root(response) == field
    assert stored_state() == before


@pytest.mark.parametrize(("body", "field"), BAD_CUSTOMER_INPUT)
def test_changing_with_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    rep_api, customer, inactive, body, field
):
    before = stored_state()

    response = rep_api.patch(f"{URL}{customer.pk}/", _resolve(body, inactive), format="json")

    assert response.status_code == 400, response.json()
    assert field_root(response) == field
    assert stored_state() == before


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ('{"name": "x"', "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("[" * 100000 + "]" * 100000, "application/json"),
        ('{"name": NaN}', "application/json"),
        ("name=x", "application/x-www-form-urlencoded"),
        ("<customer/>", "application/xml"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(rep_api, raw, content_type):
    before = stored_state()

    response = rep_api.generic("POST", URL, raw, content_type=content_type)

    assert response.status_code in (400, 415)
    assert set(response.json()) >= {"code", "message", "field", "errors"}
    assert stored_state() == before


def test_an_unknown_and_an_invisible_contact_look_the_same(rep_api, other_rep, customer):
    theirs = factories.ContactFactory(customer=factories.CustomerFactory(owner=other_rep))
    before = stored_state()

    unknown = rep_api.post(
        "/api/v1/interactions/",
        {"customer": customer.pk, "subject": "电话", "contact": 999999},
        format="json",
    )
    invisible = rep_api.post(
        "/api/v1/interactions/",
        {"customer": customer.pk, "subject": "电话", "contact": theirs.pk},
        format="json",
    )

    assert unknown.status_code == invisible.status_code == 400
    assert error_field(unknown) == error_field(invisible) == "contact"
    assert unknown.json()["message"].replace("999999", "N") == invisible.json()["message"].replace(
        str(theirs.pk), "N"
    )
    assert stored_state() == before


# --- optimistic locking --------------------------------------------------------------------------


def test_a_stale_version_is_a_409_with_the_current_record_and_changes_nothing(
    rep_api, rep, customer
):
    # given someone changed the customer after the client read version 1
    services.customer_update(actor=rep, customer=customer, data={"city": "上海"})
    before = stored_state()

    # when the client saves with version 1
    response = rep_api.patch(f"{URL}{customer.pk}/", {"city": "杭州", "version": 1}, format="json")

    # then it is told, and given the record as it is now; nothing changed
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["current"]["id"] == customer.pk
    assert body["current"]["city"] == "上海"
    assert body["current"]["version"] == 2
    assert body["current"] == rep_api.get(f"{URL}{customer.pk}/").json()
    assert stored_state() == before


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "1"])
def test_if_match_works_like_the_version_field(rep_api, rep, customer, header):
    services.customer_update(actor=rep, customer=customer, data={"city": "上海"})
    before = stored_state()

    stale = rep_api.patch(
        f"{URL}{customer.pk}/", {"city": "杭州"}, format="json", HTTP_IF_MATCH=header
    )
    fresh = rep_api.patch(
        f"{URL}{customer.pk}/", {"city": "杭州"}, format="json", HTTP_IF_MATCH='"2"'
    )

    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert fresh.status_code == 200
    assert fresh["ETag"] == '"3"'
    customer.refresh_from_db()
    assert (customer.city, customer.version) == ("杭州", 3)
    assert before["customers"][0]["city"] == "上海"


def test_the_etag_of_a_read_can_be_sent_back_as_if_match(rep_api, customer):
    etag = rep_api.get(f"{URL}{customer.pk}/")["ETag"]

    response = rep_api.patch(
        f"{URL}{customer.pk}/", {"city": "杭州"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200


@pytest.mark.parametrize("header", ["abc", '"1', "1, 2", '"-1"', '"99999999999"'])
def test_a_malformed_if_match_is_a_400(rep_api, customer, header):
    before = stored_state()

    response = rep_api.patch(
        f"{URL}{customer.pk}/", {"city": "杭州"}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 400
    assert error_field(response) == "If-Match"
    assert stored_state() == before


def test_if_match_and_version_must_agree(rep_api, customer):
    response = rep_api.patch(
        f"{URL}{customer.pk}/", {"city": "杭州", "version": 1}, format="json", HTTP_IF_MATCH='"2"'
    )

    assert response.status_code == 400
    assert error_field(response) == "version"


def test_deleting_with_a_stale_if_match_is_a_409(rep_api, rep, customer):
    services.customer_update(actor=rep, customer=customer, data={"city": "上海"})

    response = rep_api.delete(f"{URL}{customer.pk}/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    customer.refresh_from_db()
    assert customer.deleted_at is None


def test_an_unchanged_save_keeps_the_version(rep_api, customer):
    industry = Industry.objects.create(name="制造业")
    first = rep_api.patch(f"{URL}{customer.pk}/", {"industry": industry.pk}, format="json")
    again = rep_api.patch(f"{URL}{customer.pk}/", {"industry": industry.pk}, format="json")

    assert first.json()["version"] == 2
    assert again.json()["version"] == 2
