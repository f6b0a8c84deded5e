"""Reads of quotes, orders, payments and receivables, narrowed to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Sum
from django.utils import timezone

from guanxi.accounts import policy
from guanxi.core.errors import NotFound
from guanxi.customers.models import Customer
from guanxi.sales.models import Deal, Order, OrderStatus, Payment, Quote, QuoteLineItem

MODULE = "sales"


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def quote_list(
    *, actor: Any, deal: Deal | None = None, filters: Mapping[str, Any] | None = None
) -> QuerySet[Quote]:
    """Quotes the actor may see (through their deals), newest first.

    ``filters``: ``deal``, ``customer`` (ids), ``status``, ``created_from`` and ``created_to``
    (dates, inclusive)."""
    qs = policy.visible(actor, Quote.objects.all(), MODULE)
    if deal is not None:
        qs = qs.filter(deal=deal)
    filters = filters or {}
    if filters.get("deal"):
        qs = qs.filter(deal_id=filters["deal"])
    if filters.get("customer"):
        qs = qs.filter(deal__customer_id=filters["customer"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("created_from"):
        qs = qs.filter(created_at__gte=_day_start(filters["created_from"]))
    if filters.get("created_to"):
        qs = qs.filter(created_at__lt=_day_start(filters["created_to"] + dt.timedelta(days=1)))
    return qs.select_related("deal", "deal__customer").order_by("-id")


def quote_get(*, actor: Any, pk: Any) -> Quote:
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    quote = (
        quote_list(actor=actor)
        .prefetch_related(
            Prefetch("line_items", queryset=QuoteLineItem.objects.order_by("position", "id"))
        )
        .filter(pk=pk)
        .first()
    )
    if quote is None:
        raise NotFound()
    return quote


def order_list(
    *,
    actor: Any,
    customer: Customer | None = None,
    outstanding: bool = False,
    filters: Mapping[str, Any] | None = None,
) -> QuerySet[Order]:
    """Orders the actor may see, newest first; ``outstanding``: only those not paid in full.

    ``filters``: ``deal``, ``customer`` (ids), ``status``, ``signed_from`` and ``signed_to``
    (dates, inclusive)."""
    qs = policy.visible(actor, Order.objects.all(), MODULE)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if outstanding:
        qs = qs.filter(status=OrderStatus.ACTIVE, received__lt=F("amount"))
    filters = filters or {}
    if filters.get("deal"):
        qs = qs.filter(deal_id=filters["deal"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("signed_from"):
        qs = qs.filter(signed_on__gte=filters["signed_from"])
    if filters.get("signed_to"):
        qs = qs.filter(signed_on__lte=filters["signed_to"])
    return qs.select_related("customer", "owner", "deal").order_by("-id")


def order_get(*, actor: Any, pk: Any) -> Order:
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    order = order_list(actor=actor).prefetch_related("plan", "payments").filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def payment_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Payment]:
    """Payments received on the orders the actor may see, newest first.

    ``filters``: ``order``, ``deal``, ``customer`` (ids), ``received_from`` and ``received_to``
    (dates, inclusive)."""
    qs = Payment.objects.filter(order__in=order_list(actor=actor).order_by().values("pk"))
    filters = filters or {}
    if filters.get("order"):
        qs = qs.filter(order_id=filters["order"])
    if filters.get("deal"):
        qs = qs.filter(order__deal_id=filters["deal"])
    if filters.get("customer"):
        qs = qs.filter(order__customer_id=filters["customer"])
    if filters.get("received_from"):
        qs = qs.filter(received_on__gte=filters["received_from"])
    if filters.get("received_to"):
        qs = qs.filter(received_on__lte=filters["received_to"])
    return qs.select_related("order", "recorded_by").order_by("-id")


@dataclass(frozen=True)
class Transactions:
    orders: list[Order]
    payments: list[Payment]
    lifetime_value: Decimal
    outstanding: Decimal


def customer_transactions(*, actor: Any, customer: Customer) -> Transactions:
    """A customer's orders and payments the actor may see, what it has paid in all (its
    lifetime value, in the orders' currency) and what it still owes."""
    orders = list(order_list(actor=actor, customer=customer)[:200])
    totals = (
        order_list(actor=actor, customer=customer)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(received=Sum("received"), amount=Sum("amount"))
    )
    payments = list(
        Payment.objects.filter(order__in=[o.pk for o in orders])
        .select_related("order")
        .order_by("-received_on", "-id")
    )
    received = totals["received"] or Decimal("0")
    return Transactions(
        orders=orders,
        payments=payments,
        lifetime_value=received,
        outstanding=(totals["amount"] or Decimal("0")) - received,
    )
