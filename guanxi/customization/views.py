"""Settings pages of custom fields: list, add, change, archive (administrators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.accounts.views_admin import admin_view
from guanxi.core.errors import ApplicationError
from guanxi.customization import selectors, services
from guanxi.customization.forms import FieldDefinitionForm, options_text
from guanxi.customization.models import FieldDefinition, TargetModel


def _form_error(form: Any, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(
        request,
        f"customization/pages/{template}",
        {"nav": "settings", "tab": "custom_fields", **context},
    )


@admin_view
def field_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    definitions = list(selectors.field_definition_list(actor=request.user, archived=archived))
    groups = [
        (label, [d for d in definitions if d.model == value])
        for value, label in TargetModel.choices
    ]
    return _page(request, "field_list.html", {"groups": groups, "archived": archived})


@admin_view
@require_http_methods(["GET", "POST"])
def field_create(request: HttpRequest) -> HttpResponse:
    initial = {"model": request.GET.get("model") or TargetModel.CUSTOMER}
    form = FieldDefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.field_definition_create(actor=request.user, data=form.service_data())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Custom field added."))
            return redirect("customization:field-list")
    return _page(request, "field_form.html", {"form": form, "definition": None})


def _initial(definition: FieldDefinition) -> dict[str, Any]:
    default = definition.default
    if isinstance(default, list):
        default = ", ".join(default)
    return {
        **{name: getattr(definition, name) for name in services.DEFINITION_FIELDS},
        "options": options_text(definition.options),
        "default": "" if default is None else default,
    }


@admin_view
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = services.field_definition_get_for_update(actor=request.user, pk=pk)
    form = FieldDefinitionForm(request.POST or None, initial=_initial(definition), editing=True)
    lost: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.field_definition_update(
                actor=request.user,
                definition=definition,
                data=form.service_data(),
                accept_loss=form.cleaned_data.get("accept_loss", False),
            )
        except ApplicationError as exc:
            _form_error(form, exc)
            lost = exc.extra.get("lost", [])
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("customization:field-list")
    return _page(request, "field_form.html", {"form": form, "definition": definition, "lost": lost})


@admin_view
@require_POST
def field_archive(request: HttpRequest, pk: int) -> HttpResponse:
    definition = services.field_definition_get_for_update(actor=request.user, pk=pk)
    archived = request.POST.get("archived", "1") == "1"
    services.field_definition_archive(actor=request.user, definition=definition, archived=archived)
    if archived:
        messages.success(request, _("Custom field archived; its stored values are kept."))
    else:
        messages.success(request, _("Custom field restored."))
    return redirect("customization:field-list")
