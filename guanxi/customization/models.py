"""Custom field definitions: metadata an administrator edits; values live in each record's JSON."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel


class TargetModel(models.TextChoices):
    CUSTOMER = "customers.customer", _("Customer")
    CONTACT = "customers.contact", _("Contact")
    INTERACTION = "customers.interaction", _("Interaction")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    CURRENCY = "currency", _("Amount of money")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    URL = "url", _("Web address")
    LOOKUP = "lookup", _("Link to a record")


class LookupTarget(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    CONTACT = "contact", _("Contact")
    USER = "user", _("User")


class FieldDefinition(BaseModel):
    """One custom field of a module: its key in the record's ``custom`` JSON and its rules.

    ``options`` holds the choices of choice fields as ``[{"value", "label", "colour"}]`` in their
    order. Archived definitions are hidden everywhere but the values stored under their key stay.
    """

    model = models.CharField(_("module"), max_length=64, choices=TargetModel.choices)
    key = models.CharField(_("key"), max_length=64)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    options = models.JSONField(_("options"), default=list, blank=True)
    lookup_target = models.CharField(
        _("links to"), max_length=16, choices=LookupTarget.choices, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    is_unique = models.BooleanField(_("unique"), default=False)
    default = models.JSONField(_("default"), null=True, blank=True)
    is_searchable = models.BooleanField(_("searchable"), default=False)
    is_filterable = models.BooleanField(_("filterable"), default=False)
    is_shown_in_list = models.BooleanField(_("shown in lists"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    section = models.CharField(_("section"), max_length=100, blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["model", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="field_definition_key_unique"),
            models.CheckConstraint(condition=~models.Q(key=""), name="field_definition_key_set"),
        ]

    def __str__(self) -> str:
        return f"{self.model}.{self.key}"

    @property
    def label(self) -> str:
        """The label in the active language (Chinese when no English one is given)."""
        language = get_language() or ""
        if language.startswith("en") and self.label_en:
            return self.label_en
        return self.label_zh

    def option_label(self, value: str) -> str:
        for option in self.options or []:
            if option.get("value") == value:
                return str(option.get("label") or value)
        return value

    def option_colour(self, value: str) -> str:
        for option in self.options or []:
            if option.get("value") == value:
                return str(option.get("colour") or "")
        return ""
