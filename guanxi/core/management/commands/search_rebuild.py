from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.search.registry import RegisteredIndex, discover


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the records, in batches. Searches miss records that are "
        "not indexed yet while it runs: run it after an upgrade or a restore, not at peak time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="indexes to rebuild (default: all)")
        parser.add_argument("--batch-size", type=int, default=2000, help="records per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        indexes = discover()
        names = options["names"] or sorted(indexes)
        unknown = [name for name in names if name not in indexes]
        if unknown:
            raise CommandError(
                _("Unknown search index: %(names)s. Known: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(sorted(indexes))}
            )
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be a positive number."))
        for name in names:
            self._rebuild(indexes[name], options["batch_size"])

    def _rebuild(self, registered: RegisteredIndex, batch_size: int) -> None:
        total = registered.count()
        started = time.perf_counter()
        with transaction.atomic():
            registered.index.clear()
        done = 0
        for batch in registered.batches(batch_size):
            with transaction.atomic():
                done += registered.index.append(batch)
            rate = done / max(time.perf_counter() - started, 1e-6)
            self.stdout.write(
                "\r"
                + _("%(name)s: %(done)s of %(total)s indexed (%(rate)s a second)")
                % {
                    "name": registered.name,
                    "done": f"{done:,}",
                    "total": f"{total:,}",
                    "rate": f"{rate:,.0f}",
                },
                ending="",
            )
            self.stdout.flush()
        with transaction.atomic():
            registered.index.finish()
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                _("%(name)s: %(done)s records indexed in %(seconds)s s.")
                % {
                    "name": registered.name,
                    "done": f"{done:,}",
                    "seconds": f"{time.perf_counter() - started:.1f}",
                }
            )
        )
