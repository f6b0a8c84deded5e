"""Custom fields in the web UI: form fields of a record form, filters and columns of a list.

Form fields parse leniently (what was typed is handed on as text): the record's service checks
every value against its definition, and its error, which names ``custom.<key>``, is shown next to
the form field ``cf_<key>``. Filters are checked here, so that a filter that does not parse is
dropped and marked like the built-in ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ValidationError
from guanxi.customization import values as custom_values
from guanxi.customization.models import FieldDefinition, FieldType, LookupTarget
from guanxi.customization.selectors import CONTAINS, RANGE_TYPES, TEXT_TYPES
from guanxi.customization.templatetags.custom_fields import display_value

PREFIX = "cf_"
LOOKUP_CHOICES_LIMIT = 500
EMPTY = [("", "—")]
DATE_PLACEHOLDER = "YYYY-MM-DD"
DATETIME_PLACEHOLDER = "YYYY-MM-DD HH:MM"


def field_name(key: str) -> str:
    """The name of a custom field's form field (and of its list filter)."""
    return f"{PREFIX}{key}"


def key_of(name: str) -> str | None:
    """The custom key a form field (``cf_<key>``) or a service error (``custom.<key>``) names."""
    if name.startswith(PREFIX):
        return name.removeprefix(PREFIX).partition("__")[0]
    if name.startswith("custom."):
        return name.removeprefix("custom.")
    return None


class AnyChoiceField(forms.ChoiceField):
    """A select whose value the service checks (so that its message names the field)."""

    def valid_value(self, value: Any) -> bool:
        return True


class AnyMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


def _text_input(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


def _date_input(kind: str) -> forms.TextInput:
    placeholder = DATETIME_PLACEHOLDER if kind == "datetime" else DATE_PLACEHOLDER
    return _text_input(**{"data-gx-date": kind, "placeholder": placeholder})


def _option_choices(definition: FieldDefinition) -> list[tuple[str, str]]:
    return [
        (str(o.get("value")), str(o.get("label") or o.get("value"))) for o in definition.options
    ]


def lookup_choices(
    definition: FieldDefinition, *, actor: Any, current: Any = None
) -> list[tuple[str, str]]:
    """The records a lookup field offers (at most ``LOOKUP_CHOICES_LIMIT``, those ``actor`` may
    see), and the current one; a current record she may not see is shown by its id only."""
    queryset = custom_values.lookup_queryset(definition, actor).select_related(None)
    queryset = queryset.prefetch_related(None)
    if definition.lookup_target == LookupTarget.USER:
        rows = [(str(u.pk), str(u)) for u in queryset.order_by("username")[:LOOKUP_CHOICES_LIMIT]]
    else:
        rows = [
            (str(pk), name)
            for pk, name in queryset.order_by("name", "pk").values_list("pk", "name")[
                :LOOKUP_CHOICES_LIMIT
            ]
        ]
    if current not in (None, "") and str(current) not in {pk for pk, _label in rows}:
        found = lookup_names(definition, [current], actor=actor)
        rows.insert(0, (str(current), found.get(str(current), f"#{current}")))
    return rows


def lookup_names(definition: FieldDefinition, ids: Iterable[Any], *, actor: Any) -> dict[str, str]:
    """The names of the linked records ``actor`` may see, by id (one query)."""
    wanted = {int(pk) for pk in ids if str(pk).isdigit()}
    if not wanted:
        return {}
    queryset = custom_values.lookup_queryset(definition, actor).select_related(None)
    queryset = queryset.prefetch_related(None).filter(pk__in=wanted)
    if definition.lookup_target == LookupTarget.USER:
        return {str(u.pk): str(u) for u in queryset}
    return {str(pk): name for pk, name in queryset.values_list("pk", "name")}


def form_field(definition: FieldDefinition, *, actor: Any, current: Any = None) -> forms.Field:
    """The form field of one custom field: widget by type, label, help text, required."""
    kind = definition.field_type
    common: dict[str, Any] = {
        "label": definition.label,
        "help_text": definition.help_text,
        "required": definition.is_required and kind != FieldType.BOOLEAN,
    }
    if kind == FieldType.BOOLEAN:
        return forms.BooleanField(
            **{**common, "required": False},
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )
    if kind == FieldType.CHOICE:
        return AnyChoiceField(**common, choices=EMPTY + _option_choices(definition))
    if kind == FieldType.MULTI_CHOICE:
        return AnyMultipleChoiceField(
            **common,
            choices=_option_choices(definition),
            widget=forms.SelectMultiple(attrs={"data-gx-picker": "1"}),
        )
    if kind == FieldType.LOOKUP:
        choices = lookup_choices(definition, actor=actor, current=current)
        return AnyChoiceField(
            **common,
            choices=EMPTY + choices,
            widget=forms.Select(attrs={"data-gx-picker": "1"}),
        )
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(**common, widget=forms.Textarea(attrs={"rows": 3}))
    widgets = {
        FieldType.INTEGER: _text_input(inputmode="numeric"),
        FieldType.DECIMAL: _text_input(inputmode="decimal"),
        FieldType.CURRENCY: _text_input(inputmode="decimal", placeholder=definition.currency),
        FieldType.DATE: _date_input("date"),
        FieldType.DATETIME: _date_input("datetime"),
        FieldType.EMAIL: _text_input(inputmode="email"),
        FieldType.PHONE: _text_input(inputmode="tel"),
        FieldType.URL: _text_input(inputmode="url", placeholder="https://"),
        FieldType.TEXT: forms.TextInput(attrs={"maxlength": str(custom_values.TEXT_LIMIT)}),
    }
    return forms.CharField(**common, widget=widgets.get(kind, forms.TextInput()))


def initial_value(definition: FieldDefinition, value: Any) -> Any:
    """A stored value (or a default) as its form field shows it."""
    if custom_values.is_empty(value):
        return None
    kind = definition.field_type
    if kind == FieldType.BOOLEAN:
        return bool(value)
    if kind == FieldType.MULTI_CHOICE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == FieldType.DATETIME:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    return str(value)


def submitted_value(definition: FieldDefinition, value: Any) -> Any:
    """A cleaned form value in the shape the services take (None removes the value)."""
    if definition.field_type == FieldType.BOOLEAN:
        return bool(value)
    if isinstance(value, str):
        value = value.strip()
    return None if custom_values.is_empty(value) else value


def add_form_fields(
    form: forms.Form,
    definitions: Sequence[FieldDefinition],
    *,
    actor: Any,
    stored: Mapping[str, Any] | None,
) -> list[str]:
    """Add the custom fields to ``form`` with their initial values: the record's (``stored``) or,
    for a new record, the defaults. Returns the form field names, in order."""
    names = []
    for definition in definitions:
        name = field_name(definition.key)
        current = (stored or {}).get(definition.key) if stored is not None else None
        form.fields[name] = form_field(definition, actor=actor, current=current)
        raw = current if stored is not None else definition.default
        form.initial.setdefault(name, initial_value(definition, raw))
        names.append(name)
    return names


def service_values(
    form: forms.Form, definitions: Sequence[FieldDefinition], *, only_changed: bool
) -> dict[str, Any]:
    """The ``custom`` object for the service; with ``only_changed``, just the values the user
    changed (a record's other values, also those of fields she was not shown, stay)."""
    changed = set(form.changed_data)
    values = {}
    for definition in definitions:
        name = field_name(definition.key)
        if only_changed and name not in changed:
            continue
        values[definition.key] = submitted_value(definition, form.cleaned_data.get(name))
    return values


def display_text(definition: FieldDefinition, value: Any) -> str:
    """A value as a person reads it (the conflict screen)."""
    if definition.field_type == FieldType.BOOLEAN and value is not None:
        return _("Yes") if value else _("No")
    text, _colours = display_value(definition, value)
    return text


# --- list filters ---------------------------------------------------------------------------


def filter_fields(definitions: Sequence[FieldDefinition]) -> dict[str, forms.Field]:
    """The list filters of the filterable fields: a select for choices and yes/no, a range for
    numbers, amounts, dates and times, "contains" for text. Lookups are filtered in the API."""
    fields: dict[str, forms.Field] = {}
    for definition in definitions:
        if not definition.is_filterable:
            continue
        kind, name, label = definition.field_type, field_name(definition.key), definition.label
        any_choice = [("", gettext_lazy("All"))]
        if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            fields[name] = forms.ChoiceField(
                label=label, required=False, choices=any_choice + _option_choices(definition)
            )
        elif kind == FieldType.BOOLEAN:
            fields[name] = forms.ChoiceField(
                label=label,
                required=False,
                choices=[*any_choice, ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))],
            )
        elif kind in RANGE_TYPES and kind != FieldType.LOOKUP:
            date_kind = {FieldType.DATE: "date", FieldType.DATETIME: "datetime"}.get(kind)
            for bound, text in (
                ("gte", _("%(label)s from") % {"label": label}),
                ("lte", _("%(label)s until") % {"label": label}),
            ):
                widget = _date_input(date_kind) if date_kind else _text_input(inputmode="decimal")
                fields[f"{name}__{bound}"] = forms.CharField(
                    label=text, required=False, max_length=40, widget=widget
                )
        elif kind in TEXT_TYPES:
            fields[f"{name}__{CONTAINS}"] = forms.CharField(
                label=_("%(label)s contains") % {"label": label}, required=False, max_length=200
            )
    return fields


def check_filters(form: forms.Form, definitions: Sequence[FieldDefinition]) -> None:
    """Mark the filter fields (of :func:`filter_fields`) whose value does not fit the field's
    type; call from the form's ``clean()``."""
    by_key = {d.key: d for d in definitions if d.is_filterable}
    for name in filter_fields(list(by_key.values())):
        value = form.cleaned_data.get(name)
        key, _sep, bound = name.removeprefix(PREFIX).partition("__")
        if bound == CONTAINS or custom_values.is_empty(value):
            continue
        try:
            custom_values.clean_value(by_key[key], value, check_lookup=False)
        except ValidationError as exc:
            form.add_error(name, str(exc.message))


def filter_values(
    values: Mapping[str, Any], definitions: Sequence[FieldDefinition]
) -> dict[str, Any]:
    """The ``custom`` filter of the selector from the valid values of the filter fields."""
    custom: dict[str, Any] = {}
    for name in filter_fields(definitions):
        value = values.get(name)
        if custom_values.is_empty(value):
            continue
        key, _sep, bound = name.removeprefix(PREFIX).partition("__")
        if bound:
            custom.setdefault(key, {})[bound] = value
        else:
            custom[key] = value
    return custom


# --- list columns ---------------------------------------------------------------------------


@dataclass
class Cell:
    key: str
    label: str
    text: str
    colours: list[tuple[str, str]] = field(default_factory=list)


def list_cells(
    records: Sequence[Any], definitions: Sequence[FieldDefinition], *, actor: Any
) -> list[list[Cell]]:
    """For each record, the cells of the columns ``definitions``: read from the records' own
    ``custom`` values (no query per row); linked records are named with one query per lookup
    column, and only those ``actor`` may see (others show their id)."""
    names: dict[str, dict[str, str]] = {}
    for definition in definitions:
        if definition.field_type == FieldType.LOOKUP:
            ids = [(r.custom or {}).get(definition.key) for r in records]
            names[definition.key] = lookup_names(definition, ids, actor=actor)
    table = []
    for record in records:
        custom = record.custom or {}
        cells = []
        for definition in definitions:
            value = custom.get(definition.key)
            if definition.field_type == FieldType.LOOKUP and value is not None:
                text = names[definition.key].get(str(value), f"#{value}")
                cells.append(Cell(definition.key, definition.label, text))
                continue
            text, colours = display_value(definition, value)
            cells.append(Cell(definition.key, definition.label, text, colours))
        table.append(cells)
    return table
