"""``guanxi person export|purge``: a person's data requests (PIPL / GDPR)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.ops import person


class Command(BaseCommand):
    help = (
        "export: write everything stored about a customer or a contact to a JSON file. "
        "purge: erase it for good (an audit entry records that it happened, not what)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name in ("export", "purge"):
            command = sub.add_parser(name)
            which = command.add_mutually_exclusive_group(required=True)
            which.add_argument("--customer", type=int)
            which.add_argument("--contact", type=int)
            if name == "export":
                command.add_argument("--output", type=Path, help="file (default person-<id>.json)")
            else:
                command.add_argument(
                    "--yes", action="store_true", help="confirm: this cannot be undone"
                )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = {"customer_id": options["customer"], "contact_id": options["contact"]}
        kind = "customer" if options["customer"] is not None else "contact"
        pk = options["customer"] if kind == "customer" else options["contact"]
        try:
            if options["subcommand"] == "export":
                path = options["output"] or Path(f"person-{kind}-{pk}.json")
                document = person.person_export_to_file(path, **ids)
                self.stdout.write(
                    f"exported {1 + len(document['related'])} records about {kind} {pk} to {path}"
                )
            else:
                if not options["yes"]:
                    raise CommandError("add --yes to erase for good: this cannot be undone")
                deleted = person.person_purge(**ids)
                self.stdout.write(f"erased {kind} {pk}: {sum(deleted.values())} rows")
        except person.PersonError as exc:
            raise CommandError(str(exc)) from exc
