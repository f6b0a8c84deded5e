"""The customer's 360° page and its inline parts: contacts, the timeline and attachments.

A plain request gets a full page; an htmx request (``HX-Request``) gets the fragment it swaps in.
Reads go through ``selectors``, writes through ``services``; a record outside the user's scope is
a 404. Invalid input answers 422 and a stale version 409, each with the form to show again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guanxi.core.normalize import format_phone
from guanxi.customers import selectors, services
from guanxi.customers.forms.timeline import AttachmentForm, ContactForm, InteractionForm
from guanxi.customers.models import Contact, Customer, Interaction

MODULE = "customers"
PAGE = "customers/pages/detail.html"
PART_PAGE = "customers/pages/detail_part.html"
PARTIALS = "customers/partials/"
TIMELINE_PAGE_SIZE = 30
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

View = Callable[..., HttpResponse]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def detail_view(*methods: str) -> Callable[[View], View]:
    """Signed-in users only, the given HTTP methods only; NotFound becomes a 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if _is_htmx(request):
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


def _detail_url(customer_id: int, section: str = "") -> str:
    url = reverse("customers:customer-detail", args=[customer_id])
    return f"{url}#{section}" if section else url


def _part(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    customer: Customer,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The fragment for htmx; for a plain request the same fragment on a page of its own."""
    context = {"customer": customer, "can_edit": _can_edit(request, customer), **context}
    if _is_htmx(request):
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


def _can_edit(request: HttpRequest, customer: Customer) -> bool:
    """Whether the user may change the customer's contacts, timeline and files (a collaborator
    with read access may not)."""
    return policy.can(request.user, Action.EDIT, MODULE, customer)


def _protected(actor: Any) -> set[str]:
    """The contact fields the actor may not see plainly (left out of her forms)."""
    return {
        name
        for name in services.CONTACT_SENSITIVE
        if policy.field_rule(actor, MODULE, name) != policy.FieldRule.SHOW
    }


def _contact_form(request: HttpRequest, contact: Contact | None = None) -> ContactForm:
    """The add form (no ``contact``) or the edit form, bound to the POST data if there is one."""
    protected = _protected(request.user)
    if request.method == "POST":
        auto_id = f"contact-{contact.pk}-%s" if contact else "contact-new-%s"
        return ContactForm(request.POST, auto_id=auto_id, protected=protected)
    if contact is not None:
        return ContactForm.for_contact(contact, protected=protected)
    return ContactForm(auto_id="contact-new-%s", protected=protected)


def _counts(actor: Any, customer: Customer) -> dict[str, int]:
    return {
        "contacts": selectors.contact_list(actor=actor, customer=customer).count(),
        "interactions": selectors.interaction_list(actor=actor, customer=customer).count(),
        "attachments": selectors.attachment_list(actor=actor, customer=customer).count(),
    }


# --- the 360° page ----------------------------------------------------------------------------


@dataclass
class TimelinePage:
    interactions: list[Interaction]
    next_cursor: str


def _cursor(interaction: Interaction) -> str:
    micros = (interaction.occurred_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{interaction.pk}"


def _parse_cursor(value: str) -> tuple[dt.datetime, int] | None:
    try:
        micros, pk = value.split(".", 1)
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def _timeline_page(actor: Any, customer: Customer, cursor: str = "") -> TimelinePage:
    """One page of the timeline, newest first, after ``cursor`` (keyset: time, then id)."""
    qs = selectors.interaction_list(actor=actor, customer=customer)
    position = _parse_cursor(cursor) if cursor else None
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))
    rows = list(qs[: TIMELINE_PAGE_SIZE + 1])
    more = len(rows) > TIMELINE_PAGE_SIZE
    rows = rows[:TIMELINE_PAGE_SIZE]
    return TimelinePage(rows, _cursor(rows[-1]) if more else "")


@detail_view("GET")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page: profile, contacts, timeline and files of one customer."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    if _is_htmx(request) and "before" in request.GET:
        page = _timeline_page(actor, customer, request.GET["before"])
        return render(
            request,
            PARTIALS + "_interaction_page.html",
            {"customer": customer, "page": page, "can_edit": _can_edit(request, customer)},
        )
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    attachments = list(selectors.attachment_list(actor=actor, customer=customer))
    page = _timeline_page(actor, customer)
    interaction_count = (
        len(page.interactions)
        if not page.next_cursor
        else selectors.interaction_list(actor=actor, customer=customer).count()
    )
    can_edit = _can_edit(request, customer)
    context = {
        "customer": customer,
        "collaborators": [c.user for c in customer.collaborators.all()],
        "tags": list(customer.tags.all()),
        "contacts": contacts,
        "attachments": attachments,
        "page": page,
        "counts": {
            "contacts": len(contacts),
            "interactions": interaction_count,
            "attachments": len(attachments),
        },
        "can_edit": can_edit,
        "can_delete": policy.can(actor, Action.DELETE, MODULE, customer),
        # Modules above customers (sales) add their own tab, loaded from their own views.
        "show_deals": apps.is_installed("guanxi.sales") and policy.can(actor, Action.VIEW, "sales"),
        "contact_form": _contact_form(request),
        "interaction_form": InteractionForm.for_new(contacts=contacts),
        "attachment_form": AttachmentForm(auto_id="attachment-new-%s"),
        "nav": "customers",
    }
    return render(request, PAGE, context)


# --- contacts ---------------------------------------------------------------------------------


def _contact_values(contact: Contact, form: ContactForm) -> list[tuple[str, str]]:
    values = {
        "name": contact.name,
        "title": contact.title,
        "mobile": format_phone(contact.mobile),
        "phone": format_phone(contact.phone),
        "email": contact.email,
        "wechat": contact.wechat,
        "birthday": date_filter(contact.birthday, "Y-m-d") if contact.birthday else "",
        "is_primary": _("Yes") if contact.is_primary else _("No"),
        "notes": contact.notes,
    }
    return [(str(form.fields[name].label), values[name]) for name in form.service_fields]


def _contact_saved(
    request: HttpRequest,
    contact: Contact,
    *,
    template: str = "_contact_saved.html",
    primary_changed: bool = False,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The contact's row, with the other rows of the customer when the primary one changed and
    the contact picker of the timeline's add form brought up to date."""
    actor = request.user
    customer = contact.customer
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    others = [other for other in contacts if other.pk != contact.pk] if primary_changed else []
    context = {
        "contact": contact,
        "others": others,
        "contact_choices": contacts,
        "counts": _counts(actor, customer),
        **(extra or {}),
    }
    return _part(request, template, context, customer=customer, status=status)


@detail_view("GET", "POST")
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty add form. POST: add the contact; answers its row and a fresh form."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    if request.method == "GET":
        return _part(
            request, "_contact_form.html", {"form": _contact_form(request)}, customer=customer
        )
    form = _contact_form(request)
    if form.is_valid():
        try:
            contact = services.contact_create(
                actor=actor, customer=customer, data=form.service_data()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Contact added."))
                return HttpResponseRedirect(_detail_url(customer.pk, "contacts"))
            return _contact_saved(
                request,
                contact,
                primary_changed=contact.is_primary,
                extra={"form": ContactForm(auto_id="contact-new-%s", protected=_protected(actor))},
            )
    return _part(
        request,
        "_contact_form.html",
        {"form": form},
        customer=customer,
        status=422,
        headers={"HX-Retarget": "#contact-new", "HX-Reswap": "outerHTML"},
    )


@detail_view("GET")
def contact_row(request: HttpRequest, pk: int) -> HttpResponse:
    """The read-only row of a contact (what "cancel" in the edit form goes back to)."""
    contact = selectors.contact_get(actor=request.user, pk=pk)
    return _part(request, "_contact_row.html", {"contact": contact}, customer=contact.customer)


@detail_view("GET", "POST")
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the edit form in place of the row. POST: save; answers the row again."""
    actor = request.user
    contact = selectors.contact_get(actor=actor, pk=pk)
    form = _contact_form(request, contact)
    if request.method == "GET":
        return _part(
            request,
            "_contact_form.html",
            {"form": form, "contact": contact},
            customer=contact.customer,
        )
    context: dict[str, Any] = {"form": form, "contact": contact}
    status = 422
    if form.is_valid():
        was_primary = contact.is_primary
        try:
            saved = services.contact_update(
                actor=actor,
                contact=contact,
                data=form.service_data(),
                version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            current = exc.instance
            form.set_version(current.version)
            context["conflict"] = _contact_values(current, form)
            status = 409
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Contact saved."))
                return HttpResponseRedirect(_detail_url(saved.customer_id, "contacts"))
            saved = selectors.contact_get(actor=actor, pk=saved.pk)
            return _contact_saved(request, saved, primary_changed=saved.is_primary != was_primary)
    return _part(request, "_contact_form.html", context, customer=contact.customer, status=status)


@detail_view("POST")
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a contact to the recycle bin (answers an undo line); ``undo=1`` brings it back."""
    actor = request.user
    if request.POST.get("undo"):
        contact = selectors.contact_get(actor=actor, pk=pk, deleted=True)
        contact = services.contact_restore(actor=actor, contact=contact)
        if not _is_htmx(request):
            messages.success(request, _("Contact restored."))
            return HttpResponseRedirect(_detail_url(contact.customer_id, "contacts"))
        return _contact_saved(request, selectors.contact_get(actor=actor, pk=contact.pk))
    contact = selectors.contact_get(actor=actor, pk=pk)
    services.contact_delete(actor=actor, contact=contact)
    if not _is_htmx(request):
        messages.success(request, _("Contact moved to the recycle bin."))
        return HttpResponseRedirect(_detail_url(contact.customer_id, "contacts"))
    return _contact_saved(
        request, contact, template="_contact_deleted.html", primary_changed=contact.is_primary
    )


# --- interactions -----------------------------------------------------------------------------


def _interaction_values(interaction: Interaction) -> list[tuple[str, str]]:
    form = InteractionForm()
    duration = interaction.duration_minutes
    values = {
        "kind": interaction.get_kind_display(),
        "occurred_at": date_filter(timezone.localtime(interaction.occurred_at), "Y-m-d H:i"),
        "contact": interaction.contact.name if interaction.contact else "",
        "subject": interaction.subject,
        "content": interaction.content,
        "outcome": interaction.get_outcome_display() if interaction.outcome else "",
        "duration_minutes": "" if duration is None else str(duration),
        "next_follow_up_on": (
            date_filter(interaction.next_follow_up_on, "Y-m-d")
            if interaction.next_follow_up_on
            else ""
        ),
    }
    return [(str(form.fields[name].label), values[name]) for name in InteractionForm.service_fields]


def _interaction_saved(
    request: HttpRequest,
    interaction: Interaction,
    *,
    template: str = "_interaction_saved.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The entry's row, with the customer's follow-up dates and the counts refreshed."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=interaction.customer_id)
    context = {"interaction": interaction, "counts": _counts(actor, customer), **(extra or {})}
    return _part(request, template, context, customer=customer)


@detail_view("GET", "POST")
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty add form. POST: add the entry (and its file); answers its row."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    if request.method == "GET":
        form = InteractionForm.for_new(contacts=contacts)
        return _part(request, "_interaction_form.html", {"form": form}, customer=customer)
    form = InteractionForm(
        request.POST, request.FILES, contacts=contacts, auto_id="interaction-new-%s"
    )
    if form.is_valid():
        try:
            with transaction.atomic():
                interaction = services.interaction_create(
                    actor=actor, customer=customer, data=form.service_data()
                )
                upload = form.cleaned_data.get("file")
                attachment = None
                if upload:
                    attachment = services.attachment_create(
                        actor=actor, customer=customer, upload=upload, interaction=interaction
                    )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Interaction added."))
                return HttpResponseRedirect(_detail_url(customer.pk, "timeline"))
            return _interaction_saved(
                request,
                selectors.interaction_get(actor=actor, pk=interaction.pk),
                extra={
                    "form": InteractionForm.for_new(contacts=contacts),
                    "attachment": attachment,
                },
            )
    return _part(
        request,
        "_interaction_form.html",
        {"form": form},
        customer=customer,
        status=422,
        headers={"HX-Retarget": "#interaction-new", "HX-Reswap": "outerHTML"},
    )


@detail_view("GET")
def interaction_row(request: HttpRequest, pk: int) -> HttpResponse:
    """The read-only row of a timeline entry (what "cancel" in the edit form goes back to)."""
    interaction = selectors.interaction_get(actor=request.user, pk=pk)
    return _part(
        request,
        "_interaction_row.html",
        {"interaction": interaction},
        customer=interaction.customer,
    )


@detail_view("GET", "POST")
def interaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the edit form in place of the entry. POST: save; answers the entry again."""
    actor = request.user
    interaction = selectors.interaction_get(actor=actor, pk=pk)
    customer = interaction.customer
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    if interaction.contact is not None and interaction.contact not in contacts:
        contacts.append(interaction.contact)
    if request.method == "GET":
        form = InteractionForm.for_interaction(interaction, contacts=contacts)
        return _part(
            request,
            "_interaction_form.html",
            {"form": form, "interaction": interaction},
            customer=customer,
        )
    form = InteractionForm(
        request.POST, contacts=contacts, auto_id=f"interaction-{interaction.pk}-%s"
    )
    context: dict[str, Any] = {"form": form, "interaction": interaction}
    status = 422
    if form.is_valid():
        try:
            saved = services.interaction_update(
                actor=actor,
                interaction=interaction,
                data=form.service_data(),
                version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            current = selectors.interaction_get(actor=actor, pk=exc.instance.pk)
            form.set_version(current.version)
            context["conflict"] = _interaction_values(current)
            status = 409
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Interaction saved."))
                return HttpResponseRedirect(_detail_url(saved.customer_id, "timeline"))
            return _interaction_saved(request, selectors.interaction_get(actor=actor, pk=saved.pk))
    return _part(request, "_interaction_form.html", context, customer=customer, status=status)


@detail_view("POST")
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a timeline entry to the recycle bin (answers an undo line); ``undo=1`` restores it."""
    actor = request.user
    if request.POST.get("undo"):
        interaction = selectors.interaction_get(actor=actor, pk=pk, deleted=True)
        services.interaction_restore(actor=actor, interaction=interaction)
        if not _is_htmx(request):
            messages.success(request, _("Interaction restored."))
            return HttpResponseRedirect(_detail_url(interaction.customer_id, "timeline"))
        return _interaction_saved(request, selectors.interaction_get(actor=actor, pk=pk))
    interaction = selectors.interaction_get(actor=actor, pk=pk)
    services.interaction_delete(actor=actor, interaction=interaction)
    if not _is_htmx(request):
        messages.success(request, _("Interaction moved to the recycle bin."))
        return HttpResponseRedirect(_detail_url(interaction.customer_id, "timeline"))
    return _interaction_saved(request, interaction, template="_interaction_deleted.html")


# --- attachments ------------------------------------------------------------------------------


@detail_view("GET", "POST")
def attachment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the upload form. POST: store the file on the customer; answers its row."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    auto_id = "attachment-new-%s"
    if request.method == "GET":
        return _part(
            request,
            "_attachment_form.html",
            {"form": AttachmentForm(auto_id=auto_id)},
            customer=customer,
        )
    form = AttachmentForm(request.POST, request.FILES, auto_id=auto_id)
    if form.is_valid():
        try:
            attachment = services.attachment_create(
                actor=actor, customer=customer, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not _is_htmx(request):
                messages.success(request, _("File uploaded."))
                return HttpResponseRedirect(_detail_url(customer.pk, "attachments"))
            context = {
                "attachment": attachment,
                "form": AttachmentForm(auto_id=auto_id),
                "counts": _counts(actor, customer),
            }
            return _part(request, "_attachment_saved.html", context, customer=customer)
    return _part(
        request,
        "_attachment_form.html",
        {"form": form},
        customer=customer,
        status=422,
        headers={"HX-Retarget": "#attachment-new", "HX-Reswap": "outerHTML"},
    )


@detail_view("GET")
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, as a download (never shown inline), for users who may see its customer."""
    attachment = selectors.attachment_get(actor=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@detail_view("POST")
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a file for good (after a confirmation in the page)."""
    actor = request.user
    attachment = selectors.attachment_get(actor=actor, pk=pk)
    customer = attachment.customer
    services.attachment_delete(actor=actor, attachment=attachment)
    if not _is_htmx(request):
        messages.success(request, _("File deleted."))
        return HttpResponseRedirect(_detail_url(customer.pk, "attachments"))
    context = {"attachment_id": pk, "counts": _counts(actor, customer)}
    return _part(request, "_attachment_deleted.html", context, customer=customer)
