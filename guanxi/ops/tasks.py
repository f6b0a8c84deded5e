"""Periodic work of operations: the nightly backup (when ``GUANXI_BACKUP_KEEP`` is set)."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.ops import backup

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour=str(settings.GUANXI_BACKUP_HOUR), minute="17"))
def backup_create_task() -> None:
    """Back up every night and keep the newest ``GUANXI_BACKUP_KEEP`` backups (0: no backups)."""
    keep = settings.GUANXI_BACKUP_KEEP
    if keep < 1:
        return
    result = backup.backup_create(keep=keep)
    logger.info("backup written to %s (%d old ones removed)", result.path, len(result.removed))
