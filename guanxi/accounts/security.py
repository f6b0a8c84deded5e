"""Two-factor authentication is enforced here for every role that requires it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from guanxi.accounts import policy

OPEN_PREFIXES = ("/static/", "/healthz", "/accounts/logout/", "/settings/2fa/")


class TwoFactorMiddleware:
    """A signed-in user whose role requires 2FA must confirm a code before anything else.

    Without a confirmed authenticator she is sent to enrol; with one, to enter a code. API calls
    made with the browser session get 403 ``two_factor_required``; bearer tokens are not
    affected (a token is itself a second secret, created after a verified sign-in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and policy.requires_2fa(user)
            and not user.is_verified()
        ):
            return self.challenge(request)
        return self.get_response(request)

    def challenge(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "two_factor_required",
                    "message": _("Confirm your sign-in with a code from your authenticator app."),
                    "field": None,
                    "errors": [],
                },
                status=403,
            )
        from django_otp import user_has_device

        target = "settings:2fa-verify" if user_has_device(request.user) else "settings:2fa-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
