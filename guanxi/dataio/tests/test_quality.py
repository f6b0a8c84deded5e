"""The data-quality figures and the one-click fixes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from guanxi.core.models import AuditEntry
from guanxi.customers.models import Contact, Customer
from guanxi.dataio.services import quality
from guanxi.testing import factories


def test_the_report_counts_completeness_problems_and_never_contacted(
    importer: Any, rep: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given customers written before the rules (raw values), as a legacy import would leave them
    factories.CustomerFactory(owner=rep, name=" 星辰科技 ", phone="138 1234 5678")
    factories.CustomerFactory(owner=rep, name="云海贸易", phone="12345", email="a@b.cn")
    tidy = factories.CustomerFactory(owner=rep, name="整洁公司", city="北京")
    factories.ContactFactory(customer=tidy, name="张三", mobile="+8613900001111")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        report = quality.quality_report_start(actor=importer)
    report.refresh_from_db()
    data = report.data
    assert data["total"] == 3
    assert data["completeness"]["phone"] == 2
    assert data["completeness"]["email"] == 1
    assert data["completeness"]["city"] == 1
    assert data["completeness"]["contacts"] == 1
    assert data["never_contacted"] == 3
    assert (data["problems"]["phones"]["fixable"], data["problems"]["phones"]["manual"]) == (1, 1)
    assert data["problems"]["names"]["fixable"] == 1


def test_safe_fixes_go_through_the_services(importer: Any, rep: Any) -> None:
    messy = factories.CustomerFactory(owner=rep, name=" 星辰 科技 ", phone="138 1234 5678")
    broken = factories.CustomerFactory(owner=rep, name="云海", phone="12345")
    contact = factories.ContactFactory(customer=broken, name="李四", mobile="139-0000-1111")
    assert quality.quality_fix(actor=importer, fix="phones") == {"fixed": 2, "left": 1}
    assert quality.quality_fix(actor=importer, fix="names") == {"fixed": 1, "left": 0}
    messy.refresh_from_db()
    contact.refresh_from_db()
    assert (messy.name, messy.phone, messy.version) == ("星辰 科技", "+8613812345678", 3)
    assert contact.mobile == "+8613900001111"
    assert Customer.objects.get(pk=broken.pk).phone == "12345"
    entries = AuditEntry.objects.filter(object_type="customers.customer", object_id=str(messy.pk))
    assert entries.filter(action="update").count() == 2
    assert Contact.objects.get(pk=contact.pk).mobile_bidx


def test_fixes_only_touch_what_the_user_may_change(rep: Any, other_rep: Any) -> None:
    theirs = factories.CustomerFactory(owner=other_rep, name=" 别人的 ")
    assert quality.quality_fix(actor=rep, fix="names") == {"fixed": 0, "left": 0}
    theirs.refresh_from_db()
    assert theirs.name == " 别人的 "
