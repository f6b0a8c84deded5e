"""Background work of the customers module (run by the Huey consumer)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.customers import services


@db_periodic_task(crontab(hour="3", minute="17"))
def recycle_bin_purge_expired_task() -> int:
    """Every night: erase what has been in the recycle bin for more than 30 days."""
    return services.recycle_bin_purge_expired()
