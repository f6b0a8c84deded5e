"""Placeholder: replaced by the real views."""

from django.http import Http404


def py(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_list(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_create(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_bulk(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def recycle_bin(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def recycle_bin_restore(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_edit(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404


def customer_delete(request, **kwargs):  # type: ignore[no-untyped-def]
    raise Http404
