"""The administrator's form for a custom field (parsing only; the services validate)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customization.models import FieldType, LookupTarget, TargetModel


def _input(widget: Any = None) -> Any:
    return widget or forms.TextInput(attrs={"class": "form-control"})


class FieldDefinitionForm(forms.Form):
    model = forms.ChoiceField(
        label=_("Module"),
        choices=TargetModel.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=64,
        widget=_input(),
        help_text=_("Lower-case letters, digits and underscores; it cannot change later."),
    )
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=100, widget=_input())
    label_en = forms.CharField(
        label=_("Label (English)"), max_length=100, required=False, widget=_input()
    )
    help_text = forms.CharField(
        label=_("Help text"), max_length=500, required=False, widget=_input()
    )
    field_type = forms.ChoiceField(
        label=_("Type"),
        choices=FieldType.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
        help_text=_("Choice fields: one option a line, as value | label | #colour."),
    )
    lookup_target = forms.ChoiceField(
        label=_("Links to"),
        choices=[("", "—"), *LookupTarget.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False, widget=_input())
    default = forms.CharField(label=_("Default"), required=False, widget=_input())
    section = forms.CharField(label=_("Section"), max_length=100, required=False, widget=_input())
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=100000,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    is_required = forms.BooleanField(label=_("Required"), required=False)
    is_unique = forms.BooleanField(label=_("Unique"), required=False)
    is_searchable = forms.BooleanField(label=_("Searchable"), required=False)
    is_filterable = forms.BooleanField(label=_("Filterable and sortable"), required=False)
    is_shown_in_list = forms.BooleanField(label=_("Shown in lists"), required=False)
    accept_loss = forms.BooleanField(
        label=_("Archive stored values that do not fit the change"), required=False
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("is_required", "is_unique", "is_searchable", "is_filterable"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        self.fields["is_shown_in_list"].widget.attrs["class"] = "form-check-input"
        self.fields["accept_loss"].widget.attrs["class"] = "form-check-input"
        if editing:
            for name in ("model", "key"):
                self.fields[name].disabled = True
        else:
            del self.fields["accept_loss"]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape the services take."""
        data = dict(self.cleaned_data)
        data.pop("accept_loss", None)
        for name in ("model", "key"):
            if self.fields[name].disabled:
                data.pop(name, None)
        options = []
        for line in (data.pop("options") or "").splitlines():
            parts = [part.strip() for part in line.split("|")]
            if parts and parts[0]:
                options.append(
                    {
                        "value": parts[0],
                        "label": parts[1] if len(parts) > 1 and parts[1] else parts[0],
                        "colour": parts[2] if len(parts) > 2 else "",
                    }
                )
        data["options"] = options
        if data.get("position") is None:
            data.pop("position", None)
        if data.get("field_type") == FieldType.MULTI_CHOICE and data.get("default"):
            data["default"] = [v.strip() for v in data["default"].split(",") if v.strip()]
        return data


def options_text(options: list[dict[str, Any]]) -> str:
    lines = []
    for option in options or []:
        parts = [option.get("value", ""), option.get("label", "")]
        if option.get("colour"):
            parts.append(option["colour"])
        lines.append(" | ".join(str(p) for p in parts))
    return "\n".join(lines)
