"""Custom field values: validation per type, through the customer and contact services."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.core.errors import ValidationError
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.customization import services
from guanxi.testing import factories


def define(admin: Any, key: str, field_type: str, **extra: Any) -> Any:
    data = {"model": "customers.customer", "key": key, "label_zh": key, "field_type": field_type}
    return services.field_definition_create(actor=admin, data={**data, **extra})


def create(rep: Any, custom: dict[str, Any]) -> Customer:
    return customer_services.customer_create(actor=rep, data={"name": "华为", "custom": custom})


@pytest.mark.parametrize(
    ("field_type", "extra", "given", "stored"),
    [
        ("text", {}, "  装机  容量 ", "装机 容量"),
        ("long_text", {}, "第一行\n第二行", "第一行\n第二行"),
        ("integer", {}, "1,200", 1200),
        ("decimal", {}, "3.14159", "3.14159"),
        ("currency", {}, 99.5, "99.50"),
        ("date", {}, "2026-12-31", "2026-12-31"),
        ("datetime", {}, "2026-12-31T08:00:00+08:00", "2026-12-31T00:00:00Z"),
        ("boolean", {}, "yes", True),
        ("choice", {"options": ["A级", "B级"]}, "B级", "B级"),
        ("multi_choice", {"options": ["红", "绿", "蓝"]}, ["蓝", "红"], ["红", "蓝"]),
        ("email", {}, " Wang@Example.COM ", "wang@example.com"),
        ("phone", {}, "138 0013 8000", "+8613800138000"),
        ("url", {}, "example.com/a", "https://example.com/a"),
    ],
)
def test_each_type_is_normalised_when_stored(
    admin: Any, rep: Any, field_type: str, extra: dict[str, Any], given: Any, stored: Any
) -> None:
    define(admin, "value", field_type, **extra)

    customer = create(rep, {"value": given})

    customer.refresh_from_db()
    assert customer.custom == {"value": stored}


@pytest.mark.parametrize(
    ("field_type", "extra", "given"),
    [
        ("text", {}, 12),
        ("integer", {}, "12.5"),
        ("integer", {}, True),
        ("decimal", {}, "abc"),
        ("currency", {}, [1]),
        ("date", {}, "2026-13-01"),
        ("datetime", {}, "tomorrow"),
        ("boolean", {}, "maybe"),
        ("choice", {"options": ["A级", "B级"]}, "C级"),
        ("multi_choice", {"options": ["红", "绿"]}, ["红", "紫"]),
        ("email", {}, "not-an-address"),
        ("phone", {}, "12"),
        ("url", {}, "http://"),
    ],
)
def test_a_wrong_value_names_the_field_and_nothing_is_stored(
    admin: Any, rep: Any, field_type: str, extra: dict[str, Any], given: Any
) -> None:
    define(admin, "value", field_type, **extra)

    with pytest.raises(ValidationError) as error:
        create(rep, {"value": given})

    assert error.value.field == "custom.value"
    assert Customer.all_objects.count() == 0


def test_an_unknown_key_is_refused(admin: Any, rep: Any) -> None:
    with pytest.raises(ValidationError) as error:
        create(rep, {"nope": 1})

    assert error.value.field == "custom.nope"


def test_required_and_default(admin: Any, rep: Any) -> None:
    define(admin, "capacity", "integer", is_required=True)
    define(admin, "grade", "choice", options=["A", "B"], default="B")

    with pytest.raises(ValidationError) as error:
        create(rep, {})
    customer = create(rep, {"capacity": 5})

    assert error.value.field == "custom.capacity"
    assert customer.custom == {"capacity": 5, "grade": "B"}


def test_a_duplicate_value_of_a_unique_field_is_refused(admin: Any, rep: Any) -> None:
    define(admin, "dealer_code", "text", is_unique=True)
    first = create(rep, {"dealer_code": "D-001"})

    with pytest.raises(ValidationError) as error:
        create(rep, {"dealer_code": "D-001"})
    updated = customer_services.customer_update(
        actor=rep, customer=first, data={"custom": {"dealer_code": "D-001"}}
    )

    assert error.value.field == "custom.dealer_code"
    assert Customer.objects.count() == 1
    assert updated.custom == {"dealer_code": "D-001"}


def test_a_lookup_to_a_customer_the_user_cannot_see_is_refused(
    admin: Any, rep: Any, other_rep: Any
) -> None:
    define(admin, "parent", "lookup", lookup_target="customer")
    hidden = factories.CustomerFactory(owner=other_rep)
    mine = factories.CustomerFactory(owner=rep)

    with pytest.raises(ValidationError) as error:
        create(rep, {"parent": hidden.pk})
    linked = create(rep, {"parent": mine.pk})

    assert error.value.field == "custom.parent"
    assert linked.custom == {"parent": mine.pk}
    assert Customer.objects.count() == 3


def test_an_update_changes_only_the_given_keys_and_keeps_archived_values(
    admin: Any, rep: Any
) -> None:
    define(admin, "capacity", "integer")
    old = define(admin, "legacy", "text")
    customer = create(rep, {"capacity": 5, "legacy": "旧值"})
    services.field_definition_archive(actor=admin, definition=old)

    updated = customer_services.customer_update(
        actor=rep, customer=customer, data={"custom": {"capacity": 7}}
    )

    assert updated.custom == {"capacity": 7, "legacy": "旧值"}


def test_a_contact_validates_its_own_fields(admin: Any, rep: Any, customer: Any) -> None:
    services.field_definition_create(
        actor=admin,
        data={
            "model": "customers.contact",
            "key": "hobby",
            "label_zh": "爱好",
            "field_type": "choice",
            "options": ["高尔夫", "钓鱼"],
        },
    )

    contact = customer_services.contact_create(
        actor=rep, customer=customer, data={"name": "王伟", "custom": {"hobby": "钓鱼"}}
    )
    with pytest.raises(ValidationError) as error:
        customer_services.contact_update(
            actor=rep, contact=contact, data={"custom": {"hobby": "滑雪"}}
        )

    contact.refresh_from_db()
    assert contact.custom == {"hobby": "钓鱼"}
    assert error.value.field == "custom.hobby"
