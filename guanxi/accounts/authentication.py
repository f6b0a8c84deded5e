"""``Authorization: Bearer <token>`` for the REST API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from guanxi.accounts import services
from guanxi.accounts.throttling import AddressRateThrottle
from guanxi.core.middleware import client_ip


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        token = services.token_authenticate(secret=parts[1])
        if token is None:
            # Refused tokens count against the address's budget too: guessing tokens from one
            # address ends in 429 like any other flood.
            throttle = AddressRateThrottle()
            if not throttle.allow_request(request, None):
                raise exceptions.Throttled(throttle.wait())
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        user = token.user
        user.request_ip = client_ip(request._request)
        user.api_token = token
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
