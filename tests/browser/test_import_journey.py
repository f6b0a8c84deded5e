"""Importing a file in the browser, on a desktop and on a phone: upload, columns, preview, run,
report with the rejected rows, export; and the duplicate queue."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.customers.models import Customer
from guanxi.testing import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture
def director(transactional_db: Any) -> Any:
    return factories.UserFactory(
        username="zhaomin",
        display_name="赵敏",
        roles=[account_services.role_by_code(default_roles.SALES_DIRECTOR)],
    )


def _file(tmp_path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            ["客户名称", "联系人", "手机", "城市", "备注"],
            ["北京星辰科技有限公司", "张三", "138 1234 5678", "北京", "展会认识"],
            ["上海云海贸易有限公司", "李四", "+86 139-0000-1111", "上海", ""],
            ["坏电话公司", "王五", "12345", "广州", ""],
            ["北京星辰科技", "张三", "13812345678", "北京", "重复"],
        ]
    )
    path = tmp_path / "展会名单.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path


@pytest.mark.parametrize("device", ["desktop_page", "phone_page"])
def test_import_a_gbk_file_from_upload_to_report(
    request: Any,
    device: str,
    director: Any,
    login: Any,
    js_errors: Any,
    screenshot: Any,
    tmp_path: Path,
) -> None:
    page = request.getfixturevalue(device)
    login(page, "zhaomin", PASSWORD)
    page.goto(reverse("dataio:import-create"))
    page.set_input_files("#gx-file", str(_file(tmp_path)))
    if device == "desktop_page":
        screenshot(page, "import-upload")
    page.click("[data-testid=upload]")
    # the columns are recognised from the Chinese headers
    expect(page.locator("[data-testid=column-0]")).to_have_value("name")
    expect(page.locator("[data-testid=column-2]")).to_have_value("contact_mobile")
    if device == "desktop_page":
        screenshot(page, "import-mapping", full_page=True)
    page.click("[data-testid=to-preview]")
    preview = page.locator("[data-testid=preview]")
    expect(preview).to_contain_text("坏电话公司")
    expect(preview.locator("tbody tr")).to_have_count(4)
    if device == "desktop_page":
        screenshot(page, "import-preview", full_page=True)
    page.click("[data-testid=start-import]")
    expect(page.locator("[data-testid=import-status]")).to_have_text("已完成", timeout=30_000)
    expect(page.locator("[data-testid=created-count]")).to_have_text("2")
    expect(page.locator("[data-testid=error-file]")).to_be_visible()
    if device == "desktop_page":
        screenshot(page, "import-report")
    with page.expect_download() as download:
        page.click("[data-testid=error-file]")
    content = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "坏电话公司" in content
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "上海云海贸易有限公司",
        "北京星辰科技有限公司",
    ]
    assert js_errors(page) == []


def test_export_from_the_list_and_review_duplicates(
    desktop_page: Any, director: Any, login: Any, js_errors: Any, screenshot: Any
) -> None:
    page = desktop_page
    factories.CustomerFactory(owner=director, name="星辰科技有限公司", name_key="星辰科技")
    factories.CustomerFactory(owner=director, name="星辰科技", name_key="星辰科技")
    login(page, "zhaomin", PASSWORD)
    page.goto(reverse("customers:customer-list"))
    page.click("[data-testid=export]")
    expect(page.locator("[data-testid=export-page]")).to_contain_text("2")
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    assert "星辰科技有限公司" in Path(download.value.path()).read_bytes().decode("utf-8-sig")
    page.goto(reverse("dataio:duplicate-list"))
    page.click("[data-testid=scan]")
    expect(page.locator("[data-testid=pairs]")).to_contain_text("星辰科技有限公司")
    screenshot(page, "import-duplicates")
    page.locator("[data-testid=pairs] a.btn-primary").first.click()
    screenshot(page, "import-merge", full_page=True)
    page.click("[data-testid=merge]")
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    assert Customer.objects.count() == 1
    assert js_errors(page) == []
