"""The settings pages of custom fields and custom values on the customer's 360° page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from guanxi.customization import services
from guanxi.customization.models import FieldDefinition
from guanxi.testing import factories

LIST = "/settings/custom-fields/"


def test_an_administrator_adds_changes_and_archives_a_field(
    admin_client_logged_in: Any,
) -> None:
    client = admin_client_logged_in

    created = client.post(
        f"{LIST}new/",
        {
            "model": "customers.customer",
            "key": "dealer_grade",
            "label_zh": "经销商级别",
            "field_type": "choice",
            "options": "gold | 金牌 | #FFC107\nsilver | 银牌",
            "is_filterable": "on",
        },
    )
    definition = FieldDefinition.objects.get()
    edited = client.post(
        f"{LIST}{definition.pk}/",
        {
            "label_zh": "代理级别",
            "field_type": "choice",
            "options": "gold | 金牌 | #FFC107\nsilver | 银牌\nbronze | 铜牌",
        },
    )
    page = client.get(LIST)
    archived = client.post(f"{LIST}{definition.pk}/archive/", {"archived": "1"})

    assert created.status_code == 302
    assert edited.status_code == 302
    assert "代理级别" in page.content.decode()
    assert archived.status_code == 302
    definition.refresh_from_db()
    assert definition.label_zh == "代理级别"
    assert [o["label"] for o in definition.options] == ["金牌", "银牌", "铜牌"]
    assert definition.is_filterable is False
    assert definition.is_archived is True


def test_a_bad_key_is_shown_on_the_form(admin_client_logged_in: Any) -> None:
    response = admin_client_logged_in.post(
        f"{LIST}new/",
        {"model": "customers.customer", "key": "name", "label_zh": "名称", "field_type": "text"},
    )

    assert response.status_code == 200
    assert "“name”是内置字段的名称" in response.content.decode()
    assert FieldDefinition.objects.count() == 0


def test_a_rep_may_not_open_the_settings(rep_client: Any) -> None:
    assert rep_client.get(LIST).status_code == 403


def test_the_360_page_shows_custom_values(admin: Any, rep: Any, rep_client: Any) -> None:
    services.field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": "capacity",
            "label_zh": "装机容量",
            "field_type": "integer",
            "section": "设备",
        },
    )
    customer = factories.CustomerFactory(owner=rep, custom={"capacity": 1200})

    page = rep_client.get(reverse("customers:customer-detail", args=[customer.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "装机容量" in html
    assert 'data-field="custom.capacity">1200</div>' in html
