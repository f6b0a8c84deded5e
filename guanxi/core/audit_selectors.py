"""Reads of the audit log for auditors and administrators (filters and keyset pages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDenied
from guanxi.core.models import AuditEntry

MODULE = "audit"
PAGE_SIZE = 50


def _require(actor: Any, action: str) -> None:
    from guanxi.accounts import policy

    if not policy.can(actor, action, MODULE):
        raise PermissionDenied(_("You do not have permission to do this."))


def record_types() -> list[tuple[str, str]]:
    """The record types that can appear in the log: (``app.model``, its name)."""
    types = []
    for model in apps.get_models():
        if model.__module__.startswith("guanxi."):
            meta = model._meta
            types.append((f"{meta.app_label}.{meta.model_name}", str(meta.verbose_name)))
    return sorted(types, key=lambda item: item[0])


def _day_start(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def audit_entry_list(
    *, actor: Any, filters: Mapping[str, Any] | None = None, action: str = "view"
) -> QuerySet[AuditEntry]:
    """Entries newest first; filters: actor (user id), action, object_type, object_id,
    date_from, date_to (dates, inclusive)."""
    _require(actor, action)
    f = filters or {}
    qs = AuditEntry.objects.all()
    if f.get("actor"):
        qs = qs.filter(actor_id=f["actor"])
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("object_type"):
        qs = qs.filter(object_type=f["object_type"])
    if f.get("object_id"):
        qs = qs.filter(object_id=str(f["object_id"]))
    if f.get("date_from"):
        qs = qs.filter(at__gte=_day_start(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(at__lt=_day_start(f["date_to"] + dt.timedelta(days=1)))
    return qs.order_by("-id")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None


def audit_entry_page(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of entries older than ``before`` (an entry id): keyset paging, no OFFSET."""
    qs = audit_entry_list(actor=actor, filters=filters)
    if before:
        qs = qs.filter(id__lt=before)
    entries = list(qs[: size + 1])
    has_more = len(entries) > size
    entries = entries[:size]
    return AuditPage(entries, entries[-1].pk if has_more and entries else None)


def audit_entry_iter(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    before: int | None = None,
    batch_size: int = 2000,
) -> Iterator[AuditEntry]:
    """Every matching entry older than ``before``, newest first, in batches (for exports)."""
    qs = audit_entry_list(actor=actor, filters=filters, action="export")
    while True:
        batch_qs = qs.filter(id__lt=before) if before else qs
        batch = list(batch_qs[:batch_size])
        if not batch:
            return
        yield from batch
        before = batch[-1].pk
