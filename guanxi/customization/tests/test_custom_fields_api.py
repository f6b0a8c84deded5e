"""``/api/v1/custom-fields/`` and custom values through the customers API."""

from __future__ import annotations

from typing import Any

from guanxi.customers.models import Customer
from guanxi.customization.models import FieldDefinition
from guanxi.testing import factories

URL = "/api/v1/custom-fields/"
CUSTOMERS = "/api/v1/customers/"
GRADE = {
    "model": "customers.customer",
    "key": "dealer_grade",
    "label_zh": "经销商级别",
    "label_en": "Dealer grade",
    "field_type": "choice",
    "options": [{"value": "gold", "label": "金牌", "colour": "#FFC107"}, {"value": "silver"}],
    "is_filterable": True,
}


def test_an_administrator_adds_a_field_and_a_rep_uses_it(admin_api: Any, rep_api: Any) -> None:
    # given a choice field added by the administrator
    created = admin_api.post(URL, GRADE, format="json")

    # when the rep creates customers with values and lists them filtered
    good = rep_api.post(
        CUSTOMERS, {"name": "星辰", "custom": {"dealer_grade": "gold"}}, format="json"
    )
    bad = rep_api.post(
        CUSTOMERS, {"name": "月亮", "custom": {"dealer_grade": "bronze"}}, format="json"
    )
    rep_api.post(CUSTOMERS, {"name": "太阳", "custom": {"dealer_grade": "silver"}}, format="json")
    listed = rep_api.get(CUSTOMERS, {"cf_dealer_grade": "gold"})
    fields = rep_api.get(URL, {"model": "customers.customer"})

    # then the field exists, values are validated, returned and filterable
    assert created.status_code == 201
    assert created.json()["options"] == [
        {"value": "gold", "label": "金牌", "colour": "#FFC107", "order": 0},
        {"value": "silver", "label": "silver", "colour": "", "order": 1},
    ]
    assert good.status_code == 201
    assert good.json()["custom"] == {"dealer_grade": "gold"}
    assert bad.status_code == 400
    assert bad.json()["field"] == "custom.dealer_grade"
    assert Customer.objects.filter(name="月亮").count() == 0
    assert [c["name"] for c in listed.json()["results"]] == ["星辰"]
    assert [f["key"] for f in fields.json()["results"]] == ["dealer_grade"]


def test_a_rep_may_not_add_fields(rep_api: Any) -> None:
    response = rep_api.post(URL, GRADE, format="json")

    assert response.status_code == 403
    assert FieldDefinition.objects.count() == 0


def test_a_filter_on_a_field_that_is_not_filterable_is_refused(
    admin_api: Any, rep_api: Any
) -> None:
    admin_api.post(URL, {**GRADE, "is_filterable": False}, format="json")

    response = rep_api.get(CUSTOMERS, {"cf_dealer_grade": "gold"})

    assert response.status_code == 400
    assert response.json()["field"] == "custom.dealer_grade"


def test_keys_that_clash_are_refused(admin_api: Any) -> None:
    answers = {
        key: admin_api.post(URL, {**GRADE, "key": key}, format="json")
        for key in ("name", "owner_id", "select", "Grade", "a__b", "9lives", "custom")
    }

    assert {key: r.status_code for key, r in answers.items()} == dict.fromkeys(answers, 400)
    assert {r.json()["field"] for r in answers.values()} == {"key"}
    assert FieldDefinition.objects.count() == 0


def test_a_type_change_that_would_lose_values_is_refused_then_archives_them(
    admin_api: Any, rep: Any
) -> None:
    # given a text field with a number and a word stored
    field = admin_api.post(
        URL,
        {
            "model": "customers.customer",
            "key": "capacity",
            "label_zh": "装机容量",
            "field_type": "text",
        },
        format="json",
    ).json()
    numeric = factories.CustomerFactory(owner=rep, custom={"capacity": "1200"})
    wordy = factories.CustomerFactory(owner=rep, custom={"capacity": "很大"})

    # when the administrator changes it to a number, first without and then with accepting loss
    refused = admin_api.patch(f"{URL}{field['id']}/", {"field_type": "integer"}, format="json")
    accepted = admin_api.patch(
        f"{URL}{field['id']}/", {"field_type": "integer", "accept_loss": True}, format="json"
    )

    # then the refusal lists what would be lost; after acceptance nothing is erased
    assert refused.status_code == 400
    assert refused.json()["code"] == "values_lost"
    assert refused.json()["lost"] == [{"id": wordy.pk, "value": "很大"}]
    assert accepted.status_code == 200
    assert accepted.json()["field_type"] == "integer"
    numeric.refresh_from_db()
    wordy.refresh_from_db()
    assert numeric.custom == {"capacity": 1200}
    assert wordy.custom == {"_archived": {"capacity": "很大"}}


def test_renaming_and_adding_options_is_instant_and_archiving_keeps_values(
    admin_api: Any, rep_api: Any, rep: Any
) -> None:
    field = admin_api.post(URL, GRADE, format="json").json()
    stored = factories.CustomerFactory(owner=rep, custom={"dealer_grade": "gold"})

    renamed = admin_api.patch(
        f"{URL}{field['id']}/",
        {"label_zh": "代理级别", "options": [*GRADE["options"], {"value": "bronze"}]},
        format="json",
    )
    archived = admin_api.post(f"{URL}{field['id']}/archive/", {}, format="json")
    listed = rep_api.get(URL)

    assert renamed.status_code == 200
    assert renamed.json()["label_zh"] == "代理级别"
    assert [o["value"] for o in renamed.json()["options"]] == ["gold", "silver", "bronze"]
    assert archived.json()["is_archived"] is True
    assert listed.json()["results"] == []
    stored.refresh_from_db()
    assert stored.custom == {"dealer_grade": "gold"}
