"""Requests about one person's data (PIPL / GDPR): export everything, or erase it for good.

The export gathers the record and every row of any app that points at it (contacts,
interactions, attachments, deals, …), in plain text, as one JSON document. The purge deletes
them (files included) and leaves one audit entry that says a purge happened, of which kind of
record and which id, but nothing of what was stored. Earlier audit entries stay as they are:
the log is append-only and never held phones, e-mails or addresses in plain text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry, model_label

FORMAT = "guanxi-personal-data/1"


class PersonError(Exception):
    """The request cannot be carried out; the message says why."""


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    if isinstance(value, Model):
        return value.pk
    return str(value)


def _row(obj: Model) -> dict[str, Any]:
    data: dict[str, Any] = {"_type": model_label(obj), "id": obj.pk}
    for field in obj._meta.concrete_fields:
        if field.name.endswith("_bidx") or field.name in ("search_key",):
            continue
        data[field.name] = _plain(getattr(obj, field.attname))
    for field in obj._meta.many_to_many:
        data[field.name] = [_plain(item) for item in getattr(obj, field.name).all()]
    return data


def _related_rows(obj: Model, depth: int = 2, seen: set[str] | None = None) -> list[dict[str, Any]]:
    """Every row of any model that points at ``obj`` (and, one level down, at those rows)."""
    seen = seen if seen is not None else set()
    rows: list[dict[str, Any]] = []
    for relation in obj._meta.related_objects:
        if relation.many_to_many or not relation.field.concrete:
            continue
        model = relation.related_model
        manager = getattr(model, "all_objects", None) or model._base_manager
        for related in manager.filter(**{relation.field.name: obj.pk}).order_by("pk"):
            key = f"{model_label(related)}#{related.pk}"
            if key in seen:
                continue
            seen.add(key)
            rows.append(_row(related))
            if depth > 1:
                rows.extend(_related_rows(related, depth - 1, seen))
    return rows


def _target(customer_id: int | None, contact_id: int | None) -> Model:
    from guanxi.customers.models import Contact, Customer

    if (customer_id is None) == (contact_id is None):
        raise PersonError("name exactly one record: a customer or a contact")
    model = Customer if customer_id is not None else Contact
    pk = customer_id if customer_id is not None else contact_id
    obj = model.all_objects.filter(pk=pk).first()
    if obj is None:
        raise PersonError(f"there is no {model._meta.model_name} with id {pk}")
    return obj


def person_export(
    *, actor: Any = None, customer_id: int | None = None, contact_id: int | None = None
) -> dict[str, Any]:
    """Everything stored about one customer (a person or a company) or one contact."""
    obj = _target(customer_id, contact_id)
    label, pk = model_label(obj), str(obj.pk)
    history = AuditEntry.objects.filter(object_type=label, object_id=pk).order_by("id")
    document = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "record": _row(obj),
        "related": _related_rows(obj),
        "history": [
            {
                "at": entry.at.isoformat(),
                "who": entry.actor_name,
                "action": entry.action,
                "changes": entry.changes,
            }
            for entry in history
        ],
    }
    with transaction.atomic():
        audit.record(
            actor,
            AuditAction.EXPORT,
            object_type=label,
            object_id=pk,
            object_repr="personal data export",
            changes={"personal_data": [None, "exported"]},
        )
    return document


def person_export_to_file(path: Path, **kwargs: Any) -> dict[str, Any]:
    """Write the export as JSON, readable by the owner of the file only."""
    document = person_export(**kwargs)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
    return document


def _files_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    from guanxi.customers.models import Attachment

    label = model_label(Attachment)
    return [row["file"] for row in rows if row["_type"] == label and row.get("file")]


@transaction.atomic
def person_purge(
    *, actor: Any = None, customer_id: int | None = None, contact_id: int | None = None
) -> dict[str, int]:
    """Erase one customer (with everything attached) or one contact, for good.

    Raises PersonError, and erases nothing, when another record must not lose it (a protected
    reference such as an order). Returns how many rows of each kind were deleted.
    """
    from guanxi.customers.models import Attachment
    from guanxi.customers.search import customers_reindex

    obj = _target(customer_id, contact_id)
    label, pk = model_label(obj), obj.pk
    customer_pk = pk if customer_id is not None else obj.customer_id  # type: ignore[attr-defined]
    files = _files_of(_related_rows(obj)) if customer_id is not None else []
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    try:
        _count, deleted = type(obj).all_objects.filter(pk=pk).delete()  # type: ignore[attr-defined]
    except ProtectedError as exc:
        blockers = sorted({model_label(o) for o in exc.protected_objects})
        raise PersonError(
            f"other records still refer to it ({', '.join(blockers)}): remove those first"
        ) from exc
    customers_reindex([customer_pk])
    audit.record(actor, AuditAction.PURGE, object_type=label, object_id=pk)
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return dict(deleted)
