"""Public lead forms: the page visitors fill in (no login, embeddable in other sites' pages) and
the settings page where administrators create forms and switch them off."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, NotFound
from guanxi.core.headers import DEFAULT_CSP
from guanxi.core.middleware import client_ip
from guanxi.sales import services
from guanxi.sales.forms import PeopleChoiceField, active_users, style
from guanxi.sales.models import LeadWebForm, PublicPool
from guanxi.sales.views import MODULE, PAGES, sales_view

# The public page may be shown inside any site's frame; everything else stays as strict.
EMBED_CSP = DEFAULT_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
HONEYPOT = "website"


class PublicLeadForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=64, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    notes = forms.CharField(
        label=_("Message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Hidden from people by the page's CSS; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-web")
        self.fields[HONEYPOT].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})


def _embeddable(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = EMBED_CSP
    return response


@csrf_exempt  # shown in other sites' frames, where our CSRF cookie is not sent; no session used
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def web_form_public(request: HttpRequest, token: str) -> HttpResponse:
    """The public form: anyone with the address may leave her details once in a while."""
    try:
        web_form = services.web_form_get(token=token)
    except NotFound as exc:
        raise Http404 from exc
    form = PublicLeadForm(request.POST or None)
    status, done = 200, False
    if request.method == "POST":
        address = client_ip(request)
        if not services.web_form_allow(form=web_form, address=address):
            form.add_error(None, gettext("Too many submissions from your address: try later."))
            status = 429
        elif form.is_valid():
            if form.cleaned_data.get(HONEYPOT):
                done = True  # a bot: thank it and keep nothing
            else:
                try:
                    services.web_form_submit(form=web_form, data=form.cleaned_data, address=address)
                except ApplicationError as exc:
                    name = exc.field if exc.field in form.fields else None
                    form.add_error(name, str(exc.message))
                    status = 400
                else:
                    done = True
        else:
            status = 400
    response = render(
        request,
        PAGES + "web_form_public.html",
        {"web_form": web_form, "form": form, "done": done},
        status=status,
    )
    return _embeddable(response)


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    pool = forms.ModelChoiceField(
        label=_("Public pool"),
        queryset=PublicPool.objects.none(),
        required=False,
        help_text=_("Where new leads wait, unless an owner is chosen."),
    )
    owner = PeopleChoiceField(
        label=_("Owner"), queryset=active_users(), required=False, help_text=_("Optional.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = PublicPool.objects.filter(is_active=True)
        self.fields["owner"].queryset = active_users()
        style(self, "gx-web-form")


@sales_view("GET", "POST")
def web_form_list(request: HttpRequest) -> HttpResponse:
    """The lead web forms (admin right in sales); POST creates one."""
    policy.require(request.user, Action.ADMIN, MODULE)
    form = WebFormForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.web_form_create(actor=request.user, data=form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, gettext("Web form created."))
                return redirect("sales:web-form-list")
        status = 422
    rows = [
        (
            web_form,
            request.build_absolute_uri(reverse("sales:web-form-public", args=[web_form.token])),
        )
        for web_form in LeadWebForm.objects.select_related("pool", "owner").order_by("-id")
    ]
    return render(
        request,
        PAGES + "web_forms.html",
        {"nav": "sales-leads", "form": form, "rows": rows},
        status=status,
    )


@sales_view("POST")
def web_form_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, Action.ADMIN, MODULE)
    web_form = LeadWebForm.objects.filter(pk=pk).first()
    if web_form is None:
        raise NotFound()
    services.web_form_set_active(
        actor=request.user, form=web_form, is_active=not web_form.is_active
    )
    return redirect("sales:web-form-list")
