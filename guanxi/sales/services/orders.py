"""Quotes from deals, orders (contracts) from accepted quotes, payment plans and payments.

Money received changes an order's ``received`` under a row lock, so two payments recorded at the
same moment can never together exceed the order's amount (a database constraint backs this up).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.sales.models import (
    Deal,
    Order,
    OrderStatus,
    Payment,
    PaymentPlanItem,
    Quote,
    QuoteLineItem,
    QuoteStatus,
)
from guanxi.sales.services._common import (
    MODULE,
    actor_id,
    actor_or_none,
    check_version,
    date,
    locked,
    money,
    text,
)

MAX_INSTALMENTS = 120


def _numbered(obj: Any, prefix: str) -> None:
    """Save ``obj`` and give it a number made of the prefix, the day and its id (race-free)."""
    obj.number = uuid.uuid4().hex[:32]
    obj.save()
    obj.number = f"{prefix}{timezone.localdate():%Y%m%d}{obj.pk:06d}"
    obj.save(update_fields=["number"])


# --- quotes ---------------------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *,
    actor: Any,
    deal: Deal,
    valid_until: Any = None,
    notes: str = "",
    created_via: str = CreatedVia.UI,
) -> Quote:
    """A quote with the deal's products (or, without products, one line for the deal)."""
    policy.require(actor, Action.EDIT, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if deal.is_deleted:
        raise NotFound()
    valid = date({"valid_until": valid_until}, "valid_until")
    if valid is not None and valid < timezone.localdate():
        raise ValidationError(_("The quote would already have expired."), field="valid_until")
    lines = list(deal.line_items.order_by("position", "id"))
    if not lines and deal.amount <= 0:
        raise ValidationError(
            _("Add products or an amount to the deal before quoting."), field="deal"
        )
    quote = Quote(
        deal=deal,
        currency=deal.currency,
        amount=deal.amount,
        valid_until=valid,
        notes=text({"notes": notes}, "notes", limit=5000, multiline=True),
        created_by=actor_or_none(actor),
        created_via=created_via,
    )
    _numbered(quote, "Q")
    rows = [
        QuoteLineItem(
            quote=quote,
            product_id=line.product_id,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            total=line.total,
            position=line.position,
        )
        for line in lines
    ] or [
        QuoteLineItem(
            quote=quote,
            name=deal.name,
            quantity=Decimal("1"),
            unit_price=deal.amount,
            discount_percent=Decimal("0"),
            total=deal.amount,
        )
    ]
    QuoteLineItem.objects.bulk_create(rows)
    audit.record(
        actor,
        AuditAction.CREATE,
        quote,
        changes={"deal": [None, deal.pk], "amount": [None, str(quote.amount)]},
    )
    events.publish("quote.created", quote_id=quote.pk, deal_id=deal.pk, actor_id=actor_id(actor))
    return quote


def _decide(actor: Any, quote: Quote, status: str) -> Quote:
    policy.require(actor, Action.EDIT, MODULE, quote.deal)
    quote = locked(Quote, quote.pk)
    transitions: dict[str, set[str]] = {
        QuoteStatus.SENT: {QuoteStatus.DRAFT},
        QuoteStatus.ACCEPTED: {QuoteStatus.DRAFT, QuoteStatus.SENT},
        QuoteStatus.REJECTED: {QuoteStatus.DRAFT, QuoteStatus.SENT},
    }
    allowed = transitions[status]
    if quote.status not in allowed:
        raise ValidationError(
            _("The quote is already “%(status)s”.") % {"status": quote.get_status_display()},
            field="status",
            code="quote_status",
        )
    if (
        status == QuoteStatus.ACCEPTED
        and quote.valid_until
        and quote.valid_until < (timezone.localdate())
    ):
        raise ValidationError(_("The quote has expired."), field="valid_until", code="expired")
    old = quote.status
    quote.status = status
    now = timezone.now()
    if status == QuoteStatus.SENT:
        quote.sent_at = now
    else:
        quote.decided_at = now
    quote.version += 1
    quote.updated_at = now
    quote.save()
    audit.record(actor, AuditAction.UPDATE, quote, changes={"status": [old, status]})
    events.publish(f"quote.{status}", quote_id=quote.pk, actor_id=actor_id(actor))
    return quote


@transaction.atomic
def quote_send(*, actor: Any, quote: Quote) -> Quote:
    """Mark a draft quote as sent to the customer."""
    return _decide(actor, quote, QuoteStatus.SENT)


@transaction.atomic
def quote_reject(*, actor: Any, quote: Quote) -> Quote:
    return _decide(actor, quote, QuoteStatus.REJECTED)


@transaction.atomic
def quote_accept(
    *, actor: Any, quote: Quote, signed_on: Any = None, created_via: str = CreatedVia.UI
) -> Order:
    """Accept a quote: it becomes an order of the same amount for the deal's customer."""
    quote = _decide(actor, quote, QuoteStatus.ACCEPTED)
    deal = quote.deal
    order = Order(
        deal=deal,
        quote=quote,
        customer_id=deal.customer_id,
        currency=quote.currency,
        amount=quote.amount,
        signed_on=date({"signed_on": signed_on}, "signed_on") or timezone.localdate(),
        owner_id=deal.owner_id,
        department_id=deal.department_id,
        created_by=actor_or_none(actor),
        created_via=created_via,
    )
    _numbered(order, "SO")
    audit.record(
        actor,
        AuditAction.CREATE,
        order,
        changes={"quote": [None, quote.pk], "amount": [None, str(order.amount)]},
    )
    events.publish("order.created", order_id=order.pk, deal_id=deal.pk, actor_id=actor_id(actor))
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order: Order, version: int | None = None) -> Order:
    """Cancel an active order that nothing has been paid on.

    Raises ValidationError ``order_status`` for an order already paid in full or cancelled and
    ``has_payments`` once money has been received (it cannot be undone by a cancellation);
    Conflict when ``version`` is not the order's current one.
    """
    policy.require(actor, Action.EDIT, MODULE, order)
    order = locked(Order, order.pk)
    check_version(order, version)
    if order.status != OrderStatus.ACTIVE:
        raise ValidationError(
            _("The order is already “%(status)s”.") % {"status": order.get_status_display()},
            field="status",
            code="order_status",
        )
    if order.received > 0:
        raise ValidationError(
            _("Payments have been received on this order: it can no longer be cancelled."),
            field="status",
            code="has_payments",
        )
    order.status = OrderStatus.CANCELLED
    order.version += 1
    order.updated_at = timezone.now()
    order.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        order,
        changes={"status": [OrderStatus.ACTIVE, OrderStatus.CANCELLED]},
    )
    events.publish("order.cancelled", order_id=order.pk, actor_id=actor_id(actor))
    return order


# --- payment plans and payments -------------------------------------------------------------


@transaction.atomic
def order_set_payment_plan(
    *, actor: Any, order: Order, instalments: Sequence[Mapping[str, Any]]
) -> list[PaymentPlanItem]:
    """Replace an order's instalments (due date, amount, note); they must add up to its amount."""
    policy.require(actor, Action.EDIT, MODULE, order)
    order = locked(Order, order.pk)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("The order is cancelled."), field="status")
    if not instalments or len(instalments) > MAX_INSTALMENTS:
        raise ValidationError(
            _("Give between 1 and %(count)d instalments.") % {"count": MAX_INSTALMENTS},
            field="instalments",
        )
    rows = []
    for index, raw in enumerate(instalments):
        prefix = f"instalments[{index}]"
        due = date(raw, "due_on")
        if due is None:
            raise ValidationError(_("This field is required."), field=f"{prefix}.due_on")
        amount = money(raw.get("amount"), f"{prefix}.amount")
        if amount <= 0:
            raise ValidationError(
                _("The value cannot be negative or zero."), field=f"{prefix}.amount"
            )
        rows.append(
            PaymentPlanItem(
                order=order, due_on=due, amount=amount, note=text(raw, "note", limit=200)
            )
        )
    total = sum((row.amount for row in rows), Decimal("0"))
    if total != order.amount:
        raise ValidationError(
            _("The instalments add up to %(total)s, the order to %(amount)s.")
            % {"total": f"{total:,.2f}", "amount": f"{order.amount:,.2f}"},
            field="instalments",
            code="plan_total",
        )
    before = [(str(p.due_on), str(p.amount)) for p in order.plan.all()]
    PaymentPlanItem.objects.filter(order=order).delete()
    PaymentPlanItem.objects.bulk_create(rows)
    audit.record(
        actor,
        AuditAction.UPDATE,
        order,
        changes={"plan": [before, [(str(r.due_on), str(r.amount)) for r in rows]]},
    )
    return list(order.plan.all())


@transaction.atomic
def payment_record(
    *,
    actor: Any,
    order: Order,
    amount: Any,
    received_on: Any = None,
    method: str = "",
    reference: str = "",
) -> Payment:
    """Record money received against an order.

    Raises ValidationError ``exceeds_balance`` when the amount is more than what is still owed;
    nothing is stored then. The order is marked paid in full when its balance reaches zero.
    """
    policy.require(actor, Action.EDIT, MODULE, order)
    order = locked(Order, order.pk)
    if order.status == OrderStatus.CANCELLED:
        raise ValidationError(_("The order is cancelled."), field="order")
    value = money(amount, "amount")
    if value <= 0:
        raise ValidationError(_("The value cannot be negative or zero."), field="amount")
    balance = order.amount - order.received
    if value > balance:
        raise ValidationError(
            _("This is more than the balance still owed (%(balance)s).")
            % {"balance": f"{balance:,.2f}"},
            field="amount",
            code="exceeds_balance",
        )
    received_on = date({"received_on": received_on}, "received_on") or timezone.localdate()
    if received_on > timezone.localdate():
        raise ValidationError(_("A payment cannot be received in the future."), field="received_on")
    payment = Payment.objects.create(
        order=order,
        amount=value,
        received_on=received_on,
        method=text({"method": method}, "method", limit=32),
        reference=text({"reference": reference}, "reference", limit=100),
        recorded_by=actor_or_none(actor),
    )
    Order.objects.filter(pk=order.pk).update(
        received=F("received") + value, version=F("version") + 1, updated_at=timezone.now()
    )
    order.refresh_from_db()
    if order.received == order.amount:
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED)
        order.status = OrderStatus.COMPLETED
    audit.record(
        actor,
        AuditAction.UPDATE,
        order,
        changes={"received": [str(order.received - value), str(order.received)]},
    )
    events.publish(
        "payment.received",
        order_id=order.pk,
        payment_id=payment.pk,
        amount=str(value),
        actor_id=actor_id(actor),
    )
    return payment


def overdue_amount(order: Order, *, today: dt.date | None = None) -> Decimal:
    """What the plan says should have been paid by ``today`` and has not been."""
    today = today or timezone.localdate()
    due = order.plan.filter(due_on__lt=today).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return max(due - order.received, Decimal("0"))


@transaction.atomic
def payments_remind_overdue(*, today: dt.date | None = None) -> int:
    """Publish ``payment.overdue`` once for each instalment past due and not covered by the
    payments received (run by the system every morning). Returns how many were reminded."""
    today = today or timezone.localdate()
    reminded = 0
    items = (
        PaymentPlanItem.objects.filter(
            due_on__lt=today, reminded_at__isnull=True, order__status=OrderStatus.ACTIVE
        )
        .select_related("order")
        .order_by("order_id", "due_on", "id")
    )
    for item in items:
        due_so_far = PaymentPlanItem.objects.filter(
            order_id=item.order_id, due_on__lte=item.due_on
        ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
        if item.order.received >= due_so_far:
            continue
        PaymentPlanItem.objects.filter(pk=item.pk).update(reminded_at=timezone.now())
        events.publish(
            "payment.overdue",
            order_id=item.order_id,
            instalment_id=item.pk,
            owner_id=item.order.owner_id,
            due_on=item.due_on.isoformat(),
        )
        reminded += 1
    return reminded
