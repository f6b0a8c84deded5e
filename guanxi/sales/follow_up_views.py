"""Follow-up pages of the sales section: "My follow-ups" (today, overdue, upcoming) and the
customers not contacted in N days. Thin views: parse the query string, call a selector, render.

Pages are walked with a keyset cursor (``?after=``: the ordering values of the last row shown),
so page 100 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action, Scope
from guanxi.core.errors import ValidationError
from guanxi.core.pagination import keyset_filter, order_keys
from guanxi.sales import selectors
from guanxi.sales.forms import PeopleChoiceField, active_users, style
from guanxi.sales.selectors.follow_ups import DEFAULT_IDLE_DAYS, MAX_IDLE_DAYS, TABS, TODAY
from guanxi.sales.views import LIST_PAGE, MODULE, PAGES, _query, _require_view, sales_view

BADGE_SECONDS = 60
TAB_LABELS = {"today": _("Today"), "overdue": _("Overdue"), "upcoming": _("Upcoming")}


class FollowUpFilterForm(forms.Form):
    owner = PeopleChoiceField(
        label=_("Owner"),
        queryset=active_users(),
        required=False,
        widget=forms.Select(attrs={"data-gx-picker": "1"}),
    )
    days = forms.IntegerField(
        label=_("Days without contact"),
        required=False,
        min_value=1,
        max_value=MAX_IDLE_DAYS,
        error_messages={
            "invalid": _("Enter a whole number of days between 1 and 3650."),
            "min_value": _("Enter a whole number of days between 1 and 3650."),
            "max_value": _("Enter a whole number of days between 1 and 3650."),
        },
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.fields["owner"].queryset = active_users()
        style(self, "gx-filter")

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {
            k: v
            for k, v in getattr(self, "cleaned_data", {}).items()
            if k not in self.errors and v not in (None, "")
        }


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, keys: list[Any]) -> list[Any] | None:
    """The values of a cursor, or None when it is not one of ours (then: the first page)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        decoded = []
        for key, value in zip(keys, values, strict=True):
            if value is None:
                decoded.append(None)
            elif key.field.get_internal_type() == "DateTimeField":
                decoded.append(dt.datetime.fromisoformat(value))
            elif key.field.get_internal_type() == "DateField":
                decoded.append(dt.date.fromisoformat(value))
            else:
                decoded.append(int(value))
        return decoded
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _page(request: HttpRequest, qs: QuerySet) -> tuple[list[Any], str, str]:
    """One page of ``qs`` after the cursor, the query string of the next page and of the first."""
    keys = order_keys(qs)
    after = request.GET.get("after", "")
    values = _decode(after, keys) if after else None
    if values is not None:
        qs = qs.filter(keyset_filter(keys, values))
    rows = list(qs[: LIST_PAGE + 1])
    has_more = len(rows) > LIST_PAGE
    rows = rows[:LIST_PAGE]
    next_query = ""
    if has_more:
        last = rows[-1]
        next_query = _query(request, after=_encode([getattr(last, k.name) for k in keys]))
    return rows, next_query, _query(request, after="") if after else ""


def _may_pick_owner(actor: Any) -> bool:
    return policy.grant(actor, "customers").scope != Scope.OWN


@sales_view("GET")
def follow_up_list(request: HttpRequest) -> HttpResponse:
    """My follow-ups: customers whose next follow-up is due today, overdue, or upcoming."""
    _require_view(request.user)
    tab = request.GET.get("tab") or TODAY
    if tab not in TABS:
        tab = TODAY
    form = FollowUpFilterForm(request.GET)
    may_pick_owner = _may_pick_owner(request.user)
    filters = {"owner": form.values().get("owner")} if may_pick_owner else {}
    counts = selectors.follow_up_counts(actor=request.user, filters=filters)
    rows, next_query, first_query = _page(
        request, selectors.follow_up_list(actor=request.user, tab=tab, filters=filters)
    )
    owner_query = _query(request, tab="", after="")
    return render(
        request,
        PAGES + "follow_ups.html",
        {
            "nav": "sales-follow-ups",
            "tab": tab,
            "tabs": [
                (name, TAB_LABELS[name], counts[name], f"tab={name}&{owner_query}".rstrip("&"))
                for name in TABS
            ],
            "form": form,
            "may_pick_owner": may_pick_owner,
            "customers": rows,
            "next_query": next_query,
            "first_query": first_query,
            "can_log": policy.can(request.user, Action.EDIT, "customers"),
            "today": timezone.localdate(),
        },
    )


@sales_view("GET")
def idle_customer_list(request: HttpRequest) -> HttpResponse:
    """Customers not contacted in N days (N from the query string, default 30)."""
    _require_view(request.user)
    form = FollowUpFilterForm(request.GET)
    may_pick_owner = _may_pick_owner(request.user)
    values = form.values()
    filters = {"owner": values.get("owner")} if may_pick_owner else {}
    rows: list[Any] = []
    next_query = first_query = ""
    status = 200
    if form.errors.get("days"):
        status = 400
    else:
        try:
            qs = selectors.idle_customer_list(
                actor=request.user, days=values.get("days", DEFAULT_IDLE_DAYS), filters=filters
            )
        except ValidationError as exc:
            form.add_error(exc.field or "days", str(exc.message))
            status = 400
        else:
            rows, next_query, first_query = _page(request, qs)
    return render(
        request,
        PAGES + "idle_customers.html",
        {
            "nav": "sales-follow-ups",
            "form": form,
            "days": values.get("days", DEFAULT_IDLE_DAYS),
            "may_pick_owner": may_pick_owner,
            "customers": rows,
            "next_query": next_query,
            "first_query": first_query,
            "can_log": policy.can(request.user, Action.EDIT, "customers"),
            "today": timezone.localdate(),
        },
        status=status,
    )


@sales_view("GET")
def follow_up_badge(request: HttpRequest) -> HttpResponse:
    """The menu badge: follow-ups due today or overdue (loaded after the page, so no page pays
    for it; cached a minute per user). Empty without the view right in sales or with none due."""
    if not policy.can(request.user, Action.VIEW, MODULE):
        return HttpResponse("")
    key = f"sales:follow-ups-due:{request.user.pk}:{timezone.localdate().isoformat()}"
    count = cache.get(key)
    if count is None:
        count = selectors.follow_up_due_count(actor=request.user)
        cache.set(key, count, BADGE_SECONDS)
    if not count:
        return HttpResponse("")
    return HttpResponse(
        format_html(
            '<span class="badge bg-red text-red-fg ms-auto" data-testid="follow-ups-due" '
            'title="{}">{}</span>',
            _("Follow-ups due today or overdue"),
            count,
        )
    )
