"""The customer's 360° page: profile, contacts, the timeline (paged by a cursor) and files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import render

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.customers import selectors
from guanxi.customers.forms.timeline import AttachmentForm, InteractionForm
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.views.common import (
    EPOCH,
    MODULE,
    PAGE,
    PARTIALS,
    TIMELINE_PAGE_SIZE,
    can_edit,
    contact_form,
    detail_view,
    is_htmx,
)

# --- the 360° page ----------------------------------------------------------------------------


@dataclass
class TimelinePage:
    interactions: list[Interaction]
    next_cursor: str


def _cursor(interaction: Interaction) -> str:
    micros = (interaction.occurred_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{interaction.pk}"


def _parse_cursor(value: str) -> tuple[dt.datetime, int] | None:
    try:
        micros, pk = value.split(".", 1)
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def _timeline_page(actor: Any, customer: Customer, cursor: str = "") -> TimelinePage:
    """One page of the timeline, newest first, after ``cursor`` (keyset: time, then id)."""
    qs = selectors.interaction_list(actor=actor, customer=customer)
    position = _parse_cursor(cursor) if cursor else None
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))
    rows = list(qs[: TIMELINE_PAGE_SIZE + 1])
    more = len(rows) > TIMELINE_PAGE_SIZE
    rows = rows[:TIMELINE_PAGE_SIZE]
    return TimelinePage(rows, _cursor(rows[-1]) if more else "")


@detail_view("GET")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page: profile, contacts, timeline and files of one customer."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    if is_htmx(request) and "before" in request.GET:
        page = _timeline_page(actor, customer, request.GET["before"])
        return render(
            request,
            PARTIALS + "_interaction_page.html",
            {"customer": customer, "page": page, "can_edit": can_edit(request, customer)},
        )
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    attachments = list(selectors.attachment_list(actor=actor, customer=customer))
    page = _timeline_page(actor, customer)
    interaction_count = (
        len(page.interactions)
        if not page.next_cursor
        else selectors.interaction_list(actor=actor, customer=customer).count()
    )
    editable = can_edit(request, customer)
    context = {
        "customer": customer,
        "collaborators": [c.user for c in customer.collaborators.all()],
        "tags": list(customer.tags.all()),
        "contacts": contacts,
        "attachments": attachments,
        "page": page,
        "counts": {
            "contacts": len(contacts),
            "interactions": interaction_count,
            "attachments": len(attachments),
        },
        "can_edit": editable,
        "can_delete": policy.can(actor, Action.DELETE, MODULE, customer),
        # Modules above customers (sales) add their own tab, loaded from their own views.
        "show_deals": apps.is_installed("guanxi.sales") and policy.can(actor, Action.VIEW, "sales"),
        "contact_form": contact_form(request),
        "interaction_form": InteractionForm.for_new(contacts=contacts),
        "attachment_form": AttachmentForm(auto_id="attachment-new-%s"),
        "nav": "customers",
    }
    return render(request, PAGE, context)
