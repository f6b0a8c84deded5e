"""Import jobs: upload, mapping, start, run (by the worker or the command line), cancel, resume,
undo; saved mappings.

Undo: records an import created are erased for good when nobody touched them since (version 1,
nothing added to them from elsewhere); the others go to the recycle bin, so that no work done on
them after the import is lost. Records an import updated get their previous values back, unless
they were changed again since (they are then left as they are and counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction
from guanxi.core.normalize import company_name_key
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, CustomerKind, Interaction
from guanxi.customers.search import customers_reindex
from guanxi.dataio import engine
from guanxi.dataio.fields import (
    fold_header,
    is_known_field,
    mapping_to_saved,
    missing_required,
    suggest_mapping,
)
from guanxi.dataio.models import (
    FileFormat,
    ImportJob,
    ImportKind,
    ImportMapping,
    ImportStatus,
    OnDuplicate,
)
from guanxi.dataio.readers import detect_format
from guanxi.dataio.services.bulk import BATCH_SIZE, Superseded, ensure_can_import, id_ranges

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=2)
UNDO_BATCH = 1000


def max_upload_bytes() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_BYTES", 1024**3))


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _check_owner(actor: Any, job: ImportJob) -> None:
    """Only the user who started an import (or an administrator) may steer it."""
    if job.created_by_id == getattr(actor, "pk", None) or getattr(actor, "is_superuser", False):
        return
    if policy.can(actor, Action.ADMIN, "dataio"):
        return
    raise NotFound()


# --- upload ---------------------------------------------------------------------------------


def _store(upload: Any, name: str) -> tuple[File, int, str]:
    """Copy an upload (or an open file) to a temporary file, hashing and measuring it."""
    import tempfile

    digest = hashlib.sha256()
    size = 0
    limit = max_upload_bytes()
    temporary = tempfile.NamedTemporaryFile(prefix="guanxi-upload-")  # noqa: SIM115
    chunks = (
        upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
    )
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            temporary.close()
            raise ValidationError(
                _("The file is larger than %(limit)d MB: split it into smaller files.")
                % {"limit": limit // 1024**2},
                field="file",
            )
        digest.update(chunk)
        temporary.write(chunk)
    temporary.flush()
    temporary.seek(0)
    return File(temporary, name=name), size, digest.hexdigest()


@transaction.atomic
def import_job_create(
    *,
    actor: Any,
    kind: str,
    upload: Any,
    name: str = "",
    sheet: str = "",
    encoding: str = "",
    mapping: ImportMapping | None = None,
) -> ImportJob:
    """Store an uploaded file as a new import (not started): read its headers, suggest a mapping.

    Raises ValidationError(field="file") for an empty file, a file with headers only, a file that
    is not a CSV, XLSX or vCard, a damaged or oversized workbook, or unreadable characters.
    """
    ensure_can_import(actor)
    if kind not in ImportKind.values:
        raise ValidationError(_("Choose what the file holds."), field="kind")
    original = (name or getattr(upload, "name", "") or "import").rsplit("/", 1)[-1][:255]
    stored, size, digest = _store(upload, original)
    try:
        if size == 0:
            raise ValidationError(_("The file is empty."), field="file")
        path = Path(stored.file.name)
        file_format = detect_format(path)
        if file_format == FileFormat.VCARD and kind == ImportKind.INTERACTIONS:
            raise ValidationError(_("A vCard file holds contacts, not interactions."), field="kind")
        job = ImportJob(
            kind=kind,
            original_name=original,
            file_format=file_format,
            file_size=size,
            file_sha256=digest,
            sheet=sheet,
            options={"encoding": encoding} if encoding else {},
            created_by=_actor_or_none(actor),
            created_via="import",
        )
        table, samples = engine.first_rows(path, job)
        if not samples:
            raise ValidationError(_("The file has a header row but no data rows."), field="file")
        job.headers = table.headers
        job.sheet = table.sheet
        job.encoding = table.encoding
        job.total_rows = table.total_rows
        if table.sheets:
            job.options = {**job.options, "sheets": table.sheets}
        saved = mapping or _matching_mapping(actor, kind, table.headers)
        job.mapping = suggest_mapping(
            kind,
            table.headers,
            file_format=file_format,
            saved=saved.columns if saved is not None else None,
        )
        if saved is not None:
            job.saved_mapping = saved
            job.on_duplicate = saved.on_duplicate
        if kind == ImportKind.CUSTOMERS and "name" in job.mapping.values():
            names = [h for i, h in enumerate(table.headers) if job.mapping.get(str(i)) == "name"]
            if names and fold_header(names[0]) in {"姓名", "name", "fullname"}:
                job.options = {**job.options, "default_kind": CustomerKind.PERSON}
        stored.seek(0)
        job.file.save(original, stored, save=False)
        job.save()
    finally:
        stored.close()
    return job


def _matching_mapping(actor: Any, kind: str, headers: list[str]) -> ImportMapping | None:
    """The actor's most recent saved mapping that knows every header of this file."""
    folded = {fold_header(h) for h in headers}
    for candidate in ImportMapping.objects.filter(created_by=actor.pk, kind=kind).order_by(
        "-updated_at"
    )[:20]:
        if folded and set(candidate.columns) >= folded:
            return candidate
    return None


# --- mapping --------------------------------------------------------------------------------


@transaction.atomic
def import_job_configure(
    *,
    actor: Any,
    job: ImportJob,
    mapping: Mapping[str, str],
    on_duplicate: str,
    options: Mapping[str, Any] | None = None,
    save_as: str = "",
) -> ImportJob:
    """Set the column mapping and options of an import that has not started.

    ``mapping``: column index (as text) -> field key ("" to leave a column out). Raises
    ValidationError naming the field that is missing or mapped twice.
    """
    _check_owner(actor, job)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.DRAFT:
        raise ValidationError(_("This import has already started."))
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for index, key in mapping.items():
        if not key:
            continue
        position = int(index)
        if not 0 <= position < len(job.headers):
            raise ValidationError(_("Unknown column."), field="mapping")
        if not is_known_field(job.kind, key):
            raise ValidationError(_("Unknown field “%(key)s”.") % {"key": key}, field="mapping")
        if key in used:
            raise ValidationError(
                _("Two columns (“%(first)s” and “%(second)s”) are mapped to the same field.")
                % {"first": used[key], "second": job.headers[position]},
                field=f"column_{position}",
            )
        used[key] = job.headers[position]
        cleaned[str(position)] = key
    missing = missing_required(job.kind, cleaned)
    if missing:
        raise ValidationError(
            _("Choose the column that holds “%(field)s”.") % {"field": missing[0].label},
            field="mapping",
        )
    if on_duplicate not in OnDuplicate.values:
        raise ValidationError(_("Choose what to do with duplicates."), field="on_duplicate")
    merged = dict(job.options or {})
    for key, value in (options or {}).items():
        if key == "owner_id":
            if value:
                owner = get_user_model().objects.filter(pk=value, is_active=True).first()
                if owner is None:
                    raise ValidationError(_("Choose an active user."), field="owner")
                merged["owner_id"] = owner.pk
            else:
                merged.pop("owner_id", None)
        elif key == "default_kind":
            if value and value not in CustomerKind.values:
                raise ValidationError(_("Unknown customer type."), field="default_kind")
            merged["default_kind"] = value or ""
    job.mapping = cleaned
    job.on_duplicate = on_duplicate
    job.options = merged
    if save_as.strip():
        job.saved_mapping = import_mapping_save(
            actor=actor,
            name=save_as,
            kind=job.kind,
            columns=mapping_to_saved(list(job.headers), cleaned),
            on_duplicate=on_duplicate,
        )
    job.version += 1
    job.updated_at = timezone.now()
    job.save()
    return job


@transaction.atomic
def import_mapping_save(
    *, actor: Any, name: str, kind: str, columns: Mapping[str, str], on_duplicate: str
) -> ImportMapping:
    """Save (or replace) a named mapping of the actor's, for files with the same headers."""
    ensure_can_import(actor)
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Give the mapping a name."), field="save_as")
    saved, created = ImportMapping.objects.update_or_create(
        created_by=_actor_or_none(actor),
        kind=kind,
        name=name,
        defaults={"columns": dict(columns), "on_duplicate": on_duplicate},
    )
    if not created:
        ImportMapping.objects.filter(pk=saved.pk).update(updated_at=timezone.now())
    return saved


@transaction.atomic
def import_mapping_delete(*, actor: Any, mapping: ImportMapping) -> None:
    if mapping.created_by_id != getattr(actor, "pk", None):
        raise NotFound()
    mapping.delete()


# --- start, run, cancel, resume -------------------------------------------------------------


@transaction.atomic
def import_job_start(*, actor: Any, job: ImportJob, enqueue: bool = True) -> ImportJob:
    """Queue an import for the worker (``enqueue=False``: the caller runs it, e.g. the CLI)."""
    _check_owner(actor, job)
    ensure_can_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.DRAFT:
        raise ValidationError(_("This import has already started."))
    missing = missing_required(job.kind, job.mapping)
    if missing:
        raise ValidationError(
            _("Choose the column that holds “%(field)s”.") % {"field": missing[0].label},
            field="mapping",
        )
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    audit.record(
        actor,
        AuditAction.IMPORT,
        job,
        changes={
            "file": job.original_name,
            "kind": job.kind,
            "on_duplicate": job.on_duplicate,
            "mapping": {job.headers[int(i)]: key for i, key in job.mapping.items()},
        },
    )
    if enqueue:
        _enqueue(job.pk)
    return job


def _enqueue(job_id: int) -> None:
    from guanxi.dataio.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task(job_id))


def _claim(job_id: int, runner: str, *, take_over: bool = False) -> bool:
    """Make ``runner`` the one run of the job; False if another live run has it."""
    stale = timezone.now() - STALE_AFTER
    runnable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, heartbeat_at__lt=stale
    )
    if take_over:
        runnable |= Q(status=ImportStatus.RUNNING)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(runnable, pk=job_id).first()
        if job is None:
            return False
        job.status = ImportStatus.RUNNING
        job.runner = runner
        job.heartbeat_at = timezone.now()
        job.started_at = job.started_at or timezone.now()
        job.message = ""
        job.save(update_fields=["status", "runner", "heartbeat_at", "started_at", "message"])
    return True


def import_job_run(
    *,
    job_id: int,
    runner: str = "",
    take_over: bool = False,
    progress: Callable[[ImportJob], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportJob:
    """Run (or resume) an import to its end; safe to call twice: a job another live run owns,
    or one that is finished, is left alone.

    Commits in batches; each batch moves the checkpoint in its own transaction, so a run that is
    killed resumes after the last committed row without writing any row twice.
    """
    runner = runner or secrets.token_hex(8)
    if not _claim(job_id, runner, take_over=take_over):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def is_cancelled() -> bool:
        return ImportJob.objects.filter(pk=job_id, cancel_requested=True).exists()

    language = getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    try:
        # The reasons rows are refused are written in the language of the one who imports.
        with translation.override(language):
            result = engine.run(
                job,
                runner=runner,
                is_cancelled=is_cancelled,
                progress=progress,
                batch_size=batch_size,
            )
    except Superseded:
        return ImportJob.objects.get(pk=job_id)
    except ApplicationError as exc:
        _stop(job_id, runner, ImportStatus.FAILED, str(exc.message))
        raise
    except BaseException as exc:
        logger.exception("import %s stopped", job_id)
        _stop(
            job_id,
            runner,
            ImportStatus.FAILED,
            _("Stopped unexpectedly: %(error)s") % {"error": exc.__class__.__name__},
        )
        raise
    status = ImportStatus.DONE if result == "done" else ImportStatus.CANCELLED
    return _stop(job_id, runner, status, "")


@transaction.atomic
def _stop(job_id: int, runner: str, status: str, message: str) -> ImportJob:
    job = (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .get(pk=job_id)
    )
    if job.runner != runner:
        return job
    job.status = status
    job.message = message[:2000]
    job.finished_at = timezone.now()
    if status == ImportStatus.DONE:
        job.progress = 1.0
    job.runner = ""
    job.save(update_fields=["status", "message", "finished_at", "progress", "runner"])
    audit.record(
        job.created_by,
        AuditAction.IMPORT,
        job,
        changes={
            "status": status,
            **engine.describe(job),
            **({"message": message} if message else {}),
        },
    )
    if status == ImportStatus.DONE:
        events.publish(
            "import.finished", actor_id=job.created_by_id, job_id=job.pk, **engine.describe(job)
        )
    return job


@transaction.atomic
def import_job_cancel(*, actor: Any, job: ImportJob) -> ImportJob:
    """Ask a running import to stop after its current batch (rows already in stay, and can be
    undone); an import that has not started is cancelled at once."""
    _check_owner(actor, job)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (ImportStatus.DRAFT, ImportStatus.QUEUED) or (
        job.status == ImportStatus.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at < timezone.now() - STALE_AFTER
    ):
        job.status = ImportStatus.CANCELLED
        job.finished_at = timezone.now()
        job.runner = ""
        job.save(update_fields=["status", "finished_at", "runner"])
        audit.record(actor, AuditAction.IMPORT, job, changes={"status": ImportStatus.CANCELLED})
    elif job.status == ImportStatus.RUNNING:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    else:
        raise ValidationError(_("This import is not running."))
    return job


@transaction.atomic
def import_job_resume(*, actor: Any, job: ImportJob, enqueue: bool = True) -> ImportJob:
    """Continue an import that stopped (an error, a cancel, a worker that died) after its last
    committed row."""
    _check_owner(actor, job)
    ensure_can_import(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    stalled = (
        job.status == ImportStatus.RUNNING
        and job.heartbeat_at is not None
        and job.heartbeat_at < timezone.now() - STALE_AFTER
    )
    if job.status not in (ImportStatus.FAILED, ImportStatus.CANCELLED) and not stalled:
        raise ValidationError(_("Only a stopped import can be resumed."))
    if not job.file:
        raise ValidationError(_("The file of this import is no longer kept."))
    job.status = ImportStatus.QUEUED
    job.cancel_requested = False
    job.finished_at = None
    job.runner = ""
    job.save(update_fields=["status", "cancel_requested", "finished_at", "runner"])
    audit.record(actor, AuditAction.IMPORT, job, changes={"resumed_at_row": job.checkpoint})
    if enqueue:
        _enqueue(job.pk)
    return job


def import_jobs_resume_stalled() -> int:
    """Queue again the imports whose worker died (no sign of life for two minutes)."""
    stale = timezone.now() - STALE_AFTER
    ids = list(
        ImportJob.objects.filter(
            Q(status=ImportStatus.RUNNING, heartbeat_at__lt=stale)
            | Q(status=ImportStatus.QUEUED, created_at__lt=stale, heartbeat_at__isnull=True)
        ).values_list("pk", flat=True)[:20]
    )
    for pk in ids:
        _enqueue(pk)
    return len(ids)


# --- undo -----------------------------------------------------------------------------------


@dataclass
class UndoOutcome:
    erased: int = 0
    to_recycle_bin: int = 0
    restored: int = 0
    kept: int = 0


def _touched_elsewhere(customer_ids: list[int], job_id: int) -> set[int]:
    """Customers that have related rows not made by this import (work done since)."""
    from guanxi.dataio.models import DuplicatePair, MergeRecord

    touched: set[int] = set()
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if not (relation.one_to_many or relation.one_to_one) or model in (
            DuplicatePair,
            MergeRecord,
        ):
            continue
        manager = getattr(model, "_base_manager", model.objects)
        rows = manager.filter(**{f"{relation.field.name}__in": customer_ids})
        if any(f.name == "import_batch" for f in model._meta.fields):
            rows = rows.exclude(import_batch=job_id)
        touched.update(rows.values_list(relation.field.attname, flat=True).distinct())
    for field in Customer._meta.many_to_many:
        if field.name == "tags":
            continue
        through = field.remote_field.through
        touched.update(
            through.objects.filter(**{f"{field.m2m_field_name()}__in": customer_ids})
            .values_list(field.m2m_column_name(), flat=True)
            .distinct()
        )
    return touched


@transaction.atomic
def _undo_batch(
    actor: Any, job: ImportJob, model: Any, ids: list[int], outcome: UndoOutcome
) -> None:
    """Erase or bin one batch of records an import created.

    A customer goes with everything the import gave it; contacts and interactions reach this
    point only when they were added to customers that existed before the import.
    """
    now = timezone.now()
    rows = list(
        model.all_objects.select_for_update().filter(pk__in=ids).values_list("pk", "version")
    )
    fresh = [pk for pk, version in rows if version == 1]
    if model is Customer:
        touched = _touched_elsewhere(fresh, job.pk)
        fresh = [pk for pk in fresh if pk not in touched]
    fresh_set = set(fresh)
    kept = [pk for pk, _version in rows if pk not in fresh_set]
    customer_ids: set[int] = set()
    if model is not Customer:
        customer_ids = set(
            model.all_objects.filter(pk__in=ids).values_list("customer_id", flat=True)
        )
    erased = 0
    if fresh:
        _total, per_model = model.all_objects.filter(pk__in=fresh).delete()
        erased = sum(
            count
            for label, count in per_model.items()
            if label in ("customers.Customer", "customers.Contact", "customers.Interaction")
        )
    if kept:
        model.all_objects.filter(pk__in=kept).update(
            deleted_at=now, deleted_by=_actor_or_none(actor), version=F("version") + 1
        )
    if model is Contact and customer_ids:
        _repair_primary(customer_ids)
    if model is Interaction:
        for customer_id in sorted(customer_ids):
            customer_services._refresh_customer_contact_dates(customer_id)
    if model is Customer:
        customers_reindex(sorted(ids))
    elif model is Contact and customer_ids:
        customers_reindex(sorted(customer_ids))
    outcome.erased += erased
    outcome.to_recycle_bin += len(kept)
    audit.record(
        actor,
        AuditAction.IMPORT,
        job,
        changes={
            "undo": model._meta.model_name,
            "erased": id_ranges(fresh),
            "to_recycle_bin": id_ranges(kept),
        },
    )


def _repair_primary(customer_ids: Iterable[int]) -> None:
    """Every customer with contacts keeps exactly one primary contact."""
    for customer_id in customer_ids:
        contacts = Contact.objects.filter(customer_id=customer_id)
        if contacts.exists() and not contacts.filter(is_primary=True).exists():
            first = contacts.order_by("id").first()
            Contact.objects.filter(pk=first.pk).update(is_primary=True)


def _restore_changes(actor: Any, job: ImportJob, outcome: UndoOutcome) -> None:
    for change in job.changes.order_by("-id").iterator(chunk_size=500):
        with transaction.atomic():
            model = Customer if change.object_type == "customers.customer" else Contact
            obj = model._base_manager.select_for_update().filter(pk=change.object_id).first()
            if obj is None or obj.version != change.version_after or obj.is_deleted:
                outcome.kept += 1
                continue
            before = json.loads(change.before)
            tags = before.pop("tags", None)
            current = audit.snapshot(obj, list(before))
            for name, value in before.items():
                field = model._meta.get_field(name)
                setattr(obj, field.attname, field.to_python(value) if value is not None else None)
            if model is Customer:
                obj.name_key = _name_key(obj.name)
                obj.phone_bidx = customer_services._bidx(obj.phone, "phone")
                obj.email_bidx = customer_services._bidx(obj.email, "email")
                if tags is not None:
                    obj.tags.set(tags)
            else:
                customer_services._apply_contact(
                    obj, {k: getattr(obj, k) for k in ("mobile", "phone", "email")}
                )
            obj.version += 1
            obj.updated_at = timezone.now()
            obj.save()
            sensitive = (
                customer_services.CUSTOMER_SENSITIVE
                if model is Customer
                else customer_services.CONTACT_SENSITIVE
            )
            audit.record(
                actor,
                AuditAction.UPDATE,
                obj,
                changes=audit.diff(current, audit.snapshot(obj, list(before)), sensitive=sensitive),
            )
            customers_reindex([obj.pk if model is Customer else obj.customer_id])
            outcome.restored += 1


def _name_key(name: str) -> str:
    return company_name_key(name)


def import_job_undo(*, actor: Any, job: ImportJob) -> UndoOutcome:
    """Take a whole import back (see the module's docstring for what happens to each record).

    Runs in batches, each in its own transaction; running it again after an interruption
    finishes the work. Raises PermissionDenied without the right to delete customers.
    """
    _check_owner(actor, job)
    if not policy.can(actor, Action.DELETE, "customers"):
        raise PermissionDenied(_("You do not have permission to undo an import."))
    job = ImportJob.objects.get(pk=job.pk)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DRAFT):
        raise ValidationError(_("Stop the import before undoing it."))
    outcome = UndoOutcome()
    for model in (Customer, Interaction, Contact):
        pending = model.all_objects.filter(import_batch=job.pk, deleted_at__isnull=True)
        if model is not Customer:
            # Those on customers of this import went (or stay) with their customer.
            pending = pending.exclude(customer__import_batch=job.pk)
        while True:
            ids = list(pending.order_by("pk").values_list("pk", flat=True)[:UNDO_BATCH])
            if not ids:
                break
            _undo_batch(actor, job, model, ids, outcome)
    _restore_changes(actor, job, outcome)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        job.status = ImportStatus.UNDONE
        job.undone_at = timezone.now()
        job.undone_by = _actor_or_none(actor)
        job.save(update_fields=["status", "undone_at", "undone_by"])
        audit.record(
            actor,
            AuditAction.IMPORT,
            job,
            changes={
                "status": ImportStatus.UNDONE,
                "erased": outcome.erased,
                "to_recycle_bin": outcome.to_recycle_bin,
                "restored": outcome.restored,
                "kept": outcome.kept,
            },
        )
        events.publish("import.undone", actor_id=getattr(actor, "pk", None), job_id=job.pk)
    return outcome


def import_job_discard_file(*, job: ImportJob) -> None:
    """Delete the uploaded file of a finished import (the rejected rows stay, encrypted)."""
    if job.file and job.status in (ImportStatus.DONE, ImportStatus.UNDONE):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def import_files_purge(*, older_than_days: int = 7) -> int:
    """Remove the uploaded files of imports finished more than ``older_than_days`` ago."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    count = 0
    for job in ImportJob.objects.filter(finished_at__lt=cutoff).exclude(file="")[:1000]:
        if job.status in (ImportStatus.DONE, ImportStatus.UNDONE, ImportStatus.CANCELLED):
            job.file.delete(save=False)
            ImportJob.objects.filter(pk=job.pk).update(file="")
            count += 1
    return count
