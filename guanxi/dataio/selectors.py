"""Every read of the import/export app, narrowed to what the actor may see."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import NotFound
from guanxi.customers.models import Contact, Customer, CustomerKind
from guanxi.dataio import engine
from guanxi.dataio.models import (
    DuplicatePair,
    DuplicateScan,
    ExportJob,
    FileFormat,
    ImportJob,
    ImportMapping,
    ImportRowError,
    ImportStatus,
    MergeRecord,
    PairStatus,
    QualityReport,
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


# --- duplicates -----------------------------------------------------------------------------


def duplicate_pair_list(*, actor: Any, status: str = PairStatus.OPEN) -> QuerySet[DuplicatePair]:
    """Pairs of the review queue where the actor may see both customers, best score first."""
    visible = policy.visible(actor, Customer.objects.all(), "customers")
    return (
        DuplicatePair.objects.filter(status=status)
        .filter(customer_a__in=visible.values("pk"), customer_b__in=visible.values("pk"))
        .select_related("customer_a", "customer_b", "customer_a__owner", "customer_b__owner")
        .order_by("-score", "-id")
    )


def duplicate_pair_get(*, actor: Any, pk: Any) -> DuplicatePair:
    try:
        return duplicate_pair_list(actor=actor).get(pk=int(pk))
    except (DuplicatePair.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def merge_record_list(*, actor: Any) -> QuerySet[MergeRecord]:
    """Merges the actor may take back: those of customers she may still see."""
    visible = policy.visible(actor, Customer.objects.all(), "customers")
    return (
        MergeRecord.objects.filter(survivor__in=visible.values("pk"))
        .select_related("survivor", "merged", "created_by")
        .order_by("-id")
    )


def merge_record_get(*, actor: Any, pk: Any) -> MergeRecord:
    try:
        return merge_record_list(actor=actor).get(pk=int(pk))
    except (MergeRecord.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def duplicate_scan_latest() -> DuplicateScan | None:
    return DuplicateScan.objects.order_by("-id").first()


@dataclass
class DuplicateHint:
    """A customer that looks like the one being entered. For a customer outside the actor's
    scope only the reasons are given (not its name, nor who owns it)."""

    reasons: list[str]
    score: int
    customer: Customer | None = None

    @property
    def visible(self) -> bool:
        return self.customer is not None


def customer_find_duplicates(
    *, actor: Any, data: Mapping[str, Any], exclude_id: int | None = None, limit: int = 5
) -> list[DuplicateHint]:
    """Customers that look like ``data`` (a customer form's values: name, kind, phone, email,
    and the first contact's mobile/phone/email if given), for a warning before saving.

    Same phone or e-mail (also a contact's), same company name whatever the legal form, or a
    very similar company name. Invalid phones and e-mails are ignored (the form reports them).
    """
    from guanxi.core import crypto
    from guanxi.core.normalize import (
        NormalizeError,
        company_name_key,
        normalize_email,
        normalize_phone,
    )

    def key(value: Any, purpose: str) -> str:
        try:
            text = (normalize_phone if purpose == "phone" else normalize_email)(str(value or ""))
        except NormalizeError:
            return ""
        return crypto.blind_index(text, purpose=purpose) if text else ""

    phones = {key(data.get(n), "phone") for n in ("phone", "mobile", "contact_mobile")} - {""}
    emails = {key(data.get(n), "email") for n in ("email", "contact_email")} - {""}
    kind = data.get("kind") or CustomerKind.COMPANY
    name_key = company_name_key(str(data.get("name") or "")) if kind == CustomerKind.COMPANY else ""
    reasons: dict[int, set[str]] = {}
    alive = Customer.objects.all()
    if exclude_id:
        alive = alive.exclude(pk=exclude_id)
    if phones:
        for pk in alive.filter(phone_bidx__in=phones).values_list("pk", flat=True)[:50]:
            reasons.setdefault(pk, set()).add("phone")
        for pk in Contact.objects.filter(
            Q(mobile_bidx__in=phones) | Q(phone_bidx__in=phones),
            customer__in=alive.values("pk"),
        ).values_list("customer_id", flat=True)[:50]:
            reasons.setdefault(pk, set()).add("phone")
    if emails:
        for pk in alive.filter(email_bidx__in=emails).values_list("pk", flat=True)[:50]:
            reasons.setdefault(pk, set()).add("email")
        for pk in Contact.objects.filter(
            email_bidx__in=emails, customer__in=alive.values("pk")
        ).values_list("customer_id", flat=True)[:50]:
            reasons.setdefault(pk, set()).add("email")
    if len(name_key) >= 2:
        companies = alive.filter(kind=CustomerKind.COMPANY)
        for pk in companies.filter(name_key=name_key).values_list("pk", flat=True)[:50]:
            reasons.setdefault(pk, set()).add("name")
        if len(name_key) >= 4:
            from rapidfuzz import fuzz

            candidates = companies.filter(name_key__startswith=name_key[:2]).exclude(
                name_key=name_key
            )
            for pk, other in candidates.values_list("pk", "name_key")[:500]:
                if fuzz.ratio(name_key, other) >= 88:
                    reasons.setdefault(pk, set()).add("similar_name")
    if not reasons:
        return []
    scores = {"phone": 90, "email": 90, "name": 95, "similar_name": 85}
    ranked = sorted(
        reasons.items(),
        key=lambda item: (-max(scores[r] for r in item[1]) - 5 * len(item[1]), item[0]),
    )[:limit]
    shown = {
        c.pk: c
        for c in policy.visible(
            actor, Customer.objects.filter(pk__in=[pk for pk, _r in ranked]), "customers"
        ).select_related("owner")
    }
    return [
        DuplicateHint(
            reasons=sorted(found),
            score=min(100, max(scores[r] for r in found) + 5 * (len(found) - 1)),
            customer=shown.get(pk),
        )
        for pk, found in ranked
    ]


def quality_report_latest(*, actor: Any) -> QualityReport | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return QualityReport.objects.filter(created_by=actor.pk).order_by("-id").first()


def export_job_get(*, actor: Any, pk: Any) -> ExportJob:
    try:
        return ExportJob.objects.get(pk=int(pk), created_by=getattr(actor, "pk", None))
    except (ExportJob.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
