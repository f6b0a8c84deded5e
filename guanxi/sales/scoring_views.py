"""The lead scoring settings page (admin right in sales): list, add and remove rules.
Thin views: parse the form, call the scoring services, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, NotFound
from guanxi.customers.models import CompanySize, Industry, Source
from guanxi.sales import services
from guanxi.sales.forms import EMPTY, style
from guanxi.sales.models import LeadScoringRule, ScoringField, ScoringOperator
from guanxi.sales.views import MODULE, PAGES, sales_view

# Which form field carries the value of a rule on each lead field.
VALUE_FIELDS = {
    ScoringField.SOURCE: "source",
    ScoringField.INDUSTRY: "industry",
    ScoringField.COMPANY_SIZE: "company_size",
    ScoringField.ENGAGEMENT: "threshold",
}


class ScoringRuleForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=ScoringField.choices)
    operator = forms.ChoiceField(label=_("Condition"), choices=ScoringOperator.choices)
    source = forms.ModelChoiceField(label=_("Source"), queryset=None, required=False)
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=None, required=False)
    company_size = forms.ChoiceField(
        label=_("Company size"), required=False, choices=EMPTY + CompanySize.choices
    )
    threshold = forms.IntegerField(
        label=_("Number of follow-ups"), required=False, help_text=_("For engagement only.")
    )
    points = forms.IntegerField(label=_("Points"), help_text=_("From -1000 to 1000, not 0."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.filter(is_active=True)
        self.fields["industry"].queryset = Industry.objects.filter(is_active=True)
        style(self, "gx-rule")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        field = data["field"]
        return {
            "field": field,
            "operator": data["operator"],
            "value": data.get(VALUE_FIELDS[ScoringField(field)]),
            "points": data["points"],
        }


def _describe(rule: LeadScoringRule, names: dict[tuple[str, str], str]) -> str:
    if rule.field == ScoringField.COMPANY_SIZE:
        return str(CompanySize(rule.value).label) if rule.value in CompanySize.values else "?"
    return names.get((rule.field, rule.value), rule.value)


@sales_view("GET", "POST")
def scoring_rules(request: HttpRequest) -> HttpResponse:
    """The rules of lead scoring; POST adds one (every lead is rescored in the background)."""
    policy.require(request.user, Action.ADMIN, MODULE)
    form = ScoringRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.scoring_rule_create(actor=request.user, data=form.service_data())
            except ApplicationError as exc:
                name = exc.field
                if name == "value":
                    name = VALUE_FIELDS[ScoringField(form.cleaned_data["field"])]
                form.add_error(name if name in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request, gettext("Rule added. Scores are being recomputed in the background.")
                )
                return redirect("sales:scoring-rules")
        status = 422
    rules = list(LeadScoringRule.objects.order_by("position", "id"))
    names = {(ScoringField.SOURCE.value, str(s.pk)): str(s) for s in Source.objects.all()}
    names |= {(ScoringField.INDUSTRY.value, str(i.pk)): str(i) for i in Industry.objects.all()}
    return render(
        request,
        PAGES + "scoring_rules.html",
        {
            "nav": "sales-leads",
            "form": form,
            "rows": [(rule, _describe(rule, names)) for rule in rules],
        },
        status=status,
    )


@sales_view("POST")
def scoring_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, Action.ADMIN, MODULE)
    rule = LeadScoringRule.objects.filter(pk=pk).first()
    if rule is None:
        raise NotFound()
    services.scoring_rule_delete(actor=request.user, rule=rule)
    messages.success(
        request, gettext("Rule removed. Scores are being recomputed in the background.")
    )
    return redirect("sales:scoring-rules")
