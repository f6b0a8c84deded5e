"""Signing in and out, and the user's own profile: language and API tokens (thin UI views)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import registry, selectors, services
from guanxi.accounts.models import Language, User
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.middleware import client_ip


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=Language.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class TokenForm(forms.Form):
    """A new API token: its name, whether it may only read, and the last day it works."""

    name = forms.CharField(
        label=gettext_lazy("Name"),
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control", "maxlength": 100, "autocomplete": "off"}
        ),
    )
    is_read_only = forms.BooleanField(
        label=gettext_lazy("Read only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={
                "class": "form-control",
                "data-gx-date": "date",
                "autocomplete": "off",
                "placeholder": "YYYY-MM-DD",
            },
        ),
    )

    SCOPE_CHOICES = (
        ("write", gettext_lazy("Read and write")),
        ("read", gettext_lazy("Read only")),
        ("none", gettext_lazy("No access")),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One choice per module; left at "read and write" everywhere, the token carries all of
        # the user's rights (and those of modules added later).
        for info in registry.modules():
            self.fields[f"scope_{info.name}"] = forms.ChoiceField(
                label=info.label,
                choices=self.SCOPE_CHOICES,
                initial="write",
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def scope_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("scope_")]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        levels = {
            name.removeprefix("scope_"): cleaned.get(name) or "write"
            for name in self.fields
            if name.startswith("scope_")
        }
        if all(level == "none" for level in levels.values()):
            raise forms.ValidationError(_("Choose at least one module the token may use."))
        if all(level == "write" for level in levels.values()):
            cleaned["scopes"] = {}
        else:
            cleaned["scopes"] = {m: level for m, level in levels.items() if level != "none"}
        return cleaned

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day, in the server's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _user(request: HttpRequest) -> User:
    """The signed-in user (the views that call this require sign-in)."""
    return cast(User, request.user)


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Django's sign-in form; every attempt, right or wrong, is written to the audit log."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    for name in ("username", "password"):
        form.fields[name].widget.attrs.update({"class": "form-control"})
    form.fields["username"].widget.attrs["autocomplete"] = "username"
    if request.method == "POST":
        ip = client_ip(request)
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            request.session["language"] = user.language
            services.login_record(user=user, ip=ip, succeeded=True)
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        services.login_record(
            user=None,
            ip=ip,
            succeeded=False,
            username=str(request.POST.get("username", ""))[:150],
        )
    return render(
        request,
        "accounts/pages/login.html",
        {"form": form, "next": next_url, "languages": Language.choices},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    language = request.session.get("language")
    logout(request)
    if language:
        request.session["language"] = language
    return redirect(settings.LOGOUT_REDIRECT_URL)


NEW_TOKEN_KEY = "gx_new_token"  # noqa: S105 - a session key, not a secret


def _profile_page(
    request: HttpRequest, *, token_form: TokenForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    # A new token's secret waits in the session for this one page, then it is gone for good.
    issued = request.session.pop(NEW_TOKEN_KEY, None)
    context: dict[str, Any] = {
        "nav": "profile",
        "profile_user": user,
        "language_form": LanguageForm(initial={"language": user.language}),
        "token_form": token_form or TokenForm(),
        "tokens": list(selectors.token_list(actor=user)),
        "issued": issued,
        "now": timezone.now(),
    }
    response = render(request, "accounts/pages/profile.html", context, status=status)
    if issued:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """Who I am, the language I read Guanxi in, and my API tokens."""
    return _profile_page(request)


@login_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages offered."))
        return redirect("accounts:profile")
    try:
        services.user_set_language(actor=_user(request), language=form.cleaned_data["language"])
    except ValidationError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:profile")
    request.session["language"] = form.cleaned_data["language"]
    return redirect(_safe_next(request, request.POST.get("next", "")) or "accounts:profile")


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token; the profile page that follows shows its secret once, never again."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form, status=200)
    try:
        issued = services.token_create(
            actor=_user(request),
            user=_user(request),
            name=form.cleaned_data["name"],
            is_read_only=form.cleaned_data["is_read_only"],
            expires_at=form.expires_at(),
            scopes=form.cleaned_data["scopes"],
        )
    except ValidationError as exc:
        field = {"expires_at": "expires_on"}.get(exc.field or "", exc.field)
        form.add_error(field if field in form.fields else None, str(exc.message))
        return _profile_page(request, token_form=form, status=200)
    request.session[NEW_TOKEN_KEY] = {"name": issued.token.name, "secret": issued.secret}
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Only her own tokens, here: an administrator revokes others' tokens in the settings pages.
    if not selectors.token_list(actor=request.user).filter(pk=pk).exists():
        raise Http404
    try:
        token = services.token_revoke(actor=request.user, token_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:profile")
