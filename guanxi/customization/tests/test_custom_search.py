"""Searchable custom fields: found by ``?q=`` in the list and the API, indexed when they change."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from guanxi.customers import selectors
from guanxi.customers import services as customer_services
from guanxi.customization import services
from guanxi.testing import factories

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"


def define(admin: Any, key: str, field_type: str = "text", **extra: Any) -> Any:
    return services.field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": key,
            "label_zh": key,
            "field_type": field_type,
            **extra,
        },
    )


def found(actor: Any, q: str) -> list[str]:
    return sorted(c.name for c in selectors.customer_list(actor=actor, q=q))


def test_searchable_text_values_are_found_after_create_and_update(admin, rep):
    define(admin, "project", is_searchable=True)
    define(admin, "secret_note")
    customer = customer_services.customer_create(
        actor=rep,
        data={"name": "甲公司", "custom": {"project": "凤凰计划", "secret_note": "不可搜索"}},
    )

    assert found(rep, "凤凰") == ["甲公司"]
    assert found(rep, "不可搜索") == []

    customer_services.customer_update(
        actor=rep, customer=customer, data={"custom": {"project": "青龙工程"}}
    )
    assert found(rep, "青龙") == ["甲公司"]
    assert found(rep, "凤凰") == []


def test_searchable_choice_email_and_phone_values_are_found(admin, rep):
    grade = define(admin, "grade", "choice", options=[{"value": "g", "label": "金牌经销"}])
    define(admin, "billing_email", "email", is_searchable=True)
    define(admin, "hotline", "phone", is_searchable=True)
    services.field_definition_update(actor=admin, definition=grade, data={"is_searchable": True})
    customer_services.customer_create(
        actor=rep,
        data={
            "name": "乙公司",
            "custom": {
                "grade": "g",
                "billing_email": "Finance@Example.cn",
                "hotline": "13800138000",
            },
        },
    )

    assert found(rep, "金牌") == ["乙公司"]
    assert found(rep, "finance@example.cn") == ["乙公司"]
    assert found(rep, "8000") == ["乙公司"]


def test_existing_records_are_indexed_when_a_field_becomes_searchable(
    admin, rep, django_capture_on_commit_callbacks
):
    definition = define(admin, "project")
    factories.CustomerFactory(owner=rep, name="丙公司", custom={"project": "凤凰计划"})
    factories.CustomerFactory(owner=rep, name="丁公司", custom={})
    assert found(rep, "凤凰") == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.field_definition_update(
            actor=admin, definition=definition, data={"is_searchable": True}
        )
    assert len(callbacks) >= 1
    assert found(rep, "凤凰") == ["丙公司"]

    # And dropped again when it stops being searchable, or is archived
    with django_capture_on_commit_callbacks(execute=True):
        services.field_definition_update(
            actor=admin, definition=definition, data={"is_searchable": False}
        )
    assert found(rep, "凤凰") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.field_definition_update(
            actor=admin, definition=definition, data={"is_searchable": True}
        )
        services.field_definition_archive(actor=admin, definition=definition)
    assert found(rep, "凤凰") == []


def test_a_label_change_does_not_reindex(admin, monkeypatch, django_capture_on_commit_callbacks):
    definition = define(admin, "project", is_searchable=True)
    calls: list[int] = []
    monkeypatch.setattr(
        services, "field_definition_reindex", lambda *, definition_id: calls.append(definition_id)
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.field_definition_update(
            actor=admin, definition=definition, data={"label_zh": "项目名称"}
        )
        services.field_definition_update(
            actor=admin, definition=definition, data={"is_filterable": True}
        )

    assert calls == []


def test_reindex_service_is_idempotent_and_counts_records(admin, rep):
    definition = define(admin, "project", is_searchable=True)
    factories.CustomerFactory(owner=rep, custom={"project": "凤凰"})
    factories.CustomerFactory(owner=rep, custom={})

    assert services.field_definition_reindex(definition_id=definition.pk) == 1
    assert services.field_definition_reindex(definition_id=definition.pk) == 1
    assert services.field_definition_reindex(definition_id=999999) == 0


def test_api_and_list_search_find_custom_values_only_in_the_users_scope(
    admin, rep, other_rep, rep_api, rep_client
):
    define(admin, "project", is_searchable=True)
    factories.CustomerFactory(owner=rep, name="我的客户", custom={"project": "凤凰计划"})
    factories.CustomerFactory(owner=other_rep, name="别人的客户", custom={"project": "凤凰计划"})

    response = rep_api.get(API, {"q": "凤凰"})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["我的客户"]

    page = rep_client.get(reverse("customers:customer-list"), {"q": "凤凰"})
    body = page.content.decode()
    assert "我的客户" in body
    assert "别人的客户" not in body


def test_api_filters_text_fields_by_contains(admin, rep, rep_api):
    define(admin, "memo", is_filterable=True)
    define(admin, "capacity", "integer", is_filterable=True)
    factories.CustomerFactory(owner=rep, name="甲", custom={"memo": "老VIP客户"})
    factories.CustomerFactory(owner=rep, name="乙", custom={"memo": "新客户"})

    response = rep_api.get(API, {"cf_memo__contains": "vip"})
    assert [row["name"] for row in response.json()["results"]] == ["甲"]

    refused = rep_api.get(API, {"cf_capacity__contains": "1"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "custom.capacity"
