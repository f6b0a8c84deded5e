"""API rate limits: per token (or signed-in user) and per client address, answered with 429.

Rates come from settings (``GUANXI_API_RATE_TOKEN``, ``GUANXI_API_RATE_ADDRESS``, e.g.
``600/minute``) and are read at each request, so they can change without a restart of the class.
Counters live in the cache: the local memory of one process by default, Redis when
``GUANXI_CACHE_URL`` is set (shared by every web process).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from guanxi.core.middleware import client_ip


class _SettingsRateThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting, None) or None

    def __init__(self) -> None:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)


class TokenRateThrottle(_SettingsRateThrottle):
    """Requests per API token (or per signed-in user for browser sessions)."""

    scope = "token"
    setting = "GUANXI_API_RATE_TOKEN"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = getattr(request.user, "api_token", None)
        if token is not None:
            ident = f"t{token.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_SettingsRateThrottle):
    """Requests per client address, signed in or not."""

    scope = "address"
    setting = "GUANXI_API_RATE_ADDRESS"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        address = client_ip(request._request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": address}
