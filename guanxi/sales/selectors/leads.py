"""Reads of leads and public pools, narrowed to what the actor may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from guanxi.accounts import policy
from guanxi.core.errors import NotFound
from guanxi.sales.models import OPEN_LEAD_STATUSES, Lead, PublicPool

MODULE = "sales"
ORDERINGS = {
    "id",
    "-id",
    "last_followed_up_at",
    "-last_followed_up_at",
    "next_follow_up_on",
    "score",
    "-score",
}


def lead_list(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    ordering: str = "-id",
) -> QuerySet[Lead]:
    """Leads the actor owns or may see through her scope (not those waiting in a pool).

    ``filters`` keys: status, owner, source, pool, open (bool), min_score (int).
    """
    qs = policy.visible(actor, Lead.objects.filter(owner__isnull=False), MODULE)
    f = filters or {}
    for key in ("status", "owner", "source", "pool"):
        if f.get(key) not in (None, ""):
            qs = qs.filter(**{key: getattr(f[key], "pk", f[key])})
    if f.get("open"):
        qs = qs.filter(status__in=OPEN_LEAD_STATUSES)
    if f.get("min_score") not in (None, ""):
        qs = qs.filter(score__gte=int(f["min_score"]))
    if ordering not in ORDERINGS:
        ordering = "-id"
    tie = "-id" if ordering.startswith("-") else "id"
    order = [ordering] if ordering.lstrip("-") == "id" else [ordering, tie]
    return qs.select_related("owner", "source", "pool", "industry").order_by(*order)


def pool_lead_list(*, actor: Any, pool: PublicPool | None = None) -> QuerySet[Lead]:
    """Leads waiting in a pool: everyone who may view sales sees them (contact data masked)."""
    if not policy.can(actor, "view", MODULE):
        return Lead.objects.none()
    qs = Lead.objects.filter(owner__isnull=True, status__in=OPEN_LEAD_STATUSES)
    if pool is not None:
        qs = qs.filter(pool=pool)
    return qs.select_related("source", "pool", "industry").order_by("-id")


def lead_get(*, actor: Any, pk: Any) -> Lead:
    """A lead the actor may see: one in her scope, or one waiting in a pool."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    lead = (
        lead_list(actor=actor).filter(pk=pk).first()
        or pool_lead_list(actor=actor).filter(pk=pk).first()
    )
    if lead is None:
        raise NotFound()
    return lead


def pool_list(*, actor: Any) -> QuerySet[PublicPool]:
    if not policy.can(actor, "view", MODULE):
        return PublicPool.objects.none()
    return PublicPool.objects.filter(is_active=True).order_by("-is_default", "position", "id")
