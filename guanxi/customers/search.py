"""Customer search: what a customer is found by, and the query side.

Interface used by services and selectors (kept stable):
- ``customers_reindex(ids)``: rebuild the search entries of these customers (inside the caller's
  transaction, after the write).
- ``customers_search(queryset, q)``: narrow ``queryset`` to the customers matching ``q``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from guanxi.core import crypto
from guanxi.core.normalize import NormalizeError, normalize_email, normalize_phone


def customers_reindex(customer_ids: Iterable[int]) -> None:
    """Rebuild the search entries of the given customers."""
    return None


def customers_search(queryset: QuerySet, q: str) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return queryset
    condition = Q(name__icontains=q)
    try:
        phone = normalize_phone(q)
        if phone:
            key = crypto.blind_index(phone, purpose="phone")
            condition |= Q(phone_bidx=key) | Q(contacts__mobile_bidx=key)
    except NormalizeError:
        pass
    try:
        email = normalize_email(q)
        if email:
            key = crypto.blind_index(email, purpose="email")
            condition |= Q(email_bidx=key) | Q(contacts__email_bidx=key)
    except NormalizeError:
        pass
    return queryset.filter(pk__in=queryset.model._base_manager.filter(condition).values("pk"))
