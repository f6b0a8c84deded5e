"""Placeholder: replaced by the real views."""

from django.http import Http404


def py(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_detail(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def contact_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def contact_row(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def contact_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def contact_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def interaction_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def interaction_row(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def interaction_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def interaction_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def attachment_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def attachment_download(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def attachment_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404
