"""The sales pages: the kanban board, the deal list, the deal page, the funnel and the forecast.

Thin views: parse the request, call a selector or a service with ``actor=request.user``, render.
A deal outside the user's scope is a 404. Every page works without JavaScript; the board's drag
and drop posts to ``deal_move`` and gets JSON back (a refused move carries the message).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Customer
from guanxi.sales import selectors, services
from guanxi.sales.forms import (
    CloseForm,
    DealFilterForm,
    DealForm,
    FollowUpForm,
    ForecastForm,
    LeadFilterForm,
    LeadForm,
    MoveForm,
)
from guanxi.sales.models import Deal, ReasonKind
from guanxi.sales.selectors import GroupBy

MODULE = "sales"
PAGES = "sales/pages/"
PARTIALS = "sales/partials/"
BOARD_CARDS = 50
LIST_PAGE = 50
MAX_LINE_ITEMS_FORM = 200

View = Callable[..., HttpResponse]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def sales_view(*methods: str) -> Callable[[View], View]:
    """Signed-in users only, the given methods only; NotFound → 404, PermissionDenied → 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                if _wants_json(request):
                    return JsonResponse({"ok": False, "message": _("Please sign in.")}, status=401)
                return redirect_to_login(request.get_full_path())
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                if _wants_json(request):
                    return JsonResponse({"ok": False, "message": str(exc.message)}, status=404)
                raise Http404 from exc
            except PermissionDenied as exc:
                if _wants_json(request):
                    return JsonResponse({"ok": False, "message": str(exc.message)}, status=403)
                raise DjangoPermissionDenied(str(exc.message)) from exc

        return wrapper

    return decorate


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _require_view(actor: Any) -> None:
    policy.require(actor, Action.VIEW, MODULE)


def _pipeline(request: HttpRequest, form: DealFilterForm) -> Any:
    values = form.values()
    pipeline = values.get("pipeline")
    if pipeline is None:
        pipeline = selectors.pipeline_list(actor=request.user).first()
    if pipeline is None:
        raise NotFound(_("There is no sales pipeline yet."))
    return pipeline


def _query(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


# --- board ----------------------------------------------------------------------------------


@sales_view("GET")
def board(request: HttpRequest) -> HttpResponse:
    """The kanban of one pipeline: a column per stage, its totals and its newest deals."""
    _require_view(request.user)
    form = DealFilterForm(request.GET or None, actor=request.user)
    pipeline = _pipeline(request, form)
    filters = form.selector_filters()
    columns = selectors.deal_board(
        actor=request.user, pipeline=pipeline, filters=filters, per_stage=BOARD_CARDS
    )
    return render(
        request,
        PAGES + "board.html",
        {
            "nav": "sales-board",
            "form": form,
            "filter_fields": form.pick(
                "pipeline", "owner", "department", "expected_close_from", "expected_close_to"
            ),
            "pipeline": pipeline,
            "pipelines": selectors.pipeline_list(actor=request.user),
            "columns": columns,
            "total_count": sum(c.count for c in columns if c.stage.is_open),
            "total_amount": sum((c.amount for c in columns if c.stage.is_open), Decimal("0")),
            "total_weighted": sum((c.weighted for c in columns if c.stage.is_open), Decimal("0")),
            "lost_reasons": selectors.close_reason_list(actor=request.user, kind=ReasonKind.LOST),
            "can_create": policy.can(request.user, Action.CREATE, MODULE),
            "can_admin": policy.can(request.user, Action.ADMIN, MODULE),
            "query": _query(request),
        },
    )


def _column_totals(actor: Any, deal: Deal) -> dict[str, Any]:
    totals = selectors.stage_totals(actor=actor, pipeline=deal.pipeline)
    stages = selectors.stage_list(actor=actor, pipeline=deal.pipeline)
    result = {}
    for stage in stages:
        count, amount = totals.get(stage.pk, (0, Decimal("0")))
        result[str(stage.pk)] = {"count": count, "amount": f"{amount:,.2f}"}
    return result


@sales_view("POST")
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to another stage (a drop on the board, or the "move to" menu)."""
    deal = selectors.deal_get(actor=request.user, pk=pk)
    form = MoveForm(request.POST)
    back = _next_url(request, reverse("sales:deal-detail", args=[deal.pk]))
    if not form.is_valid():
        message = _("Choose a stage.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect(back)
    data = form.cleaned_data
    try:
        stage = selectors.stage_get(actor=request.user, pk=data["stage"])
        reason = None
        if data.get("reason"):
            reason = (
                selectors.close_reason_list(actor=request.user).filter(pk=data["reason"]).first()
            )
        deal = services.deal_move_to_stage(
            actor=request.user,
            deal=deal,
            stage=stage,
            version=data.get("version"),
            reason=reason,
            note=data.get("note") or "",
        )
    except (Conflict, NotFound, PermissionDenied, ApplicationError) as exc:
        if isinstance(exc, Conflict):
            message = _("Someone else changed this deal meanwhile; the board has been reloaded.")
            status = 409
        elif isinstance(exc, NotFound):
            message, status = _("Choose a stage of the deal's pipeline."), 400
        elif isinstance(exc, PermissionDenied):
            message, status = str(exc.message), 403
        else:
            message, status = str(exc.message), 400
        if _wants_json(request):
            body: dict[str, Any] = {"ok": False, "message": message, "code": exc.code}
            if isinstance(exc, ApplicationError) and exc.extra.get("missing"):
                body["missing"] = exc.extra["missing"]
            return JsonResponse(body, status=status)
        messages.error(request, message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "version": deal.version,
                "stage": deal.stage_id,
                "status": deal.status,
                "message": _("Moved to “%(stage)s”.") % {"stage": deal.stage},
                "totals": _column_totals(request.user, deal),
            }
        )
    messages.success(request, _("Moved to “%(stage)s”.") % {"stage": deal.stage})
    return redirect(back)


# --- list -----------------------------------------------------------------------------------


@sales_view("GET")
def deal_list(request: HttpRequest) -> HttpResponse:
    """Deals the user may see, newest first, 50 at a time (keyset: ``?before=<id>``)."""
    _require_view(request.user)
    form = DealFilterForm(request.GET or None, actor=request.user)
    values = form.values()
    filters = form.selector_filters()
    if values.get("pipeline"):
        filters["pipeline"] = values["pipeline"]
    qs = selectors.deal_list(actor=request.user, filters=filters, q=values.get("q", ""))
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs[: LIST_PAGE + 1])
    has_more = len(rows) > LIST_PAGE
    rows = rows[:LIST_PAGE]
    return render(
        request,
        PAGES + "list.html",
        {
            "nav": "sales-deals",
            "form": form,
            "filter_fields": form.pick(
                "q",
                "pipeline",
                "stage",
                "status",
                "owner",
                "department",
                "expected_close_from",
                "expected_close_to",
            ),
            "deals": rows,
            "next_query": _query(request, before=rows[-1].pk) if has_more and rows else "",
            "first_query": _query(request, before="") if before else "",
            "can_create": policy.can(request.user, Action.CREATE, MODULE),
        },
    )


# --- one deal -------------------------------------------------------------------------------


def _deal_context(request: HttpRequest, deal: Deal) -> dict[str, Any]:
    can_edit = policy.can(request.user, Action.EDIT, MODULE, deal)
    stages = list(selectors.stage_list(actor=request.user, pipeline=deal.pipeline_id))
    return {
        "nav": "sales-deals",
        "deal": deal,
        "stages": stages,
        "history": selectors.deal_history(actor=request.user, deal=deal),
        "line_items": list(deal.line_items.all()),
        "contacts": list(deal.contacts.all()),
        "collaborators": [c.user for c in deal.collaborators.all()],
        "can_edit": can_edit,
        "can_delete": policy.can(request.user, Action.DELETE, MODULE, deal),
        "won_form": CloseForm(
            actor=request.user, kind=ReasonKind.WON, initial={"version": deal.version}
        ),
        "lost_form": CloseForm(
            actor=request.user, kind=ReasonKind.LOST, initial={"version": deal.version}
        ),
        "products": selectors.product_list(actor=request.user).filter(is_active=True)[:500],
        "quotes": list(selectors.quote_list(actor=request.user, deal=deal)),
        "orders": list(
            selectors.order_list(actor=request.user)
            .filter(deal=deal)
            .prefetch_related("plan", "payments")
        ),
        "today": timezone.localdate(),
    }


@sales_view("GET")
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor=request.user, pk=pk)
    return render(request, PAGES + "detail.html", _deal_context(request, deal))


def _customer_from_query(request: HttpRequest) -> Customer | None:
    raw = request.GET.get("customer") or request.POST.get("customer") or ""
    if not raw.isdigit():
        return None
    try:
        return customer_selectors.customer_get(actor=request.user, pk=raw)
    except NotFound:
        return None


def _apply_error(form: DealForm, exc: ApplicationError) -> None:
    field = (exc.field or "").split(".")[0].split("[")[0]
    if field in form.fields:
        form.add_error(field, str(exc.message))
    else:
        form.add_error(None, str(exc.message))


@sales_view("GET", "POST")
def deal_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Action.CREATE, MODULE)
    customer = _customer_from_query(request)
    if request.method == "POST":
        form = DealForm(request.POST, actor=request.user, customer=customer)
        if form.is_valid():
            try:
                deal = services.deal_create(actor=request.user, data=form.service_data())
            except ApplicationError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("Deal created."))
                return redirect("sales:deal-detail", pk=deal.pk)
    else:
        initial: dict[str, Any] = {"currency": "CNY", "owner": request.user.pk}
        if customer is not None:
            initial["customer"] = customer.pk
            initial["name"] = customer.name
        form = DealForm(initial=initial, actor=request.user, customer=customer)
    return render(
        request,
        PAGES + "form.html",
        {"nav": "sales-deals", "form": form, "deal": None, "customer": customer},
        status=422 if request.method == "POST" else 200,
    )


@sales_view("GET", "POST")
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor=request.user, pk=pk)
    policy.require(request.user, Action.EDIT, MODULE, deal)
    conflict = None
    status = 200
    if request.method == "POST":
        form = DealForm(request.POST, actor=request.user, customer=deal.customer)
        if form.is_valid():
            try:
                services.deal_update(
                    actor=request.user,
                    deal=deal,
                    data=form.service_data(),
                    version=form.cleaned_data.get("version"),
                )
            except Conflict:
                conflict = selectors.deal_get(actor=request.user, pk=pk)
                status = 409
            except ApplicationError as exc:
                _apply_error(form, exc)
                status = 422
            else:
                messages.success(request, _("Deal saved."))
                return redirect("sales:deal-detail", pk=deal.pk)
        else:
            status = 422
    else:
        form = DealForm(
            initial={
                "name": deal.name,
                "customer": deal.customer_id,
                "pipeline": deal.pipeline_id,
                "amount": deal.amount,
                "currency": deal.currency,
                "exchange_rate": deal.exchange_rate if deal.currency != "CNY" else None,
                "expected_close_on": deal.expected_close_on,
                "owner": deal.owner_id,
                "contacts": [c.pk for c in deal.contacts.all()],
                "source": deal.source_id,
                "description": deal.description,
                "version": deal.version,
            },
            actor=request.user,
            customer=deal.customer,
        )
    return render(
        request,
        PAGES + "form.html",
        {
            "nav": "sales-deals",
            "form": form,
            "deal": deal,
            "customer": deal.customer,
            "conflict": conflict,
            "has_line_items": deal.line_items.exists(),
        },
        status=status,
    )


@sales_view("POST")
def deal_close(request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
    """Mark a deal won or lost (with a reason and a note)."""
    deal = selectors.deal_get(actor=request.user, pk=pk)
    kind = ReasonKind.WON if outcome == "won" else ReasonKind.LOST
    form = CloseForm(request.POST, actor=request.user, kind=kind)
    back = reverse("sales:deal-detail", args=[deal.pk])
    if not form.is_valid():
        messages.error(request, _("Say why the deal was lost."))
        return redirect(back)
    data = form.cleaned_data
    close = services.deal_mark_won if kind == ReasonKind.WON else services.deal_mark_lost
    try:
        close(
            actor=request.user,
            deal=deal,
            reason=data.get("reason"),
            note=data.get("note") or "",
            version=data.get("version"),
        )
    except Conflict:
        messages.error(request, _("Someone else changed this deal meanwhile: check and try again."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Marked as won.") if kind == ReasonKind.WON else _("Marked as lost.")
        )
    return redirect(back)


def _posted_line_items(request: HttpRequest, products: dict[int, Any]) -> list[dict[str, Any]]:
    names = request.POST.getlist("item_name")[:MAX_LINE_ITEMS_FORM]
    product_ids = request.POST.getlist("item_product")
    quantities = request.POST.getlist("item_quantity")
    prices = request.POST.getlist("item_unit_price")
    discounts = request.POST.getlist("item_discount")
    items = []
    for index, name in enumerate(names):

        def at(values: list[str], i: int = index) -> str:
            return values[i].strip() if i < len(values) else ""

        product_id = at(product_ids)
        product = products.get(int(product_id)) if product_id.isdigit() else None
        if not (name.strip() or product or at(prices)):
            continue
        items.append(
            {
                "product": product,
                "name": name,
                "quantity": at(quantities) or "1",
                "unit_price": at(prices),
                "discount_percent": at(discounts) or "0",
            }
        )
    return items


@sales_view("POST")
def deal_line_items(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the products of a deal (the amount becomes their sum)."""
    deal = selectors.deal_get(actor=request.user, pk=pk)
    ids = [int(v) for v in request.POST.getlist("item_product") if v.isdigit()]
    products = selectors.product_list(actor=request.user).in_bulk(ids) if ids else {}
    version = request.POST.get("version", "")
    try:
        services.deal_set_line_items(
            actor=request.user,
            deal=deal,
            items=_posted_line_items(request, products),
            version=int(version) if version.isdigit() else None,
        )
    except Conflict:
        messages.error(request, _("Someone else changed this deal meanwhile: check and try again."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Products saved."))
    return redirect(reverse("sales:deal-detail", args=[deal.pk]) + "#products")


@sales_view("POST")
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor=request.user, pk=pk)
    services.deal_delete(actor=request.user, deal=deal)
    messages.success(request, _("The deal was moved to the recycle bin."))
    return redirect("sales:deal-list")


@sales_view("GET")
def customer_deals(request: HttpRequest, pk: int) -> HttpResponse:
    """The deals of one customer, as a fragment for its 360° page."""
    customer = customer_selectors.customer_get(actor=request.user, pk=pk)
    deals = list(selectors.customer_deal_list(actor=request.user, customer=customer)[:100])
    return render(
        request,
        PARTIALS + "_customer_deals.html",
        {
            "customer": customer,
            "deals": deals,
            "can_create": policy.can(request.user, Action.CREATE, MODULE),
        },
    )


# --- analytics ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "—"


@sales_view("GET")
def funnel(request: HttpRequest) -> HttpResponse:
    """Counts, amounts, conversion and time per stage, win rate and cycle length."""
    _require_view(request.user)
    form = DealFilterForm(request.GET or None, actor=request.user)
    pipeline = _pipeline(request, form)
    result = selectors.deal_funnel(
        actor=request.user, pipeline=pipeline, filters=form.selector_filters()
    )
    chart = {
        "stages": [str(s.stage) for s in result.stages if not s.stage.is_lost],
        "reached": [s.reached for s in result.stages if not s.stage.is_lost],
        "amounts": [float(s.amount) for s in result.stages],
        "names": [str(s.stage) for s in result.stages],
        "labels": {"reached": _("Reached"), "amount": _("Amount (CNY)")},
    }
    return render(
        request,
        PAGES + "funnel.html",
        {
            "nav": "sales-funnel",
            "form": form,
            "filter_fields": form.pick(
                "pipeline", "owner", "department", "created_from", "created_to"
            ),
            "pipeline": pipeline,
            "funnel": result,
            "rows": [
                {
                    "item": s,
                    "conversion": _pct(s.conversion),
                    "average_days": f"{s.average_days:.1f}" if s.average_days is not None else "—",
                }
                for s in result.stages
            ],
            "win_rate": _pct(result.win_rate),
            "cycle_days": f"{result.cycle_days:.1f}" if result.cycle_days is not None else "—",
            "chart": chart,
        },
    )


@sales_view("GET")
def forecast(request: HttpRequest) -> HttpResponse:
    """The weighted pipeline per month against the targets, by owner or department."""
    _require_view(request.user)
    form = DealFilterForm(request.GET or None, actor=request.user)
    options = ForecastForm(request.GET or None)
    start, months, group_by = options.values(timezone.localdate())
    filters = {k: v for k, v in form.selector_filters().items() if k in ("owner", "department")}
    if form.values().get("pipeline"):
        filters["pipeline"] = form.values()["pipeline"]
    result = selectors.deal_forecast(
        actor=request.user, start=start, months=months, group_by=group_by, filters=filters
    )
    totals = result.totals()
    chart = {
        "months": result.months,
        "weighted": [float(t.weighted) for t in totals],
        "won": [float(t.won) for t in totals],
        "target": [float(t.target) if t.target is not None else None for t in totals],
        "labels": {
            "weighted": _("Weighted pipeline"),
            "won": _("Won"),
            "target": _("Target"),
        },
    }
    return render(
        request,
        PAGES + "forecast.html",
        {
            "nav": "sales-forecast",
            "form": form,
            "filter_fields": [
                *options.pick("start", "months", "group_by"),
                *form.pick("owner", "department"),
            ],
            "options": options,
            "forecast": result,
            "totals": totals,
            "grouped": group_by != GroupBy.NONE,
            "chart": chart,
        },
    )


# --- leads and the public pool --------------------------------------------------------------


@sales_view("GET")
def lead_list(request: HttpRequest) -> HttpResponse:
    """My leads, or (``?tab=pool``) the leads waiting in the public pools."""
    _require_view(request.user)
    tab = "pool" if request.GET.get("tab") == "pool" else "mine"
    filter_form = LeadFilterForm(request.GET or None)
    if tab == "pool":
        leads = list(selectors.pool_lead_list(actor=request.user)[:LIST_PAGE])
    else:
        values = filter_form.values()
        leads = list(
            selectors.lead_list(
                actor=request.user,
                filters={"open": True, "min_score": values.get("min_score")},
                ordering=values.get("ordering") or "-id",
            )[:LIST_PAGE]
        )
    pools = list(selectors.pool_list(actor=request.user))
    held = {pool.pk: services.held_count(request.user, pool) for pool in pools}
    return render(
        request,
        PAGES + "leads.html",
        {
            "nav": "sales-leads",
            "tab": tab,
            "leads": leads,
            "pools": [(pool, held[pool.pk]) for pool in pools],
            "can_create": policy.can(request.user, Action.CREATE, MODULE),
            "filter_form": filter_form,
            "filter_fields": filter_form.pick("min_score", "ordering"),
            "can_admin": policy.can(request.user, Action.ADMIN, MODULE),
        },
    )


@sales_view("GET", "POST")
def lead_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Action.CREATE, MODULE)
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.pop("to_pool"):
            data["pool"] = services.default_pool()
        try:
            lead = services.lead_create(actor=request.user, data=data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Lead created."))
            if lead.owner_id is None:
                return redirect(reverse("sales:lead-list") + "?tab=pool")
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(
        request,
        PAGES + "lead_form.html",
        {"nav": "sales-leads", "form": form},
        status=422 if request.method == "POST" else 200,
    )


@sales_view("GET")
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, pk=pk)
    duplicates = (
        services.duplicates_of(request.user, lead) if lead.owner_id and lead.is_open else []
    )
    masked = lead.owner_id is None
    return render(
        request,
        PAGES + "lead_detail.html",
        {
            "nav": "sales-leads",
            "lead": lead,
            "masked": masked,
            "contact_data": [
                (label, policy.mask_value(name, value) if masked else value)
                for name, label, value in (
                    ("mobile", _("Mobile"), lead.mobile),
                    ("phone", _("Phone"), lead.phone),
                    ("email", _("E-mail"), lead.email),
                    ("wechat", _("WeChat ID"), lead.wechat),
                )
            ],
            "can_edit": lead.owner_id is not None
            and policy.can(request.user, Action.EDIT, MODULE, lead),
            "follow_up_form": FollowUpForm(),
            "duplicates": duplicates,
        },
    )


@sales_view("POST")
def lead_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Claim, release, follow up or convert a lead (a form's POST)."""
    lead = selectors.lead_get(actor=request.user, pk=pk)
    back = reverse("sales:lead-detail", args=[lead.pk])
    try:
        if action == "claim":
            services.lead_claim(actor=request.user, lead=lead)
            messages.success(request, _("The lead is yours now."))
        elif action == "release":
            services.lead_release(actor=request.user, lead=lead)
            messages.success(request, _("The lead went back to the public pool."))
            return redirect(reverse("sales:lead-list") + "?tab=pool")
        elif action == "follow-up":
            form = FollowUpForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say what happened."))
                return redirect(back)
            services.lead_follow_up(
                actor=request.user,
                lead=lead,
                note=form.cleaned_data["note"],
                next_follow_up_on=form.cleaned_data.get("next_follow_up_on"),
            )
            messages.success(request, _("Follow-up recorded."))
        elif action == "convert":
            customer = None
            raw = request.POST.get("customer", "")
            if raw.isdigit():
                customer = customer_selectors.customer_get(actor=request.user, pk=raw)
            deal = {"amount": request.POST["amount"]} if request.POST.get("amount") else None
            if request.POST.get("with_deal"):
                deal = deal or {}
            result = services.lead_convert(
                actor=request.user,
                lead=lead,
                customer=customer,
                create_new=bool(request.POST.get("create_new")),
                deal=deal,
            )
            messages.success(request, _("Converted into a customer."))
            if result.deal is not None:
                return redirect("sales:deal-detail", pk=result.deal.pk)
            return redirect("customers:customer-detail", pk=result.customer.pk)
        else:
            raise NotFound()
    except Conflict:
        messages.error(request, _("Someone else changed this lead meanwhile: check and try again."))
    except NotFound:
        raise
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    if action == "claim" and not policy.can(request.user, Action.VIEW, MODULE, lead):
        return redirect(reverse("sales:lead-list") + "?tab=pool")
    return redirect(back)


# --- quotes, orders, payments ---------------------------------------------------------------


@sales_view("POST")
def quote_create(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(actor=request.user, pk=pk)
    try:
        quote = services.quote_create(
            actor=request.user,
            deal=deal,
            valid_until=request.POST.get("valid_until") or None,
            notes=request.POST.get("notes", ""),
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Quote %(number)s created.") % {"number": quote.number})
    return redirect(reverse("sales:deal-detail", args=[deal.pk]) + "#quotes")


@sales_view("POST")
def quote_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Send, accept (which makes an order) or reject a quote."""
    quote = selectors.quote_get(actor=request.user, pk=pk)
    back = reverse("sales:deal-detail", args=[quote.deal_id]) + "#quotes"
    try:
        if decision == "send":
            services.quote_send(actor=request.user, quote=quote)
            messages.success(request, _("Marked as sent."))
        elif decision == "accept":
            order = services.quote_accept(actor=request.user, quote=quote)
            messages.success(request, _("Order %(number)s created.") % {"number": order.number})
        else:
            services.quote_reject(actor=request.user, quote=quote)
            messages.success(request, _("Marked as rejected."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect(back)


@sales_view("GET")
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from guanxi.sales.pdf import quote_pdf as render_pdf

    quote = selectors.quote_get(actor=request.user, pk=pk)
    response = HttpResponse(render_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


@sales_view("POST")
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(actor=request.user, pk=pk)
    try:
        services.payment_record(
            actor=request.user,
            order=order,
            amount=request.POST.get("amount", ""),
            received_on=request.POST.get("received_on") or None,
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Payment recorded."))
    return redirect(reverse("sales:deal-detail", args=[order.deal_id]) + "#orders")


@sales_view("GET")
def customer_transactions(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's orders, payments and lifetime value, as a fragment for its 360° page."""
    customer = customer_selectors.customer_get(actor=request.user, pk=pk)
    return render(
        request,
        PARTIALS + "_customer_transactions.html",
        {
            "customer": customer,
            "transactions": selectors.customer_transactions(actor=request.user, customer=customer),
        },
    )
