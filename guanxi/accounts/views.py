"""Placeholder: replaced by the real views."""

from django.http import Http404


def login_view(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def logout_view(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def profile(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def language_set(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def token_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def token_revoke(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404
