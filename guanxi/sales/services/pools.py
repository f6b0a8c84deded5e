"""Public pools (公海): their names, how many leads a rep may hold and when claimed leads go
back (administrators)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit
from guanxi.core.errors import ValidationError
from guanxi.core.models import AuditAction
from guanxi.sales.models import PublicPool
from guanxi.sales.services._common import MODULE, actor_or_none, check_version, locked, text

POOL_FIELDS = (
    "name",
    "name_en",
    "claim_limit",
    "return_after_days",
    "warn_days_before",
    "is_default",
    "is_active",
)
MAX_CLAIM_LIMIT = 100_000
MAX_DAYS = 3650


def _whole(data: Mapping[str, Any], name: str, *, minimum: int, maximum: int) -> int:
    value = data.get(name)
    message = _("Enter a whole number from %(minimum)d to %(maximum)d.") % {
        "minimum": minimum,
        "maximum": maximum,
    }
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationError(message, field=name)
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise ValidationError(message, field=name) from exc
    if not minimum <= number <= maximum:
        raise ValidationError(message, field=name)
    return number


def _clean_pool(pool: PublicPool, data: Mapping[str, Any]) -> None:
    """Apply and check ``data`` on ``pool`` (unsaved): names, limits and the return rule."""
    if "name" in data or pool.pk is None:
        name = text(data, "name", required=True, limit=100)
        if PublicPool.objects.filter(name=name).exclude(pk=pool.pk).exists():
            raise ValidationError(_("A pool with this name already exists."), field="name")
        pool.name = name
    if "name_en" in data:
        pool.name_en = text(data, "name_en", limit=100)
    if "claim_limit" in data:
        pool.claim_limit = _whole(data, "claim_limit", minimum=1, maximum=MAX_CLAIM_LIMIT)
    if "return_after_days" in data:
        pool.return_after_days = _whole(data, "return_after_days", minimum=0, maximum=MAX_DAYS)
    if "warn_days_before" in data:
        pool.warn_days_before = _whole(data, "warn_days_before", minimum=0, maximum=MAX_DAYS)
    if pool.return_after_days and pool.warn_days_before >= pool.return_after_days:
        raise ValidationError(
            _("Warn fewer days before the return than the days after which leads go back."),
            field="warn_days_before",
        )
    if "is_active" in data:
        pool.is_active = bool(data["is_active"])
    if data.get("is_default"):
        pool.is_default = True
    if pool.is_default and not pool.is_active:
        raise ValidationError(
            _("The default pool cannot be switched off: make another one the default."),
            field="is_active",
        )


def _make_default(pool: PublicPool) -> None:
    if pool.is_default:
        PublicPool.objects.filter(is_default=True).exclude(pk=pool.pk).update(is_default=False)


@transaction.atomic
def pool_create(*, actor: Any, data: Mapping[str, Any]) -> PublicPool:
    """Add a public pool (claim limit default 50, leads go back after 30 days, warned 3 before)."""
    policy.require(actor, Action.ADMIN, MODULE)
    pool = PublicPool(created_by=actor_or_none(actor))
    _clean_pool(pool, data)
    pool.position = (PublicPool.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    if not PublicPool.objects.filter(is_default=True).exists():
        pool.is_default = True
    _make_default(pool)
    pool.save()
    audit.record(
        actor,
        AuditAction.CREATE,
        pool,
        changes=audit.diff({}, audit.snapshot(pool, POOL_FIELDS)),
    )
    return pool


@transaction.atomic
def pool_update(
    *, actor: Any, pool: PublicPool, data: Mapping[str, Any], version: int | None = None
) -> PublicPool:
    """Change a pool's name, claim limit, return rule, default or whether it is in use.

    A lower claim limit takes no lead away from anyone: reps above it just cannot claim more.
    """
    policy.require(actor, Action.ADMIN, MODULE)
    pool = locked(PublicPool, pool.pk)
    check_version(pool, version)
    before = audit.snapshot(pool, POOL_FIELDS)
    _clean_pool(pool, data)
    _make_default(pool)
    changes = audit.diff(before, audit.snapshot(pool, POOL_FIELDS))
    if changes:
        pool.version += 1
        pool.updated_at = timezone.now()
        pool.save()
        audit.record(actor, AuditAction.UPDATE, pool, changes=changes)
    return pool
