"""Every read of the import/export app, narrowed to what the actor may see."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import NotFound
from guanxi.dataio import engine
from guanxi.dataio.models import (
    FileFormat,
    ImportJob,
    ImportMapping,
    ImportRowError,
    ImportStatus,
)
from guanxi.dataio.services.bulk import COMMITS, Position


def _sees_every_job(actor: Any) -> bool:
    return bool(getattr(actor, "is_superuser", False)) or policy.can(actor, Action.ADMIN, "dataio")


def import_job_list(*, actor: Any) -> QuerySet[ImportJob]:
    """The actor's imports, newest first (an import administrator sees everyone's)."""
    if not getattr(actor, "is_authenticated", False):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")
    if _sees_every_job(actor):
        return jobs
    return jobs.filter(created_by=actor.pk)


def import_job_get(*, actor: Any, pk: Any) -> ImportJob:
    try:
        return import_job_list(actor=actor).get(pk=int(pk))
    except (ImportJob.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def import_mapping_list(*, actor: Any, kind: str | None = None) -> QuerySet[ImportMapping]:
    if not getattr(actor, "is_authenticated", False):
        return ImportMapping.objects.none()
    mappings = ImportMapping.objects.filter(created_by=actor.pk)
    if kind:
        mappings = mappings.filter(kind=kind)
    return mappings.order_by("kind", "name")


@dataclass
class PreviewRow:
    number: int
    values: list[str]
    outcome: str  # "create", "update", "unchanged", "invalid", "duplicate"
    column: str = ""
    message: str = ""
    notes: list[str] = field(default_factory=list)


class _Rollback(Exception):
    pass


def import_preview(*, actor: Any, job: ImportJob, limit: int = 20) -> list[PreviewRow]:
    """The first rows of the file as the import would treat them, with every check of the real
    run (validation, duplicates in the file and in the database), and nothing written: the rows
    go through the bulk service inside a transaction that is rolled back."""
    job = import_job_get(actor=actor, pk=job.pk)
    rows, _table = engine.preview(job, limit=limit)
    parser = engine.job_parser(job, dry_run=True)
    notes: dict[int, list[str]] = {}
    for row in rows:
        tags = row.data.get("tags") if row.data else None
        if tags:
            new = [t.name for t in tags if t.pk is None]
            if new:
                notes.setdefault(row.number, []).append(
                    _("New tags: %(tags)s") % {"tags": ", ".join(new)}
                )
            row.data["tags"] = [t for t in tags if t.pk is not None]
    outcome = None
    try:
        with transaction.atomic():
            outcome = COMMITS[job.kind](
                actor=job.created_by,
                job=job,
                parser=parser,
                rows=rows,
                position=Position(rows_done=0, fraction=0.0, run_seconds=0.0, runner=job.runner),
            )
            raise _Rollback()
    except _Rollback:
        pass
    failures = {failure.row_number: failure for failure in (outcome.failures if outcome else [])}
    mapped = sorted((int(index), key) for index, key in job.mapping.items())
    preview = []
    for row in rows:
        values = [row.cells[index] if index < len(row.cells) else "" for index, _key in mapped]
        failure = failures.get(row.number)
        if failure is not None:
            preview.append(
                PreviewRow(
                    number=row.number,
                    values=values,
                    outcome=failure.problem,
                    column=failure.column,
                    message=failure.message,
                    notes=notes.get(row.number, []),
                )
            )
        else:
            preview.append(
                PreviewRow(
                    number=row.number,
                    values=values,
                    outcome=outcome.actions.get(row.number, "create") if outcome else "create",
                    notes=notes.get(row.number, []),
                )
            )
    return preview


def import_error_rows(*, actor: Any, job: ImportJob) -> Iterator[ImportRowError]:
    job = import_job_get(actor=actor, pk=job.pk)
    return job.row_errors.order_by("row_number", "id").iterator(chunk_size=1000)


def import_error_file(*, actor: Any, job: ImportJob) -> tuple[str, str, Iterator[bytes]]:
    """The rows that did not go in, as a file like the one imported (same columns) with two
    more: the row number in the original file and what was wrong. Returns (file name, content
    type, chunks)."""
    from guanxi.dataio import writers

    job = import_job_get(actor=actor, pk=job.pk)
    header = [*job.headers, _("Row"), _("Problem")]
    width = len(job.headers)

    def rows() -> Iterator[list[str]]:
        for error in import_error_rows(actor=actor, job=job):
            cells = json.loads(error.cells) if error.cells else []
            cells = (cells + [""] * width)[:width] if len(cells) <= width else cells
            problem = f"{error.column}: {error.message}" if error.column else error.message
            yield [*cells[:width], str(error.row_number), problem]

    stem = job.original_name.rsplit(".", 1)[0] or "import"
    if job.file_format == FileFormat.XLSX:
        import tempfile
        from pathlib import Path

        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
            path = Path(handle.name)
        writers.write_xlsx(path, header, rows(), title=_("Rejected rows"))

        def chunks() -> Iterator[bytes]:
            try:
                with open(path, "rb") as data:
                    yield from iter(lambda: data.read(1 << 16), b"")
            finally:
                path.unlink(missing_ok=True)

        return (
            f"{stem}-errors.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            chunks(),
        )
    return f"{stem}-errors.csv", "text/csv; charset=utf-8", writers.csv_stream(header, rows())


def import_job_summary(job: ImportJob) -> dict[str, Any]:
    """What the progress panel shows."""
    return {
        "percent": job.percent,
        "rows": job.checkpoint,
        "total": job.total_rows,
        "rows_per_second": int(job.rows_per_second),
        "eta_seconds": job.eta_seconds,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "invalid": job.error_count,
        "finished": job.status
        in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED, ImportStatus.UNDONE),
    }
