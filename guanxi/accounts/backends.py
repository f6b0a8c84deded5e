"""Sign-in backends: lock-out after repeated failures (django-axes) in front of the user table."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses sign-in for an account or an address with too many recent failures.

    Every sign-in form passes the request; a call without one (a shell, a management command)
    has no address to count against and is left to the next backend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
