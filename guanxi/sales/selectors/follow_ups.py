"""Follow-up discipline: customers whose follow-up is due, and customers nobody has contacted.

A customer's next follow-up is the date on its latest interaction that carries one (the customers
service keeps it in ``Customer.next_follow_up_on``, with ``last_contacted_at`` the time of the
latest call, visit, meeting, e-mail or message, notes excluded). The follow-up is **open** until
the customer is contacted again after the interaction that set it; logging that contact marks it
done. A date typed on the customer itself (no interaction behind it) is done once the customer has
been contacted on or after that day.

Both lists start from the customers the actor may see (``policy.visible`` in the customers module):
a rep sees her own customers (and those she collaborates on), a manager her department's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ValidationError
from guanxi.customers.models import Customer, Interaction

CUSTOMERS = "customers"
MODULE = "sales"
TODAY, OVERDUE, UPCOMING = "today", "overdue", "upcoming"
TABS = (TODAY, OVERDUE, UPCOMING)
DEFAULT_IDLE_DAYS = 30
MAX_IDLE_DAYS = 3650


def _customers(actor: Any, filters: Mapping[str, Any] | None) -> QuerySet[Customer]:
    if not policy.can(actor, Action.VIEW, MODULE):
        return Customer.objects.none()
    qs = policy.visible(actor, Customer.objects.all(), CUSTOMERS)
    owner = (filters or {}).get("owner")
    if owner not in (None, ""):
        qs = qs.filter(owner=getattr(owner, "pk", owner))
    return qs


def _open(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    set_at = (
        Interaction.objects.filter(customer=OuterRef("pk"), next_follow_up_on__isnull=False)
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )
    return qs.annotate(follow_up_set_at=Subquery(set_at)).filter(
        Q(last_contacted_at__isnull=True)
        | Q(follow_up_set_at__isnull=False, last_contacted_at__lte=F("follow_up_set_at"))
        | Q(follow_up_set_at__isnull=True, last_contacted_at__date__lt=F("next_follow_up_on"))
    )


def follow_up_list(
    *,
    actor: Any,
    tab: str = TODAY,
    filters: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> QuerySet[Customer]:
    """Customers in the actor's scope whose open follow-up is due today, overdue or upcoming.

    Ordered by the follow-up date, then id (oldest overdue first). ``filters``: ``owner``.
    Raises ValidationError (field ``tab``) for an unknown tab.
    """
    if tab not in TABS:
        raise ValidationError(_("Choose today, overdue or upcoming."), field="tab")
    day = today or timezone.localdate()
    lookup = {TODAY: "next_follow_up_on", OVERDUE: "next_follow_up_on__lt"}.get(
        tab, "next_follow_up_on__gt"
    )
    qs = _customers(actor, filters).filter(**{lookup: day})
    return _open(qs).select_related("owner").order_by("next_follow_up_on", "id")


def follow_up_counts(
    *, actor: Any, filters: Mapping[str, Any] | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """How many open follow-ups the actor has per tab (one query)."""
    day = today or timezone.localdate()
    qs = _open(_customers(actor, filters).filter(next_follow_up_on__isnull=False))
    counts = qs.aggregate(
        today=Count("pk", filter=Q(next_follow_up_on=day)),
        overdue=Count("pk", filter=Q(next_follow_up_on__lt=day)),
        upcoming=Count("pk", filter=Q(next_follow_up_on__gt=day)),
    )
    return {tab: int(counts[tab] or 0) for tab in TABS}


def follow_up_due_count(*, actor: Any, today: dt.date | None = None) -> int:
    """How many follow-ups are due today or overdue in the actor's scope (the menu badge)."""
    day = today or timezone.localdate()
    return _open(_customers(actor, None).filter(next_follow_up_on__lte=day)).count()


def idle_days(value: Any, name: str = "days") -> int:
    """A number of days for "not contacted in N days": a whole number from 1 to 3,650."""
    if value in (None, ""):
        return DEFAULT_IDLE_DAYS
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("Enter a whole number of days between 1 and %(maximum)d.")
            % {"maximum": MAX_IDLE_DAYS},
            field=name,
        ) from exc
    if not 1 <= days <= MAX_IDLE_DAYS:
        raise ValidationError(
            _("Enter a whole number of days between 1 and %(maximum)d.")
            % {"maximum": MAX_IDLE_DAYS},
            field=name,
        )
    return days


def idle_customer_list(
    *,
    actor: Any,
    days: Any = DEFAULT_IDLE_DAYS,
    filters: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Customer]:
    """Customers in the actor's scope not contacted for ``days`` days (never-contacted ones count
    once they are that old), least recently contacted first.

    Raises ValidationError (field ``days``) unless ``days`` is a whole number from 1 to 3,650.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=idle_days(days))
    qs = _customers(actor, filters).filter(
        Q(last_contacted_at__lt=cutoff) | Q(last_contacted_at__isnull=True, created_at__lt=cutoff)
    )
    return qs.select_related("owner").order_by("last_contacted_at", "id")
