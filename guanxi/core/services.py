"""Writes of the shared kernel that are not part of another service: audit-log exports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

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
