from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import ApplicationError
from guanxi.dataio.filters import list_filters
from guanxi.dataio.management.commands._common import acting_user
from guanxi.dataio.models import FileFormat, ImportKind
from guanxi.dataio.services.exports import records_export

FORMATS = {"csv": FileFormat.CSV, "xlsx": FileFormat.XLSX, "vcf": FileFormat.VCARD}


class Command(BaseCommand):
    help = (
        "Export customers (CSV, XLSX) or their contacts (CSV, XLSX, vCard) with the customer "
        "list's filters: guanxi export customers --format xlsx --filter city=北京 -o FILE"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[ImportKind.CUSTOMERS, ImportKind.CONTACTS])
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a filter of the customer list (owner, tag, level, industry, source, "
            "lifecycle_stage, kind, province, city, created_from, created_to, never_contacted…)",
        )
        parser.add_argument("--search", default="", help="search text, as in the list")
        parser.add_argument("--user", help="the user who exports (default: the only superuser)")
        parser.add_argument("-o", "--output", required=True, help="the file to write ('-': stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        params: dict[str, str] = {}
        for item in options["filter"]:
            name, _sep, value = item.partition("=")
            if not name or not _sep:
                raise CommandError(_("Write each filter as NAME=VALUE."))
            params[name.strip()] = value.strip()
        if options["search"]:
            params["q"] = options["search"]
        filters, q, ordering = list_filters(actor, params)
        try:
            export = records_export(
                actor=actor,
                kind=options["kind"],
                file_format=FORMATS[options["format"]],
                filters=filters,
                q=q,
                ordering=ordering,
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        if options["output"] == "-":
            for chunk in export.chunks:
                sys.stdout.buffer.write(chunk)
            return
        target = Path(options["output"])
        with open(target, "wb") as handle:
            for chunk in export.chunks:
                handle.write(chunk)
        self.stderr.write(
            _("%(count)s records written to %(path)s")
            % {"count": f"{export.count:,}", "path": target}
        )
