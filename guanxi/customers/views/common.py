"""What the customer's 360° page and its inline parts share: the view decorator, fragments for
htmx, the edit right and the counts in the tab headers.

A plain request gets a full page; an htmx request (``HX-Request``) gets the fragment it swaps in.
Reads go through ``selectors``, writes through ``services``; a record outside the user's scope is
a 404. Invalid input answers 422 and a stale version 409, each with the form to show again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import render
from django.urls import reverse

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.customers import selectors, services
from guanxi.customers.forms.timeline import ContactForm
from guanxi.customers.models import Contact, Customer

MODULE = "customers"
PAGE = "customers/pages/detail.html"
PART_PAGE = "customers/pages/detail_part.html"
PARTIALS = "customers/partials/"
TIMELINE_PAGE_SIZE = 30
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

View = Callable[..., HttpResponse]


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def detail_view(*methods: str) -> Callable[[View], View]:
    """Signed-in users only, the given HTTP methods only; NotFound becomes a 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if is_htmx(request):
                    back = request.headers.get("HX-Current-URL") or request.get_full_path()
                    login = redirect_to_login(back).url
                    return HttpResponse(status=401, headers={"HX-Redirect": login})
                return redirect_to_login(request.get_full_path())
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404 from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc.message)) from exc

        return wrapper

    return decorate


def detail_url(customer_id: int, section: str = "") -> str:
    url = reverse("customers:customer-detail", args=[customer_id])
    return f"{url}#{section}" if section else url


def part(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    customer: Customer,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The fragment for htmx; for a plain request the same fragment on a page of its own."""
    context = {"customer": customer, "can_edit": can_edit(request, customer), **context}
    if is_htmx(request):
        response = render(request, PARTIALS + template, context, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response
    return render(
        request,
        PART_PAGE,
        {**context, "partial": PARTIALS + template, "nav": "customers"},
        status=status,
    )


def can_edit(request: HttpRequest, customer: Customer) -> bool:
    """Whether the user may change the customer's contacts, timeline and files (a collaborator
    with read access may not)."""
    return policy.can(request.user, Action.EDIT, MODULE, customer)


def protected_fields(actor: Any) -> set[str]:
    """The contact fields the actor may not see plainly (left out of her forms)."""
    return {
        name
        for name in services.CONTACT_SENSITIVE
        if policy.field_rule(actor, MODULE, name) != policy.FieldRule.SHOW
    }


def contact_form(request: HttpRequest, contact: Contact | None = None) -> ContactForm:
    """The add form (no ``contact``) or the edit form, bound to the POST data if there is one."""
    protected = protected_fields(request.user)
    if request.method == "POST":
        auto_id = f"contact-{contact.pk}-%s" if contact else "contact-new-%s"
        return ContactForm(request.POST, auto_id=auto_id, protected=protected)
    if contact is not None:
        return ContactForm.for_contact(contact, protected=protected)
    return ContactForm(auto_id="contact-new-%s", protected=protected)


def counts(actor: Any, customer: Customer) -> dict[str, int]:
    return {
        "contacts": selectors.contact_list(actor=actor, customer=customer).count(),
        "interactions": selectors.interaction_list(actor=actor, customer=customer).count(),
        "attachments": selectors.attachment_list(actor=actor, customer=customer).count(),
    }
