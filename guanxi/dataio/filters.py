"""The customer list's filters as query parameters: the same parameters as the list page, read
by the list page's own filter form, so that "Export" exports exactly the list on the screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict


def list_filters(actor: Any, params: Mapping[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(filters for ``customer_list``, search text, ordering) from the list's query parameters."""
    from guanxi.customers.forms.customer import CustomerFilterForm, ListChoices

    data = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list | tuple):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = str(value)
    form = CustomerFilterForm(data, choices=ListChoices.load(actor=actor))
    ordering = form.ordering()
    return form.selector_filters(), form.search_text(), ordering


def list_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters worth keeping for a background export (no paging, no format)."""
    skipped = {"after", "before", "size", "format", "page", "csrfmiddlewaretoken"}
    return {k: str(v) for k, v in params.items() if k not in skipped and v not in (None, "")}
