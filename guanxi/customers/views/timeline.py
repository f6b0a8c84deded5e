"""The timeline on the 360° page: interactions (add, show, edit, delete inline) and their files."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import Conflict, ValidationError
from guanxi.customers import selectors, services
from guanxi.customers.forms.timeline import AttachmentForm, InteractionForm
from guanxi.customers.models import Interaction
from guanxi.customers.views.common import (
    counts,
    detail_url,
    detail_view,
    is_htmx,
    part,
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
    context = {"interaction": interaction, "counts": counts(actor, customer), **(extra or {})}
    return part(request, template, context, customer=customer)


@detail_view("GET", "POST")
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty add form. POST: add the entry (and its file); answers its row."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    contacts = list(selectors.contact_list(actor=actor, customer=customer))
    if request.method == "GET":
        form = InteractionForm.for_new(contacts=contacts)
        return part(request, "_interaction_form.html", {"form": form}, customer=customer)
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
            if not is_htmx(request):
                messages.success(request, _("Interaction added."))
                return HttpResponseRedirect(detail_url(customer.pk, "timeline"))
            return _interaction_saved(
                request,
                selectors.interaction_get(actor=actor, pk=interaction.pk),
                extra={
                    "form": InteractionForm.for_new(contacts=contacts),
                    "attachment": attachment,
                },
            )
    return part(
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
    return part(
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
        return part(
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
            if not is_htmx(request):
                messages.success(request, _("Interaction saved."))
                return HttpResponseRedirect(detail_url(saved.customer_id, "timeline"))
            return _interaction_saved(request, selectors.interaction_get(actor=actor, pk=saved.pk))
    return part(request, "_interaction_form.html", context, customer=customer, status=status)


@detail_view("POST")
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a timeline entry to the recycle bin (answers an undo line); ``undo=1`` restores it."""
    actor = request.user
    if request.POST.get("undo"):
        interaction = selectors.interaction_get(actor=actor, pk=pk, deleted=True)
        services.interaction_restore(actor=actor, interaction=interaction)
        if not is_htmx(request):
            messages.success(request, _("Interaction restored."))
            return HttpResponseRedirect(detail_url(interaction.customer_id, "timeline"))
        return _interaction_saved(request, selectors.interaction_get(actor=actor, pk=pk))
    interaction = selectors.interaction_get(actor=actor, pk=pk)
    services.interaction_delete(actor=actor, interaction=interaction)
    if not is_htmx(request):
        messages.success(request, _("Interaction moved to the recycle bin."))
        return HttpResponseRedirect(detail_url(interaction.customer_id, "timeline"))
    return _interaction_saved(request, interaction, template="_interaction_deleted.html")


# --- attachments ------------------------------------------------------------------------------


@detail_view("GET", "POST")
def attachment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the upload form. POST: store the file on the customer; answers its row."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    auto_id = "attachment-new-%s"
    if request.method == "GET":
        return part(
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
            if not is_htmx(request):
                messages.success(request, _("File uploaded."))
                return HttpResponseRedirect(detail_url(customer.pk, "attachments"))
            context = {
                "attachment": attachment,
                "form": AttachmentForm(auto_id=auto_id),
                "counts": counts(actor, customer),
            }
            return part(request, "_attachment_saved.html", context, customer=customer)
    return part(
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
    if not is_htmx(request):
        messages.success(request, _("File deleted."))
        return HttpResponseRedirect(detail_url(customer.pk, "attachments"))
    context = {"attachment_id": pk, "counts": counts(actor, customer)}
    return part(request, "_attachment_deleted.html", context, customer=customer)
