"""The search indexes of the installed apps, for ``guanxi search_rebuild``.

An app declares its index in its ``search`` module (imported by :func:`discover`) with
:func:`register`: how many records there are, and their documents in batches of ascending ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

from guanxi.core.search.backends import SearchIndex
from guanxi.core.search.tokens import Document

Batches = Callable[[int], Iterator[list[tuple[int, Document]]]]


@dataclass(frozen=True)
class RegisteredIndex:
    name: str
    index: SearchIndex
    count: Callable[[], int]
    batches: Batches


_indexes: dict[str, RegisteredIndex] = {}


def register(name: str, index: SearchIndex, *, count: Callable[[], int], batches: Batches) -> None:
    _indexes[name] = RegisteredIndex(name, index, count, batches)


def discover() -> dict[str, RegisteredIndex]:
    """Every registered index, by name (importing each installed app's ``search`` module)."""
    autodiscover_modules("search")
    return dict(_indexes)
