"""``guanxi audit verify``: prove the audit log's hash chain intact, or name the first broken
entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core import audit


class Command(BaseCommand):
    help = "Audit log tools. verify: recompute the hash chain, exit 1 at a broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="Recompute the hash chain of the whole log.")
        verify.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            result = audit.verify(batch_size=max(1, options["batch_size"]))
            if not result.ok:
                raise CommandError(
                    f"audit log broken at entry #{result.broken_entry_id}: {result.reason} "
                    f"({result.checked} entries before it are intact)",
                    returncode=1,
                )
            self.stdout.write(f"audit log intact: {result.checked} entries verified")
