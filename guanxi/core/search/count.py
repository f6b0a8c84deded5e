"""Counting without counting everything: "10,000+" instead of an exact figure past a cap.

An exact count over a very common term costs seconds at a million rows on either database; a
user needs to know there are many, not how many.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

COUNT_CAP = 10_000


@dataclass(frozen=True)
class CappedCount:
    """``value`` records, or more than ``value`` when ``is_capped``."""

    value: int
    is_capped: bool

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.is_capped else f"{self.value:,}"

    def __int__(self) -> int:
        return self.value


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> CappedCount:
    """How many rows ``queryset`` has, counting at most ``cap`` + 1 of them."""
    found = queryset.order_by()[: cap + 1].count()
    if found > cap:
        return CappedCount(cap, True)
    return CappedCount(found, False)
