"""Exports: a filtered customer list (CSV or XLSX), contacts (CSV, XLSX or vCard).

An export goes through the policy like every read: the customers in the actor's scope for the
``export`` action, with sensitive fields masked or left out as her role says. It is audited
(what, how many, which filters, which fields were masked). Columns carry the same names as the
import's fields, so that exporting then importing the file gives the same records back.
Small exports are written at once (CSV streams whatever its size); XLSX files of more than
``GUANXI_EXPORT_INLINE_ROWS`` rows are written by the worker and downloaded when ready.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import PermissionDenied, ValidationError
from guanxi.core.models import AuditAction
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Contact, Customer
from guanxi.dataio import writers
from guanxi.dataio.fields import custom_definitions, spec_for
from guanxi.dataio.models import ExportJob, ExportStatus, FileFormat, ImportKind

MODULE = "customers"
CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.VCARD: "text/vcard; charset=utf-8",
}
EXTENSIONS = {FileFormat.CSV: "csv", FileFormat.XLSX: "xlsx", FileFormat.VCARD: "vcf"}
CHUNK = 2000


def inline_rows() -> int:
    return int(getattr(settings, "GUANXI_EXPORT_INLINE_ROWS", 50_000))


@dataclass
class Export:
    """A ready export: its name, type, row count and content (chunks of bytes)."""

    filename: str
    content_type: str
    count: int
    chunks: Iterator[bytes]


# --- what is exported -----------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _custom_columns(kind: str) -> list[tuple[str, Callable[[Any], Any]]]:
    """One column per active custom field, headed by its label, written so that importing the
    file reads the same value back (choices by label, yes/no, local date and time)."""
    columns: list[tuple[str, Callable[[Any], Any]]] = []
    for definition in custom_definitions(kind):

        def value(record: Any, d: Any = definition) -> str:
            raw = (record.custom or {}).get(d.key)
            if raw in (None, "", []):
                return ""
            if d.field_type == "choice":
                return d.option_label(str(raw))
            if d.field_type == "multi_choice":
                return ", ".join(d.option_label(str(v)) for v in raw)
            if d.field_type == "boolean":
                return str(_("yes") if raw else _("no"))
            if d.field_type == "datetime":
                moment = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
                return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
            return str(raw)

        columns.append((str(definition.label), value))
    return columns


class _Protect:
    """Masks or blanks the sensitive values the actor may not see plainly."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.rules = policy.restricted_fields(actor, MODULE)

    def __call__(self, field: str, value: str) -> str:
        if field not in self.rules or not value:
            return value
        return str(policy.protected_value(self.actor, MODULE, field, value) or "")


def _primary(customer: Customer) -> Contact | None:
    contacts = getattr(customer, "primary_contacts", None)
    return contacts[0] if contacts else None


def _customer_columns(protect: _Protect) -> list[tuple[str, Callable[[Customer], Any]]]:
    def contact(attribute: str, sensitive: str = "") -> Callable[[Customer], Any]:
        def get(customer: Customer) -> Any:
            primary = _primary(customer)
            value = _text(getattr(primary, attribute)) if primary is not None else ""
            return protect(sensitive, value) if sensitive else value

        return get

    def label(key: str) -> str:
        return str(spec_for(ImportKind.CUSTOMERS, key).label)

    return [
        (label("id"), lambda c: c.pk),
        (label("name"), lambda c: c.name),
        (label("kind"), lambda c: c.get_kind_display()),
        (label("short_name"), lambda c: c.short_name),
        (label("industry"), lambda c: _text(c.industry)),
        (label("size"), lambda c: c.get_size_display() if c.size else ""),
        (label("level"), lambda c: _text(c.level)),
        (label("source"), lambda c: _text(c.source)),
        (label("lifecycle_stage"), lambda c: c.get_lifecycle_stage_display()),
        (label("province"), lambda c: c.province),
        (label("city"), lambda c: c.city),
        (label("district"), lambda c: c.district),
        (label("address"), lambda c: protect("address", c.address)),
        (label("website"), lambda c: c.website),
        (label("phone"), lambda c: protect("phone", c.phone)),
        (label("email"), lambda c: protect("email", c.email)),
        (label("description"), lambda c: c.description),
        (label("owner"), lambda c: c.owner.username if c.owner_id else ""),
        (label("tags"), lambda c: ", ".join(t.name for t in c.tags.all())),
        (label("next_follow_up_on"), lambda c: _text(c.next_follow_up_on)),
        *_custom_columns(ImportKind.CUSTOMERS),
        (label("contact_name"), contact("name")),
        (label("contact_title"), contact("title")),
        (label("contact_mobile"), contact("mobile", "mobile")),
        (label("contact_phone"), contact("phone", "phone")),
        (label("contact_email"), contact("email", "email")),
        (label("contact_wechat"), contact("wechat", "wechat")),
        (label("contact_birthday"), contact("birthday")),
        (_("Created at"), lambda c: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
        (
            _("Last contacted at"),
            lambda c: (
                timezone.localtime(c.last_contacted_at).strftime("%Y-%m-%d %H:%M")
                if c.last_contacted_at
                else ""
            ),
        ),
    ]


def _contact_columns(protect: _Protect) -> list[tuple[str, Callable[[Contact], Any]]]:
    def label(key: str) -> str:
        return str(spec_for(ImportKind.CONTACTS, key).label)

    return [
        (label("id"), lambda c: c.pk),
        (label("customer_id"), lambda c: c.customer_id),
        (label("customer"), lambda c: c.customer.name),
        (label("name"), lambda c: c.name),
        (label("title"), lambda c: c.title),
        (label("mobile"), lambda c: protect("mobile", c.mobile)),
        (label("phone"), lambda c: protect("phone", c.phone)),
        (label("email"), lambda c: protect("email", c.email)),
        (label("wechat"), lambda c: protect("wechat", c.wechat)),
        (label("birthday"), lambda c: _text(c.birthday)),
        (label("notes"), lambda c: c.notes),
        (label("is_primary"), lambda c: _("yes") if c.is_primary else _("no")),
        *_custom_columns(ImportKind.CONTACTS),
    ]


def customers_for_export(
    *, actor: Any, filters: Mapping[str, Any] | None = None, q: str = "", ordering: str = "-id"
) -> QuerySet[Customer]:
    """The customers of a filtered list that the actor may export (her scope for ``export``)."""
    if not policy.can(actor, Action.EXPORT, MODULE):
        raise PermissionDenied(_("You do not have permission to export."))
    queryset = customer_selectors.customer_list(
        actor=actor, filters=filters, q=q, ordering=ordering
    )
    return policy.visible(actor, queryset, MODULE, action=Action.EXPORT).prefetch_related(
        Prefetch(
            "contacts",
            queryset=Contact.objects.filter(is_primary=True),
            to_attr="primary_contacts",
        )
    )


def contacts_for_export(
    *, actor: Any, filters: Mapping[str, Any] | None = None, q: str = ""
) -> QuerySet[Contact]:
    """The contacts of the customers of a filtered list that the actor may export."""
    customers = customers_for_export(actor=actor, filters=filters, q=q)
    return (
        Contact.objects.filter(customer__in=customers.values("pk"))
        .select_related("customer")
        .order_by("customer_id", "-is_primary", "id")
    )


def _rows(queryset: QuerySet, columns: list[tuple[str, Callable[[Any], Any]]]) -> Iterator[list]:
    getters = [getter for _header, getter in columns]
    for record in queryset.iterator(chunk_size=CHUNK):
        yield [getter(record) for getter in getters]


def _vcards(contacts: QuerySet[Contact], protect: _Protect) -> Iterator[dict[str, Any]]:
    for contact in contacts.iterator(chunk_size=CHUNK):
        customer = contact.customer
        is_company = customer.kind == "company"
        yield {
            "name": contact.name,
            # The customer's name even for a person, so that the card finds its customer again.
            "company": customer.name,
            "title": contact.title,
            "mobile": protect("mobile", contact.mobile),
            "phone": protect("phone", contact.phone),
            "email": protect("email", contact.email),
            "wechat": protect("wechat", contact.wechat),
            "birthday": _text(contact.birthday),
            "province": customer.province if is_company else "",
            "city": customer.city if is_company else "",
            "address": protect("address", customer.address) if is_company else "",
            "notes": contact.notes,
        }


def _audit_export(
    actor: Any, kind: str, file_format: str, count: int, filters: Mapping[str, Any], q: str
) -> None:
    with transaction.atomic():
        audit.record(
            actor,
            AuditAction.EXPORT,
            object_type=f"customers.{'customer' if kind == ImportKind.CUSTOMERS else 'contact'}",
            object_repr=_("%(count)d records exported") % {"count": count},
            changes={
                "kind": kind,
                "format": file_format,
                "count": count,
                "filters": {k: _text(v) for k, v in (filters or {}).items()},
                "search": q,
                "masked": sorted(policy.restricted_fields(actor, MODULE)),
            },
        )
        events.publish(
            f"{kind}.exported",
            actor_id=getattr(actor, "pk", None),
            format=file_format,
            count=count,
        )


def _filename(kind: str, file_format: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{kind}-{stamp}.{EXTENSIONS[file_format]}"


def _write_file(
    path: Path, kind: str, file_format: str, queryset: QuerySet, protect: _Protect
) -> int:
    if file_format == FileFormat.VCARD:
        with open(path, "wb") as handle:
            for chunk in writers.vcard_stream(_vcards(queryset, protect)):
                handle.write(chunk)
        return queryset.count()
    columns = (
        _customer_columns(protect) if kind == ImportKind.CUSTOMERS else _contact_columns(protect)
    )
    header = [h for h, _getter in columns]
    if file_format == FileFormat.XLSX:
        try:
            return writers.write_xlsx(
                path, header, _rows(queryset, columns), title=str(_("Customers"))
            )
        except OverflowError:
            raise ValidationError(
                _("More than 1,048,575 rows do not fit in one Excel sheet: export as CSV."),
                field="format",
            ) from None
    return writers.write_csv(path, header, _rows(queryset, columns))


def records_export(
    *,
    actor: Any,
    kind: str,
    file_format: str,
    filters: Mapping[str, Any] | None = None,
    q: str = "",
    ordering: str = "-id",
) -> Export:
    """Export customers (CSV, XLSX) or their contacts (CSV, XLSX, vCard), audited.

    CSV and vCard stream; XLSX is written to a temporary file first. Raises PermissionDenied
    without the ``export`` right, ValidationError for an XLSX too big for a sheet.
    """
    if kind not in (ImportKind.CUSTOMERS, ImportKind.CONTACTS):
        raise ValidationError(_("This list cannot be exported."), field="kind")
    if file_format not in FileFormat.values or (
        file_format == FileFormat.VCARD and kind != ImportKind.CONTACTS
    ):
        raise ValidationError(_("Choose CSV, Excel or (for contacts) vCard."), field="format")
    protect = _Protect(actor)
    if kind == ImportKind.CUSTOMERS:
        queryset: QuerySet = customers_for_export(
            actor=actor, filters=filters, q=q, ordering=ordering
        )
        columns: list = _customer_columns(protect)
    else:
        queryset = contacts_for_export(actor=actor, filters=filters, q=q)
        columns = _contact_columns(protect)
    count = queryset.count()
    _audit_export(actor, kind, file_format, count, filters or {}, q)
    filename = _filename(kind, file_format)
    if file_format == FileFormat.CSV:
        header = [h for h, _getter in columns]
        chunks = writers.csv_stream(header, _rows(queryset, columns))
    elif file_format == FileFormat.VCARD:
        chunks = writers.vcard_stream(_vcards(queryset, protect))
    else:
        if count > writers.XLSX_MAX_ROWS:
            raise ValidationError(
                _("More than 1,048,575 rows do not fit in one Excel sheet: export as CSV."),
                field="format",
            )
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
            path = Path(handle.name)
        try:
            writers.write_xlsx(path, [h for h, _g in columns], _rows(queryset, columns))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        chunks = _file_chunks(path)
    return Export(filename, CONTENT_TYPES[file_format], count, chunks)


def _file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with open(path, "rb") as handle:
            yield from iter(lambda: handle.read(1 << 16), b"")
    finally:
        path.unlink(missing_ok=True)


# --- background exports ---------------------------------------------------------------------


@transaction.atomic
def export_job_create(
    *, actor: Any, kind: str, file_format: str, params: Mapping[str, str]
) -> ExportJob:
    """Queue an export for the worker; ``params`` are the list's query parameters."""
    if not policy.can(actor, Action.EXPORT, MODULE):
        raise PermissionDenied(_("You do not have permission to export."))
    job = ExportJob.objects.create(
        kind=kind,
        file_format=file_format,
        filters=dict(params),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    from guanxi.dataio.tasks import export_job_run_task

    transaction.on_commit(lambda: export_job_run_task(job.pk))
    return job


def export_job_run(*, job_id: int, parse: Callable[[Any, Mapping[str, str]], Any]) -> ExportJob:
    """Write the file of a queued export as its creator (her rights at the time it runs).

    ``parse(actor, params)`` turns the list's query parameters into (filters, q, ordering).
    """
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ExportStatus.QUEUED:
        return job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    actor = job.created_by
    try:
        filters, q, ordering = parse(actor, job.filters)
        protect = _Protect(actor)
        if job.kind == ImportKind.CUSTOMERS:
            queryset: QuerySet = customers_for_export(
                actor=actor, filters=filters, q=q, ordering=ordering
            )
        else:
            queryset = contacts_for_export(actor=actor, filters=filters, q=q)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / _filename(job.kind, job.file_format)
            count = _write_file(path, job.kind, job.file_format, queryset, protect)
            _audit_export(actor, job.kind, job.file_format, count, filters, q)
            with open(path, "rb") as handle:
                job.file.save(path.name, File(handle), save=False)
        job.row_count = count
        job.status = ExportStatus.DONE
    except Exception as exc:
        job.status = ExportStatus.FAILED
        job.message = str(getattr(exc, "message", exc))[:2000]
    job.finished_at = timezone.now()
    job.save()
    return job


def export_files_purge(*, older_than_hours: int = 24) -> int:
    """Delete exported files (personal data) a day after they were written."""
    cutoff = timezone.now() - timezone.timedelta(hours=older_than_hours)
    count = 0
    for job in ExportJob.objects.filter(finished_at__lt=cutoff).exclude(file="")[:1000]:
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count
