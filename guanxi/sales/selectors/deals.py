"""Every read of deals, pipelines and products, already narrowed to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from guanxi.accounts import policy
from guanxi.core.errors import NotFound
from guanxi.customers.models import Customer
from guanxi.customers.search import customers_search
from guanxi.sales.models import (
    CloseReason,
    Deal,
    DealCollaborator,
    DealLineItem,
    DealStageChange,
    ExchangeRate,
    Pipeline,
    PriceList,
    Product,
    ProductCategory,
    SalesTarget,
    Stage,
)

MODULE = "sales"
ORDERINGS = {
    "id",
    "-id",
    "name",
    "-name",
    "amount_cny",
    "-amount_cny",
    "expected_close_on",
    "-expected_close_on",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "closed_on",
    "-closed_on",
}


def _day_start(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def deal_filter(qs: QuerySet[Deal], filters: Mapping[str, Any] | None) -> QuerySet[Deal]:
    """Apply list filters (each backed by an index).

    Keys: pipeline, stage, status, owner, department (with its sub-departments), customer,
    source, expected_close_from/to, created_from/to, closed_from/to (dates), amount_min/max (CNY).
    """
    f = filters or {}
    for key in ("pipeline", "stage", "status", "owner", "customer", "source"):
        value = f.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: _pk(value)})
    department = f.get("department")
    if department not in (None, ""):
        if hasattr(department, "path") and department.path:
            qs = qs.filter(department__path__startswith=department.path)
        else:
            qs = qs.filter(department=_pk(department))
    ranges = {
        "expected_close_from": ("expected_close_on__gte", None),
        "expected_close_to": ("expected_close_on__lte", None),
        "closed_from": ("closed_on__gte", None),
        "closed_to": ("closed_on__lte", None),
    }
    for key, (lookup, _unused) in ranges.items():
        if f.get(key):
            qs = qs.filter(**{lookup: f[key]})
    if f.get("created_from"):
        qs = qs.filter(created_at__gte=_day_start(f["created_from"]))
    if f.get("created_to"):
        qs = qs.filter(created_at__lt=_day_start(f["created_to"] + dt.timedelta(days=1)))
    if f.get("amount_min") not in (None, ""):
        qs = qs.filter(amount_cny__gte=f["amount_min"])
    if f.get("amount_max") not in (None, ""):
        qs = qs.filter(amount_cny__lte=f["amount_max"])
    return qs


def deal_search(qs: QuerySet[Deal], q: str) -> QuerySet[Deal]:
    """Deals whose name begins with ``q`` or whose customer is found by ``q`` (an index each)."""
    q = (q or "").strip()
    if not q:
        return qs
    customers = customers_search(Customer.objects.all(), q).values("pk")
    return qs.filter(Q(name__gte=q, name__lt=q + "\U0010ffff") | Q(customer__in=customers))


def deals_visible(actor: Any, *, deleted: bool = False) -> QuerySet[Deal]:
    """The deals ``actor`` may see (alive, or in the recycle bin with ``deleted``)."""
    base = Deal.all_objects.filter(deleted_at__isnull=not deleted)
    return policy.visible(actor, base, MODULE)


def deal_list(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    q: str = "",
    ordering: str = "-id",
    deleted: bool = False,
) -> QuerySet[Deal]:
    """Deals the actor may see, filtered (see ``deal_filter``), searched and ordered."""
    qs = deal_search(deal_filter(deals_visible(actor, deleted=deleted), filters), q)
    if ordering not in ORDERINGS:
        ordering = "-id"
    tie = "-id" if ordering.startswith("-") else "id"
    order = [ordering] if ordering.lstrip("-") == "id" else [ordering, tie]
    return qs.select_related("customer", "owner", "stage", "pipeline").order_by(*order)


def deal_get(*, actor: Any, pk: Any, deleted: bool = False) -> Deal:
    """One deal the actor may see, with its contacts, products, collaborators and history."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    deal = (
        deals_visible(actor, deleted=deleted)
        .filter(pk=pk)
        .select_related(
            "customer", "owner", "department", "stage", "pipeline", "source", "close_reason"
        )
        .prefetch_related(
            "contacts",
            Prefetch("line_items", queryset=DealLineItem.objects.select_related("product")),
            Prefetch("collaborators", queryset=DealCollaborator.objects.select_related("user")),
        )
        .first()
    )
    if deal is None:
        raise NotFound()
    return deal


def deal_history(*, actor: Any, deal: Deal) -> QuerySet[DealStageChange]:
    """The stage moves of a deal the actor may see, oldest first."""
    return (
        DealStageChange.objects.filter(deal__in=deals_visible(actor).filter(pk=deal.pk))
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "id")
    )


def customer_deal_list(*, actor: Any, customer: Customer) -> QuerySet[Deal]:
    """The deals of one customer that the actor may see, newest first."""
    return deal_list(actor=actor, filters={"customer": customer.pk})


# --- set-up lists (shared by everyone who may view sales) -----------------------------------


def _can_view(actor: Any) -> bool:
    return policy.can(actor, "view", MODULE)


def pipeline_list(*, actor: Any, include_inactive: bool = False) -> QuerySet[Pipeline]:
    if not _can_view(actor):
        return Pipeline.objects.none()
    qs = Pipeline.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    stages = Stage.objects.filter(is_active=True).order_by("position", "id")
    return qs.prefetch_related(Prefetch("stages", queryset=stages)).order_by(
        "-is_default", "position", "id"
    )


def pipeline_get(*, actor: Any, pk: Any) -> Pipeline:
    try:
        return pipeline_list(actor=actor, include_inactive=True).get(pk=int(pk))
    except (Pipeline.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def stage_deal_counts(*, pipeline: Any) -> dict[int, int]:
    """How many deals (open or closed, not in the recycle bin) are in each stage of a pipeline,
    for the set-up page (administrators, who see every deal)."""
    rows = (
        Deal.objects.filter(pipeline=_pk(pipeline))
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"))
    )
    return {row["stage_id"]: row["n"] for row in rows}


def stage_list(*, actor: Any, pipeline: Any = None) -> QuerySet[Stage]:
    if not _can_view(actor):
        return Stage.objects.none()
    qs = Stage.objects.filter(is_active=True, pipeline__is_active=True)
    if pipeline is not None:
        qs = qs.filter(pipeline=_pk(pipeline))
    return qs.order_by("pipeline", "position", "id")


def stage_get(*, actor: Any, pk: Any) -> Stage:
    try:
        return stage_list(actor=actor).get(pk=int(pk))
    except (Stage.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def close_reason_list(*, actor: Any, kind: str | None = None) -> QuerySet[CloseReason]:
    if not _can_view(actor):
        return CloseReason.objects.none()
    qs = CloseReason.objects.filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "position", "id")


def exchange_rate_list(*, actor: Any) -> QuerySet[ExchangeRate]:
    if not _can_view(actor):
        return ExchangeRate.objects.none()
    return ExchangeRate.objects.order_by("currency", "-valid_on")


def product_list(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    q: str = "",
    ordering: str = "code",
) -> QuerySet[Product]:
    """The catalogue (every user who may view sales sees it)."""
    if not _can_view(actor):
        return Product.objects.none()
    qs = Product.objects.all()
    f = filters or {}
    if f.get("category") not in (None, ""):
        qs = qs.filter(category=_pk(f["category"]))
    if f.get("is_active") not in (None, ""):
        qs = qs.filter(is_active=bool(f["is_active"]))
    q = (q or "").strip()
    if q:
        end = q + "\U0010ffff"
        qs = qs.filter(Q(code__gte=q, code__lt=end) | Q(name__gte=q, name__lt=end))
    if ordering not in {"code", "-code", "name", "-name", "id", "-id", "price", "-price"}:
        ordering = "code"
    tie = "-id" if ordering.startswith("-") else "id"
    order = [ordering] if ordering.lstrip("-") == "id" else [ordering, tie]
    return qs.select_related("category").order_by(*order)


def product_get(*, actor: Any, pk: Any) -> Product:
    try:
        return product_list(actor=actor).get(pk=int(pk))
    except (Product.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def product_category_list(*, actor: Any) -> QuerySet[ProductCategory]:
    if not _can_view(actor):
        return ProductCategory.objects.none()
    return ProductCategory.objects.filter(is_active=True).order_by("position", "id")


def price_list_list(*, actor: Any) -> QuerySet[PriceList]:
    if not _can_view(actor):
        return PriceList.objects.none()
    return PriceList.objects.filter(is_active=True).order_by("position", "id")


def target_list(
    *, actor: Any, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[SalesTarget]:
    """Targets whose period overlaps [start, end] (all without bounds)."""
    if not _can_view(actor):
        return SalesTarget.objects.none()
    qs = SalesTarget.objects.all()
    if start:
        qs = qs.filter(period_end__gte=start)
    if end:
        qs = qs.filter(period_start__lte=end)
    return qs.select_related("owner", "department").order_by("-period_start", "id")
