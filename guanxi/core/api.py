"""Shared pieces of the REST API: the base view, version/ETag handling, id fields that resolve
through selectors, bounded dates, and the error responses declared in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.core.errors import Conflict, ValidationError
from guanxi.core.pagination import CursorPagination

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(9998, 12, 31)
MAX_CUSTOM_BYTES = 64 * 1024
_IF_MATCH = re.compile(r'^\s*(?:W/)?(?:"(\d{1,10})"|(\d{1,10}))\s*$')


# --- parsing -------------------------------------------------------------------------------------


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also turning absurdly deep nesting into a 400 instead of a crash."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON document is nested too deeply.")) from exc


# --- fields --------------------------------------------------------------------------------------


def _parse_id(field: serializers.Field, data: Any) -> int:
    if isinstance(data, bool) or not isinstance(data, int | str):
        field.fail("incorrect_type")
    try:
        pk = int(data)
    except ValueError:
        field.fail("incorrect_type")
    if not 1 <= pk <= MAX_ID:
        field.fail("does_not_exist", pk=pk)
    return pk


Selector = Callable[[Any], QuerySet]


@extend_schema_field(OpenApiTypes.INT)
class VisibleRelatedField(serializers.Field):
    """An id that must name a record the actor may see: resolved through ``selector(actor)``.

    An unknown id and an id outside the actor's scope give the same error, so nothing leaks.
    """

    default_error_messages = {
        "incorrect_type": _("Expected an id (a whole number)."),
        "does_not_exist": _("There is no record with id {pk}."),
    }

    def __init__(self, *, selector: Selector, **kwargs: Any) -> None:
        self.selector = selector
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        pk = _parse_id(self, data)
        obj = self.selector(self.context["actor"]).filter(pk=pk).first()
        if obj is None:
            self.fail("does_not_exist", pk=pk)
        return obj

    def to_representation(self, value: Any) -> Any:
        return value.pk if isinstance(value, Model) else value


class VisibleIdListField(serializers.ListField):
    """A list of ids resolved in one query through ``selector(actor)``; duplicates are dropped."""

    default_error_messages = {
        "does_not_exist": _("There is no record with id {pk}."),
    }

    def __init__(self, *, selector: Selector, **kwargs: Any) -> None:
        self.selector = selector
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Model]:
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = self.selector(self.context["actor"]).in_bulk(ids) if ids else {}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            self.fail("does_not_exist", pk=", ".join(missing))
        return [found[pk] for pk in ids]

    def to_representation(self, data: Any) -> list[Any]:
        return [item.pk if isinstance(item, Model) else item for item in data]


class BoundedDateField(serializers.DateField):
    """A date between 1900-01-01 and 9998-12-31 (so date arithmetic can never overflow)."""

    default_error_messages = {
        "out_of_range": _("Enter a date between 1900-01-01 and 9998-12-31."),
    }

    def to_internal_value(self, value: Any) -> dt.date:
        result = super().to_internal_value(value)
        if not MIN_DATE <= result <= MAX_DATE:
            self.fail("out_of_range")
        return result


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time between the years 1900 and 9998."""

    default_error_messages = {
        "out_of_range": _("Enter a time between the years 1900 and 9998."),
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            # DRF's check for times that do not exist in the time zone steps past year 1 or 9999
            self.fail("out_of_range")
        if not MIN_DATE.year <= result.year <= MAX_DATE.year:
            self.fail("out_of_range")
        return result


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@extend_schema_field({"type": "object", "additionalProperties": True})
class CustomFieldsField(serializers.Field):
    """Custom field values: a JSON object (checked against the field definitions by services)."""

    default_error_messages = {
        "not_a_dict": _("Expected an object."),
        "invalid": _("Text may not contain NUL characters."),
        "too_large": _("Too much data in the custom fields."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict")
        if _has_nul(data):
            self.fail("invalid")
        if len(json.dumps(data, ensure_ascii=False)) > MAX_CUSTOM_BYTES:
            self.fail("too_large")
        return data

    def to_representation(self, value: Any) -> Any:
        return value or {}


class VersionField(serializers.IntegerField):
    """The version the client read, for optimistic locking."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_VERSION)
        kwargs.setdefault(
            "help_text",
            _("The version you read; if the record changed since, the answer is 409 Conflict."),
        )
        super().__init__(**kwargs)


# --- optimistic locking ---------------------------------------------------------------------


def requested_version(request: Request, body_version: int | None = None) -> int | None:
    """The version the client read: from the body's ``version`` or an ``If-Match`` header."""
    header = request.headers.get("If-Match")
    header_version = None
    if header is not None and header.strip() != "*":
        match = _IF_MATCH.match(header)
        if match is None:
            raise ValidationError(
                _('Send If-Match as the record\'s version in quotes, e.g. "3".'), field="If-Match"
            )
        header_version = int(match.group(1) or match.group(2))
    if body_version is not None and header_version is not None and body_version != header_version:
        raise ValidationError(_("The version in the body and in If-Match differ."), field="version")
    return body_version if body_version is not None else header_version


def etag(obj: Any) -> str:
    return f'"{obj.version}"'


@contextmanager
def conflict_current(render: Callable[[], Any]) -> Iterator[None]:
    """Fill a Conflict's ``current`` with the record as it is now, serialised for the client."""
    try:
        yield
    except Conflict as exc:
        if exc.current is None:
            exc.current = render()
        raise


# --- views ---------------------------------------------------------------------------------------


class ApiView(APIView):
    """A thin API view: parse → authorise → call a service or selector → render."""

    parser_classes = [JSONParser]
    pagination_class = CursorPagination
    filter_backends: tuple[Any, ...] = ()

    def context(self) -> dict[str, Any]:
        return {"actor": self.request.user, "request": self.request}

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The validated query parameters (400 naming the parameter when one is wrong).

        A parameter given empty (``?kind=``) is validated like any value: it is refused unless
        the field allows blank text, so what the schema says holds for every request.
        """
        params = self.request.query_params
        fields = serializer_class(context=self.context()).fields
        data = {
            key: params.getlist(key)
            if isinstance(fields.get(key), serializers.ListField)
            else params.get(key)
            for key in params
        }
        serializer = serializer_class(data=data, context=self.context())
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}

    def body(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        """The validated request body (400 naming the field when one is wrong)."""
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginated(
        self, queryset: QuerySet, serializer_class: type[serializers.Serializer]
    ) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=self.context()).data
        return paginator.get_paginated_response(data)

    def record(
        self,
        obj: Any,
        serializer_class: type[serializers.Serializer],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One record in the response body, with its version as the ETag."""
        response = Response(
            serializer_class(obj, context=self.context()).data, status=status, headers=headers
        )
        if hasattr(obj, "version"):
            response["ETag"] = etag(obj)
        return response


# --- schema --------------------------------------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The offending field, if any.")
    code = serializers.CharField(help_text="A machine-readable code, e.g. `invalid`, `required`.")
    message = serializers.CharField(help_text="A message for people, in their language.")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="A message for people, in their language.")
    field = serializers.CharField(allow_null=True, help_text="The offending field, if any.")
    errors = ErrorItemSerializer(many=True, help_text="Every problem found.")  # type: ignore[assignment]


ERROR_DESCRIPTIONS = {
    400: "The input is not valid: `field` names the offending field (or query parameter).",
    401: "Not authenticated: send `Authorization: Bearer <token>` or sign in.",
    403: "Not allowed: the role (or a read-only token) does not grant this action.",
    404: "No such record, or it is outside what you may see.",
    409: "The record changed since you read it; `current` holds it as it is now.",
    415: "Send the body in a supported media type.",
    429: "Too many requests: wait the seconds given in `Retry-After`.",
}


@functools.cache
def conflict_serializer(current: type[serializers.Serializer]) -> Any:
    """The 409 body: the error plus ``current``, the record as it is now."""
    name = current.__name__.removesuffix("Serializer").removesuffix("Output")
    return inline_serializer(
        name=f"{name}Conflict",
        fields={
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "field": serializers.CharField(allow_null=True),
            "errors": ErrorItemSerializer(many=True),
            "current": current(),
        },
    )


def error_responses(
    *codes: int, current: type[serializers.Serializer] | None = None
) -> dict[int, OpenApiResponse]:
    """The error responses of an operation, in the one error format (409 carries ``current``)."""
    responses: dict[int, OpenApiResponse] = {}
    if 401 in codes and 429 not in codes:
        # whoever may call it is subject to the rate limits
        codes = (*codes, 429)
    for code in codes:
        body: Any = ErrorSerializer
        if code == 409 and current is not None:
            body = conflict_serializer(current)
        responses[code] = OpenApiResponse(body, description=ERROR_DESCRIPTIONS[code])
    return responses


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The version you read, as an entity tag ("3"); instead of `version` in the body.',
)


def id_parameter(name: str = "id", description: str = "The record's id.") -> OpenApiParameter:
    return OpenApiParameter(name, int, OpenApiParameter.PATH, description=description)
