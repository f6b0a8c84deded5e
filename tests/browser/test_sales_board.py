"""The sales board in a real browser: drag a deal to the next stage, see a refused move snap back
with its message, and read the board on a phone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from guanxi.sales import defaults, services
from guanxi.sales.models import CloseReason, Deal, Pipeline, PublicPool, Stage
from guanxi.testing import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture
def seller(transactional_db: Any) -> Any:
    defaults.seed(Pipeline, Stage, CloseReason)
    defaults.seed_pool(PublicPool)
    department = factories.DepartmentFactory(name="华东销售部")
    seller = factories.UserFactory(username="zhaolei", display_name="赵磊", department=department)
    customer = factories.CustomerFactory(owner=seller, name="远航物流有限公司")
    services.deal_create(actor=seller, data={"name": "仓储系统升级", "customer": customer})
    return seller


def test_drag_a_deal_forward_and_see_a_refused_move_snap_back(
    seller: Any, desktop_page: Any, login: Any, js_errors: Any, screenshot: Any
) -> None:
    page = desktop_page
    deal = Deal.objects.get()
    stages = list(Stage.objects.filter(pipeline=deal.pipeline).order_by("position"))
    login(page, "zhaolei", PASSWORD)
    page.goto("/sales/")
    card = page.locator(f"[data-testid=deal-card-{deal.pk}]")
    expect(card).to_be_visible()

    card.drag_to(page.locator(f"[data-gx-cards][data-stage='{stages[1].pk}']"))

    expect(page.locator("[data-testid=count-1]")).to_have_text("1")
    expect(page.locator("[data-testid=count-0]")).to_have_text("0")
    expect(page.locator("[data-testid=message]")).to_contain_text("需求确认")
    deal.refresh_from_db()
    assert deal.stage == stages[1]

    page.locator(f"[data-testid=deal-card-{deal.pk}]").drag_to(
        page.locator(f"[data-gx-cards][data-stage='{stages[2].pk}']")
    )

    expect(page.locator("[data-testid=message]")).to_contain_text("方案报价")
    expect(page.locator("[data-testid=count-1]")).to_have_text("1")
    expect(
        page.locator(
            f"[data-gx-cards][data-stage='{stages[1].pk}'] [data-testid=deal-card-{deal.pk}]"
        )
    ).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == (stages[1], Decimal("0.00"))
    screenshot(page, "sales-board")
    assert js_errors(page) == []


def test_the_board_on_a_phone(seller: Any, phone_page: Any, login: Any, js_errors: Any) -> None:
    page = phone_page
    login(page, "zhaolei", PASSWORD)
    page.goto("/sales/")
    first = page.locator("[data-testid=column-0]")
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    board = page.locator("[data-testid=board]")
    assert board.evaluate("el => el.scrollWidth > el.clientWidth")
    expect(
        page.locator("[data-testid=deal-card-" + str(Deal.objects.get().pk) + "]")
    ).to_be_visible()
    assert js_errors(page) == []
