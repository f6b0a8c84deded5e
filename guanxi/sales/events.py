"""What sales does when customers change: a customer's deals follow it into the recycle bin
and back out of it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from guanxi.core import audit
from guanxi.core.events import Event, subscribe
from guanxi.core.models import AuditAction
from guanxi.sales.models import Deal


def _actor(event: Event) -> object | None:
    if event.actor_id is None:
        return None
    return get_user_model()._base_manager.filter(pk=event.actor_id).first()


@subscribe("customer.deleted")
def deals_follow_customer_to_the_bin(event: Event) -> None:
    """Open and closed deals of a customer in the recycle bin leave the pipeline, marked with the
    customer's deletion time so that restoring the customer brings back just these."""
    when = event.payload["deleted_at"]
    with transaction.atomic():
        deals = list(
            Deal.all_objects.select_for_update().filter(
                customer_id=event.payload["customer_id"], deleted_at__isnull=True
            )
        )
        if not deals:
            return
        actor = _actor(event)
        for deal in deals:
            deal.deleted_at, deal.deleted_by = when, actor
            deal.version += 1
            deal.save(update_fields=["deleted_at", "deleted_by", "version"])
            audit.record(actor, AuditAction.DELETE, deal, changes={"with_customer": [None, True]})


@subscribe("customer.restored")
def deals_come_back_with_customer(event: Event) -> None:
    when = event.payload.get("deleted_at")
    if when is None:
        return
    with transaction.atomic():
        deals = list(
            Deal.all_objects.select_for_update().filter(
                customer_id=event.payload["customer_id"], deleted_at=when
            )
        )
        actor = _actor(event)
        for deal in deals:
            deal.deleted_at, deal.deleted_by = None, None
            deal.version += 1
            deal.save(update_fields=["deleted_at", "deleted_by", "version"])
            audit.record(actor, AuditAction.RESTORE, deal, changes={"with_customer": [None, True]})
