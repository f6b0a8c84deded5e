"""What the import and export commands share: who acts, and a progress bar."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def acting_user(username: str | None) -> Any:
    """The user the command acts as: ``--user``, or the only superuser there is."""
    users = get_user_model().objects.filter(is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(_("No active user called %(name)s.") % {"name": username})
        return user
    admins = list(users.filter(is_superuser=True)[:2])
    if len(admins) != 1:
        raise CommandError(_("Say who imports or exports with --user USERNAME."))
    return admins[0]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class ProgressBar:
    """One line, redrawn in place: bar, percent, rows, rows/s, time left."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_line = 0.0

    def _write(self, text: str) -> None:
        if hasattr(self.stream, "style_func"):  # a command's OutputWrapper adds a line end
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()

    def update(self, *, fraction: float, rows: int, rate: float, eta: float | None) -> None:
        now = time.monotonic()
        if not self.interactive and now - self.last_line < 5 and fraction < 1:
            return
        self.last_line = now
        filled = int(self.width * max(0.0, min(fraction, 1.0)))
        bar = "#" * filled + "-" * (self.width - filled)
        line = (
            f"[{bar}] {fraction * 100:5.1f}%  {rows:,} "
            + _("rows")
            + f"  {rate:,.0f} "
            + _("rows/s")
            + "  "
            + _("ETA")
            + f" {duration(eta)}"
        )
        self._write(("\r" + line) if self.interactive else line + "\n")

    def close(self) -> None:
        if self.interactive:
            self._write("\n")
