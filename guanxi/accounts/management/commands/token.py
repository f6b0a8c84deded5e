from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import services
from guanxi.accounts.models import ApiToken, User
from guanxi.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens: guanxi token create --user NAME [--name N]."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token and print its secret once")
        create.add_argument("--user", required=True)
        create.add_argument("--name", default="cli")
        create.add_argument("--read-only", action="store_true")
        create.add_argument("--expires-days", type=int, default=None)
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by id")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except User.DoesNotExist:
            self.stderr.write(_("No such user: %(name)s") % {"name": options.get("user")})
            sys.exit(1)
        except ApplicationError as exc:
            self.stderr.write(str(exc.message))
            sys.exit(1)

    def _create(self, options: dict[str, Any]) -> None:
        user = User.objects.get(username=options["user"])
        expires = None
        if options["expires_days"] is not None:
            expires = timezone.now() + dt.timedelta(days=options["expires_days"])
        issued = services.token_create(
            actor=None,
            user=user,
            name=options["name"],
            is_read_only=options["read_only"],
            expires_at=expires,
        )
        self.stdout.write(issued.secret)

    def _list(self, options: dict[str, Any]) -> None:
        user = User.objects.get(username=options["user"])
        for token in ApiToken.objects.filter(user=user):
            state = _("active") if token.is_active else _("inactive")
            self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}")

    def _revoke(self, options: dict[str, Any]) -> None:
        token = services.token_revoke(actor=None, token_id=options["id"])
        self.stdout.write(_("Revoked %(name)s") % {"name": token.name})
