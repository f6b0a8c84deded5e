"""Application errors raised by services; ``core.api_errors`` maps them to the API format."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A rule of the domain was broken; the message is shown to the user as it is."""

    code = "invalid"
    status_code = 400

    def __init__(
        self,
        message: Any,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra or {}


class ValidationError(ApplicationError):
    """Input failed validation; ``field`` names the offending field."""

    code = "invalid"


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403


class NotFound(ApplicationError):
    """The record does not exist or is outside what the actor may see (both look the same)."""

    code = "not_found"
    status_code = 404

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        super().__init__(message or _("Not found."), **kwargs)


class Conflict(ApplicationError):
    """The record changed since the caller read it (optimistic locking)."""

    code = "conflict"
    status_code = 409

    def __init__(
        self, message: Any = None, *, instance: Any = None, current: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(
            message or _("Someone else changed this record after you opened it."), **kwargs
        )
        self.instance = instance  # the record as it is now, for the caller to show
        self.current = current  # its serialised form, filled in by the API layer
