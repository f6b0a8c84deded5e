"""Importing contacts and interactions onto existing customers; XLSX and vCard files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from guanxi.accounts.models import Role
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.dataio.tests.conftest import csv_bytes
from guanxi.testing import factories


def test_contacts_land_on_the_customer_they_name(importer: Any, run_import: Any) -> None:
    star = customer_services.customer_create(actor=importer, data={"name": "北京星辰科技有限公司"})
    customer_services.customer_create(actor=importer, data={"name": "云海贸易"})
    content = csv_bytes(
        [
            ["公司", "姓名", "手机", "主要联系人"],
            ["北京星辰科技", "张三", "13812345678", ""],
            ["北京星辰科技有限公司", "李四", "13900001111", "是"],
            ["不存在的公司", "王五", "", ""],
            ["北京星辰科技", "张三", "13812345678", ""],
        ]
    )
    job = run_import(content, kind="contacts", name="contacts.csv")
    assert (job.created_count, job.error_count, job.skipped_count) == (2, 1, 1)
    assert list(
        Contact.objects.filter(customer=star).order_by("id").values_list("name", "is_primary")
    ) == [("张三", False), ("李四", True)]
    assert "不存在的公司" in job.row_errors.get(problem="invalid").message


def test_contacts_only_on_customers_the_importer_may_change(
    run_import: Any, rep: Any, department: Any
) -> None:
    # given an importer whose scope is her own customers
    role = Role.objects.create(
        name="导入员",
        permissions={
            "customers": {"actions": ["view", "create", "edit", "import"], "scope": "own"}
        },
    )
    clerk = factories.UserFactory(
        username="clerk", department=department, language="en", roles=[role]
    )
    own = factories.CustomerFactory(owner=clerk, name="自己的客户")
    hidden = factories.CustomerFactory(owner=rep, name="别人的客户")
    content = csv_bytes([["客户ID", "姓名"], [str(own.pk), "赵六"], [str(hidden.pk), "钱七"]])
    # when she imports contacts for both
    job = run_import(content, kind="contacts", actor=clerk)
    # then only her own customer gets one; the other is reported as unknown to her
    assert (job.created_count, job.error_count) == (1, 1)
    assert Contact.objects.filter(customer=hidden).count() == 0
    error = job.row_errors.get()
    assert (error.row_number, error.column) == (3, "客户ID")
    assert error.message == f"There is no customer #{hidden.pk} that you may change."


def test_interactions_go_on_the_timeline_and_move_the_last_contacted_date(
    importer: Any, run_import: Any
) -> None:
    star = customer_services.customer_create(actor=importer, data={"name": "星辰科技"})
    customer_services.contact_create(actor=importer, customer=star, data={"name": "张三"})
    content = csv_bytes(
        [
            ["客户名称", "联系人", "跟进时间", "跟进方式", "跟进内容", "结果", "时长(分钟)"],
            ["星辰科技", "张三", "2024年3月5日 14:30", "电话", "谈了报价", "积极", "15"],
            ["星辰科技", "", "2024/3/6", "拜访", "上门演示", "", ""],
            ["星辰科技", "不认识", "2024-03-07", "电话", "?", "", ""],
            ["星辰科技", "", "明天", "电话", "?", "", ""],
        ]
    )
    job = run_import(content, kind="interactions", name="log.csv")
    assert (job.created_count, job.error_count) == (2, 2)
    first = Interaction.objects.get(content="谈了报价")
    assert (first.kind, first.outcome, first.duration_minutes, first.contact.name) == (
        "call",
        "positive",
        15,
        "张三",
    )
    assert timezone.localtime(first.occurred_at).hour == 14
    star.refresh_from_db()
    assert timezone.localtime(star.last_contacted_at).date() == dt.date(2024, 3, 6)
    again = run_import(content, kind="interactions", name="log.csv")
    assert (again.created_count, again.skipped_count) == (0, 2)


def test_an_xlsx_file_from_the_chosen_sheet(importer: Any, run_import: Any, tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["请勿修改"])
    sheet = workbook.create_sheet("客户")
    sheet.append(["客户名称", "手机", "联系人", "下次跟进"])
    sheet.append(["星辰科技", 13812345678, "张三", dt.datetime(2030, 3, 5)])  # noqa: DTZ001
    path = tmp_path / "c.xlsx"
    workbook.save(path)
    from guanxi.dataio import services

    from .conftest import upload

    job = services.import_job_create(
        actor=importer, kind="customers", upload=upload(path.read_bytes(), "c.xlsx"), sheet="客户"
    )
    assert job.options["sheets"] == ["说明", "客户"]
    services.import_job_configure(actor=importer, job=job, mapping=job.mapping, on_duplicate="skip")
    services.import_job_start(actor=importer, job=job, enqueue=False)
    job = services.import_job_run(job_id=job.pk)
    customer = Customer.objects.get()
    assert customer.next_follow_up_on == dt.date(2030, 3, 5)
    assert Contact.objects.get().mobile == "+8613812345678"


def test_a_vcard_file_makes_customers_with_their_contact(run_import: Any) -> None:
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三\r\nORG:星辰科技\r\nTEL;TYPE=CELL:13812345678\r\n"
        "END:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:Li Si\r\nEMAIL:lisi@example.com\r\n"
        "END:VCARD\r\n"
    )
    job = run_import(cards.encode(), name="phone.vcf")
    assert job.created_count == 2
    assert sorted(Customer.objects.values_list("name", "kind")) == [
        ("Li Si", "person"),
        ("星辰科技", "company"),
    ]
    assert Contact.objects.get(customer__name="星辰科技").mobile == "+8613812345678"
