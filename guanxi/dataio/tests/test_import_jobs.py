"""The life of an import: upload checks, preview, resume after a crash, cancel, undo, the error
file, rights."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.utils import timezone

from guanxi.core.errors import PermissionDenied, ValidationError
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.dataio import selectors, services
from guanxi.dataio.models import ImportJob, ImportStatus
from guanxi.dataio.tests.conftest import csv_bytes, upload


def _file(count: int, *, start: int = 0) -> bytes:
    rows = [["客户名称", "联系人", "手机", "城市"]]
    rows += [[f"公司{i:03d}", f"联系人{i}", f"1391234{i:04d}", "北京"] for i in range(start, count)]
    return csv_bytes(rows)


def _new_job(actor: Any, content: bytes, **kwargs: Any) -> ImportJob:
    job = services.import_job_create(actor=actor, kind="customers", upload=upload(content))
    job = services.import_job_configure(
        actor=actor, job=job, mapping=job.mapping, on_duplicate=kwargs.get("on_duplicate", "skip")
    )
    return services.import_job_start(actor=actor, job=job, enqueue=False)


class Crash(Exception):
    pass


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (csv_bytes([["客户名称", "手机"]]), "no data rows"),
        (b"\x00\x01binary" * 50, "not a text file"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_at_upload(
    importer: Any, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.import_job_create(actor=importer, kind="customers", upload=upload(content))
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(importer: Any, settings: Any) -> None:
    settings.GUANXI_IMPORT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than"):
        services.import_job_create(actor=importer, kind="customers", upload=upload(_file(100)))


def test_a_rep_without_the_import_right_cannot_import(rep: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.import_job_create(actor=rep, kind="customers", upload=upload(_file(1)))


def test_mapping_must_name_the_required_field_once(importer: Any) -> None:
    job = services.import_job_create(actor=importer, kind="customers", upload=upload(_file(1)))
    with pytest.raises(ValidationError, match="Customer name"):
        services.import_job_configure(
            actor=importer, job=job, mapping={"1": "contact_name"}, on_duplicate="skip"
        )
    with pytest.raises(ValidationError, match="same field"):
        services.import_job_configure(
            actor=importer, job=job, mapping={"0": "name", "1": "name"}, on_duplicate="skip"
        )


def test_a_saved_mapping_is_suggested_for_the_next_file(importer: Any) -> None:
    content = csv_bytes([["Firma", "Ort"], ["Stern GmbH", "Berlin"]])
    job = services.import_job_create(actor=importer, kind="customers", upload=upload(content))
    assert job.mapping == {}
    services.import_job_configure(
        actor=importer,
        job=job,
        mapping={"0": "name", "1": "city"},
        on_duplicate="update",
        save_as="德国客户",
    )
    again = services.import_job_create(actor=importer, kind="customers", upload=upload(content))
    assert again.mapping == {"0": "name", "1": "city"}
    assert again.on_duplicate == "update"
    assert again.saved_mapping.name == "德国客户"


def test_preview_shows_what_would_happen_and_writes_nothing(importer: Any) -> None:
    customer_services.customer_create(actor=importer, data={"name": "公司001有限公司"})
    content = csv_bytes(
        [
            ["客户名称", "手机", "标签"],
            ["新公司", "13800000000", "新标签"],
            ["公司001", "", ""],
            ["坏公司", "123", ""],
        ]
    )
    job = services.import_job_create(actor=importer, kind="customers", upload=upload(content))
    rows = selectors.import_preview(actor=importer, job=job)
    assert [(r.number, r.outcome, r.column) for r in rows] == [
        (2, "create", ""),
        (3, "duplicate", "客户名称"),
        (4, "invalid", "手机"),
    ]
    assert rows[0].notes == ["New tags: 新标签"]
    assert Customer.objects.count() == 1
    assert job.row_errors.count() == 0
    assert not customer_services.Tag.objects.filter(name="新标签").exists()


def test_a_crashed_import_resumes_after_its_last_committed_row(importer: Any) -> None:
    # given an import that crashes after its second batch of three rows
    job = _new_job(importer, _file(10))
    batches: list[int] = []

    def crash_after_two(current: ImportJob) -> None:
        batches.append(current.checkpoint)
        if len(batches) == 2:
            raise Crash()

    with pytest.raises(Crash):
        services.import_job_run(job_id=job.pk, batch_size=3, progress=crash_after_two)
    job.refresh_from_db()
    assert (job.status, job.checkpoint, Customer.objects.count()) == ("failed", 6, 6)
    # when it is resumed
    services.import_job_resume(actor=importer, job=job, enqueue=False)
    job = services.import_job_run(job_id=job.pk, batch_size=3)
    # then every row is in exactly once
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == 10
    assert Contact.objects.count() == 10
    assert job.created_count == 10
    assert job.skipped_count == 0


def test_a_killed_worker_is_taken_over_once_its_heartbeat_is_stale(importer: Any) -> None:
    # given a worker killed mid-way: its job still says running, with an old heartbeat
    job = _new_job(importer, _file(7))

    def die(current: ImportJob) -> None:
        raise Crash()

    with pytest.raises(Crash):
        services.import_job_run(job_id=job.pk, batch_size=4, progress=die)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        runner="dead-worker",
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10),
    )
    # when the periodic check runs it again (a live run would be left alone)
    assert services.import_jobs_resume_stalled() == 1
    job = services.import_job_run(job_id=job.pk, batch_size=4)
    # then it finishes without duplicates
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == 7


def test_a_running_import_is_not_run_twice(importer: Any) -> None:
    job = _new_job(importer, _file(3))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, runner="alive", heartbeat_at=timezone.now()
    )
    job = services.import_job_run(job_id=job.pk)
    assert (job.status, job.runner, Customer.objects.count()) == ("running", "alive", 0)


def test_cancel_stops_after_the_current_batch(importer: Any) -> None:
    job = _new_job(importer, _file(10))

    def cancel(current: ImportJob) -> None:
        services.import_job_cancel(actor=importer, job=current)

    job = services.import_job_run(job_id=job.pk, batch_size=4, progress=cancel)
    assert job.status == ImportStatus.CANCELLED
    assert Customer.objects.count() == 4
    assert job.checkpoint == 4


def test_undo_erases_untouched_records_and_bins_the_ones_worked_on(importer: Any) -> None:
    # given an import of three customers; one edited since, one with a new interaction
    job = _new_job(importer, _file(3))
    job = services.import_job_run(job_id=job.pk)
    edited, called, untouched = Customer.objects.order_by("id")
    customer_services.customer_update(actor=importer, customer=edited, data={"city": "上海"})
    customer_services.interaction_create(
        actor=importer, customer=called, data={"subject": "回访", "kind": "call"}
    )
    # when the import is undone
    outcome = services.import_job_undo(actor=importer, job=job)
    # then the untouched one is gone for good, the others are in the recycle bin
    assert (outcome.erased, outcome.to_recycle_bin) == (2, 2)
    assert not Customer.all_objects.filter(pk=untouched.pk).exists()
    assert set(Customer.all_objects.deleted().values_list("pk", flat=True)) == {
        edited.pk,
        called.pk,
    }
    assert Interaction.objects.filter(customer=called).count() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE


def test_undo_of_an_update_import_gives_the_old_values_back(importer: Any) -> None:
    customer = customer_services.customer_create(
        actor=importer, data={"name": "星辰科技", "city": "北京", "phone": "010-62345678"}
    )
    content = csv_bytes([["客户名称", "城市", "电话"], ["星辰科技", "上海", "021-62345678"]])
    job = _new_job(importer, content, on_duplicate="update")
    job = services.import_job_run(job_id=job.pk)
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("上海", "+862162345678")
    services.import_job_undo(actor=importer, job=job)
    customer.refresh_from_db()
    assert (customer.city, customer.phone, customer.is_deleted) == ("北京", "+861062345678", False)
    assert customer.phone_bidx == customer_services._bidx("+861062345678", "phone")


def test_the_error_file_has_the_same_columns_and_says_what_is_wrong(importer: Any) -> None:
    content = csv_bytes(
        [
            ["客户名称", "手机"],
            ["好公司", "13800000000"],
            ["坏公司", "12"],
            ["=cmd|' /C calc'!A0", ""],
        ]
    )
    job = services.import_job_run(job_id=_new_job(importer, content).pk)
    name, _content_type, chunks = selectors.import_error_file(actor=importer, job=job)
    assert name == "customers-errors.csv"
    text = b"".join(chunks).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["客户名称", "手机", "Row", "Problem"]
    assert rows[1][:3] == ["坏公司", "12", "3"]
    assert rows[1][3].startswith("手机: ")
    assert len(rows) == 2
    assert Customer.objects.get(name__startswith="=").name == "=cmd|' /C calc'!A0"
