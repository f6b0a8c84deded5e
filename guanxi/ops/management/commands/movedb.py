"""``guanxi movedb --from var/guanxi.sqlite3``: move from SQLite to PostgreSQL in one step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.ops import backup


class Command(BaseCommand):
    help = (
        "Copy everything from an SQLite database file into the database of DATABASE_URL "
        "(PostgreSQL): migrate it, copy every row, rebuild the search index, verify the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", type=Path, required=True)
        parser.add_argument(
            "--force", action="store_true", help="replace data already in the target"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup.database_move_from_sqlite(
                options["source"], force=options["force"], progress=self.stdout.write
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("done: point GUANXI at the new database and copy var/media as well")
