from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from guanxi.ops.setup import setup


class Command(BaseCommand):
    help = "Migrate the database, seed reference lists and create the administrator (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = setup(verbosity=options["verbosity"])
        if result.admin_created:
            self.stdout.write(
                _("Administrator created: user admin, password %(password)s (kept in %(file)s)")
                % {"password": result.admin_password, "file": result.password_file}
            )
        else:
            self.stdout.write(_("Database is up to date."))
