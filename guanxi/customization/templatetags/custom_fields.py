"""``{% custom_field_rows record as rows %}``: a record's custom values ready to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.translation import gettext as _

from guanxi.customization.models import FieldDefinition, FieldType
from guanxi.customization.values import active_definitions

register = template.Library()


@dataclass
class CustomRow:
    key: str
    label: str
    section: str
    text: str
    colours: list[tuple[str, str]]
    wide: bool


def display_value(definition: FieldDefinition, value: Any) -> tuple[str, list[tuple[str, str]]]:
    """The text of a stored value (and for choices the labels with their colours)."""
    if value is None or value in ("", []):
        return "", []
    kind = definition.field_type
    if kind == FieldType.BOOLEAN:
        return (_("Yes") if value else _("No")), []
    if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        chosen = value if isinstance(value, list) else [value]
        labelled = [(definition.option_label(v), definition.option_colour(v)) for v in chosen]
        return ", ".join(label for label, _colour in labelled), labelled
    if kind == FieldType.CURRENCY:
        return f"{definition.currency} {value}".strip(), []
    if kind == FieldType.DATETIME:
        return str(value).replace("T", " ").replace("Z", " UTC"), []
    if kind == FieldType.LOOKUP:
        return f"#{value}", []
    return str(value), []


@register.simple_tag
def custom_field_rows(record: Any, only_list: bool = False) -> list[CustomRow]:
    label = f"{record._meta.app_label}.{record._meta.model_name}"
    custom = getattr(record, "custom", None) or {}
    rows = []
    for definition in active_definitions(label):
        if only_list and not definition.is_shown_in_list:
            continue
        text, colours = display_value(definition, custom.get(definition.key))
        rows.append(
            CustomRow(
                key=definition.key,
                label=definition.label,
                section=definition.section,
                text=text,
                colours=colours,
                wide=definition.field_type == FieldType.LONG_TEXT,
            )
        )
    return rows
