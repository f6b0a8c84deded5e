"""Filtering and sorting customers by filterable custom fields (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.core.errors import ValidationError
from guanxi.customers import selectors
from guanxi.customization import services
from guanxi.testing import factories


@pytest.fixture
def fields(admin: Any) -> None:
    for key, field_type, extra in [
        ("grade", "choice", {"options": ["A", "B", "C"]}),
        ("brands", "multi_choice", {"options": ["华为", "中兴", "小米"]}),
        ("capacity", "integer", {}),
        ("budget", "currency", {}),
        ("renewal_on", "date", {}),
        ("is_dealer", "boolean", {}),
    ]:
        services.field_definition_create(
            actor=admin,
            data={
                "model": "customers.customer",
                "key": key,
                "label_zh": key,
                "field_type": field_type,
                "is_filterable": True,
                **extra,
            },
        )
    services.field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": "memo",
            "label_zh": "备注",
            "field_type": "text",
        },
    )


@pytest.fixture
def rows(fields: Any, rep: Any) -> dict[str, Any]:
    make = factories.CustomerFactory
    return {
        "a": make(
            owner=rep,
            name="甲",
            custom={
                "grade": "A",
                "brands": ["华为", "小米"],
                "capacity": 900,
                "budget": "1200.50",
                "renewal_on": "2026-03-01",
                "is_dealer": True,
            },
        ),
        "b": make(
            owner=rep,
            name="乙",
            custom={
                "grade": "B",
                "brands": ["中兴"],
                "capacity": 80,
                "budget": "99.00",
                "renewal_on": "2027-01-15",
                "is_dealer": False,
            },
        ),
        "c": make(owner=rep, name="丙", custom={"grade": "A", "capacity": 10000}),
        "d": make(owner=rep, name="丁", custom={}),
    }


def names(actor: Any, **kwargs: Any) -> list[str]:
    return [c.name for c in selectors.customer_list(actor=actor, **kwargs)]


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"grade": "A"}, ["丙", "甲"]),
        ({"brands": "中兴"}, ["乙"]),
        ({"brands": "小米"}, ["甲"]),
        ({"capacity": {"gte": 100}}, ["丙", "甲"]),
        ({"capacity": {"gte": "80", "lte": 900}}, ["乙", "甲"]),
        ({"budget": {"gte": "100"}}, ["甲"]),
        ({"budget": "99"}, ["乙"]),
        ({"renewal_on": {"from": "2026-06-01"}}, ["乙"]),
        ({"is_dealer": "false"}, ["乙"]),
        ({"grade": "A", "capacity": {"lte": 1000}}, ["甲"]),
    ],
)
def test_filter_by_custom_values(
    rep: Any, rows: dict[str, Any], custom: dict[str, Any], expected: list[str]
) -> None:
    assert names(rep, filters={"custom": custom}) == expected


def test_sort_by_a_number_puts_records_without_a_value_last(rep: Any, rows: Any) -> None:
    assert names(rep, ordering="custom.capacity") == ["乙", "甲", "丙", "丁"]
    assert names(rep, ordering="-custom.capacity") == ["丙", "甲", "乙", "丁"]


def test_sort_by_amount_and_date(rep: Any, rows: Any) -> None:
    assert names(rep, ordering="-custom.budget") == ["甲", "乙", "丁", "丙"]
    assert names(rep, ordering="custom.renewal_on") == ["甲", "乙", "丙", "丁"]


def test_filter_on_a_field_that_is_not_filterable_names_it(rep: Any, rows: Any) -> None:
    with pytest.raises(ValidationError) as error:
        names(rep, filters={"custom": {"memo": "x"}})

    assert error.value.field == "custom.memo"


def test_filter_with_a_value_of_the_wrong_type_names_it(rep: Any, rows: Any) -> None:
    with pytest.raises(ValidationError) as error:
        names(rep, filters={"custom": {"capacity": {"gte": "many"}}})

    assert error.value.field == "custom.capacity"


def test_filter_keeps_to_what_the_actor_may_see(rep: Any, other_rep: Any, rows: Any) -> None:
    factories.CustomerFactory(owner=other_rep, name="戊", custom={"grade": "A"})

    assert names(rep, filters={"custom": {"grade": "A"}}) == ["丙", "甲"]
