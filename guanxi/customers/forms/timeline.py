"""Inline forms of the 360° page: contacts, timeline entries and attachments.

The forms only parse what was typed (text, dates, numbers, the chosen contact); the rules live in
``guanxi.customers.services``, whose ``ValidationError`` is put back on the named field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import ApplicationError
from guanxi.customers.models import Contact, Interaction, InteractionKind, InteractionOutcome

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]


class InlineForm(forms.Form):
    """A form with a hidden ``version`` for optimistic locking and service errors on fields."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    service_fields: tuple[str, ...] = ()

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's error next to the field it names (or above the form)."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error.message))

    def service_data(self) -> dict[str, Any]:
        """The cleaned values, keyed as the services expect them."""
        return {name: self.cleaned_data.get(name) for name in self.service_fields}

    def set_version(self, version: int) -> None:
        """Carry ``version`` in the re-rendered form (after a conflict the user saw)."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data


def _text_input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class ContactForm(InlineForm):
    name = forms.CharField(
        label=_("Full name"), max_length=100, widget=_text_input(autocomplete="off", required=True)
    )
    title = forms.CharField(
        label=_("Job title"), max_length=100, required=False, widget=_text_input()
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=40,
        required=False,
        widget=_text_input(type="tel", inputmode="tel", autocomplete="off"),
    )
    phone = forms.CharField(
        label=_("Office phone"),
        max_length=40,
        required=False,
        widget=_text_input(type="tel", inputmode="tel", autocomplete="off"),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=_text_input(type="email", inputmode="email", autocomplete="off"),
    )
    wechat = forms.CharField(
        label=_("WeChat ID"), max_length=64, required=False, widget=_text_input(autocomplete="off")
    )
    birthday = forms.DateField(
        label=_("Birthday"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={"class": "form-control", "data-gx-date": "date", "autocomplete": "off"},
        ),
    )
    is_primary = forms.BooleanField(
        label=_("Primary contact"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    service_fields = (
        "name",
        "title",
        "mobile",
        "phone",
        "email",
        "wechat",
        "birthday",
        "is_primary",
        "notes",
    )

    def __init__(self, *args: Any, protected: Iterable[str] = (), **kwargs: Any) -> None:
        """``protected``: sensitive fields the user may not see plainly; they are left out, so
        they are neither shown nor changed."""
        super().__init__(*args, **kwargs)
        for name in protected:
            self.fields.pop(name, None)
        self.service_fields = tuple(name for name in self.service_fields if name in self.fields)

    @classmethod
    def for_contact(cls, contact: Contact, **kwargs: Any) -> ContactForm:
        initial = {name: getattr(contact, name) for name in cls.service_fields}
        initial["version"] = contact.version
        return cls(initial=initial, auto_id=f"contact-{contact.pk}-%s", **kwargs)


class InteractionForm(InlineForm):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=InteractionKind.choices,
        initial=InteractionKind.CALL,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    occurred_at = forms.DateTimeField(
        label=_("Time"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(
            format="%Y-%m-%d %H:%M",
            attrs={"class": "form-control", "data-gx-date": "datetime", "autocomplete": "off"},
        ),
    )
    contact = forms.TypedChoiceField(
        label=_("Contact"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, required=False, widget=_text_input()
    )
    content = forms.CharField(
        label=_("Content"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=InteractionOutcome.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    next_follow_up_on = forms.DateField(
        label=_("Next follow-up"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%Y-%m-%d",
            attrs={"class": "form-control", "data-gx-date": "date", "autocomplete": "off"},
        ),
    )
    file = forms.FileField(
        label=_("Attachment"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )

    service_fields = (
        "kind",
        "occurred_at",
        "subject",
        "content",
        "outcome",
        "duration_minutes",
        "contact",
        "next_follow_up_on",
    )

    def __init__(self, *args: Any, contacts: Iterable[Contact] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contacts: Mapping[int, Contact] = {contact.pk: contact for contact in contacts}
        self.fields["contact"].choices = [("", "—")] + [
            (pk, contact.name) for pk, contact in self.contacts.items()
        ]

    @classmethod
    def for_new(cls, *, contacts: Iterable[Contact], **kwargs: Any) -> InteractionForm:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return cls(
            initial={"kind": InteractionKind.CALL, "occurred_at": now},
            contacts=contacts,
            auto_id="interaction-new-%s",
            **kwargs,
        )

    @classmethod
    def for_interaction(
        cls, interaction: Interaction, *, contacts: Iterable[Contact], **kwargs: Any
    ) -> InteractionForm:
        contacts = list(contacts)
        if interaction.contact is not None and interaction.contact not in contacts:
            contacts.append(interaction.contact)
        initial: dict[str, Any] = {name: getattr(interaction, name) for name in cls.service_fields}
        initial["occurred_at"] = timezone.localtime(interaction.occurred_at)
        initial["contact"] = interaction.contact_id
        initial["version"] = interaction.version
        return cls(
            initial=initial,
            contacts=contacts,
            auto_id=f"interaction-{interaction.pk}-%s",
            **kwargs,
        )

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["contact"] = self.contacts.get(data["contact"]) if data["contact"] else None
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )

    @property
    def max_mb(self) -> int:
        return int(settings.GUANXI_MAX_ATTACHMENT_BYTES // (1024 * 1024))

    def add_service_error(self, error: ApplicationError) -> None:
        self.add_error("file" if error.field in (None, "file") else None, str(error.message))
