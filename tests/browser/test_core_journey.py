"""The core journey, on a desktop and on a phone: sign in, create a customer, add a contact and a
visit on its 360° page, and find the customer again by the initials of its name."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.customers import services
from guanxi.customers.models import Contact, Customer, Interaction, Level, Source
from guanxi.testing import factories

PASSWORD = "correct-horse-battery"
NAME = "星辰科技有限公司"
INITIALS = "xckj"


@pytest.fixture
def seller(transactional_db: Any) -> Any:
    """A sales rep of the South China team, with the lists an installation starts with."""
    Level.objects.create(name="A级", position=1)
    Source.objects.create(name="展会", position=1)
    department = factories.DepartmentFactory(name="华南销售部")
    return factories.UserFactory(username="lihua", display_name="李华", department=department)


def _earlier_call(customer: Customer, seller: Any) -> None:
    """A call from last week, with the minutes attached, so the timeline has a history."""
    call = services.interaction_create(
        actor=seller,
        customer=customer,
        data={
            "kind": "call",
            "occurred_at": timezone.now() - dt.timedelta(days=6, hours=3),
            "subject": "电话初访",
            "content": "对方在评估三家供应商，预算已批。\n希望下周看演示。",
            "outcome": "neutral",
            "duration_minutes": 20,
        },
    )
    services.attachment_create(
        actor=seller,
        customer=customer,
        upload=SimpleUploadedFile("需求清单.xlsx", b"PK\x03\x04 requirements"),
        interaction=call,
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_sign_in_create_a_customer_log_a_visit_and_find_it_by_its_initials(
    request: Any, viewport: str, seller: Any, login: Any, js_errors: Any, screenshot: Any
) -> None:
    page = request.getfixturevalue(f"{viewport}_page")

    # Li Hua signs in
    login(page, "lihua", PASSWORD)

    # and creates a customer through the form
    page.goto(reverse("customers:customer-create"))
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill(NAME)
    form.locator("[name=short_name]").fill("星辰")
    form.locator("[name=lifecycle_stage]").select_option("prospect")
    form.locator("[name=level]").select_option(label="A级")
    form.locator("[name=source]").select_option(label="展会")
    form.locator("[name=province]").fill("广东省")
    form.locator("[name=city]").fill("深圳市")
    form.locator("[name=address]").fill("南山区科技园南区8栋")
    form.locator("[name=phone]").fill("0755-8888 6666")
    form.locator("[name=email]").fill("sales@xingchen.example.cn")
    form.locator("[name=website]").fill("xingchen.example.cn")
    form.locator("[name=description]").fill("智能仓储设备制造商，年采购额约五百万。")
    with page.expect_navigation():
        form.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_test_id("customer-name")).to_contain_text(NAME)
    customer = Customer.objects.get(name=NAME)
    assert customer.owner == seller
    _earlier_call(customer, seller)
    page.reload()
    # the inline steps below must not reload the page: this mark would be lost
    page.evaluate("window.gxStillThisPage = true")
    expect(page.locator("#gx-tab-contacts")).to_be_hidden()

    # she adds a contact inline
    page.get_by_test_id("tab-contacts").click()
    page.get_by_test_id("contact-add").click()
    new_contact = page.locator("#contact-new")
    new_contact.locator("[name=name]").fill("张伟")
    new_contact.locator("[name=title]").fill("采购总监")
    new_contact.locator("[name=mobile]").fill("139 8765 4321")
    new_contact.locator("[name=email]").fill("zhangwei@xingchen.example.cn")
    new_contact.get_by_test_id("contact-save").click()
    row = page.locator("#contact-list [data-testid=contact-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("张伟")
    expect(row.locator("[data-field=mobile]")).to_have_text("139 8765 4321")
    expect(page.locator("#gx-count-contacts")).to_have_text("1")

    # and logs today's visit at the top of the timeline
    page.get_by_test_id("tab-timeline").click()
    new_entry = page.locator("#interaction-new")
    new_entry.locator("[name=kind]").select_option("visit")
    new_entry.locator("[name=subject]").fill("上门演示新版本")
    new_entry.locator("[name=content]").fill("演示了仓储看板，张总很满意。\n待发正式报价。")
    new_entry.locator('a[href="#interaction-new-more"]').click()
    new_entry.locator("[name=contact]").select_option(label="张伟")
    new_entry.locator("[name=outcome]").select_option("positive")
    new_entry.locator("[name=duration_minutes]").fill("90")
    follow_up = timezone.localdate() + dt.timedelta(days=7)
    follow_up_input = new_entry.locator("[name=next_follow_up_on]")
    follow_up_input.fill(follow_up.isoformat())
    follow_up_input.press("Enter")
    page.keyboard.press("Escape")
    new_entry.get_by_test_id("interaction-save").click()
    entries = page.locator("#interaction-list [data-testid=interaction-row]")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("上门演示新版本")
    expect(entries.first.locator("[data-field=contact]")).to_have_text("张伟")
    expect(page.locator("#gx-count-interactions")).to_have_text("2")
    visit = Interaction.objects.get(kind="visit")
    assert (
        visit.customer,
        visit.author,
        visit.contact,
        visit.duration_minutes,
        visit.next_follow_up_on,
    ) == (customer, seller, Contact.objects.get(name="张伟"), 90, follow_up)
    today = timezone.localdate().isoformat()
    expect(page.locator("[data-field=last_contacted_at]")).to_contain_text(today)
    expect(page.locator("#profile [data-field=next_follow_up_on]")).to_contain_text(
        follow_up.isoformat()
    )
    assert page.evaluate("window.gxStillThisPage") is True

    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"customer-360-{viewport}", full_page=viewport == "phone")

    # then she finds the customer again by typing its initials in the top search box
    search = page.get_by_test_id("global-search")
    search.fill(INITIALS)
    with page.expect_navigation():
        search.press("Enter")
    results = page.get_by_test_id("customer-row")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(NAME)
    assert js_errors(page) == []


def test_inline_errors_edits_undo_and_files_on_the_360_page(
    desktop_page: Any, seller: Any, login: Any, js_errors: Any, tmp_path: Any
) -> None:
    page = desktop_page
    customer = services.customer_create(actor=seller, data={"name": NAME})
    contact = services.contact_create(actor=seller, customer=customer, data={"name": "张伟"})
    login(page, "lihua", PASSWORD)
    page.goto(reverse("customers:customer-detail", args=[customer.pk]))
    page.evaluate("window.gxStillThisPage = true")

    # a malformed e-mail comes back next to its field, and nothing is stored
    page.get_by_test_id("tab-contacts").click()
    page.get_by_test_id("contact-edit").click()
    edit = page.locator(f"#contact-{contact.pk}")
    edit.locator("[name=email]").fill("zhangwei@")
    edit.get_by_test_id("contact-save").click()
    expect(edit.locator("[data-field-error=email]")).to_have_text(
        re.compile(r"\S")  # the message, in the user's language
    )
    contact.refresh_from_db()
    assert contact.email == ""

    # corrected, it is saved and the row comes back
    edit.locator("[name=email]").fill("zhangwei@xingchen.example.cn")
    edit.get_by_test_id("contact-save").click()
    row = page.locator(f"#contact-{contact.pk}")
    expect(row.locator("[data-field=email]")).to_have_text("zhangwei@xingchen.example.cn")

    # deleting offers an undo, which brings the contact back
    row.get_by_test_id("contact-delete").click()
    expect(page.get_by_test_id("contact-undo")).to_be_visible()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    page.get_by_test_id("contact-undo").click()
    expect(page.locator(f"#contact-{contact.pk} [data-field=name]")).to_have_text("张伟")
    assert Contact.objects.filter(pk=contact.pk).exists()

    # a file uploaded in the files tab can be downloaded again, byte for byte
    page.get_by_test_id("tab-attachments").click()
    source = tmp_path / "报价单.txt"
    source.write_bytes("报价：¥120,000\n".encode())
    page.locator("#attachment-new [name=file]").set_input_files(str(source))
    page.get_by_test_id("attachment-upload").click()
    link = page.locator("#attachment-list [data-field=name]")
    expect(link).to_have_text("报价单.txt")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "报价单.txt"
    assert Path(download.value.path()).read_bytes() == source.read_bytes()
    expect(page.locator("#gx-count-attachments")).to_have_text("1")

    assert page.evaluate("window.gxStillThisPage") is True
    assert js_errors(page) == []
