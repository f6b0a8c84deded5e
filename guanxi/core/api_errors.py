"""The one API error format: ``{"code", "message", "field", "errors": [...]}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from guanxi.core.errors import ApplicationError, Conflict


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    items: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            items.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and not isinstance(value, drf_exceptions.ErrorDetail):
                items.extend(_flatten(value, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                items.extend(_flatten(value, prefix))
    else:
        code = getattr(detail, "code", "invalid")
        items.append({"field": prefix or None, "code": code, "message": str(detail)})
    return items


def error_body(
    code: str, message: Any, field: str | None = None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "message": str(message),
        "field": field,
        "errors": errors
        if errors is not None
        else [{"field": field, "code": code, "message": str(message)}],
    }


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map every known error to the API error format; unknown ones stay 500 (and are bugs)."""
    if isinstance(exc, Conflict):
        body = error_body(exc.code, exc.message, exc.field)
        if exc.current is not None:
            body["current"] = exc.current
        return Response(body, status=exc.status_code)
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.field)
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = drf_exceptions.ValidationError(exc.message_dict)
        else:
            exc = drf_exceptions.ValidationError(exc.messages)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else {"field": None, "code": "invalid", "message": ""}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        response.data = error_body("invalid", message, first["field"], errors)
    elif isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        response.data = error_body(str(code), detail)
    return response
