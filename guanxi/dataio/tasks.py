"""Background work of imports, exports, duplicate scans and data-quality reports (Huey)."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.dataio import services


@db_task()
def import_job_run_task(job_id: int) -> Any:
    """Run or resume an import (idempotent: a job another worker runs is left alone)."""
    return services.import_job_run(job_id=job_id).status


@db_task()
def import_job_undo_task(job_id: int, actor_id: int) -> Any:
    from django.contrib.auth import get_user_model

    from guanxi.dataio.models import ImportJob

    actor = get_user_model().objects.get(pk=actor_id)
    return services.import_job_undo(actor=actor, job=ImportJob.objects.get(pk=job_id))


@db_periodic_task(crontab(minute="*/5"))
def import_jobs_resume_stalled_task() -> int:
    """Every five minutes: queue again the imports whose worker died."""
    return services.import_jobs_resume_stalled()


@db_periodic_task(crontab(hour="4", minute="41"))
def import_files_purge_task() -> int:
    """Every night: delete uploaded files of imports finished a week ago."""
    from guanxi.dataio.services.imports import import_files_purge

    return import_files_purge()


@db_task()
def export_job_run_task(job_id: int) -> Any:
    from guanxi.dataio.filters import list_filters
    from guanxi.dataio.services.exports import export_job_run

    return export_job_run(job_id=job_id, parse=list_filters).status


@db_periodic_task(crontab(minute="23"))
def export_files_purge_task() -> int:
    """Every hour: delete exported files written more than a day ago."""
    from guanxi.dataio.services.exports import export_files_purge

    return export_files_purge()


@db_task()
def duplicate_scan_run_task(scan_id: int) -> Any:
    from guanxi.dataio.services.duplicates import duplicate_scan_run

    return duplicate_scan_run(scan_id=scan_id).status


@db_task()
def quality_report_run_task(report_id: int) -> Any:
    from guanxi.dataio.services.quality import quality_report_run

    return quality_report_run(report_id=report_id).status
