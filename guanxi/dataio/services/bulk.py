"""The bulk writes of an import: a batch of rows in one transaction, with the rules of the
single-record services (``guanxi.customers.services``) applied to every row.

Each row is validated and normalised by the very functions ``customer_create``,
``contact_create`` and ``interaction_create`` use; personal data is encrypted on the way in
(``EncryptedTextField.get_prep_value`` runs for ``bulk_create`` too); blind indexes and the
duplicate key of the name are computed as those services compute them; the search index is
rebuilt for every customer written. Records are marked with the import job's id
(``import_batch``) and the job's checkpoint moves in the same transaction as the rows.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import ApplicationError, PermissionDenied
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, CustomerKind, Interaction
from guanxi.customers.search import customers_reindex, searchable_definitions
from guanxi.dataio import fastsql
from guanxi.dataio.documents import DocumentBuilder, facts_of, with_ids
from guanxi.dataio.documents import prepare as prepare_documents
from guanxi.dataio.models import (
    ImportChange,
    ImportJob,
    ImportKind,
    ImportRowError,
    OnDuplicate,
    RowProblem,
)
from guanxi.dataio.rows import ImportRow, RowError, RowParser

MODULE = "customers"
BATCH_SIZE = 1000  # rows per committed batch
_CLEAN_TAKES_ACTOR = "actor" in inspect.signature(customer_services._clean_customer).parameters


def _active_definitions(model_label: str) -> list[Any]:
    """The active custom-field definitions of ``customers.customer`` or ``customers.contact``."""
    try:
        from guanxi.customization.values import active_definitions
    except ImportError:
        return []
    return list(active_definitions(model_label))


class Rules:
    """The single-record services' validation (``_clean_customer``, ``_clean_contact``), run row
    after row: which custom fields exist is read once, not once per row. Without custom fields
    to default or require, cleaning only the given keys is what a full clean does."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self._custom: dict[str, bool] = {}

    def _has_custom(self, model_label: str) -> bool:
        if model_label not in self._custom:
            self._custom[model_label] = bool(_active_definitions(model_label))
        return self._custom[model_label]

    def _extra(self, instance: Any = None) -> dict[str, Any]:
        if not _CLEAN_TAKES_ACTOR:
            return {}
        return {"actor": self.actor, "instance": instance}

    def new_customer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        quick = "name" in data and "custom" not in data
        if quick and not self._has_custom("customers.customer"):
            return customer_services._clean_customer(data, partial=True)
        return customer_services._clean_customer(data, partial=False, **self._extra())

    def new_contact(self, data: Mapping[str, Any]) -> dict[str, Any]:
        quick = "name" in data and "custom" not in data
        if quick and not self._has_custom("customers.contact"):
            return customer_services._clean_contact(data, partial=True)
        return customer_services._clean_contact(data, partial=False, **self._extra())

    def changed_customer(self, data: Mapping[str, Any], instance: Customer) -> dict[str, Any]:
        return customer_services._clean_customer(data, partial=True, **self._extra(instance))

    def changed_contact(self, data: Mapping[str, Any], instance: Contact) -> dict[str, Any]:
        return customer_services._clean_contact(data, partial=True, **self._extra(instance))


class Superseded(Exception):
    """Another worker took the job over (or it was cancelled): this batch must not commit."""


@dataclass
class Position:
    """Where the import stands once this batch is committed."""

    rows_done: int
    fraction: float
    run_seconds: float
    runner: str


@dataclass
class BatchOutcome:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0
    # Row number -> what became of it ("create", "update", "unchanged"), for the preview.
    actions: dict[int, str] = field(default_factory=dict)
    failures: list[ImportRowError] = field(default_factory=list)


def _cells_json(cells: Sequence[str]) -> str:
    return json.dumps(list(cells), ensure_ascii=False)


class _Batch:
    """What one batch accumulates before it is written."""

    def __init__(self, job: ImportJob, actor: Any, parser: RowParser) -> None:
        self.job = job
        self.actor = actor
        self.parser = parser
        self.failures: list[ImportRowError] = []
        self.rules = Rules(actor)
        self.outcome = BatchOutcome()
        self.reindex: set[int] = set()

    def fail(self, row: ImportRow, error: RowError) -> None:
        self.failures.append(
            ImportRowError(
                job=self.job,
                row_number=row.number,
                problem=error.problem,
                column=(error.column or "")[:200],
                message=error.message,
                cells=_cells_json(row.cells),
            )
        )
        if error.problem == RowProblem.DUPLICATE:
            self.outcome.skipped += 1
        else:
            self.outcome.failed += 1

    def service_error(self, row: ImportRow, exc: ApplicationError, *, prefix: str = "") -> None:
        column = ""
        if exc.field:
            key = f"{prefix}{exc.field}"
            key = row.sources.get(key, key)
            try:
                column = self.parser.header_for(key)
            except KeyError:
                column = exc.field
        self.fail(row, RowError(column, str(exc.message)))


def _claim(job: ImportJob, position: Position) -> ImportJob:
    current = ImportJob.objects.select_for_update().get(pk=job.pk)
    if current.runner != position.runner:
        raise Superseded()
    return current


def _finish_batch(
    batch: _Batch, rows: Sequence[ImportRow], position: Position, event: str
) -> BatchOutcome:
    job, actor, outcome = batch.job, batch.actor, batch.outcome
    outcome.failures = batch.failures
    if batch.failures:
        fastsql.insert(ImportRowError, batch.failures)
    if batch.reindex:
        customers_reindex(sorted(batch.reindex))
    ImportJob.objects.filter(pk=job.pk).update(
        checkpoint=position.rows_done,
        progress=position.fraction,
        run_seconds=position.run_seconds,
        rows_per_second=(position.rows_done / position.run_seconds if position.run_seconds else 0),
        heartbeat_at=timezone.now(),
        created_count=F("created_count") + len(outcome.created),
        updated_count=F("updated_count") + len(outcome.updated),
        skipped_count=F("skipped_count") + outcome.skipped,
        error_count=F("error_count") + outcome.failed,
    )
    if rows:
        audit.record(
            actor,
            AuditAction.IMPORT,
            job,
            changes={
                "rows": [rows[0].number, rows[-1].number],
                "created": id_ranges(outcome.created),
                "updated": sorted(outcome.updated),
                "skipped": outcome.skipped,
                "invalid": outcome.failed,
            },
        )
    if outcome.created or outcome.updated:
        events.publish(
            event,
            actor_id=getattr(actor, "pk", None),
            job_id=job.pk,
            created_ids=list(outcome.created),
            updated_ids=list(outcome.updated),
        )
    return outcome


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """[1, 2, 3, 7, 8] -> [[1, 3], [7, 8]]: a compact record of many ids."""
    ranges: list[list[int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _writable(actor: Any, data: Mapping[str, Any], current: Any) -> dict[str, Any]:
    """The part of ``data`` the actor may write over ``current`` (masked fields stay as they
    are); PermissionDenied names a protected field the row tries to change."""
    writable = getattr(policy, "writable_data", None)
    if writable is None:
        return dict(data)
    return writable(actor, MODULE, data, current)


def _before_json(values: Mapping[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)


# --- customers ------------------------------------------------------------------------------


@dataclass
class _PendingCustomer:
    row: ImportRow
    customer: Customer
    tags: list[Any]
    contacts: list[Contact]


def _contact_object(job: ImportJob, actor: Any, cleaned: Mapping[str, Any]) -> Contact:
    contact = Contact(
        created_by=actor if getattr(actor, "pk", None) else None,
        created_via=CreatedVia.IMPORT,
        import_batch=job.pk,
    )
    customer_services._apply_contact(contact, cleaned)
    return contact


def _customer_keys(customer: Customer, contacts: Iterable[Contact]) -> list[tuple[str, str]]:
    keys = []
    if customer.phone_bidx:
        keys.append(("phone", customer.phone_bidx))
    for contact in contacts:
        for name in ("mobile_bidx", "phone_bidx"):
            if getattr(contact, name):
                keys.append(("phone", getattr(contact, name)))
    if customer.email_bidx:
        keys.append(("email", customer.email_bidx))
    for contact in contacts:
        if contact.email_bidx:
            keys.append(("email", contact.email_bidx))
    if customer.kind == CustomerKind.COMPANY and customer.name_key:
        keys.append(("name", customer.name_key))
    return keys


def _existing_customers(
    keys: set[tuple[str, str]], ids: set[int]
) -> tuple[dict[tuple[str, str], int], dict[int, dict[str, Any]]]:
    """Alive customers sharing a key (or an id) with the batch: key -> id, id -> facts."""
    found: dict[tuple[str, str], int] = {}
    matched: set[int] = set()
    alive = Customer.objects.all()
    phones = {v for k, v in keys if k == "phone"}
    emails = {v for k, v in keys if k == "email"}
    names = {v for k, v in keys if k == "name"}
    if ids:
        matched.update(alive.filter(pk__in=ids).values_list("pk", flat=True))
    queries: list[tuple[str, Any, Q]] = []
    if phones:
        queries.append(("phone", alive, Q(phone_bidx__in=phones)))
    if emails:
        queries.append(("email", alive, Q(email_bidx__in=emails)))
    if names:
        queries.append(("name", alive, Q(name_key__in=names, kind=CustomerKind.COMPANY)))
    column = {"phone": "phone_bidx", "email": "email_bidx", "name": "name_key"}
    for kind, queryset, condition in queries:
        for pk, value in queryset.filter(condition).order_by("pk").values_list("pk", column[kind]):
            found.setdefault((kind, value), pk)
            matched.add(pk)
    contacts = Contact.objects.filter(customer__deleted_at__isnull=True)
    if phones:
        rows = (
            contacts.filter(Q(mobile_bidx__in=phones) | Q(phone_bidx__in=phones))
            .order_by("customer_id")
            .values_list("customer_id", "mobile_bidx", "phone_bidx")
        )
        for customer_id, mobile, phone in rows:
            for value in (mobile, phone):
                if value in phones:
                    found.setdefault(("phone", value), customer_id)
                    matched.add(customer_id)
    if emails:
        rows = (
            contacts.filter(email_bidx__in=emails)
            .order_by("customer_id")
            .values_list("customer_id", "email_bidx")
        )
        for customer_id, value in rows:
            found.setdefault(("email", value), customer_id)
            matched.add(customer_id)
    facts = {
        pk: {"name": name, "import_batch": batch}
        for pk, name, batch in Customer.objects.filter(pk__in=matched).values_list(
            "pk", "name", "import_batch"
        )
    }
    return found, facts


_REASONS = {
    "id": _("same ID"),
    "phone": _("same phone number"),
    "email": _("same e-mail address"),
    "name": _("same company name"),
}


def _duplicate_message(
    reason: str, pk: int, facts: Mapping[str, Any], *, visible: bool, job: ImportJob
) -> str:
    why = str(_REASONS[reason])
    if facts.get("import_batch") == job.pk:
        return _("Duplicate of an earlier row of this file (%(why)s).") % {"why": why}
    if not visible:
        return _("This customer already exists (%(why)s) and you may not change it.") % {"why": why}
    return _("Already exists as customer #%(id)d “%(name)s” (%(why)s).") % {
        "id": pk,
        "name": facts.get("name", ""),
        "why": why,
    }


_REASON_FIELDS = {
    "id": ("id",),
    "phone": ("phone", "contact_mobile", "contact_phone", "mobile"),
    "email": ("email", "contact_email"),
    "name": ("name", "customer", "contact"),
}


def _reason_column(parser: RowParser, reason: str) -> str:
    for key in _REASON_FIELDS.get(reason, ()):
        if key in parser.column_of:
            return parser.column_of[key]
    return ""


def _default_owner(job: ImportJob, actor: Any) -> Any:
    from django.contrib.auth import get_user_model

    owner_id = (job.options or {}).get("owner_id")
    if owner_id:
        owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
        if owner is not None:
            return owner
    return actor if getattr(actor, "pk", None) else None


@dataclass
class _Prepared:
    row: ImportRow
    cleaned: dict[str, Any]
    contact_cleaned: dict[str, Any] | None
    customer: Customer
    contacts: list[Contact]
    tags: list[Any]
    keys: list[tuple[str, str]]


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    result = []
    for item in items:
        if item.pk not in seen:
            seen.add(item.pk)
            result.append(item)
    return result


@transaction.atomic
def import_customers_commit(
    *,
    actor: Any,
    job: ImportJob,
    parser: RowParser,
    rows: Sequence[ImportRow],
    position: Position,
    documents: DocumentBuilder | None = None,
) -> BatchOutcome:
    """Write one batch of customer rows (with their primary contacts) and move the checkpoint.

    Rows that break a rule, and duplicates the job says to skip, are stored as rejected rows
    with the column and the reason. Raises Superseded when another run owns the job.
    """
    job = _claim(job, position)
    batch = _Batch(job, actor, parser)
    owner = _default_owner(job, actor)
    actor_or_none = actor if getattr(actor, "pk", None) else None
    prepared: list[_Prepared] = []
    for row in rows:
        if row.error is not None:
            batch.fail(row, row.error)
            continue
        try:
            cleaned = batch.rules.new_customer(row.data)
        except ApplicationError as exc:
            batch.service_error(row, exc)
            continue
        contact_cleaned = None
        if row.contact:
            try:
                contact_cleaned = batch.rules.new_contact(row.contact)
            except ApplicationError as exc:
                batch.service_error(row, exc, prefix="contact_")
                continue
        cleaned.setdefault("owner", owner)
        customer = Customer(
            created_by=actor_or_none, created_via=CreatedVia.IMPORT, import_batch=job.pk
        )
        customer_services._apply_customer(customer, cleaned)
        contacts = [_contact_object(job, actor, contact_cleaned)] if contact_cleaned else []
        prepared.append(
            _Prepared(
                row=row,
                cleaned=cleaned,
                contact_cleaned=contact_cleaned,
                customer=customer,
                contacts=contacts,
                tags=list(row.data.get("tags") or []),
                keys=_customer_keys(customer, contacts),
            )
        )
    definitions = searchable_definitions() if prepared else []

    def facts_for(item: _Prepared) -> Any:
        return facts_of(item.customer, _unique(item.tags), item.contacts, definitions)

    pending_documents = None
    if documents is not None and prepared:
        # Tokenised in the helper process while duplicates are looked up and rows written.
        pending_documents = documents.submit(
            [facts_for(item) for item in prepared], connection.vendor
        )
    all_keys = {key for item in prepared for key in item.keys}
    ids = {item.row.record_id for item in prepared if item.row.record_id}
    found, facts = _existing_customers(all_keys, ids) if (all_keys or ids) else ({}, {})
    editable: set[int] = set()
    if facts:
        editable = set(
            policy.visible(
                actor, Customer.objects.filter(pk__in=list(facts)), MODULE, action=Action.EDIT
            ).values_list("pk", flat=True)
        )
    creates: list[_Prepared] = []
    merged_twins: set[int] = set()
    in_batch: dict[tuple[str, str], _Prepared] = {}
    updates: list[tuple[_Prepared, int]] = []
    mode = job.on_duplicate
    for item in prepared:
        match, reason = None, ""
        if item.row.record_id in facts:
            match, reason = item.row.record_id, "id"
        else:
            for key in item.keys:
                if key in found:
                    match, reason = found[key], key[0]
                    break
        if match is not None and mode != OnDuplicate.CREATE:
            if mode == OnDuplicate.SKIP or match not in editable:
                message = _duplicate_message(
                    reason, match, facts.get(match, {}), visible=match in editable, job=job
                )
                batch.fail(
                    item.row,
                    RowError(_reason_column(parser, reason), message, RowProblem.DUPLICATE),
                )
            else:
                updates.append((item, match))
            continue
        if mode != OnDuplicate.CREATE:
            twin_key = next((key for key in item.keys if key in in_batch), None)
            if twin_key is not None:
                twin = in_batch[twin_key]
                if mode == OnDuplicate.SKIP:
                    message = _("Duplicate of row %(row)d of this file (%(why)s).") % {
                        "row": twin.row.number,
                        "why": _REASONS[twin_key[0]],
                    }
                    batch.fail(
                        item.row,
                        RowError(
                            _reason_column(parser, twin_key[0]), message, RowProblem.DUPLICATE
                        ),
                    )
                else:
                    _merge_pending(twin, item)
                    merged_twins.add(id(twin))
                    batch.outcome.actions[item.row.number] = "update"
                    for key in item.keys:
                        in_batch.setdefault(key, twin)
                continue
        creates.append(item)
        for key in item.keys:
            in_batch.setdefault(key, item)
    if creates:
        fastsql.insert(Customer, [item.customer for item in creates])
        through = Customer.tags.through
        links = [
            through(customer_id=item.customer.pk, tag_id=tag.pk)
            for item in creates
            for tag in _unique(item.tags)
        ]
        if links:
            fastsql.insert(through, links)
        contacts = []
        for item in creates:
            for index, contact in enumerate(item.contacts):
                contact.customer_id = item.customer.pk
                contact.is_primary = index == 0
                contacts.append(contact)
        if contacts:
            fastsql.insert(Contact, contacts)
        batch.outcome.created.extend(item.customer.pk for item in creates)
        if pending_documents is None:
            _index_new_customers(creates, facts_for)
        else:
            # Documents of customers that absorbed a later row of the file are built again.
            again = [item for item in creates if id(item) in merged_twins]
            created = {id(item) for item in creates} - {id(item) for item in again}
            ids = [item.customer.pk if id(item) in created else None for item in prepared]
            try:
                rows_of_documents = pending_documents.result()
            except Exception:
                # The helper process died (killed, out of memory): build them here instead.
                rows_of_documents = prepare_documents(
                    [facts_for(item) for item in prepared], connection.vendor
                )
            customer_index().write(with_ids(rows_of_documents, ids))
            if again:
                _index_new_customers(again, facts_for)
        batch.outcome.actions.update((item.row.number, "create") for item in creates)
    for item, target in updates:
        result = _update_customer(batch, item, target)
        batch.outcome.actions[item.row.number] = "update" if result == CHANGED else result
        if result == CHANGED:
            batch.outcome.updated.append(target)
            batch.reindex.add(target)
        elif result == UNCHANGED:
            batch.outcome.skipped += 1
    return _finish_batch(batch, rows, position, "customers.imported")


def customer_index() -> Any:
    from guanxi.customers.search import customer_index as index

    return index


def _index_new_customers(creates: Sequence[_Prepared], facts: Callable[[_Prepared], Any]) -> None:
    """Index new customers from what is in memory (the same document ``customers_reindex``
    would build after reading the rows back and decrypting them)."""
    from guanxi.customers import search

    index = getattr(search, "customer_index", None)
    if index is None or not hasattr(index, "append"):
        customers_reindex([item.customer.pk for item in creates])
        return
    documents = [
        (
            item.customer.pk,
            search.customer_document(facts(item)),
        )
        for item in creates
    ]
    index.append(documents)


def _merge_pending(twin: _Prepared, item: _Prepared) -> None:
    """A later row of the file for the same customer: its filled cells win (update mode)."""
    cleaned = dict(item.cleaned)
    if "owner" not in item.row.data:
        cleaned.pop("owner", None)
    customer_services._apply_customer(twin.customer, cleaned)
    twin.tags.extend(item.tags)
    for contact in item.contacts:
        same = next(
            (existing for existing in twin.contacts if _same_contact(existing, contact)),
            None,
        )
        if same is None:
            twin.contacts.append(contact)
        elif item.contact_cleaned:
            customer_services._apply_contact(same, item.contact_cleaned)


def _same_contact(a: Contact, b: Contact) -> bool:
    for name in ("mobile_bidx", "phone_bidx", "email_bidx"):
        value = getattr(b, name)
        if value and value in (a.mobile_bidx, a.phone_bidx, a.email_bidx):
            return True
    return bool(a.name) and a.name.casefold() == (b.name or "").casefold()


SNAPSHOT_CUSTOMER = (*customer_services.CUSTOMER_FIELDS, "department")


CHANGED, UNCHANGED, REFUSED = "changed", "unchanged", "refused"


def _update_customer(batch: _Batch, item: _Prepared, target: int) -> str:
    """Apply a row to an existing customer (filled cells only): CHANGED, UNCHANGED, or REFUSED
    (the reason is recorded as a rejected row)."""
    job, actor = batch.job, batch.actor
    customer = Customer._base_manager.select_for_update().get(pk=target)
    data = {key: value for key, value in item.row.data.items() if key != "tags"}
    try:
        data = _writable(actor, data, customer)
        cleaned = batch.rules.changed_customer(data, customer)
    except ApplicationError as exc:
        batch.service_error(item.row, exc)
        return REFUSED
    before = {
        **audit.snapshot(customer, SNAPSHOT_CUSTOMER),
        "tags": sorted(customer.tags.values_list("pk", flat=True)),
    }
    customer_services._apply_customer(customer, cleaned)
    new_tags = [t for t in _unique(item.tags) if t.pk not in before["tags"]]
    if new_tags:
        customer.tags.add(*new_tags)
    after = {
        **audit.snapshot(customer, SNAPSHOT_CUSTOMER),
        "tags": sorted({*before["tags"], *(t.pk for t in new_tags)}),
    }
    changes = audit.diff(before, after, sensitive=customer_services.CUSTOMER_SENSITIVE)
    contact_result = UNCHANGED
    if item.row.contact:
        contact_result = _upsert_contact(batch, item.row, customer, item.row.contact)
        if contact_result == REFUSED:
            return REFUSED
    if changes:
        customer.version += 1
        customer.updated_at = timezone.now()
        customer.save()
        audit.record(actor, AuditAction.UPDATE, customer, changes=changes)
        ImportChange.objects.create(
            job=job,
            object_type="customers.customer",
            object_id=customer.pk,
            before=_before_json(before),
            version_after=customer.version,
        )
    return CHANGED if changes or contact_result == CHANGED else UNCHANGED


def _upsert_contact(
    batch: _Batch,
    row: ImportRow,
    customer: Customer,
    contact_data: Mapping[str, Any],
    *,
    target: int | None = None,
) -> str:
    """Update the customer's contact that the row describes, or add it: CHANGED, UNCHANGED or
    REFUSED (the reason recorded as a rejected row)."""
    job, actor = batch.job, batch.actor
    prefix = "contact_" if batch.parser.kind == ImportKind.CUSTOMERS else ""
    try:
        probe = _contact_object(job, actor, batch.rules.new_contact(contact_data))
    except ApplicationError as exc:
        batch.service_error(row, exc, prefix=prefix)
        return REFUSED
    existing = list(Contact.objects.select_for_update().filter(customer=customer))
    if target is not None:
        match = next((c for c in existing if c.pk == target), None)
    else:
        match = next((c for c in existing if _same_contact(c, probe)), None)
    if match is None:
        probe.customer = customer
        probe.is_primary = probe.is_primary or not any(c.is_primary for c in existing)
        if probe.is_primary:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
        probe.save()
        audit.record(
            actor,
            AuditAction.CREATE,
            probe,
            changes=audit.diff(
                {},
                audit.snapshot(probe, customer_services.CONTACT_FIELDS),
                sensitive=customer_services.CONTACT_SENSITIVE,
            ),
        )
        return CHANGED
    try:
        data = _writable(actor, contact_data, match)
        cleaned = batch.rules.changed_contact(data, match)
    except ApplicationError as exc:
        batch.service_error(row, exc, prefix=prefix)
        return REFUSED
    before = audit.snapshot(match, customer_services.CONTACT_FIELDS)
    customer_services._apply_contact(match, cleaned)
    changes = audit.diff(
        before,
        audit.snapshot(match, customer_services.CONTACT_FIELDS),
        sensitive=customer_services.CONTACT_SENSITIVE,
    )
    if not changes:
        return UNCHANGED
    if match.is_primary:
        customer_services._make_primary(match)
    match.version += 1
    match.updated_at = timezone.now()
    match.save()
    audit.record(actor, AuditAction.UPDATE, match, changes=changes)
    ImportChange.objects.create(
        job=job,
        object_type="customers.contact",
        object_id=match.pk,
        before=_before_json(before),
        version_after=match.version,
    )
    return CHANGED


# --- customers named by contact and interaction rows ----------------------------------------


def _resolve_customers(batch: _Batch, rows: Sequence[ImportRow]) -> dict[int, int]:
    """Row number -> id of the customer the row names (by ID or by name), among the customers
    the actor may change; rows naming none (or several) are recorded as errors."""
    from guanxi.core.normalize import company_name_key

    ids = {row.customer_id for row in rows if row.error is None and row.customer_id}
    names = {row.customer_name for row in rows if row.error is None and row.customer_name}
    keys = {company_name_key(name) for name in names} - {""}
    condition = Q(pk__in=ids) | Q(name__in=names) | Q(name_key__in=keys)
    candidates = list(
        policy.visible(
            batch.actor, Customer.objects.filter(condition), MODULE, action=Action.EDIT
        ).values_list("pk", "name", "name_key")
    )
    by_id = {pk for pk, _name, _key in candidates}
    by_name: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    for pk, name, key in candidates:
        by_name.setdefault(name, []).append(pk)
        if key:
            by_key.setdefault(key, []).append(pk)
    resolved: dict[int, int] = {}
    for row in rows:
        if row.error is not None:
            continue
        if row.customer_id:
            if row.customer_id in by_id:
                resolved[row.number] = row.customer_id
            else:
                row.error = RowError(
                    batch.parser.header_for("customer_id"),
                    _("There is no customer #%(id)d that you may change.")
                    % {"id": row.customer_id},
                )
            continue
        matches = by_name.get(row.customer_name) or by_key.get(
            company_name_key(row.customer_name), []
        )
        if len(matches) == 1:
            resolved[row.number] = matches[0]
        elif not matches:
            row.error = RowError(
                batch.parser.header_for("customer"),
                _("There is no customer called “%(name)s” that you may change.")
                % {"name": row.customer_name[:100]},
            )
        else:
            row.error = RowError(
                batch.parser.header_for("customer"),
                _("Several customers are called “%(name)s”: give the customer ID instead.")
                % {"name": row.customer_name[:100]},
            )
    return resolved


# --- contacts -------------------------------------------------------------------------------


@transaction.atomic
def import_contacts_commit(
    *,
    actor: Any,
    job: ImportJob,
    parser: RowParser,
    rows: Sequence[ImportRow],
    position: Position,
    documents: DocumentBuilder | None = None,
) -> BatchOutcome:
    """Write one batch of contact rows, each on the customer it names."""
    job = _claim(job, position)
    batch = _Batch(job, actor, parser)
    resolved = _resolve_customers(batch, rows)
    prepared: list[tuple[ImportRow, Contact, list[tuple[Any, ...]]]] = []
    for row in rows:
        if row.error is not None:
            batch.fail(row, row.error)
            continue
        try:
            cleaned = batch.rules.new_contact(row.data)
        except ApplicationError as exc:
            batch.service_error(row, exc)
            continue
        contact = _contact_object(job, actor, cleaned)
        contact.customer_id = resolved[row.number]
        prepared.append((row, contact, _contact_keys(contact, row.record_id)))
    customer_ids = {contact.customer_id for _row, contact, _keys in prepared}
    found: dict[tuple[Any, ...], int] = {}
    existing_batch: dict[int, Any] = {}
    if customer_ids:
        for pk, customer_id, name, mobile, phone, email, batch_id in (
            Contact.objects.filter(customer_id__in=customer_ids)
            .order_by("pk")
            .values_list(
                "pk",
                "customer_id",
                "name",
                "mobile_bidx",
                "phone_bidx",
                "email_bidx",
                "import_batch",
            )
        ):
            probe = Contact(
                pk=pk,
                customer_id=customer_id,
                name=name,
                mobile_bidx=mobile,
                phone_bidx=phone,
                email_bidx=email,
            )
            for key in _contact_keys(probe, pk):
                found.setdefault(key, pk)
            existing_batch[pk] = batch_id
    mode = job.on_duplicate
    creates: list[tuple[ImportRow, Contact]] = []
    in_batch: dict[tuple[Any, ...], ImportRow] = {}
    updates: list[tuple[ImportRow, int]] = []
    for row, contact, keys in prepared:
        match = next((found[key] for key in keys if key in found), None)
        if match is not None and mode != OnDuplicate.CREATE:
            if mode == OnDuplicate.SKIP:
                if existing_batch.get(match) == job.pk:
                    message = _("Duplicate of an earlier row of this file.")
                else:
                    message = _("This contact already exists (#%(id)d).") % {"id": match}
                batch.fail(row, RowError("", message, RowProblem.DUPLICATE))
            else:
                updates.append((row, match))
            continue
        twin = next((in_batch[key] for key in keys if key in in_batch), None)
        if twin is not None and mode != OnDuplicate.CREATE:
            batch.fail(
                row,
                RowError(
                    "",
                    _("Duplicate of row %(row)d of this file.") % {"row": twin.number},
                    RowProblem.DUPLICATE,
                ),
            )
            continue
        creates.append((row, contact))
        for key in keys:
            in_batch.setdefault(key, row)
    if creates:
        with_primary = set(
            Contact.objects.filter(customer_id__in=customer_ids, is_primary=True).values_list(
                "customer_id", flat=True
            )
        )
        wanted_primary = {contact.customer_id for _row, contact in creates if contact.is_primary}
        if wanted_primary & with_primary:
            Contact.objects.filter(
                customer_id__in=wanted_primary & with_primary, is_primary=True
            ).update(is_primary=False)
            with_primary -= wanted_primary
        taken: set[int] = set()
        for _row, contact in reversed(creates):
            # The last row marked primary wins, as when they are entered one after another.
            if contact.is_primary and contact.customer_id not in taken:
                taken.add(contact.customer_id)
            else:
                contact.is_primary = False
        for _row, contact in creates:
            if contact.customer_id not in with_primary and contact.customer_id not in taken:
                contact.is_primary = True
                taken.add(contact.customer_id)
        fastsql.insert(Contact, [contact for _row, contact in creates])
        batch.outcome.created.extend(contact.pk for _row, contact in creates)
        batch.reindex.update(contact.customer_id for _row, contact in creates)
        batch.outcome.actions.update((row.number, "create") for row, _contact in creates)
    for row, target in updates:
        contact = Contact.objects.select_related("customer").get(pk=target)
        result = _upsert_contact(batch, row, contact.customer, row.data, target=target)
        batch.outcome.actions[row.number] = "update" if result == CHANGED else result
        if result == CHANGED:
            batch.outcome.updated.append(target)
            batch.reindex.add(contact.customer_id)
        elif result == UNCHANGED:
            batch.outcome.skipped += 1
    return _finish_batch(batch, rows, position, "contacts.imported")


def _contact_keys(contact: Contact, record_id: int | None) -> list[tuple[Any, ...]]:
    customer_id = contact.customer_id
    keys: list[tuple[Any, ...]] = []
    if record_id:
        keys.append(("id", record_id))
    for name in ("mobile_bidx", "phone_bidx"):
        if getattr(contact, name):
            keys.append((customer_id, "phone", getattr(contact, name)))
    if contact.email_bidx:
        keys.append((customer_id, "email", contact.email_bidx))
    if contact.name:
        keys.append((customer_id, "name", contact.name.casefold()))
    return keys


# --- interactions ---------------------------------------------------------------------------


@transaction.atomic
def import_interactions_commit(
    *,
    actor: Any,
    job: ImportJob,
    parser: RowParser,
    rows: Sequence[ImportRow],
    position: Position,
    documents: DocumentBuilder | None = None,
) -> BatchOutcome:
    """Write one batch of timeline entries, each on the customer it names.

    An entry identical to one already there (same customer, time, type, subject and content) is
    a duplicate: skipped unless the job says to create anyway.
    """
    job = _claim(job, position)
    batch = _Batch(job, actor, parser)
    resolved = _resolve_customers(batch, rows)
    customer_ids = set(resolved.values())
    contacts: dict[tuple[int, str], Contact] = {}
    if customer_ids:
        for contact in Contact.objects.filter(customer_id__in=customer_ids).order_by("pk"):
            contacts.setdefault((contact.customer_id, contact.name.casefold()), contact)
    now = timezone.now()
    actor_or_none = actor if getattr(actor, "pk", None) else None
    prepared: list[tuple[ImportRow, Interaction]] = []
    for row in rows:
        if row.error is not None:
            batch.fail(row, row.error)
            continue
        customer_id = resolved[row.number]
        data = dict(row.data)
        author = data.pop("author", None) or actor_or_none
        if row.contact_name:
            contact = contacts.get((customer_id, row.contact_name.strip().casefold()))
            if contact is None:
                batch.fail(
                    row,
                    RowError(
                        parser.header_for("contact"),
                        _("This customer has no contact called “%(name)s”.")
                        % {"name": row.contact_name[:100]},
                    ),
                )
                continue
            data["contact"] = contact
        data.setdefault("occurred_at", now)
        try:
            cleaned = customer_services._clean_interaction(
                data, Customer(pk=customer_id), partial=False
            )
        except ApplicationError as exc:
            batch.service_error(row, exc)
            continue
        prepared.append(
            (
                row,
                Interaction(
                    customer_id=customer_id,
                    author=author,
                    created_by=actor_or_none,
                    created_via=CreatedVia.IMPORT,
                    import_batch=job.pk,
                    **cleaned,
                ),
            )
        )
    existing: set[tuple[Any, ...]] = set()
    if prepared:
        times = {item.occurred_at for _row, item in prepared}
        for values in Interaction.objects.filter(
            customer_id__in=customer_ids, occurred_at__in=times
        ).values_list("customer_id", "occurred_at", "kind", "subject", "content"):
            existing.add(values)
    creates: list[Interaction] = []
    created_rows: list[int] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row, item in prepared:
        key = (item.customer_id, item.occurred_at, item.kind, item.subject, item.content)
        if job.on_duplicate != OnDuplicate.CREATE and (key in existing or key in seen):
            message = (
                _("Duplicate of row %(row)d of this file.") % {"row": seen[key]}
                if key in seen
                else _("This interaction is already on the customer's timeline.")
            )
            batch.fail(row, RowError("", message, RowProblem.DUPLICATE))
            continue
        seen[key] = row.number
        creates.append(item)
        created_rows.append(row.number)
    if creates:
        fastsql.insert(Interaction, creates)
        batch.outcome.created.extend(item.pk for item in creates)
        batch.outcome.actions.update((number, "create") for number in created_rows)
        for customer_id in sorted({item.customer_id for item in creates}):
            customer_services._refresh_customer_contact_dates(customer_id)
    return _finish_batch(batch, rows, position, "interactions.imported")


COMMITS = {
    ImportKind.CUSTOMERS: import_customers_commit,
    ImportKind.CONTACTS: import_contacts_commit,
    ImportKind.INTERACTIONS: import_interactions_commit,
}


def ensure_can_import(actor: Any) -> None:
    """Importing needs the ``import`` right on customers (and ``create``, as records are made)."""
    if not (policy.can(actor, Action.IMPORT, MODULE) and policy.can(actor, Action.CREATE, MODULE)):
        raise PermissionDenied(_("You do not have permission to import."))
