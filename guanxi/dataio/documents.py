"""Search documents of imported customers, built beside the import.

Tokenising a customer (CJK grams, pinyin from every position, keyed phone and e-mail parts) is
the largest single cost of an import. It depends only on the customer's values, not on its id,
so a batch's documents are built in a helper process while the import process checks duplicates
and writes the rows; the ids are put in afterwards. The result is exactly what
``customers_reindex`` would write: the same ``customer_document`` and ``SearchIndex.prepare``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


def facts_of(
    customer: Any, tags: Sequence[Any], contacts: Sequence[Any], definitions: Sequence[Any]
) -> Any:
    """What a new customer's search document is made of (``customers.search.CustomerFacts``);
    ``definitions``: the searchable custom fields (``search.searchable_definitions()``)."""
    from guanxi.customers import search

    return search.CustomerFacts(
        name=customer.name,
        kind=customer.kind,
        short_name=customer.short_name,
        province=customer.province,
        city=customer.city,
        website=customer.website,
        phone=customer.phone,
        email=customer.email,
        tags=[tag.name for tag in tags],
        custom=search.searchable_values(customer.custom, definitions),
        contacts=[
            search.ContactFacts(
                name=contact.name,
                title=contact.title,
                mobile=contact.mobile,
                phone=contact.phone,
                email=contact.email,
            )
            for contact in contacts
        ],
    )


def prepare(facts: Sequence[Any], vendor: str) -> Any:
    """Index rows for ``facts``, numbered 0..n-1 in place of the customers' ids."""
    from guanxi.customers import search

    return search.customer_index.prepare(
        ((position, search.customer_document(item)) for position, item in enumerate(facts)),
        vendor,
    )


def with_ids(prepared: Any, ids: Sequence[int | None]) -> Any:
    """The rows of :func:`prepare` for the customers that were created (``ids[position]``);
    positions whose id is None (a duplicate, a refused row) are dropped."""
    from guanxi.core.search.backends import PreparedRows

    texts = [(ids[position], text) for position, text in prepared.texts if ids[position]]
    keys = sorted(
        {(scope, key, ids[position]) for scope, key, position in prepared.keys if ids[position]}
    )
    return PreparedRows(texts, keys, sum(1 for pk in ids if pk))


def _start() -> None:
    import django

    django.setup()


class DocumentBuilder:
    """Builds documents in a helper process (or here, when there is a single core)."""

    def __init__(self, *, helper: bool) -> None:
        self._executor: ProcessPoolExecutor | None = None
        if helper:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
            )

    def submit(self, facts: Sequence[Any], vendor: str) -> Future:
        if self._executor is None:
            future: Future = Future()
            future.set_result(prepare(facts, vendor))
            return future
        return self._executor.submit(prepare, list(facts), vendor)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def helper_wanted(expected_rows: int | None) -> bool:
    """A helper process pays off for large files on a machine with more than one core."""
    setting = os.environ.get("GUANXI_IMPORT_HELPER", "auto").lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting in ("1", "true", "yes", "on"):
        return True
    return (os.cpu_count() or 1) > 1 and (expected_rows or 0) >= 20_000
