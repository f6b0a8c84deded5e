"""``guanxi restore FILE``: restore a backup made by ``guanxi backup``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.ops import backup


class Command(BaseCommand):
    help = (
        "Restore a backup: checksums are verified first, row counts compared afterwards. Stop "
        "the application while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace the data of a database that has some"
        )
        parser.add_argument(
            "--verify-only", action="store_true", help="only check the backup's checksums"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verify_only"]:
                manifest = backup.backup_verify(options["file"])
                rows = sum(manifest["database"]["tables"].values())
                self.stdout.write(f"backup intact: {rows} rows, {len(manifest['files'])} files")
                return
            result = backup.backup_restore(
                options["file"], force=options["force"], progress=self.stdout.write
            )
        except (backup.BackupError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored: {sum(result.tables.values())} rows, {result.files} files; counts match"
        )
