"""Template helpers of the import/export pages (and the Export link of the customer list)."""

from __future__ import annotations

from typing import Any

from django import template

from guanxi.accounts import policy

register = template.Library()


@register.filter
def can_export(user: Any) -> bool:
    """Whether ``user`` may export customers (the Export link is shown to those who may)."""
    return policy.can(user, "export", "customers")


@register.filter
def duration(seconds: Any) -> str:
    """12 s, 3:05, 1:02:03: the time an import still needs."""
    if seconds in (None, ""):
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
