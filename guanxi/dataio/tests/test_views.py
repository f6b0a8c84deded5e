"""The web pages: the import wizard from upload to undo, exports, duplicates, data quality, and
who may see what."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.dataio.models import DuplicatePair, ImportJob, ImportStatus, MergeRecord
from guanxi.dataio.tests.conftest import csv_bytes
from guanxi.testing import factories


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def director_client(importer: Any) -> Client:
    return _client(importer)


@pytest.fixture
def rep_client(rep: Any) -> Client:
    return _client(rep)


def _upload(client: Client, content: bytes, name: str = "客户.csv", kind: str = "customers") -> Any:
    return client.post(
        reverse("dataio:import-create"),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_the_wizard_from_upload_to_report_and_undo(
    director_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    content = csv_bytes(
        [
            ["客户名称", "联系人", "手机", "备注列"],
            ["北京星辰科技有限公司", "张三", "13812345678", "x"],
            ["坏公司", "李四", "123", "y"],
        ]
    )
    # upload: the mapping page shows suggestions and sample values
    response = _upload(director_client, content)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:import-map", args=[job.pk])
    page = director_client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert '<option value="name" selected>' in text
    assert "13812345678" in text
    # map: choose the columns, go to the preview
    response = director_client.post(
        reverse("dataio:import-map", args=[job.pk]),
        {
            "column_0": "name",
            "column_1": "contact_name",
            "column_2": "contact_mobile",
            "column_3": "",
            "on_duplicate": "skip",
        },
    )
    assert response["Location"] == reverse("dataio:import-preview", args=[job.pk])
    preview = director_client.get(response["Location"]).content.decode()
    assert "This phone number is not valid." in preview
    assert Customer.objects.count() == 0
    # run: the worker imports; the report shows the counts and the error file
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("dataio:import-preview", args=[job.pk]))
    assert response["Location"] == reverse("dataio:import-detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    report = director_client.get(response["Location"]).content.decode()
    assert reverse("dataio:import-errors", args=[job.pk]) in report
    assert 'data-testid="created-count">1<' in report
    fragment = director_client.get(
        reverse("dataio:import-detail", args=[job.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="gx-import-progress",
    )
    assert fragment.content.decode().lstrip().startswith('<div id="gx-import-progress"')
    assert "hx-trigger" not in fragment.content.decode()
    errors = director_client.get(reverse("dataio:import-errors", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert rows[1][:2] == ["坏公司", "李四"]
    assert "attachment;" in errors["Content-Disposition"]
    # undo
    with django_capture_on_commit_callbacks(execute=True):
        director_client.post(reverse("dataio:import-undo", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    assert Customer.all_objects.count() == 0


def test_an_upload_error_is_shown_on_the_form(director_client: Client) -> None:
    response = _upload(director_client, b"")
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    response = _upload(director_client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, name="x.csv")
    assert "it looks like a image file" in response.content.decode()


def test_import_pages_are_private_to_their_owner(
    director_client: Client, rep_client: Client, importer: Any
) -> None:
    _upload(director_client, csv_bytes([["客户名称"], ["甲"]]))
    job = ImportJob.objects.get()
    assert rep_client.get(reverse("dataio:import-detail", args=[job.pk])).status_code == 404
    assert rep_client.get(reverse("dataio:import-map", args=[job.pk])).status_code == 404
    assert rep_client.post(reverse("dataio:import-cancel", args=[job.pk])).status_code == 404
    assert rep_client.get(reverse("dataio:import-create")).status_code == 403
    assert rep_client.get(reverse("dataio:import-list")).status_code == 200
    assert job.original_name not in rep_client.get(reverse("dataio:import-list")).content.decode()
    anonymous = Client().get(reverse("dataio:import-list"))
    assert anonymous.status_code == 302
    assert ImportJob.objects.get().status == "draft"


def test_the_customer_list_links_to_its_export(rep_client: Client, rep: Any) -> None:
    factories.CustomerFactory(owner=rep, name="甲公司", city="北京")
    factories.CustomerFactory(owner=rep, name="乙公司", city="上海")
    response = rep_client.get(reverse("customers:customer-list"), {"city": "北京"})
    assert f"{reverse('dataio:customer-export')}?city=" in response.content.decode()
    page = rep_client.get(reverse("dataio:customer-export"), {"city": "北京"})
    assert "1 customer of the" in page.content.decode()
    download = rep_client.get(reverse("dataio:customer-export"), {"city": "北京", "format": "csv"})
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "甲公司" in text
    assert "乙公司" not in text
    assert download["Content-Type"] == "text/csv; charset=utf-8"


def test_a_big_excel_export_is_written_in_the_background(
    director_client: Client, rep: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GUANXI_EXPORT_INLINE_ROWS = 1
    for name in ("甲", "乙", "丙"):
        factories.CustomerFactory(owner=rep, name=name)
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.get(reverse("dataio:customer-export"), {"format": "xlsx"})
    assert response.status_code == 302
    detail = director_client.get(response["Location"]).content.decode()
    assert "3 rows are ready." in detail
    job_pk = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    download = director_client.get(reverse("dataio:export-download", args=[job_pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_exporting_without_the_right_is_refused(db: Any) -> None:
    nobody = factories.UserFactory(username="nobody", roles=[])
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("dataio:customer-export"), {"format": "csv"}).status_code == 403


def test_the_duplicate_queue_and_the_merge_form(
    director_client: Client, importer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    kept = customer_services.customer_create(
        actor=importer, data={"name": "星辰科技有限公司", "city": "北京"}
    )
    other = customer_services.customer_create(
        actor=importer, data={"name": "星辰科技", "website": "xc.cn"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        director_client.post(reverse("dataio:duplicate-scan"))
    pair = DuplicatePair.objects.get()
    page = director_client.get(reverse("dataio:duplicate-list")).content.decode()
    assert reverse("dataio:duplicate-merge", args=[pair.pk]) in page
    form = director_client.get(reverse("dataio:duplicate-merge", args=[pair.pk])).content.decode()
    assert "https://xc.cn" in form
    response = director_client.post(
        reverse("dataio:duplicate-merge", args=[pair.pk]), {"keep": "a", "field_website": "other"}
    )
    assert response["Location"] == reverse("customers:customer-detail", args=[kept.pk])
    kept.refresh_from_db()
    assert kept.website == "https://xc.cn"
    assert Customer.all_objects.get(pk=other.pk).is_deleted
    listing = director_client.get(reverse("dataio:duplicate-list")).content.decode()
    record = MergeRecord.objects.get()
    assert f"undo-merge-{record.pk}" in listing
    director_client.post(reverse("dataio:merge-undo", args=[record.pk]))
    assert not Customer.all_objects.get(pk=other.pk).is_deleted


def test_the_quality_page_counts_and_fixes(
    director_client: Client, rep: Any, django_capture_on_commit_callbacks: Any
) -> None:
    factories.CustomerFactory(owner=rep, name=" 星辰 ", phone="138 1234 5678")
    with django_capture_on_commit_callbacks(execute=True):
        director_client.post(reverse("dataio:quality-refresh"))
    page = director_client.get(reverse("dataio:quality")).content.decode()
    assert 'data-testid="fix-phones"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("dataio:quality-fix"), {"fix": "phones"})
    assert response.status_code == 302
    assert Customer.objects.get().phone == "+8613812345678"


def test_the_sidebar_has_the_data_entry(director_client: Client) -> None:
    page = director_client.get(reverse("dataio:import-list")).content.decode()
    assert 'data-testid="nav-data"' in page
