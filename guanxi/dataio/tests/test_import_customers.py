"""Importing customers from CSV: validation, normalisation, duplicates, the records written."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.core import crypto
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Contact, Customer
from guanxi.dataio.models import ImportStatus
from guanxi.dataio.tests.conftest import csv_bytes


def test_a_clean_file_creates_customers_with_their_primary_contacts(run_import: Any) -> None:
    # given a file with Chinese headers, full-width digits and spaces to trim
    content = csv_bytes(
        [
            ["客户名称", "联系人", "手机", "邮箱", "城市"],
            ["  北京星辰科技有限公司 ", "张三", "１３８ 1234 5678", "Zhang@Example.COM", "北京"],
            ["上海云海贸易有限公司", "李四", "+86 139-0000-1111", "", "上海"],
        ]
    )
    # when it is imported
    job = run_import(content)
    # then both customers are there, normalised, encrypted and indexed
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count, job.skipped_count) == (2, 0, 0)
    first = Customer.objects.get(name="北京星辰科技有限公司")
    assert first.name_key == "北京星辰科技"
    assert first.city == "北京"
    assert first.import_batch == job.pk
    assert first.created_via == "import"
    contact = Contact.objects.get(customer=first)
    assert contact.is_primary
    assert contact.mobile == "+8613812345678"
    assert contact.mobile_bidx == crypto.blind_index("+8613812345678", purpose="phone")
    assert first.email == "zhang@example.com"
    assert first.email_bidx == crypto.blind_index("zhang@example.com", purpose="email")
    assert AuditEntry.objects.filter(action="import", object_id=str(job.pk)).count() >= 2


def _customers(**filters: Any) -> list[tuple[str, str]]:
    return list(Customer.objects.filter(**filters).order_by("id").values_list("name", "city"))


def test_invalid_rows_are_reported_with_row_and_column_and_nothing_of_them_is_stored(
    run_import: Any, importer: Any
) -> None:
    # given a file with a bad phone, a missing name and an unknown industry
    content = csv_bytes(
        [
            ["公司名称", "电话", "行业", "城市"],
            ["好公司", "010-62345678", "", "北京"],
            ["坏电话公司", "12345", "", "上海"],
            ["", "010-62345679", "", "广州"],
            ["未知行业公司", "", "造飞船", "深圳"],
        ]
    )
    # when it is imported
    job = run_import(content)
    # then the good row is in, the bad ones are rejected with their row and column
    assert _customers() == [("好公司", "北京")]
    assert (job.created_count, job.error_count) == (1, 3)
    errors = list(job.row_errors.order_by("row_number").values_list("row_number", "column"))
    assert errors == [(3, "电话"), (4, "公司名称"), (5, "行业")]
    assert "industry" in job.row_errors.get(row_number=5).message


def test_a_duplicate_in_the_database_is_skipped_by_default(run_import: Any) -> None:
    # given a customer imported once
    content = csv_bytes([["客户名称", "手机"], ["星辰科技有限公司", "13812345678"]])
    run_import(content)
    # when another file names the same company differently, with the same mobile
    job = run_import(csv_bytes([["客户名称", "手机"], ["星辰科技", "138 1234 5678"]]))
    # then nothing new is created and the row is reported as a duplicate
    assert Customer.objects.count() == 1
    assert (job.created_count, job.skipped_count) == (0, 1)
    error = job.row_errors.get()
    assert error.problem == "duplicate"
    assert "星辰科技有限公司" in error.message


def test_a_duplicate_by_company_name_is_found_whatever_the_legal_form(run_import: Any) -> None:
    run_import(csv_bytes([["客户名称"], ["北京星辰科技有限公司"]]))
    job = run_import(csv_bytes([["客户名称"], ["北京 星辰科技（股份有限公司）"]]))
    assert Customer.objects.count() == 1
    assert job.skipped_count == 1


def test_update_fills_in_the_existing_record_and_keeps_what_the_file_leaves_empty(
    run_import: Any,
) -> None:
    first = run_import(csv_bytes([["客户名称", "城市", "网址"], ["星辰科技", "北京", "xc.cn"]]))
    job = run_import(
        csv_bytes([["客户名称", "城市", "网址"], ["星辰科技", "上海", ""]]), on_duplicate="update"
    )
    customer = Customer.objects.get()
    assert (customer.city, customer.website) == ("上海", "https://xc.cn")
    assert customer.version == 2
    assert customer.import_batch == first.pk
    assert (job.created_count, job.updated_count) == (0, 1)


def test_create_anyway_makes_a_second_record(run_import: Any) -> None:
    run_import(csv_bytes([["客户名称"], ["星辰科技"]]))
    job = run_import(csv_bytes([["客户名称"], ["星辰科技"]]), on_duplicate="create")
    assert Customer.objects.count() == 2
    assert job.created_count == 1


def test_duplicates_inside_the_file_follow_the_same_choice(run_import: Any) -> None:
    content = csv_bytes(
        [
            ["客户名称", "手机", "城市"],
            ["星辰科技", "13812345678", "北京"],
            ["星辰科技（北京）", "13812345678", ""],
            ["云海贸易", "", "上海"],
            ["云海贸易有限公司", "", "杭州"],
        ]
    )
    skipped = run_import(content)
    assert _customers() == [("星辰科技", "北京"), ("云海贸易", "上海")]
    assert skipped.skipped_count == 2
    assert "row 2" in skipped.row_errors.order_by("row_number").first().message


def test_duplicates_inside_the_file_are_merged_when_updating(run_import: Any) -> None:
    content = csv_bytes(
        [
            ["客户名称", "城市", "区县"],
            ["云海贸易", "上海", ""],
            ["云海贸易有限公司", "", "浦东"],
        ]
    )
    job = run_import(content, on_duplicate="update")
    assert list(Customer.objects.values_list("name", "city", "district")) == [
        ("云海贸易有限公司", "上海", "浦东")
    ]
    assert job.created_count == 1


def test_duplicates_across_batches_of_the_same_file_are_found(run_import: Any) -> None:
    rows = [["客户名称", "手机"]]
    rows += [[f"公司{i}", f"1381234{i:04d}"] for i in range(5)]
    rows += [["公司0的别名", "13812340000"]]
    job = run_import(csv_bytes(rows), batch_size=2)
    assert Customer.objects.count() == 5
    assert job.skipped_count == 1
    assert "earlier row" in job.row_errors.get().message


def test_imported_customers_are_found_by_search_as_if_saved_one_by_one(run_import: Any) -> None:
    from guanxi.customers import search

    content = csv_bytes(
        [
            ["客户名称", "联系人", "手机", "邮箱", "标签", "网址"],
            ["北京星辰科技有限公司", "张三", "13812345678", "info@xingchen.cn", "VIP", "xc.cn"],
        ]
    )
    run_import(content)
    customer = Customer.objects.get()
    # the document written from memory is the one the search module builds from the database
    stored = search.customer_document(search.customer_facts([customer.pk])[customer.pk])
    rebuilt = Customer.objects.filter(pk=customer.pk)
    for query in (
        "星辰",
        "xingchen",
        "xc",
        "5678",
        "13812345678",
        "info@xingchen.cn",
        "张三",
        "VIP",
    ):
        assert list(search.customers_search(rebuilt, query)) == [customer], query
    assert stored.unique_tokens()


def test_the_bulk_insert_stores_what_a_save_stores(run_import: Any, importer: Any) -> None:
    from guanxi.customers import services as customer_services

    run_import(
        csv_bytes(
            [
                ["客户名称", "电话", "邮箱", "详细地址"],
                ["甲公司", "010-62345678", "a@b.cn", "某路1号"],
            ]
        )
    )
    saved = customer_services.customer_create(
        actor=importer,
        data={"name": "乙公司", "phone": "010-62345678", "email": "a@b.cn", "address": "某路1号"},
    )
    imported = Customer.objects.get(name="甲公司")
    fields = ["phone", "phone_bidx", "email", "email_bidx", "address", "kind", "lifecycle_stage"]
    assert [getattr(imported, f) for f in fields] == [getattr(saved, f) for f in fields]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, address FROM customers_customer WHERE id = %s", [imported.pk])
        phone, address = cursor.fetchone()
    assert phone.startswith("gx1:")
    assert address.startswith("gx1:")
    assert imported.created_at is not None
    assert imported.version == 1


def test_bad_rows_in_a_file_are_reported_and_the_rest_goes_in(run_import: Any) -> None:
    # ragged rows, a 100,000-character cell, a formula, a cell too big for the CSV reader
    content = csv_bytes(
        [
            ["客户名称", "城市", "备注"],
            ["好公司", "北京", "ok"],
            ["多一列公司", "上海", "x", "多出来的"],
            ["少一列公司"],
            ["长备注公司", "广州", "备" * 100_000],
            ["=1+2", "深圳", "@SUM(A1)"],
            ["超大单元格", "杭州", "x" * 200_000],
            ["逗号结尾公司", "南京", "", "", ""],
        ]
    )
    job = run_import(content)
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "=1+2",
        "好公司",
        "少一列公司",
        "逗号结尾公司",
    ]
    assert Customer.objects.get(name="=1+2").description == "@SUM(A1)"
    errors = {e.row_number: (e.column, e.message) for e in job.row_errors.order_by("row_number")}
    assert errors == {
        3: ("", "This row has 4 cells but the header has 3 columns."),
        5: ("备注", "Too long: at most 20000 characters."),
        7: ("", "A cell is longer than 131072 characters."),
    }


def test_custom_fields_are_mapped_by_their_label_and_checked(run_import: Any, admin: Any) -> None:
    from guanxi.customization.services import field_definition_create

    field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": "grade",
            "label_zh": "评级",
            "label_en": "Grade",
            "field_type": "choice",
            "options": [{"value": "a", "label": "A 类"}, {"value": "b", "label": "B 类"}],
        },
    )
    field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": "signed_on",
            "label_zh": "签约日期",
            "field_type": "date",
        },
    )
    content = csv_bytes(
        [
            ["客户名称", "评级", "签约日期"],
            ["甲公司", "A 类", "2024年3月5日"],
            ["乙公司", "b", ""],
            ["丙公司", "C 类", ""],
            ["丁公司", "", "昨天"],
        ]
    )
    job = run_import(content)
    assert job.mapping == {"0": "name", "1": "custom.grade", "2": "custom.signed_on"}
    assert dict(Customer.objects.values_list("name", "custom")) == {
        "甲公司": {"grade": "a", "signed_on": "2024-03-05"},
        "乙公司": {"grade": "b"},
    }
    assert list(job.row_errors.order_by("row_number").values_list("row_number", "column")) == [
        (4, "评级"),
        (5, "签约日期"),
    ]


def test_documents_built_in_a_helper_process_are_the_same(
    run_import: Any, monkeypatch: Any
) -> None:
    from guanxi.core.models import SearchKey
    from guanxi.customers import search

    monkeypatch.setenv("GUANXI_IMPORT_HELPER", "1")
    rows = [["客户名称", "联系人", "手机", "邮箱", "城市"]]
    rows += [
        [f"星辰{i}号科技有限公司", f"张{i}", f"1381234{i:04d}", f"a{i}@xc{i}.cn", "北京"]
        for i in range(30)
    ]
    rows.append(["星辰0号科技", "张0", "13812340000", "", ""])
    job = run_import(csv_bytes(rows), on_duplicate="update", batch_size=7)
    assert (job.created_count, job.updated_count) == (30, 1)
    queries = ["星辰", "xingchen", "1234", "13812340007", "a7@xc7.cn", "张7", "北京", "zhang"]
    everyone = Customer.objects.all()

    def found() -> tuple[list[list[int]], list[tuple[int, int, int]]]:
        hits = [
            sorted(search.customers_search(everyone, q).values_list("pk", flat=True))
            for q in queries
        ]
        keys = sorted(SearchKey.objects.values_list("scope", "key", "object_id"))
        return hits, keys

    imported = found()
    search.customers_reindex(list(everyone.values_list("pk", flat=True)))
    assert found() == imported
    assert len(imported[0][0]) == 30


@pytest.mark.parametrize("helper", ["0", "1"])
def test_searchable_custom_values_are_found_right_after_the_import(
    run_import: Any, admin: Any, monkeypatch: Any, helper: str
) -> None:
    from guanxi.customers import search
    from guanxi.customization.services import field_definition_create

    monkeypatch.setenv("GUANXI_IMPORT_HELPER", helper)
    field_definition_create(
        actor=admin,
        data={
            "model": "customers.customer",
            "key": "dealer",
            "label_zh": "经销商编号",
            "field_type": "text",
            "is_searchable": True,
        },
    )
    run_import(csv_bytes([["客户名称", "经销商编号"], ["甲公司", "ZX9981"], ["乙公司", "QA1234"]]))

    found = search.customers_search(Customer.objects.all(), "ZX9981")
    assert list(found.values_list("name", flat=True)) == ["甲公司"]
