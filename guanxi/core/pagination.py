"""Cursor pagination: stable at any size, no OFFSET (DESIGN.md §5).

The cursor holds the values of the ordering columns of the last row seen (keyset pagination), so a
page costs the same at row 20 and at row 1,000,000, and every row is returned exactly once while
the list is walked, whatever the ordering: duplicates are told apart by the primary key (always
appended as the last key), and NULLs sort where the database puts them natively (after every value
on PostgreSQL, before on SQLite) so that the indexes stay usable.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

MAX_CURSOR_LENGTH = 4096
_INT_LIMIT = 2**63


@dataclass(frozen=True)
class OrderKey:
    """One column of the ordering, with where its NULLs go."""

    name: str
    field: models.Field
    descending: bool
    nulls_first: bool

    @property
    def label(self) -> str:
        return f"-{self.name}" if self.descending else self.name

    def reversed(self) -> OrderKey:
        return replace(self, descending=not self.descending, nulls_first=not self.nulls_first)

    def expression(self) -> Any:
        if not self.field.null:
            return self.label
        nulls = {"nulls_first": True} if self.nulls_first else {"nulls_last": True}
        return F(self.name).desc(**nulls) if self.descending else F(self.name).asc(**nulls)

    def equal(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def after(self, value: Any) -> Q:
        """Rows that come strictly after ``value`` in this column's order."""
        if value is None:
            return Q(**{f"{self.name}__isnull": False}) if self.nulls_first else Q(pk__in=[])
        condition = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.field.null and not self.nulls_first:
            condition |= Q(**{f"{self.name}__isnull": True})
        return condition


def order_keys(queryset: QuerySet) -> list[OrderKey]:
    """The ordering of ``queryset`` as keys, ending with the primary key so that it is total."""
    meta = queryset.model._meta
    ordering = list(queryset.query.order_by) or list(meta.ordering) or ["-pk"]
    nulls_largest = connections[queryset.db].vendor in {"postgresql", "oracle"}
    keys: list[OrderKey] = []
    for item in ordering:
        if not isinstance(item, str) or item == "?" or "__" in item:
            raise TypeError(f"cursor pagination cannot order by {item!r}")
        descending = item.startswith("-")
        name = item.lstrip("-")
        field = meta.pk if name == "pk" else meta.get_field(name)
        if field.is_relation:
            name = field.attname
        # NULLs sort as the largest values on PostgreSQL, the smallest on SQLite.
        keys.append(OrderKey(name, field, descending, nulls_first=descending == nulls_largest))
        if field.primary_key:
            break
    if not keys or not keys[-1].field.primary_key:
        descending = keys[-1].descending if keys else True
        keys.append(OrderKey(meta.pk.attname, meta.pk, descending, nulls_first=False))
    return keys


def keyset_filter(keys: list[OrderKey], values: list[Any], *, inclusive: bool = False) -> Q:
    """Rows after the row whose key values are ``values`` (or at it, with ``inclusive``)."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal_so_far & key.after(value)
        equal_so_far &= key.equal(value)
    if inclusive:
        condition |= equal_so_far
    return condition


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


@dataclass(frozen=True)
class Cursor:
    values: list[Any]
    reverse: bool
    inclusive: bool


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
    invalid_cursor_message = _(  # type: ignore[assignment]  # a lazy string is what DRF shows
        "This cursor is not valid; start again from the first page."
    )
    invalid_page_size_message = _("Enter a whole number of at least 1.")

    def get_page_size(self, request: Request) -> int:
        """The requested page size, capped at ``max_page_size``: a huge one is not an error."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise drf_serializers.ValidationError(
                {self.page_size_query_param: [self.invalid_page_size_message]}
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page: default {self.page_size}, at most {self.max_page_size} "
                    "(larger values are capped)."
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = "A page's cursor, from a `next` or `previous` link."
        return parameters

    def paginate_queryset(  # type: ignore[override]  # only querysets are paginated here
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.keys = order_keys(queryset)
        cursor = self.decode_cursor(request)
        keys = [key.reversed() for key in self.keys] if cursor and cursor.reverse else self.keys
        queryset = queryset.order_by(*[key.expression() for key in keys])
        if cursor is not None:
            queryset = queryset.filter(
                keyset_filter(keys, cursor.values, inclusive=cursor.inclusive)
            )
        rows = list(queryset[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self._next: Cursor | None = None
        self._previous: Cursor | None = None
        if cursor is not None and cursor.reverse:
            rows.reverse()
            if rows:
                self._next = Cursor(self._values(rows[-1]), reverse=False, inclusive=False)
                if has_more:
                    self._previous = Cursor(self._values(rows[0]), reverse=True, inclusive=False)
            else:
                self._next = Cursor(cursor.values, reverse=False, inclusive=True)
        else:
            if rows:
                if has_more:
                    self._next = Cursor(self._values(rows[-1]), reverse=False, inclusive=False)
                if cursor is not None:
                    self._previous = Cursor(self._values(rows[0]), reverse=True, inclusive=False)
            elif cursor is not None:
                self._previous = Cursor(cursor.values, reverse=True, inclusive=True)
        self.page = rows
        return rows

    def _values(self, row: Any) -> list[Any]:
        return [_encode_value(getattr(row, key.name)) for key in self.keys]

    def _signature(self) -> list[str]:
        return [key.label for key in self.keys]

    def _invalid(self) -> drf_serializers.ValidationError:
        return drf_serializers.ValidationError(
            {self.cursor_query_param: [self.invalid_cursor_message]}
        )

    def decode_cursor(self, request: Request) -> Cursor | None:  # type: ignore[override]
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded in (None, ""):
            return None
        if len(encoded) > MAX_CURSOR_LENGTH:
            raise self._invalid()
        try:
            raw = base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4))
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeError, ValueError, binascii.Error) as exc:
            raise self._invalid() from exc
        if (
            not isinstance(payload, dict)
            or payload.get("k") != self._signature()
            or not isinstance(payload.get("v"), list)
            or len(payload["v"]) != len(self.keys)
        ):
            raise self._invalid()
        values = [
            self._parse(key, value) for key, value in zip(self.keys, payload["v"], strict=True)
        ]
        return Cursor(values, reverse=payload.get("r") is True, inclusive=payload.get("i") is True)

    def _parse(self, key: OrderKey, value: Any) -> Any:
        if value is None:
            if not key.field.null:
                raise self._invalid()
            return None
        if isinstance(value, bool | int):
            if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
                raise self._invalid()
        elif not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
            raise self._invalid()
        try:
            parsed = key.field.to_python(value)
        except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError) as exc:
            raise self._invalid() from exc
        if parsed is None:
            raise self._invalid()
        if isinstance(parsed, int) and not -_INT_LIMIT < parsed < _INT_LIMIT:
            raise self._invalid()
        if isinstance(parsed, dt.datetime) and not dt.MINYEAR < parsed.year < dt.MAXYEAR:
            raise self._invalid()
        return parsed

    def _link(self, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        payload: dict[str, Any] = {"k": self._signature(), "v": cursor.values}
        if cursor.reverse:
            payload["r"] = True
        if cursor.inclusive:
            payload["i"] = True
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
        return replace_query_param(self.base_url or "", self.cursor_query_param, encoded)

    def get_next_link(self) -> str | None:
        return self._link(self._next)

    def get_previous_link(self) -> str | None:
        return self._link(self._previous)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )
