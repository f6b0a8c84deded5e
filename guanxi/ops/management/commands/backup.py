"""``guanxi backup``: a consistent online backup (database, attachments, manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.ops import backup


class Command(BaseCommand):
    help = (
        "Back up the database and the attachments into one .tar.gz with a manifest of row counts "
        "and checksums, while Guanxi keeps running. The encryption keys are not included: keep "
        "the key file safe separately."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, help="folder for the backup (default var/backups)"
        )
        parser.add_argument(
            "--keep", type=int, help="afterwards keep only the newest N backups in that folder"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup.backup_create(
                output_dir=options["output"], keep=options["keep"], progress=self.stdout.write
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for path in result.removed:
            self.stdout.write(f"removed old backup {path.name}")
        self.stdout.write(f"backup written to {result.path}")
