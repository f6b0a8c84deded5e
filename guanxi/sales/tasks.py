"""Background work of the sales module (run by the Huey consumer)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.sales import services


@db_periodic_task(crontab(minute="23"))
def leads_return_stale_task() -> dict[str, int]:
    """Every hour: warn owners of leads about to return to their pool; return the stale ones."""
    result = services.leads_return_stale()
    return {"warned": result.warned, "returned": result.returned}


@db_periodic_task(crontab(hour="8", minute="7"))
def payments_remind_overdue_task() -> int:
    """Every morning: remind the owners of instalments that are past due and unpaid."""
    return services.payments_remind_overdue()


@db_task()
def leads_rescore_task() -> int:
    """Recompute every lead's score (after the scoring rules changed); idempotent."""
    return services.leads_rescore()


@db_periodic_task(crontab(hour="2", minute="17"))
def leads_rescore_nightly_task() -> int:
    """Every night: rescore all leads, since engagement counts only the last 30 days."""
    return services.leads_rescore()
