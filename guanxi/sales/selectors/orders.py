"""Reads of quotes, orders, payments and receivables, narrowed to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Sum

from guanxi.accounts import policy
from guanxi.core.errors import NotFound
from guanxi.customers.models import Customer
from guanxi.sales.models import Deal, Order, OrderStatus, Payment, Quote, QuoteLineItem

MODULE = "sales"


def quote_list(*, actor: Any, deal: Deal | None = None) -> QuerySet[Quote]:
    qs = policy.visible(actor, Quote.objects.all(), MODULE)
    if deal is not None:
        qs = qs.filter(deal=deal)
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
    *, actor: Any, customer: Customer | None = None, outstanding: bool = False
) -> QuerySet[Order]:
    """Orders the actor may see, newest first; ``outstanding``: only those not paid in full."""
    qs = policy.visible(actor, Order.objects.all(), MODULE)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if outstanding:
        qs = qs.filter(status=OrderStatus.ACTIVE, received__lt=F("amount"))
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
