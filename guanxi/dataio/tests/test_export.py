"""Exports: the list's filters and the actor's scope, field masking, the formula guard, audit,
and export-then-import giving the same records back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.core.errors import PermissionDenied
from guanxi.core.models import AuditEntry
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, Industry, Level, Source
from guanxi.dataio.models import ImportKind
from guanxi.dataio.services.exports import records_export
from guanxi.testing import factories

FIELDS = [
    "kind",
    "name",
    "short_name",
    "industry_id",
    "size",
    "level_id",
    "source_id",
    "lifecycle_stage",
    "province",
    "city",
    "district",
    "address",
    "website",
    "phone",
    "email",
    "description",
    "owner_id",
    "next_follow_up_on",
    "custom",
]
CONTACT_FIELDS = ["name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary"]


def _csv(export: Any) -> list[list[str]]:
    raw = b"".join(export.chunks)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _state() -> list[tuple[Any, ...]]:
    rows = []
    for customer in Customer.objects.order_by("name"):
        contacts = [
            tuple(getattr(c, f) for f in CONTACT_FIELDS)
            for c in Contact.objects.filter(customer=customer).order_by("-is_primary", "name")
        ]
        tags = sorted(customer.tags.values_list("name", flat=True))
        rows.append((*(getattr(customer, f) for f in FIELDS), tuple(tags), tuple(contacts)))
    return rows


@pytest.fixture
def custom_fields(admin: Any) -> None:
    from guanxi.customization.services import field_definition_create

    for data in (
        {"key": "grade", "label_zh": "评级", "label_en": "Grade", "field_type": "choice",
         "options": [{"value": "a", "label": "A 类"}, {"value": "b", "label": "B 类"}]},
        {"key": "score", "label_zh": "评分", "label_en": "Score", "field_type": "integer"},
        {"key": "signed_on", "label_zh": "签约日期", "label_en": "Signed on", "field_type": "date"},
        {"key": "visited_at", "label_zh": "拜访时间", "label_en": "Visited at",
         "field_type": "datetime"},
        {"key": "is_partner", "label_zh": "合作伙伴", "label_en": "Partner",
         "field_type": "boolean"},
    ):  # fmt: skip
        field_definition_create(actor=admin, data={"model": "customers.customer", **data})


@pytest.fixture
def rich_customers(importer: Any, rep: Any, custom_fields: None) -> list[Customer]:
    industry = Industry.objects.create(name="信息技术", name_en="Information technology")
    level = Level.objects.create(name="重点客户", name_en="Key account")
    source = Source.objects.create(name="展会", name_en="Trade show")
    tag = customer_services.tag_create(actor=importer, data={"name": "VIP"})
    first = customer_services.customer_create(
        actor=importer,
        data={
            "name": '=HYPERLINK("http://evil")星辰科技有限公司',
            "short_name": "星辰",
            "kind": "company",
            "industry": industry,
            "size": "50-199",
            "level": level,
            "source": source,
            "lifecycle_stage": "customer",
            "province": "北京",
            "city": "北京",
            "district": "海淀",
            "address": "中关村大街1号\n2层",
            "website": "https://xc.example.cn",
            "phone": "010-62345678",
            "email": "info@xc.example.cn",
            "description": '多行\n备注, with "quotes"',
            "owner": rep,
            "next_follow_up_on": dt.date(2030, 1, 2),
            "custom": {
                "grade": "b",
                "score": 3,
                "signed_on": "2024-03-05",
                "visited_at": "2024-03-05T06:30:00Z",
                "is_partner": True,
            },
            "tags": [tag],
        },
    )
    customer_services.contact_create(
        actor=importer,
        customer=first,
        data={
            "name": "张三",
            "title": "+采购经理",
            "mobile": "13812345678",
            "email": "zhangsan@xc.example.cn",
            "wechat": "zhangsan_wx",
            "birthday": dt.date(1985, 6, 1),
        },
    )
    second = customer_services.customer_create(
        actor=importer, data={"name": "李四", "kind": "person", "phone": "+44 20 7946 0958"}
    )
    customer_services.contact_create(
        actor=importer, customer=second, data={"name": "李四", "mobile": "13900001111"}
    )
    return [first, second]


def _roundtrip(importer: Any, run_import: Any, export: Any, name: str, kind: str) -> Any:
    content = b"".join(export.chunks)
    before = _state()
    Customer.all_objects.all().delete()
    job = run_import(content, name=name, kind=kind)
    assert (job.error_count, job.skipped_count) == (0, 0), list(
        job.row_errors.values_list("column", "message")
    )
    assert _state() == before
    return content


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_customers_back(
    importer: Any, run_import: Any, rich_customers: Any, file_format: str
) -> None:
    export = records_export(actor=importer, kind=ImportKind.CUSTOMERS, file_format=file_format)
    assert export.count == 2
    content = _roundtrip(importer, run_import, export, f"export.{file_format}", "customers")
    # and importing the same file again changes nothing
    again = run_import(content, name=f"export.{file_format}", on_duplicate="update")
    assert (again.created_count, again.updated_count, again.error_count) == (0, 0, 0)


def test_contacts_export_as_vcard_and_come_back(
    importer: Any, run_import: Any, rich_customers: Any
) -> None:
    export = records_export(actor=importer, kind=ImportKind.CONTACTS, file_format="vcard")
    text = b"".join(export.chunks).decode()
    assert text.count("BEGIN:VCARD") == 2
    assert "TEL;TYPE=CELL:+8613812345678" in text
    before = sorted(Contact.objects.values_list(*CONTACT_FIELDS[:-1]))
    Contact.all_objects.all().delete()
    job = run_import(text.encode(), name="contacts.vcf", kind="contacts")
    assert job.error_count == 0, list(job.row_errors.values_list("message", flat=True))
    assert sorted(Contact.objects.values_list(*CONTACT_FIELDS[:-1])) == before


def test_contacts_export_as_csv_and_come_back(
    importer: Any, run_import: Any, rich_customers: Any
) -> None:
    export = records_export(actor=importer, kind=ImportKind.CONTACTS, file_format="csv")
    content = b"".join(export.chunks)
    before = sorted(Contact.objects.values_list(*CONTACT_FIELDS))
    Contact.all_objects.all().delete()
    job = run_import(content, name="contacts.csv", kind="contacts")
    assert job.error_count == 0, list(job.row_errors.values_list("message", flat=True))
    assert sorted(Contact.objects.values_list(*CONTACT_FIELDS)) == before


def test_cells_that_a_spreadsheet_would_run_are_neutralised(
    importer: Any, rich_customers: Any, tmp_path: Path
) -> None:
    rows = _csv(records_export(actor=importer, kind=ImportKind.CUSTOMERS, file_format="csv"))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")星辰科技有限公司' in cells
    assert "'+8613812345678" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    export = records_export(actor=importer, kind=ImportKind.CUSTOMERS, file_format="xlsx")
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"".join(export.chunks))
    sheet = load_workbook(path).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "'+采购经理" in values


def test_an_export_respects_the_scope_and_the_filters(
    importer: Any, rep: Any, other_rep: Any
) -> None:
    mine = factories.CustomerFactory(owner=rep, name="我的客户", city="北京")
    factories.CustomerFactory(owner=rep, name="我的上海客户", city="上海")
    factories.CustomerFactory(owner=other_rep, name="别人的客户", city="北京")
    export = records_export(
        actor=rep, kind=ImportKind.CUSTOMERS, file_format="csv", filters={"city": "北京"}
    )
    rows = _csv(export)
    assert [row[1] for row in rows[1:]] == ["我的客户"]
    assert rows[1][0] == str(mine.pk)
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.actor_id == rep.pk
    assert entry.changes["count"] == 1
    assert entry.changes["filters"] == {"city": "北京"}


def test_masked_fields_are_masked_in_the_export(importer: Any, rich_customers: Any) -> None:
    marketing = factories.UserFactory(
        username="marketing", roles=[account_services.role_by_code(default_roles.MARKETING)]
    )
    rows = _csv(records_export(actor=marketing, kind=ImportKind.CUSTOMERS, file_format="csv"))
    header = rows[0]
    company = next(row for row in rows if "星辰科技" in row[1])
    values = dict(zip(header, company, strict=True))
    assert values["Contact mobile"] == "138****5678"
    assert values["E-mail"] == "i***@xc.example.cn"
    assert values["Street address"] == ""
    assert values["WeChat ID"] == ""
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.changes["masked"] == ["address", "email", "mobile", "phone", "wechat"]


def test_exporting_needs_the_export_right(db: Any) -> None:
    nobody = factories.UserFactory(username="nobody", roles=[])
    with pytest.raises(PermissionDenied):
        records_export(actor=nobody, kind=ImportKind.CUSTOMERS, file_format="csv")
    auditor = factories.UserFactory(
        username="reader", roles=[account_services.role_by_code(default_roles.AUDITOR)]
    )
    with pytest.raises(PermissionDenied):
        records_export(actor=auditor, kind=ImportKind.CUSTOMERS, file_format="csv")
