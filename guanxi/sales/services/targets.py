"""Sales targets (quotas) per period, for an owner, a department or the whole company."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit
from guanxi.core.errors import ValidationError
from guanxi.core.models import AuditAction
from guanxi.sales.models import SalesTarget
from guanxi.sales.services._common import MODULE, actor_or_none, date, money


@transaction.atomic
def target_set(
    *,
    actor: Any,
    period_start: dt.date,
    period_end: dt.date,
    amount: Any,
    owner: Any = None,
    department: Any = None,
) -> SalesTarget:
    """Set the target of an owner, a department (not both) or, with neither, the company.

    Setting it again for the same period replaces the amount. Needs the ``admin`` right in sales.
    """
    policy.require(actor, Action.ADMIN, MODULE)
    start = date({"period_start": period_start}, "period_start")
    end = date({"period_end": period_end}, "period_end")
    if start is None:
        raise ValidationError(_("This field is required."), field="period_start")
    if end is None:
        raise ValidationError(_("This field is required."), field="period_end")
    if end < start:
        raise ValidationError(_("The end date is before the start date."), field="period_end")
    if owner is not None and department is not None:
        raise ValidationError(
            _("A target is for an owner or for a department, not both."), field="department"
        )
    value = money(amount, "amount")
    target = SalesTarget.objects.filter(
        period_start=start, period_end=end, owner=owner, department=department
    ).first()
    old = None
    if target is None:
        target = SalesTarget(
            period_start=start,
            period_end=end,
            owner=owner,
            department=department,
            created_by=actor_or_none(actor),
        )
    else:
        old = str(target.amount)
        target.version += 1
        target.updated_at = timezone.now()
    target.amount = value
    target.save()
    audit.record(
        actor,
        AuditAction.CREATE if old is None else AuditAction.UPDATE,
        target,
        changes={"amount": [old, str(value)]},
    )
    return target


@transaction.atomic
def target_delete(*, actor: Any, target: SalesTarget) -> None:
    policy.require(actor, Action.ADMIN, MODULE)
    audit.record(actor, AuditAction.DELETE, target, changes={"amount": [str(target.amount), None]})
    target.delete()
