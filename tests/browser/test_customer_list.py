"""The customer list on a desktop and on a phone: sign in, filter, search, sort, page, bulk-tag."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.customers import services
from guanxi.customers.models import Customer, Level, LifecycleStage
from guanxi.testing import factories

PASSWORD = "correct-horse-battery"
LIST = reverse("customers:customer-list")

# name, province, city, stage, level, days since last contact (None: never), tags
BOOK = [
    ("星辰科技有限公司", "广东省", "深圳市", "customer", "A级", 2, ["重点客户"]),
    ("华南精密制造", "广东省", "东莞市", "prospect", "B级", 9, []),
    ("北辰物流集团", "北京市", "北京市", "customer", "A级", 1, ["重点客户", "年框"]),
    ("云帆软件", "浙江省", "杭州市", "lead", None, None, []),
    ("海川贸易", "上海市", "上海市", "loyal", "A级", 30, ["年框"]),
    ("青禾农业科技", "四川省", "成都市", "lead", "C级", None, []),
    ("远景新能源", "江苏省", "苏州市", "prospect", "B级", 5, []),
    ("鼎盛建材", "湖北省", "武汉市", "churned", "C级", 120, []),
    ("明德教育咨询", "北京市", "北京市", "customer", "B级", 14, []),
    ("蓝海医疗器械", "广东省", "广州市", "prospect", "A级", 3, ["重点客户"]),
    ("金石资本", "上海市", "上海市", "lead", None, None, []),
    ("天工机器人", "广东省", "深圳市", "customer", "A级", 7, []),
]


@pytest.fixture
def seller(transactional_db: Any) -> Any:
    """Li Hua of the South China team, with a book of twelve customers and a colleague."""
    department = factories.DepartmentFactory(name="华南销售部")
    seller = factories.UserFactory(username="lihua", display_name="李华", department=department)
    factories.UserFactory(username="wangfang", display_name="王芳", department=department)
    levels = {
        name: Level.objects.create(name=name, position=i, colour=colour)
        for i, (name, colour) in enumerate((("A级", "red"), ("B级", "orange"), ("C级", "azure")))
    }
    colours = {"重点客户": "red", "年框": "green", "VIP": "purple"}
    tags = {name: factories.TagFactory(name=name, colour=c) for name, c in colours.items()}
    now = timezone.now()
    for name, province, city, stage, level, days, tag_names in BOOK:
        customer = factories.CustomerFactory(
            owner=seller,
            name=name,
            province=province,
            city=city,
            lifecycle_stage=stage,
            level=levels.get(level or ""),
            last_contacted_at=now - dt.timedelta(days=days, hours=2) if days is not None else None,
            next_follow_up_on=(now + dt.timedelta(days=len(name) % 9)).date() if days else None,
        )
        customer.tags.set([tags[t] for t in tag_names])
    return seller


def _tall_screenshot(page: Any, screenshot: Any, name: str) -> None:
    """A screenshot of the whole page, with the sidebar as tall as the page."""
    viewport = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    screenshot(page, name)
    page.set_viewport_size(viewport)


def _rows(page: Any) -> Any:
    return page.locator("[data-testid=customer-row]")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_filter_search_and_bulk_tag_the_customer_list(
    request: Any, viewport: str, seller: Any, login: Any, js_errors: Any, screenshot: Any
) -> None:
    page = request.getfixturevalue(f"{viewport}_page")
    suffix = "" if viewport == "desktop" else "-phone"

    # Li Hua signs in and lands on her customer list, in Chinese
    login(page, "lihua", PASSWORD)
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(_rows(page)).to_have_count(12)
    expect(page.get_by_test_id("result-count")).to_contain_text("12")
    screenshot(page, f"customer-list{suffix}")
    page.evaluate("window.gxStillThisPage = true")

    # she narrows it to current customers: the table updates in place and the address follows
    if viewport == "phone":
        page.get_by_test_id("filters-toggle").click()
    page.locator("#gx-filter-lifecycle_stage").select_option(LifecycleStage.CUSTOMER.value)
    expect(page).to_have_url(re.compile(r"lifecycle_stage=customer"))
    expect(_rows(page)).to_have_count(4)
    expect(page.get_by_test_id("customer-name")).to_have_text(
        ["天工机器人", "明德教育咨询", "北辰物流集团", "星辰科技有限公司"]
    )

    # sorts them by name with a click on the column header (on a phone: through the address)
    if viewport == "desktop":
        page.get_by_test_id("sort-link").first.click()
        expect(page).to_have_url(re.compile(r"sort=name"))
        expect(page.get_by_test_id("customer-name").first).to_have_text("北辰物流集团")

    # and searches within them
    page.get_by_test_id("global-search").fill("星辰")
    expect(_rows(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E6%98%9F%E8%BE%B0"))
    assert page.evaluate("window.gxStillThisPage") is True
    if viewport == "phone":
        screenshot(page, "customer-list-filtered-phone")

    # back to all customers in Guangdong, she tags them all as VIP in one go
    page.goto(f"{LIST}?province=广东省")
    expect(_rows(page)).to_have_count(4)
    page.get_by_test_id("select-all" if viewport == "desktop" else "select-all-phone").check()
    expect(page.locator("[data-gx-selected-count=ids]")).to_have_text("4")
    page.locator(".ts-control:has(#gx-bulk-tag-ts-control)").click()
    page.locator(".ts-dropdown .option", has_text="VIP").click()
    with page.expect_navigation():
        page.get_by_test_id("bulk-add-tag").click()

    # the message says how many changed, the filter is kept and the tags show in the rows
    expect(page.get_by_test_id("message")).to_contain_text("4")
    expect(page).to_have_url(re.compile(r"province="))
    expect(_rows(page)).to_have_count(4)
    vip = page.locator("[data-testid=customer-row] [data-testid=tag]", has_text="VIP")
    expect(vip).to_have_count(4)
    tagged = Customer.objects.filter(tags__name="VIP").values_list("province", flat=True)
    assert sorted(tagged) == ["广东省"] * 4
    assert js_errors(page) == []


def test_paging_through_a_long_list_keeps_the_filters(
    desktop_page: Any, seller: Any, login: Any, js_errors: Any
) -> None:
    page = desktop_page
    for i in range(40):
        factories.CustomerFactory(owner=seller, name=f"批量客户{i:02d}", province="河南省")

    login(page, "lihua", PASSWORD)
    page.goto(f"{LIST}?province=河南省&sort=name")
    expect(_rows(page)).to_have_count(25)
    expect(page.get_by_test_id("customer-name").first).to_have_text("批量客户00")

    page.get_by_test_id("next-page").click()
    expect(_rows(page)).to_have_count(15)
    expect(page.get_by_test_id("customer-name").first).to_have_text("批量客户25")
    expect(page).to_have_url(re.compile(r"after="))

    page.get_by_test_id("previous-page").click()
    expect(_rows(page)).to_have_count(25)
    expect(page.get_by_test_id("customer-name").last).to_have_text("批量客户24")
    assert js_errors(page) == []


def test_edit_conflict_delete_undo_recycle_bin_and_api_token(
    desktop_page: Any, seller: Any, login: Any, js_errors: Any, screenshot: Any
) -> None:
    page = desktop_page
    customer = Customer.objects.get(name="云帆软件")
    login(page, "lihua", PASSWORD)

    # a wrong phone number is refused next to the field, and nothing is saved
    page.goto(reverse("customers:customer-edit", kwargs={"pk": customer.pk}))
    form = page.get_by_test_id("customer-form")
    form.locator("[name=phone]").fill("不是电话")
    form.locator("[name=city]").fill("宁波市")
    with page.expect_navigation():
        form.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-phone")).to_be_visible()
    _tall_screenshot(page, screenshot, "customer-form-error")
    customer.refresh_from_db()
    assert customer.city == "杭州市"

    # while she corrects it, a colleague saves the customer: she sees both versions
    form.locator("[name=phone]").fill("0574-8765 4321")
    services.customer_update(
        actor=seller, customer=customer, data={"city": "温州市"}, version=customer.version
    )
    with page.expect_navigation():
        form.get_by_test_id("save").click()
    expect(page.get_by_test_id("conflict")).to_be_visible()
    expect(page.get_by_test_id("conflict-diff")).to_have_count(2)
    _tall_screenshot(page, screenshot, "customer-conflict")
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("温州市", "")

    # she keeps her values deliberately
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("overwrite").click()
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("宁波市", "+8657487654321")

    # she moves it to the recycle bin, and undoes that from the message
    page.goto(reverse("customers:customer-edit", kwargs={"pk": customer.pk}))
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("delete").click()
    expect(page.get_by_test_id("message")).to_contain_text("云帆软件")
    assert Customer.objects.filter(pk=customer.pk).count() == 0
    with page.expect_navigation():
        page.get_by_test_id("undo").click()
    assert Customer.objects.filter(pk=customer.pk).count() == 1

    # a deleted customer waits in the recycle bin and comes back from there
    services.customer_delete(actor=seller, customer=Customer.objects.get(name="鼎盛建材"))
    page.goto(reverse("customers:recycle-bin"))
    expect(page.get_by_test_id("bin-row")).to_have_count(1)
    screenshot(page, "recycle-bin")
    with page.expect_navigation():
        page.get_by_test_id("restore").click()
    expect(page.get_by_test_id("bin-row")).to_have_count(0)
    assert Customer.objects.filter(name="鼎盛建材").exists()

    # and creates a read-only API token on her profile: its secret is shown once
    page.goto(reverse("accounts:profile"))
    token_form = page.get_by_test_id("token-form")
    token_form.locator("[name=name]").fill("ERP 同步")
    token_form.locator("[name=is_read_only]").check()
    with page.expect_navigation():
        page.get_by_test_id("token-create").click()
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("gx_")
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    _tall_screenshot(page, screenshot, "profile-api-token")
    page.reload()
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    assert js_errors(page) == []
