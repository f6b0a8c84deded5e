"""The user's own security page: two-factor authentication (enrol, verify, remove) and sessions."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.accounts import policy, services
from guanxi.core.errors import ApplicationError


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, f"accounts/settings/{template}", {"tab": "security", **context})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "security.html",
        {
            "has_2fa": user_has_device(request.user),
            "requires_2fa": policy.requires_2fa(request.user),
            "code_form": CodeForm(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, then type the code it shows."""
    form = CodeForm(request.POST or None)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            device = services.totp_device_confirm(
                actor=request.user, device_id=device.pk, token=form.cleaned_data["token"]
            )
        except ApplicationError as exc:
            form.add_error("token", str(exc.message))
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(_next(request))
    if device is None:
        device = services.totp_device_start(actor=request.user)
    secret = base64.b32encode(device.bin_key).decode()
    return _page(
        request,
        "two_factor_setup.html",
        {
            "form": form,
            # The SVG is drawn here from the device's key: no user input reaches it.
            "qr_svg": mark_safe(_qr_svg(device.config_url)),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next(request),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Confirm this sign-in with a code (roles that require 2FA)."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(actor=request.user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("This code is not right. Try the current one."))
    if not user_has_device(request.user):
        return redirect("settings:2fa-setup")
    return _page(request, "two_factor_verify.html", {"form": form, "next": _next(request)})


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if (
        not form.is_valid()
        or services.totp_verify(actor=request.user, token=form.cleaned_data["token"]) is None
    ):
        messages.error(request, _("This code is not right. Try the current one."))
        return redirect("settings:security")
    services.totp_disable(actor=request.user, user=request.user)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("settings:security")


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    services.sessions_end_others(actor=request.user)
    update_session_auth_hash(request, request.user)
    messages.success(request, _("You are signed out on every other device."))
    return redirect("settings:security")
