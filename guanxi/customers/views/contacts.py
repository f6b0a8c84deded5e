"""A customer's contacts on the 360° page: add, show, edit and delete inline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.template.defaultfilters import date as date_filter
from django.utils.translation import gettext as _

from guanxi.core.errors import Conflict, ValidationError
from guanxi.core.normalize import format_phone
from guanxi.customers import selectors, services
from guanxi.customers.forms.timeline import ContactForm
from guanxi.customers.models import Contact
from guanxi.customers.views.common import (
    contact_form,
    counts,
    detail_url,
    detail_view,
    is_htmx,
    part,
    protected_fields,
)

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
        "counts": counts(actor, customer),
        **(extra or {}),
    }
    return part(request, template, context, customer=customer, status=status)


@detail_view("GET", "POST")
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty add form. POST: add the contact; answers its row and a fresh form."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    if request.method == "GET":
        return part(
            request, "_contact_form.html", {"form": contact_form(request)}, customer=customer
        )
    form = contact_form(request)
    if form.is_valid():
        try:
            contact = services.contact_create(
                actor=actor, customer=customer, data=form.service_data()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            if not is_htmx(request):
                messages.success(request, _("Contact added."))
                return HttpResponseRedirect(detail_url(customer.pk, "contacts"))
            return _contact_saved(
                request,
                contact,
                primary_changed=contact.is_primary,
                extra={
                    "form": ContactForm(auto_id="contact-new-%s", protected=protected_fields(actor))
                },
            )
    return part(
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
    return part(request, "_contact_row.html", {"contact": contact}, customer=contact.customer)


@detail_view("GET", "POST")
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the edit form in place of the row. POST: save; answers the row again."""
    actor = request.user
    contact = selectors.contact_get(actor=actor, pk=pk)
    form = contact_form(request, contact)
    if request.method == "GET":
        return part(
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
            if not is_htmx(request):
                messages.success(request, _("Contact saved."))
                return HttpResponseRedirect(detail_url(saved.customer_id, "contacts"))
            saved = selectors.contact_get(actor=actor, pk=saved.pk)
            return _contact_saved(request, saved, primary_changed=saved.is_primary != was_primary)
    return part(request, "_contact_form.html", context, customer=contact.customer, status=status)


@detail_view("POST")
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a contact to the recycle bin (answers an undo line); ``undo=1`` brings it back."""
    actor = request.user
    if request.POST.get("undo"):
        contact = selectors.contact_get(actor=actor, pk=pk, deleted=True)
        contact = services.contact_restore(actor=actor, contact=contact)
        if not is_htmx(request):
            messages.success(request, _("Contact restored."))
            return HttpResponseRedirect(detail_url(contact.customer_id, "contacts"))
        return _contact_saved(request, selectors.contact_get(actor=actor, pk=contact.pk))
    contact = selectors.contact_get(actor=actor, pk=pk)
    services.contact_delete(actor=actor, contact=contact)
    if not is_htmx(request):
        messages.success(request, _("Contact moved to the recycle bin."))
        return HttpResponseRedirect(detail_url(contact.customer_id, "contacts"))
    return _contact_saved(
        request, contact, template="_contact_deleted.html", primary_changed=contact.is_primary
    )
