"""Forms of the customer list, the customer form and bulk actions.

They parse and display only: the services validate and write. Choice lists (owners, tags, levels,
industries, sources) are loaded once by the view and handed in, so a page costs the same number of
queries however many forms show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import policy
from guanxi.accounts import selectors as account_selectors
from guanxi.accounts.models import User
from guanxi.core.errors import ApplicationError
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import (
    CompanySize,
    Customer,
    CustomerKind,
    Industry,
    Level,
    LifecycleStage,
    Source,
    Tag,
)
from guanxi.customization import ui as custom_ui
from guanxi.customization.models import FieldDefinition
from guanxi.customization.selectors import SORT_PREFIX, field_definition_list

MODULE = "customers"
CUSTOMER_MODEL = "customers.customer"
TEXT_FIELDS = (
    "kind",
    "name",
    "short_name",
    "size",
    "lifecycle_stage",
    "province",
    "city",
    "district",
    "address",
    "website",
    "phone",
    "email",
    "description",
)
Choices = list[tuple[str, Any]]
EMPTY: Choices = [("", "—")]
ANY: Choices = [("", _("All"))]

# What the list may be sorted by (the selector's orderings), and which way a first click sorts.
SORTABLE = {
    "name": "name",
    "created_at": "-created_at",
    "updated_at": "-updated_at",
    "last_contacted_at": "-last_contacted_at",
    "next_follow_up_on": "next_follow_up_on",
}
DEFAULT_SORT = "-id"
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class ListChoices:
    """The option lists of the customer list page (each loaded with one query)."""

    owners: Choices
    tags: Choices
    levels: Choices
    industries: Choices
    sources: Choices
    custom_fields: Sequence[FieldDefinition] = ()

    @classmethod
    def load(cls, *, actor: Any) -> ListChoices:
        def lookups(model: Any) -> Choices:
            rows = customer_selectors.lookup_list(actor=actor, model=model).filter(is_active=True)
            return [(str(x.pk), str(x)) for x in rows]

        return cls(
            owners=owner_choices(actor),
            tags=[(str(t.pk), str(t)) for t in customer_selectors.tag_list(actor=actor)],
            levels=lookups(Level),
            industries=lookups(Industry),
            sources=lookups(Source),
            custom_fields=custom_definitions(actor),
        )


def custom_definitions(actor: Any) -> list[FieldDefinition]:
    """The active custom fields of customers, in their order (one query)."""
    return list(field_definition_list(actor=actor, model=CUSTOMER_MODEL))


def custom_sorts(definitions: Sequence[FieldDefinition]) -> list[str]:
    """The list columns that sort: custom fields shown in lists that are also filterable."""
    return [f"{SORT_PREFIX}{d.key}" for d in definitions if d.is_shown_in_list and d.is_filterable]


def owner_choices(actor: Any) -> Choices:
    """The people a customer can be given to (active colleagues)."""
    return [(str(u.pk), str(u)) for u in account_selectors.user_list(actor=actor)]


def _date_input() -> forms.DateInput:
    return forms.DateInput(
        format="%Y-%m-%d",
        attrs={"data-gx-date": "date", "autocomplete": "off", "placeholder": "YYYY-MM-DD"},
    )


def _picker(*, multiple: bool = False) -> forms.Select:
    widget = forms.SelectMultiple if multiple else forms.Select
    return widget(attrs={"data-gx-picker": "1"})


class CustomerFilterForm(forms.Form):
    """The list's filters, sort order and page size, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=_picker())
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=_picker())
    level = forms.ChoiceField(label=_("Level"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False, widget=_picker())
    source = forms.ChoiceField(label=_("Source"), required=False)
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False, choices=ANY + LifecycleStage.choices
    )
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=ANY + CustomerKind.choices)
    province = forms.CharField(label=_("Province"), required=False, max_length=32)
    city = forms.CharField(label=_("City"), required=False, max_length=32)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=_date_input())
    created_to = forms.DateField(label=_("Created until"), required=False, widget=_date_input())
    contacted_from = forms.DateField(
        label=_("Last contacted from"), required=False, widget=_date_input()
    )
    contacted_to = forms.DateField(
        label=_("Last contacted until"), required=False, widget=_date_input()
    )
    never_contacted = forms.BooleanField(label=_("Never contacted"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    size = forms.TypedChoiceField(
        label=_("Rows per page"),
        required=False,
        coerce=int,
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        empty_value=PAGE_SIZES[0],
    )

    # The filters always shown; the others are behind "More filters".
    PRIMARY = ("owner", "tag", "lifecycle_stage", "level")
    MORE = (
        "industry",
        "source",
        "kind",
        "province",
        "city",
        "created_from",
        "created_to",
        "contacted_from",
        "contacted_to",
        "never_contacted",
    )
    SELECTOR_KEYS = (
        "owner",
        "tag",
        "level",
        "industry",
        "source",
        "lifecycle_stage",
        "kind",
        "province",
        "city",
        "created_from",
        "created_to",
        "contacted_from",
        "contacted_to",
        "never_contacted",
    )

    def __init__(self, data: Any, *, choices: ListChoices) -> None:
        super().__init__(data)
        self.custom_fields = list(choices.custom_fields)
        self.custom_sorts = custom_sorts(self.custom_fields)
        self.custom_names = list(custom_ui.filter_fields(self.custom_fields))
        self.fields.update(custom_ui.filter_fields(self.custom_fields))
        self.fields["owner"].choices = ANY + choices.owners
        self.fields["tag"].choices = ANY + choices.tags
        self.fields["level"].choices = ANY + choices.levels
        self.fields["industry"].choices = ANY + choices.industries
        self.fields["source"].choices = ANY + choices.sources
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")
            field.widget.attrs.setdefault("id", f"gx-filter-{name}")

    def primary_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.PRIMARY]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*self.MORE, *self.custom_names)]

    def clean_sort(self) -> str:
        sort = self.cleaned_data.get("sort") or ""
        name = sort.lstrip("-")
        return sort if name in SORTABLE or name in self.custom_sorts else DEFAULT_SORT

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        custom_ui.check_filters(self, self.custom_fields)
        return cleaned

    def parsed(self) -> dict[str, Any]:
        """The valid values; a filter that does not parse is dropped (and shown as an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    def selector_filters(self) -> dict[str, Any]:
        values = self.parsed()
        filters: dict[str, Any] = {}
        for key in self.SELECTOR_KEYS:
            value = values.get(key)
            if value in (None, "", False):
                continue
            if key in ("owner", "tag", "level", "industry", "source"):
                value = int(value)
            filters[key] = value
        custom = custom_ui.filter_values(values, self.custom_fields)
        if custom:
            filters["custom"] = custom
        return filters

    def active_filter_count(self) -> int:
        filters = self.selector_filters()
        custom = filters.pop("custom", {})
        return len(filters) + len(custom)

    def more_is_active(self) -> bool:
        return any(key in self.MORE or key == "custom" for key in self.selector_filters())

    def ordering(self) -> str:
        return str(self.parsed().get("sort") or DEFAULT_SORT)

    def page_size(self) -> int:
        return int(self.parsed().get("size") or PAGE_SIZES[0])

    def search_text(self) -> str:
        return str(self.parsed().get("q") or "").strip()

    def query_params(self) -> dict[str, str]:
        """The list's state as a short query string: only what differs from the defaults."""
        values = self.parsed()
        params: dict[str, str] = {}
        for name in self.fields:
            value = values.get(name)
            if value in (None, "", False):
                continue
            if (name == "sort" and value == DEFAULT_SORT) or (
                name == "size" and value == PAGE_SIZES[0]
            ):
                continue
            if value is True:
                value = "on"
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            params[name] = str(value).strip()
        return params


class IdListField(forms.TypedMultipleChoiceField):
    """Record ids: any positive integer parses; the service decides which ones may be changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class BulkActionForm(forms.Form):
    """Bulk actions on the selected customers of the list."""

    ASSIGN_OWNER = "assign_owner"
    ADD_TAG = "add_tag"
    REMOVE_TAG = "remove_tag"

    action = forms.ChoiceField(
        choices=[
            (ASSIGN_OWNER, _("Assign owner")),
            (ADD_TAG, _("Add tag")),
            (REMOVE_TAG, _("Remove tag")),
        ]
    )
    ids = IdListField(required=False)
    owner = forms.ChoiceField(label=_("New owner"), required=False, widget=_picker())
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=_picker())

    def __init__(self, data: Any = None, *, owners: Choices, tags: Choices) -> None:
        super().__init__(data)
        self.fields["owner"].choices = [("", _("New owner…")), *owners]
        self.fields["tag"].choices = [("", _("Tag…")), *tags]
        self.fields["owner"].widget.attrs.update({"class": "form-select", "form": "gx-bulk"})
        self.fields["tag"].widget.attrs.update({"class": "form-select", "form": "gx-bulk"})
        self.fields["owner"].widget.attrs["id"] = "gx-bulk-owner"
        self.fields["tag"].widget.attrs["id"] = "gx-bulk-tag"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == self.ASSIGN_OWNER and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if action in (self.ADD_TAG, self.REMOVE_TAG) and not cleaned.get("tag"):
            self.add_error("tag", _("Choose a tag."))
        return cleaned


class CustomerForm(forms.Form):
    """Create or edit a customer. Text is checked by the service, which names the field at fault."""

    kind = forms.ChoiceField(
        label=_("Type"), choices=CustomerKind.choices, initial=CustomerKind.COMPANY
    )
    name = forms.CharField(label=_("Name"), required=False)
    short_name = forms.CharField(label=_("Short name"), required=False)
    industry = forms.ModelChoiceField(
        label=_("Industry"),
        queryset=Industry.objects.none(),
        required=False,
        widget=_picker(),
        empty_label="—",
    )
    size = forms.ChoiceField(label=_("Size"), choices=EMPTY + CompanySize.choices, required=False)
    level = forms.ModelChoiceField(
        label=_("Level"), queryset=Level.objects.none(), required=False, empty_label="—"
    )
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.none(), required=False, empty_label="—"
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, initial=LifecycleStage.LEAD
    )
    province = forms.CharField(label=_("Province"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    district = forms.CharField(label=_("District"), required=False)
    address = forms.CharField(label=_("Street address"), required=False)
    website = forms.CharField(label=_("Website"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), widget=_picker(), empty_label="—"
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False, widget=_picker(multiple=True)
    )
    next_follow_up_on = forms.DateField(
        label=_("Next follow-up"), required=False, widget=_date_input()
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    SERVICE_FIELDS = (
        "kind",
        "name",
        "short_name",
        "industry",
        "size",
        "level",
        "source",
        "lifecycle_stage",
        "province",
        "city",
        "district",
        "address",
        "website",
        "phone",
        "email",
        "owner",
        "tags",
        "next_follow_up_on",
        "description",
    )
    SECTIONS = (
        (_("Basic information"), ("kind", "name", "short_name", "owner", "lifecycle_stage")),
        (_("Classification"), ("industry", "size", "level", "source", "tags")),
        (_("Contact details"), ("phone", "email", "website")),
        (_("Address"), ("province", "city", "district", "address")),
        (_("Follow-up and notes"), ("next_follow_up_on", "description")),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        actor: Any,
        tags: Any,
        customer: Customer | None = None,
        custom_fields: Sequence[FieldDefinition] = (),
        **kwargs: Any,
    ) -> None:
        if customer is not None and data is None:
            kwargs.setdefault("initial", customer_initial(customer))
        super().__init__(data, **kwargs)
        self.actor = actor
        self.customer = customer
        self.custom_fields = list(custom_fields)
        self.custom_names = custom_ui.add_form_fields(
            self,
            self.custom_fields,
            actor=actor,
            stored=(customer.custom or {}) if customer is not None else None,
        )
        # Sensitive fields the user may not see plainly are shown masked and cannot be changed.
        self.protected = [
            name for name in policy.restricted_fields(actor, MODULE) if name in self.fields
        ]
        for name in self.protected:
            field = self.fields[name]
            field.disabled = True
            field.initial = (
                policy.protected_value(actor, MODULE, name, getattr(customer, name))
                if customer is not None
                else ""
            )
            field.help_text = _("Your role may not see or change this field.")

        def current(name: str) -> Q:
            pk = getattr(customer, f"{name}_id", None) if customer is not None else None
            return Q(pk=pk) if pk else Q(pk__in=[])

        for name, model in (("industry", Industry), ("level", Level), ("source", Source)):
            lookups = customer_selectors.lookup_list(actor=actor, model=model)
            self.fields[name].queryset = lookups.filter(Q(is_active=True) | current(name))
        # Someone who has left stays the owner until the customer is given to another.
        users = account_selectors.user_list(actor=actor)
        self.fields["owner"].queryset = users | User.objects.filter(current("owner"))
        self.fields["tags"].queryset = tags
        self.fields["version"].required = customer is not None
        self.fields["name"].widget.attrs.update({"required": True, "maxlength": 200})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocomplete": "off"})
        self.fields["website"].widget.attrs.update({"inputmode": "url", "placeholder": "https://"})
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes:
                    widget.attrs["class"] = (classes + " is-invalid").strip()

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        sections = [(title, [self[name] for name in names]) for title, names in self.SECTIONS]
        grouped: dict[str, list[forms.BoundField]] = {}
        for definition in self.custom_fields:
            title = definition.section or str(_("More information"))
            grouped.setdefault(title, []).append(self[custom_ui.field_name(definition.key)])
        return sections + list(grouped.items())

    def error_labels(self) -> str:
        """The labels of the fields with an error, for the message above the form."""
        return ", ".join(
            str(self.fields[name].label) for name in self.errors if name in self.fields
        )

    def compared_fields(self) -> list[str]:
        """The fields the conflict screen compares (and sends again)."""
        return [*self.SERVICE_FIELDS, *self.custom_names]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape the customer services take."""
        data = {name: self.cleaned_data.get(name) for name in self.SERVICE_FIELDS}
        data["tags"] = list(data["tags"] or [])
        for name in TEXT_FIELDS:
            data[name] = data[name] or ""
        for name in self.protected:
            data.pop(name, None)
        custom = custom_ui.service_values(
            self, self.custom_fields, only_changed=self.customer is not None
        )
        if custom or self.customer is None:
            data["custom"] = custom
        return data

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's error next to the field it names (or above the form)."""
        name = error.field or ""
        key = custom_ui.key_of(name)
        if key is not None:
            name = custom_ui.field_name(key)
        self.add_error(name if name in self.fields else None, str(error.message))

    def attempted_values(self) -> dict[str, str]:
        """What the user typed, as display text (for the conflict screen)."""
        values = {
            name: display_value(self.fields[name], self.cleaned_data.get(name))
            for name in self.SERVICE_FIELDS
        }
        for definition in self.custom_fields:
            name = custom_ui.field_name(definition.key)
            value = custom_ui.submitted_value(definition, self.cleaned_data.get(name))
            values[name] = custom_ui.display_text(definition, value)
        return values


def customer_initial(customer: Customer) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(customer, name)
        for name in CustomerForm.SERVICE_FIELDS
        if name not in ("tags", "industry", "level", "source", "owner")
    }
    initial.update(
        industry=customer.industry_id,
        level=customer.level_id,
        source=customer.source_id,
        owner=customer.owner_id,
        tags=[t.pk for t in customer.tags.all()],
        version=customer.version,
    )
    return initial


def display_value(field: forms.Field, value: Any) -> str:
    """A field value as a person reads it: choice labels, names of related records, dates."""
    if value in (None, "", [], ()):
        return ""
    if isinstance(value, list | tuple) or hasattr(value, "all"):
        items: Sequence[Any] = list(value.all()) if hasattr(value, "all") else list(value)
        return ", ".join(sorted(str(item) for item in items))
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        labels = {str(k): str(v) for k, v in cast(Iterable[tuple[Any, Any]], field.choices)}
        return labels.get(str(value), str(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def current_values(form: CustomerForm, customer: Customer) -> dict[str, str]:
    """The stored values of ``customer`` as display text, as the user may see them."""
    values = {}
    for name in CustomerForm.SERVICE_FIELDS:
        value = customer.tags.all() if name == "tags" else getattr(customer, name)
        if name in form.protected:
            value = policy.protected_value(form.actor, MODULE, name, value)
        values[name] = display_value(form.fields[name], value)
    for definition in form.custom_fields:
        value = (customer.custom or {}).get(definition.key)
        values[custom_ui.field_name(definition.key)] = custom_ui.display_text(definition, value)
    return values
