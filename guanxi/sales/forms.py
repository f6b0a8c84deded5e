"""Forms of the sales pages: they parse and display; the services validate and write.

Choice lists come from selectors (what the user may see), so a form can never offer a customer,
stage or reason the user may not use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Department, User
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import CompanySize, Contact, Industry, Source
from guanxi.sales import selectors
from guanxi.sales.models import DealStatus, ReasonKind
from guanxi.sales.selectors import GroupBy

EMPTY = [("", "—")]


def _date_input() -> forms.DateInput:
    return forms.DateInput(
        format="%Y-%m-%d",
        attrs={"data-gx-date": "date", "autocomplete": "off", "placeholder": "YYYY-MM-DD"},
    )


def _picker(*, multiple: bool = False) -> forms.Select:
    widget = forms.SelectMultiple if multiple else forms.Select
    return widget(attrs={"data-gx-picker": "1"})


def style(form: forms.Form, prefix: str = "gx") -> None:
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")
        widget.attrs.setdefault("id", f"{prefix}-{name}")


def active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("display_name", "username")


class PeopleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class DealFilterForm(forms.Form):
    """Filters of the board, the list, the funnel and the forecast (from the query string)."""

    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=EMPTY + DealStatus.choices
    )
    owner = PeopleChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, widget=_picker()
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    expected_close_from = forms.DateField(
        label=_("Expected close from"), required=False, widget=_date_input()
    )
    expected_close_to = forms.DateField(
        label=_("Expected close until"), required=False, widget=_date_input()
    )
    created_from = forms.DateField(label=_("Created from"), required=False, widget=_date_input())
    created_to = forms.DateField(label=_("Created until"), required=False, widget=_date_input())

    SELECTOR_KEYS = (
        "stage",
        "status",
        "owner",
        "department",
        "expected_close_from",
        "expected_close_to",
        "created_from",
        "created_to",
    )

    def __init__(self, data: Any, *, actor: Any) -> None:
        super().__init__(data)
        self.fields["pipeline"].queryset = selectors.pipeline_list(actor=actor)
        self.fields["pipeline"].empty_label = None
        self.fields["stage"].queryset = selectors.stage_list(actor=actor)
        self.fields["owner"].queryset = active_users()
        self.fields["department"].queryset = Department.objects.order_by("path")
        style(self, "gx-filter")

    def pick(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in self.errors and v not in (None, "")
        }

    def selector_filters(self) -> dict[str, Any]:
        values = self.values()
        return {k: values[k] for k in self.SELECTOR_KEYS if k in values}


class DealForm(forms.Form):
    """Create or edit a deal (stage moves have their own actions)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=None, widget=_picker(), required=True
    )
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, required=False)
    amount = forms.DecimalField(label=_("Amount"), required=False, max_digits=20, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    exchange_rate = forms.DecimalField(
        label=_("Exchange rate to CNY"),
        required=False,
        max_digits=18,
        decimal_places=6,
        help_text=_("Leave empty to use the rate on file."),
    )
    expected_close_on = forms.DateField(
        label=_("Expected close date"), required=False, widget=_date_input()
    )
    owner = PeopleChoiceField(label=_("Owner"), queryset=None, required=False, widget=_picker())
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"),
        queryset=Contact.objects.none(),
        required=False,
        widget=_picker(multiple=True),
    )
    source = forms.ModelChoiceField(label=_("Source"), queryset=None, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, customer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customer_selectors.customer_list(actor=actor)
        self.fields["pipeline"].queryset = selectors.pipeline_list(actor=actor)
        self.fields["owner"].queryset = active_users()
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        if customer is not None:
            self.fields["contacts"].queryset = customer_selectors.contact_list(
                actor=actor, customer=customer
            )
        style(self, "gx-deal")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if data.get("amount") is None:
            data.pop("amount", None)
        if not data.get("owner"):
            data.pop("owner", None)
        if not data.get("pipeline"):
            data.pop("pipeline", None)
        data["contacts"] = list(data.get("contacts") or [])
        return data


class MoveForm(forms.Form):
    """A move on the board (or the "move to" menu): the stage, the version read, a reason."""

    stage = forms.IntegerField(min_value=1)
    version = forms.IntegerField(required=False, min_value=1)
    reason = forms.IntegerField(required=False, min_value=1)
    note = forms.CharField(required=False, max_length=2000)


class CloseForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=None, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = selectors.close_reason_list(actor=actor, kind=kind)
        self.fields["reason"].required = kind == ReasonKind.LOST
        style(self, f"gx-{kind}")


class ForecastForm(forms.Form):
    start = forms.DateField(label=_("From month"), required=False, widget=_date_input())
    months = forms.TypedChoiceField(
        label=_("Months"),
        required=False,
        coerce=int,
        choices=[(str(n), str(n)) for n in (3, 6, 12)],
        empty_value=6,
    )
    group_by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            (GroupBy.NONE, _("Everyone")),
            (GroupBy.OWNER, _("Owner")),
            (GroupBy.DEPARTMENT, _("Department")),
        ],
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        style(self, "gx-forecast")

    def pick(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def values(self, today: dt.date) -> tuple[dt.date, int, str]:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        start = data.get("start") or today.replace(day=1)
        return start, data.get("months") or 6, data.get("group_by") or GroupBy.NONE


class LeadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=64, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat ID"), max_length=64, required=False)
    source = forms.ModelChoiceField(label=_("Source"), queryset=None, required=False)
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=None, required=False)
    company_size = forms.ChoiceField(
        label=_("Company size"), required=False, choices=EMPTY + CompanySize.choices
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    to_pool = forms.BooleanField(label=_("Put it in the public pool"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        self.fields["industry"].queryset = Industry.objects.filter(is_active=True)
        style(self, "gx-lead")


class LeadFilterForm(forms.Form):
    """Filters of the lead list: a minimum score and the order."""

    min_score = forms.IntegerField(
        label=_("Minimum score"), required=False, min_value=-1000000, max_value=1000000
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("-id", _("Newest first")), ("-score", _("Highest score first"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-lead-filter")

    def pick(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in self.errors and v not in (None, "")
        }


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_follow_up_on = forms.DateField(
        label=_("Next follow-up"), required=False, widget=_date_input()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-follow-up")
