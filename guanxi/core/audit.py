"""The audit log: every write is recorded in the same transaction, in a tamper-evident chain.

Each entry stores the SHA-256 of its own content and of the entry before it; ``verify()`` recomputes
the chain and names the first entry that was altered, removed or inserted out of band.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Model
from django.utils import timezone

from guanxi.core.models import AuditAction, AuditChainHead, AuditEntry, model_label

MASK = "******"


def _plain(value: Any) -> Any:
    """A JSON-safe, stable representation of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def snapshot(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (foreign keys by id) as plain JSON values."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _plain(getattr(obj, attname))
    return values


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """Field-level changes ``{field: [old, new]}``; sensitive values are masked, never stored."""
    hidden = set(sensitive)
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            if name in hidden:
                changes[name] = [MASK if old else "", MASK if new else ""]
            else:
                changes[name] = [old, new]
    return changes


def _digest(entry: AuditEntry) -> str:
    content = {
        "at": _plain(entry.at),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "ip": entry.ip,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    actor: Any,
    action: str | AuditAction,
    obj: Model | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log inside the caller's transaction.

    ``actor`` is a user (or None for the system); the address it acts from is read from its
    ``request_ip`` attribute, set by the middleware or the token authentication.
    """
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        actor_id = getattr(actor, "pk", None) if actor is not None else None
        entry = AuditEntry(
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=(getattr(actor, "username", "") or "system")[:150] if actor else "system",
            ip=ip or getattr(actor, "request_ip", None),
            action=str(action),
            object_type=model_label(obj) if obj is not None else object_type,
            object_id=str(obj.pk if obj is not None else object_id or ""),
            object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
            changes=_plain(dict(changes or {})),
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(
            last_hash=entry.hash, last_entry_id=entry.pk, count=models.F("count") + 1
        )
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_entry_id: int | None = None
    reason: str = ""


def verify(batch_size: int = 5000) -> VerifyResult:
    """Recompute the whole chain; report the first entry that does not match."""
    previous = "0" * 64
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != previous:
                return VerifyResult(False, checked, entry.pk, "previous-hash mismatch")
            if _digest(entry) != entry.hash:
                return VerifyResult(False, checked, entry.pk, "content does not match its hash")
            previous = entry.hash
            checked += 1
            last_id = entry.pk
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_hash != previous or head.count != checked):
        return VerifyResult(False, checked, head.last_entry_id, "entries missing at the end")
    return VerifyResult(True, checked)
