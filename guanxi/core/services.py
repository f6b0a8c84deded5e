"""Writes of the shared kernel that are not part of another service: audit-log exports and the
hand-over of owned records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry


@transaction.atomic
def audit_log_export_record(*, actor: Any, filters: Mapping[str, Any], count: int) -> AuditEntry:
    """Note in the log itself that someone exported (part of) the log, with which filters."""
    return audit.record(
        actor,
        AuditAction.EXPORT,
        object_type="core.auditentry",
        object_repr="audit log",
        changes={"filters": dict(filters), "rows": [None, count]},
    )


def owned_records_transfer(
    model: type[Model],
    *,
    actor: Any,
    from_user: Any,
    to_user: Any,
    owner_field: str = "owner",
    batch_size: int = 500,
) -> int:
    """Give every ``model`` record owned by ``from_user`` (recycle bin included) to ``to_user``.

    The record's department follows the new owner, its version moves on (an open edit form gets
    a conflict instead of writing the old owner back), and each record gets a transfer entry in
    the audit log. The caller checks the right to do it. Returns how many records moved.
    """
    names = {field.name for field in model._meta.concrete_fields}
    changes: dict[str, Any] = {owner_field: to_user}
    if "department" in names:
        changes["department_id"] = to_user.department_id
    if "version" in names:
        changes["version"] = F("version") + 1
    if "updated_at" in names:
        changes["updated_at"] = timezone.now()
    manager = model._base_manager
    object_type = model._meta.label_lower
    moved = 0
    while True:
        batch = list(
            manager.select_for_update()
            .filter(**{owner_field: from_user})
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return moved
        manager.filter(pk__in=[obj.pk for obj in batch]).update(**changes)
        for obj in batch:
            audit.record(
                actor,
                AuditAction.TRANSFER,
                object_type=object_type,
                object_id=obj.pk,
                object_repr=str(obj)[:200],
                changes={owner_field: [from_user.pk, to_user.pk]},
            )
        moved += len(batch)
