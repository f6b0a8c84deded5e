"""Every read of customer data, already narrowed to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from guanxi.accounts import policy
from guanxi.core.errors import NotFound
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    LookupValue,
    Tag,
)
from guanxi.customers.search import customers_search
from guanxi.customization.selectors import custom_filter, custom_sort_key

ORDERINGS = {
    "id",
    "-id",
    "name",
    "-name",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "last_contacted_at",
    "-last_contacted_at",
    "next_follow_up_on",
    "-next_follow_up_on",
}


def _day_start(value: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def customer_list(
    *,
    actor: Any,
    filters: Mapping[str, Any] | None = None,
    q: str = "",
    ordering: str = "-id",
    deleted: bool = False,
) -> QuerySet[Customer]:
    """Customers the actor may see, filtered, searched and ordered.

    ``filters`` keys: owner, tag, level, industry, source, province, city, lifecycle_stage, kind,
    created_from/created_to, contacted_from/contacted_to (dates), never_contacted (bool), custom
    (``{key: value or {"gte", "lte"}}`` on filterable custom fields). ``ordering`` may also be
    ``custom.<key>`` / ``-custom.<key>`` for a filterable custom field.
    """
    base = Customer.all_objects.filter(deleted_at__isnull=not deleted)
    qs = policy.visible(actor, base, "customers")
    f = filters or {}
    simple = {
        "owner": "owner",
        "level": "level",
        "industry": "industry",
        "source": "source",
        "lifecycle_stage": "lifecycle_stage",
        "kind": "kind",
        "province": "province",
        "city": "city",
    }
    for key, field in simple.items():
        value = f.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{field: value})
    if f.get("tag") not in (None, ""):
        qs = qs.filter(pk__in=Customer.tags.through.objects.filter(tag=f["tag"]).values("customer"))
    if f.get("created_from"):
        qs = qs.filter(created_at__gte=_day_start(f["created_from"]))
    if f.get("created_to"):
        qs = qs.filter(created_at__lt=_day_start(f["created_to"] + dt.timedelta(days=1)))
    if f.get("contacted_from"):
        qs = qs.filter(last_contacted_at__gte=_day_start(f["contacted_from"]))
    if f.get("contacted_to"):
        qs = qs.filter(last_contacted_at__lt=_day_start(f["contacted_to"] + dt.timedelta(days=1)))
    if f.get("never_contacted"):
        qs = qs.filter(last_contacted_at__isnull=True)
    if f.get("custom"):
        qs = custom_filter(qs, "customers.customer", f["custom"])
    if q:
        qs = customers_search(qs, q)
    custom_order = custom_sort_key("customers.customer", ordering)
    if custom_order is None and ordering not in ORDERINGS:
        ordering = "-id"
    tie = "-id" if ordering.startswith("-") else "id"
    order = [ordering] if ordering.lstrip("-") == "id" else [ordering, tie]
    if custom_order is not None:
        order = [custom_order, tie]
    return (
        qs.select_related("owner", "level", "industry", "source")
        .prefetch_related("tags")
        .order_by(*order)
    )


def customer_get(*, actor: Any, pk: Any, deleted: bool = False) -> Customer:
    """One customer the actor may see; NotFound otherwise (also for ids that do not exist)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    customer = (
        customer_list(actor=actor, deleted=deleted)
        .prefetch_related(
            Prefetch("collaborators", queryset=CustomerCollaborator.objects.select_related("user"))
        )
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


def contact_list(
    *, actor: Any, customer: Customer | None = None, q: str = "", deleted: bool = False
) -> QuerySet[Contact]:
    qs: QuerySet[Contact] = Contact.all_objects.filter(
        deleted_at__isnull=not deleted, customer__deleted_at__isnull=True
    )
    if customer is not None:
        qs = qs.filter(customer=customer)
    qs = policy.visible(actor, qs, "customers")
    if q:
        qs = qs.filter(customer__in=customers_search(Customer.objects.all(), q))
    return qs.select_related("customer").order_by("-is_primary", "id")


def contact_get(*, actor: Any, pk: Any, deleted: bool = False) -> Contact:
    try:
        return contact_list(actor=actor, deleted=deleted).get(pk=int(pk))
    except (Contact.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def interaction_list(
    *,
    actor: Any,
    customer: Customer | None = None,
    filters: Mapping[str, Any] | None = None,
    deleted: bool = False,
) -> QuerySet[Interaction]:
    """Timeline entries the actor may see, newest first."""
    qs: QuerySet[Interaction] = Interaction.all_objects.filter(
        deleted_at__isnull=not deleted, customer__deleted_at__isnull=True
    )
    if customer is not None:
        qs = qs.filter(customer=customer)
    f = filters or {}
    for key in ("kind", "author", "contact", "outcome"):
        if f.get(key) not in (None, ""):
            qs = qs.filter(**{key: f[key]})
    if f.get("occurred_from"):
        qs = qs.filter(occurred_at__gte=_day_start(f["occurred_from"]))
    if f.get("occurred_to"):
        qs = qs.filter(occurred_at__lt=_day_start(f["occurred_to"] + dt.timedelta(days=1)))
    qs = policy.visible(actor, qs, "customers")
    return (
        qs.select_related("customer", "contact", "author")
        .prefetch_related("attachments")
        .order_by("-occurred_at", "-id")
    )


def interaction_get(*, actor: Any, pk: Any, deleted: bool = False) -> Interaction:
    try:
        return interaction_list(actor=actor, deleted=deleted).get(pk=int(pk))
    except (Interaction.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def attachment_get(*, actor: Any, pk: Any) -> Attachment:
    try:
        qs = Attachment.objects.filter(customer__deleted_at__isnull=True)
        return policy.visible(actor, qs, "customers").get(pk=int(pk))
    except (Attachment.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def attachment_list(*, actor: Any, customer: Customer) -> QuerySet[Attachment]:
    """Files of a customer the actor may see, newest first; files of interactions in the recycle
    bin are left out."""
    qs = Attachment.objects.filter(customer=customer, customer__deleted_at__isnull=True).filter(
        Q(interaction__isnull=True) | Q(interaction__deleted_at__isnull=True)
    )
    return policy.visible(actor, qs, "customers").select_related("created_by").order_by("-id")


def tag_list(*, actor: Any) -> QuerySet[Tag]:
    """Tags are shared labels: every user who may view customers sees all of them."""
    if not policy.can(actor, "view", "customers"):
        return Tag.objects.none()
    return Tag.objects.order_by("group", "name")


def tag_get(*, actor: Any, pk: Any) -> Tag:
    try:
        return tag_list(actor=actor).get(pk=int(pk))
    except (Tag.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def lookup_list(*, actor: Any, model: type[LookupValue]) -> QuerySet[LookupValue]:
    """Industries, sources or levels: shared lists every user who may view customers sees."""
    if not policy.can(actor, "view", "customers"):
        return model._default_manager.none()
    return model._default_manager.order_by("position", "id")
