from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import ApplicationError
from guanxi.dataio import selectors, services
from guanxi.dataio.fields import fold_header, spec_for
from guanxi.dataio.management.commands._common import ProgressBar, acting_user, duration
from guanxi.dataio.models import ImportJob, ImportKind, ImportMapping, ImportStatus, OnDuplicate
from guanxi.dataio.services.imports import STALE_AFTER


class Command(BaseCommand):
    help = (
        "Import customers, contacts or interactions from a CSV, XLSX or vCard file: "
        "guanxi import customers FILE [--on-duplicate skip|update|create]. Running the same "
        "command again after an interruption resumes where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--user", help="the user who imports (default: the only superuser)")
        parser.add_argument(
            "--mapping",
            help="a saved mapping's name, a JSON file or 'Header=field,Header=field'",
        )
        parser.add_argument("--save-mapping", metavar="NAME", help="save the mapping used")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.SKIP)
        parser.add_argument("--sheet", default="", help="the sheet of an XLSX file")
        parser.add_argument("--encoding", default="", help="e.g. gbk (detected by default)")
        parser.add_argument("--owner", default="", help="owner of new customers (a username)")
        parser.add_argument("--person", action="store_true", help="rows are people, not companies")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--restart", action="store_true", help="do not resume, start anew")
        parser.add_argument(
            "--take-over", action="store_true", help="resume a run still marked running"
        )
        parser.add_argument("--preview", action="store_true", help="show the first rows and stop")
        parser.add_argument("--errors", default="", help="where to write the rejected rows")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = acting_user(options["user"])
        try:
            job = None if options["restart"] else self._unfinished(actor, options["kind"], path)
            if job is None:
                job = self._new_job(actor, path, options)
                if options["preview"]:
                    self._preview(actor, job)
                    return
                job = services.import_job_start(actor=actor, job=job, enqueue=False)
            else:
                self.stdout.write(
                    _("Resuming import #%(id)d after row %(row)s.")
                    % {"id": job.pk, "row": f"{job.checkpoint:,}"}
                )
                if job.status in (ImportStatus.FAILED, ImportStatus.CANCELLED):
                    services.import_job_resume(actor=actor, job=job, enqueue=False)
            self._run(actor, job, options)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None

    def _unfinished(self, actor: Any, kind: str, path: Path) -> ImportJob | None:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return (
            ImportJob.objects.filter(
                created_by=actor,
                kind=kind,
                file_sha256=digest.hexdigest(),
                status__in=[ImportStatus.FAILED, ImportStatus.CANCELLED, ImportStatus.RUNNING],
            )
            .exclude(file="")
            .order_by("-id")
            .first()
        )

    def _new_job(self, actor: Any, path: Path, options: dict[str, Any]) -> ImportJob:
        saved = None
        explicit: dict[str, str] = {}
        if options["mapping"]:
            saved, explicit = self._mapping(actor, options["kind"], options["mapping"])
        with open(path, "rb") as handle:
            job = services.import_job_create(
                actor=actor,
                kind=options["kind"],
                upload=handle,
                name=path.name,
                sheet=options["sheet"],
                encoding=options["encoding"],
                mapping=saved,
            )
        mapping = dict(job.mapping)
        if explicit:
            mapping = {}
            for index, header in enumerate(job.headers):
                key = explicit.get(fold_header(header))
                if key:
                    mapping[str(index)] = key
        extra: dict[str, Any] = {}
        if options["owner"]:
            extra["owner_id"] = acting_user(options["owner"]).pk
        if options["person"]:
            extra["default_kind"] = "person"
        job = services.import_job_configure(
            actor=actor,
            job=job,
            mapping=mapping,
            on_duplicate=options["on_duplicate"],
            options=extra,
            save_as=options["save_mapping"] or "",
        )
        self.stdout.write(_("Columns:"))
        for index, header in enumerate(job.headers):
            key = job.mapping.get(str(index))
            target = str(spec_for(job.kind, key).label) if key else _("(not imported)")
            self.stdout.write(f"  {header} -> {target}")
        return job

    def _mapping(self, actor: Any, kind: str, text: str) -> tuple[Any, dict[str, str]]:
        saved = ImportMapping.objects.filter(created_by=actor, kind=kind, name=text).first()
        if saved is not None:
            return saved, dict(saved.columns)
        candidate = Path(text)
        if candidate.suffix == ".json" and candidate.is_file():
            pairs = json.loads(candidate.read_text(encoding="utf-8"))
        else:
            pairs = {}
            for item in text.split(","):
                header, _sep, key = item.partition("=")
                if not key:
                    raise CommandError(
                        _("Write the mapping as Header=field,Header=field (or give a saved name).")
                    )
                pairs[header.strip()] = key.strip()
        return None, {fold_header(header): key for header, key in pairs.items()}

    def _preview(self, actor: Any, job: ImportJob) -> None:
        for row in selectors.import_preview(actor=actor, job=job):
            problem = f" {row.column}: {row.message}" if row.message else ""
            self.stdout.write(
                f"{row.number:>6} {row.outcome:<10}{problem}  {' | '.join(row.values)}"
            )

    def _run(self, actor: Any, job: ImportJob, options: dict[str, Any]) -> None:
        bar = ProgressBar(self.stderr)

        def progress(current: ImportJob) -> None:
            bar.update(
                fraction=current.progress,
                rows=current.checkpoint,
                rate=current.rows_per_second,
                eta=current.eta_seconds,
            )

        try:
            job = services.import_job_run(
                job_id=job.pk,
                take_over=options["take_over"],
                progress=progress,
                batch_size=options["batch_size"],
            )
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write(_("Interrupted: run the same command again to resume."))
            sys.exit(130)
        bar.close()
        if job.status == ImportStatus.RUNNING:
            raise CommandError(
                _(
                    "Import #%(id)d is being run by another process (it is resumed by anyone "
                    "after %(minutes)d minutes without a sign of life; --take-over to force it)."
                )
                % {"id": job.pk, "minutes": STALE_AFTER.seconds // 60}
            )
        self.stdout.write(
            _(
                "Import #%(id)d %(status)s in %(time)s: %(created)s created, %(updated)s updated, "
                "%(skipped)s skipped, %(invalid)s with errors."
            )
            % {
                "id": job.pk,
                "status": job.get_status_display(),
                "time": duration(job.run_seconds),
                "created": f"{job.created_count:,}",
                "updated": f"{job.updated_count:,}",
                "skipped": f"{job.skipped_count:,}",
                "invalid": f"{job.error_count:,}",
            }
        )
        if job.error_count or job.skipped_count:
            name, _type, chunks = selectors.import_error_file(actor=actor, job=job)
            target = Path(options["errors"] or Path(options["file"]).with_name(name))
            with open(target, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stdout.write(_("Rows not imported, with the reason: %(path)s") % {"path": target})
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.message)
