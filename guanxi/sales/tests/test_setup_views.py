"""The set-up pages of sales: pipelines and stages, public pools, targets and products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext

from guanxi.core.errors import ValidationError
from guanxi.core.models import AuditEntry
from guanxi.sales import selectors, services
from guanxi.sales.models import (
    Deal,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    PublicPool,
    SalesTarget,
    Stage,
)
from guanxi.sales.tests.factories import DealFactory, ProductFactory

SETUP = "/sales/setup/"


@pytest.fixture
def boss_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def _text(response) -> str:
    return response.content.decode()


def test_only_sales_administrators_get_in_and_nothing_changes_otherwise(
    client, rep_client, pipeline, stages
):
    pool = PublicPool.objects.get(is_default=True)
    product = ProductFactory()
    before = (
        list(Pipeline.objects.values()),
        list(Stage.objects.values()),
        list(PublicPool.objects.values()),
        list(Product.objects.values()),
        SalesTarget.objects.count(),
    )
    pages = [
        f"{SETUP}pipelines/",
        f"{SETUP}pipelines/{pipeline.pk}/",
        f"{SETUP}pools/",
        f"{SETUP}targets/",
        f"{SETUP}products/",
        f"{SETUP}products/{product.pk}/",
    ]
    posts = [
        (f"{SETUP}pipelines/", {"name": "新流程", "stages": "一"}),
        (f"{SETUP}pipelines/{pipeline.pk}/", {"name": "改名"}),
        (f"{SETUP}pipelines/{pipeline.pk}/toggle/", {}),
        (f"{SETUP}pipelines/{pipeline.pk}/stages/", {"new-name": "新阶段"}),
        (f"{SETUP}stages/{stages[0].pk}/toggle/", {}),
        (f"{SETUP}stages/{stages[0].pk}/delete/", {}),
        (f"{SETUP}stages/{stages[1].pk}/up/", {}),
        (f"{SETUP}pools/{pool.pk}/", {f"p{pool.pk}-name": "改名", f"p{pool.pk}-claim_limit": 1}),
        (f"{SETUP}targets/", {"period_start": "2026-01-01", "period_end": "2026-01-31"}),
        (f"{SETUP}products/{product.pk}/delete/", {}),
    ]
    for url in pages:
        assert rep_client.get(url).status_code == 403, url
        assert client.get(url).status_code == 302, url
    for url, data in posts:
        assert rep_client.post(url, data).status_code == 403, url
        assert client.post(url, data).status_code == 302, url
    after = (
        list(Pipeline.objects.values()),
        list(Stage.objects.values()),
        list(PublicPool.objects.values()),
        list(Product.objects.values()),
        SalesTarget.objects.count(),
    )
    assert after == before


def test_the_board_links_to_setup_for_administrators_only(boss_client, rep_client, pipeline):
    assert 'data-testid="sales-setup"' in _text(boss_client.get("/sales/"))
    assert 'data-testid="sales-setup"' not in _text(rep_client.get("/sales/"))
    assert boss_client.get(SETUP).url == f"{SETUP}pipelines/"


def test_create_a_pipeline_rename_it_and_make_it_the_default(boss_client, pipeline):
    response = boss_client.post(
        f"{SETUP}pipelines/", {"name": "渠道销售", "stages": "报备\n\n签约准备\n"}
    )

    created = Pipeline.objects.get(name="渠道销售")
    assert response.url == f"{SETUP}pipelines/{created.pk}/"
    assert [(s.name, s.is_won, s.is_lost) for s in created.stages.order_by("position")] == [
        ("报备", False, False),
        ("签约准备", False, False),
        ("赢单", True, False),
        ("输单", False, True),
    ]
    page = boss_client.get(f"{SETUP}pipelines/")
    assert "渠道销售" in _text(page)

    duplicate = boss_client.post(f"{SETUP}pipelines/", {"name": "渠道销售", "stages": "一"})
    assert duplicate.status_code == 422
    assert 'data-testid="error-name"' in _text(duplicate)
    assert gettext("A pipeline with this name already exists.") in _text(duplicate)
    renamed = boss_client.post(
        f"{SETUP}pipelines/{created.pk}/",
        {"name": "渠道", "name_en": "Channel", "is_default": "on"},
    )
    assert renamed.status_code == 302
    created.refresh_from_db()
    pipeline.refresh_from_db()
    assert (created.name, created.is_default, pipeline.is_default) == ("渠道", True, False)
    assert AuditEntry.objects.filter(object_type="sales.pipeline", action="update").exists()


def test_the_default_pipeline_cannot_be_switched_off(boss_client, pipeline):
    response = boss_client.post(f"{SETUP}pipelines/{pipeline.pk}/toggle/", follow=True)
    assert gettext(
        "The default pipeline cannot be switched off: make another one the default."
    ) in _text(response)
    pipeline.refresh_from_db()
    assert pipeline.is_active


def test_stages_are_added_edited_and_reordered(boss_client, pipeline, stages):
    added = boss_client.post(
        f"{SETUP}pipelines/{pipeline.pk}/stages/",
        {
            "new-name": "试用",
            "new-probability": "60",
            "new-colour": "teal",
            "new-required_fields": ["amount", "contacts"],
        },
    )
    assert added.status_code == 302
    trial = Stage.objects.get(pipeline=pipeline, name="试用")
    assert (trial.probability, trial.colour, trial.required_fields) == (
        60,
        "teal",
        ["amount", "contacts"],
    )
    assert list(pipeline.stages.filter(is_active=True).order_by("position"))[-3] == trial

    prefix = f"s{stages[0].pk}"
    bad = boss_client.post(
        f"{SETUP}stages/{stages[0].pk}/",
        {f"{prefix}-name": "首次接触", f"{prefix}-probability": "150", f"{prefix}-colour": "blue"},
    )
    assert bad.status_code == 422
    assert f'data-testid="error-{prefix}-probability"' in _text(bad)
    good = boss_client.post(
        f"{SETUP}stages/{stages[0].pk}/",
        {
            f"{prefix}-name": "首次接触",
            f"{prefix}-probability": "5",
            f"{prefix}-colour": "blue",
            f"{prefix}-required_fields": ["source"],
        },
    )
    assert good.status_code == 302
    stages[0].refresh_from_db()
    assert (stages[0].name, stages[0].probability, stages[0].required_fields) == (
        "首次接触",
        5,
        ["source"],
    )

    boss_client.post(f"{SETUP}stages/{stages[1].pk}/up/")
    order = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    assert order[:2] == [stages[1].pk, stages[0].pk]
    assert order[-2:] == [stages[4].pk, stages[5].pk]  # won and lost stay last
    boss_client.post(f"{SETUP}stages/{stages[1].pk}/down/")
    order = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    assert order[:2] == [stages[0].pk, stages[1].pk]


def test_a_stage_with_deals_is_switched_off_not_deleted_and_its_deals_stay(
    boss_client, admin, rep, pipeline, stages
):
    deal = DealFactory(owner=rep, stage=stages[1])

    refused = boss_client.post(f"{SETUP}stages/{stages[1].pk}/delete/", follow=True)
    assert gettext("Deals are in this stage: move them first, or switch the stage off.") in _text(
        refused
    )
    assert Stage.objects.filter(pk=stages[1].pk).exists()
    page = _text(boss_client.get(f"{SETUP}pipelines/{pipeline.pk}/"))
    assert f'data-testid="stage-delete-{stages[1].pk}"' not in page

    boss_client.post(f"{SETUP}stages/{stages[1].pk}/toggle/")

    stages[1].refresh_from_db()
    assert not stages[1].is_active
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[1].pk
    columns = selectors.deal_board(actor=admin, pipeline=pipeline)
    assert stages[1].pk in [c.stage.pk for c in columns]  # still on the board while it holds deals
    other = DealFactory(owner=rep, stage=stages[0])
    with pytest.raises(ValidationError) as caught:
        services.deal_move_to_stage(actor=admin, deal=other, stage=stages[1])
    assert caught.value.field == "stage"
    services.deal_move_to_stage(actor=admin, deal=deal, stage=stages[0])
    columns = selectors.deal_board(actor=admin, pipeline=pipeline)
    assert stages[1].pk not in [c.stage.pk for c in columns]

    boss_client.post(f"{SETUP}stages/{stages[1].pk}/toggle/")
    stages[1].refresh_from_db()
    assert stages[1].is_active
    assert (
        AuditEntry.objects.filter(
            object_type="sales.stage", object_id=str(stages[1].pk), action="update"
        ).count()
        == 2
    )


def test_closing_stages_and_the_last_open_stage_stay_on(admin, pipeline, stages):
    with pytest.raises(ValidationError) as caught:
        services.stage_set_active(actor=admin, stage=stages[4], active=False)
    assert caught.value.field == "is_active"
    for stage in stages[:3]:
        services.stage_set_active(actor=admin, stage=stage, active=False)
    with pytest.raises(ValidationError) as caught:
        services.stage_set_active(actor=admin, stage=stages[3], active=False)
    assert caught.value.field == "is_active"


def test_an_empty_stage_is_deleted(boss_client, pipeline, stages):
    boss_client.post(f"{SETUP}stages/{stages[2].pk}/delete/")
    assert not Stage.objects.filter(pk=stages[2].pk).exists()


def test_pools_are_added_and_their_rules_changed(boss_client):
    default = PublicPool.objects.get(is_default=True)
    created = boss_client.post(
        f"{SETUP}pools/",
        {
            "new-name": "华东公海",
            "new-claim_limit": "20",
            "new-return_after_days": "15",
            "new-warn_days_before": "2",
            "new-is_active": "on",
        },
    )
    assert created.status_code == 302
    pool = PublicPool.objects.get(name="华东公海")
    assert (pool.claim_limit, pool.return_after_days, pool.warn_days_before) == (20, 15, 2)
    assert not pool.is_default
    page = _text(boss_client.get(f"{SETUP}pools/"))
    assert f'data-testid="pool-{pool.pk}"' in page
    assert f'data-testid="pool-{default.pk}"' in page

    prefix = f"p{pool.pk}"
    data = {
        f"{prefix}-name": "华东公海",
        f"{prefix}-claim_limit": "10",
        f"{prefix}-return_after_days": "5",
        f"{prefix}-warn_days_before": "5",
        f"{prefix}-is_active": "on",
    }
    bad = boss_client.post(f"{SETUP}pools/{pool.pk}/", data)
    assert bad.status_code == 422
    assert f'data-testid="error-{prefix}-warn_days_before"' in _text(bad)
    zero = boss_client.post(f"{SETUP}pools/{pool.pk}/", {**data, f"{prefix}-claim_limit": "0"})
    assert f'data-testid="error-{prefix}-claim_limit"' in _text(zero)

    data[f"{prefix}-warn_days_before"] = "1"
    data[f"{prefix}-is_default"] = "on"
    assert boss_client.post(f"{SETUP}pools/{pool.pk}/", data).status_code == 302
    pool.refresh_from_db()
    default.refresh_from_db()
    assert (pool.claim_limit, pool.return_after_days, pool.is_default) == (10, 5, True)
    assert not default.is_default
    assert AuditEntry.objects.filter(object_type="sales.publicpool").count() == 2

    off = {k: v for k, v in data.items() if not k.endswith("is_active")}
    refused = boss_client.post(f"{SETUP}pools/{pool.pk}/", off)
    assert refused.status_code == 422
    assert f'data-testid="error-{prefix}-is_active"' in _text(refused)


def test_targets_are_set_replaced_and_removed(boss_client, rep, department):
    data = {"period_start": "2026-01-01", "period_end": "2026-03-31", "amount": "300000"}
    assert boss_client.post(f"{SETUP}targets/", {**data, "owner": rep.pk}).status_code == 302
    boss_client.post(f"{SETUP}targets/", {**data, "owner": rep.pk, "amount": "350000"})
    boss_client.post(f"{SETUP}targets/", data)
    assert {(t.owner_id, t.amount) for t in SalesTarget.objects.all()} == {
        (rep.pk, Decimal("350000.00")),
        (None, Decimal("300000.00")),
    }

    both = boss_client.post(
        f"{SETUP}targets/", {**data, "owner": rep.pk, "department": department.pk}
    )
    assert both.status_code == 422
    assert 'data-testid="error-department"' in _text(both)
    backwards = boss_client.post(f"{SETUP}targets/", {**data, "period_end": "2025-12-31"})
    assert 'data-testid="error-period_end"' in _text(backwards)
    page = _text(boss_client.get(f"{SETUP}targets/"))
    assert "350000.00" in page

    target = SalesTarget.objects.get(owner=rep)
    boss_client.post(f"{SETUP}targets/{target.pk}/delete/")
    assert not SalesTarget.objects.filter(pk=target.pk).exists()


def test_products_categories_and_price_lists(boss_client):
    boss_client.post(f"{SETUP}categories/", {"name": "硬件"})
    category = ProductCategory.objects.get(name="硬件")
    created = boss_client.post(
        f"{SETUP}products/",
        {
            "code": "HW-01",
            "name": "门禁控制器",
            "category": category.pk,
            "unit": "台",
            "price": "1200",
            "currency": "CNY",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    product = Product.objects.get(code="HW-01")
    assert (product.category, product.price) == (category, Decimal("1200.00"))

    duplicate = boss_client.post(
        f"{SETUP}products/", {"code": "HW-01", "name": "x", "price": "1", "currency": "CNY"}
    )
    assert duplicate.status_code == 422
    assert 'data-testid="error-code"' in _text(duplicate)
    negative = boss_client.post(
        f"{SETUP}products/", {"code": "HW-02", "name": "x", "price": "-1", "currency": "CNY"}
    )
    assert 'data-testid="error-price"' in _text(negative)

    edited = boss_client.post(
        f"{SETUP}products/{product.pk}/",
        {"code": "HW-01", "name": "门禁控制器 Pro", "price": "1500", "currency": "CNY"},
    )
    assert edited.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.price, product.is_active) == (
        "门禁控制器 Pro",
        Decimal("1500"),
        False,
    )

    boss_client.post(
        f"{SETUP}price-lists/",
        {"name": "渠道价 2026", "currency": "CNY", "valid_from": "2026-01-01"},
    )
    price_list = PriceList.objects.get(name="渠道价 2026")
    assert price_list.valid_from == dt.date(2026, 1, 1)
    prefix = f"pl{price_list.pk}"
    boss_client.post(
        f"{SETUP}price-lists/{price_list.pk}/prices/",
        {f"{prefix}-product": product.pk, f"{prefix}-price": "1350"},
    )
    assert PriceListItem.objects.get(price_list=price_list, product=product).price == Decimal(
        "1350.00"
    )
    assert "1350.00" in _text(boss_client.get(f"{SETUP}products/"))

    boss_client.post(f"{SETUP}products/{product.pk}/delete/")
    assert not Product.objects.filter(pk=product.pk).exists()
    assert boss_client.get(f"{SETUP}products/{product.pk}/").status_code == 404
