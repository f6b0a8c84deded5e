"""The customer list, the customer form, bulk actions and the recycle bin (thin UI views).

Views parse the request, call a selector or a service with ``actor=request.user`` and render. A
record outside the user's scope is a 404. An htmx request for the list's results gets only the
results fragment; every page also works without JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import policy
from guanxi.accounts import selectors as account_selectors
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guanxi.core.pagination import MAX_CURSOR_LENGTH, OrderKey, keyset_filter
from guanxi.customers import selectors, services
from guanxi.customers.forms.customer import (
    DEFAULT_SORT,
    SORTABLE,
    BulkActionForm,
    CustomerFilterForm,
    CustomerForm,
    ListChoices,
    current_values,
    custom_definitions,
    owner_choices,
)
from guanxi.customers.models import Customer
from guanxi.customization import ui as custom_ui
from guanxi.customization.selectors import SORT_PREFIX, custom_sort_annotation

MODULE = "customers"
COUNT_CAP = 1000
RESULTS_TARGET = "gx-results"
CUSTOM_SORT_ALIAS = "cf_sort_value"


# --- plumbing -------------------------------------------------------------------------------


def _service_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Show a record outside the user's scope as 404 and a missing right as 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc

    return wrapper


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: the ``next`` it names if that is on this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _wants_fragment(request: HttpRequest, target: str) -> bool:
    """An htmx request that swaps ``target`` (a history restore needs the full page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _url(name: str, params: dict[str, str], **kwargs: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name, kwargs=kwargs or None) + (f"?{query}" if query else "")


# --- keyset paging --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, with the cursors of the pages around it ("" when there is none)."""

    rows: list[Any]
    next_cursor: str
    previous_cursor: str
    has_cursor: bool


def _order_keys(model: type[Model], sort: str) -> list[OrderKey]:
    """``sort`` (a field, "-" for descending) then the id; empty values last on every database."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    pk = model._meta.pk
    keys = []
    if name not in ("id", "pk"):
        field = model._meta.get_field(name)
        if not isinstance(field, Field):
            raise TypeError(f"cannot page by {name!r}")
        keys.append(OrderKey(field.attname, field, descending, nulls_first=False))
    keys.append(OrderKey(pk.attname, pk, descending, nulls_first=False))
    return keys


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _encode_cursor(values: list[Any]) -> str:
    plain = [_plain(v) for v in values]
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(token: str, keys: list[OrderKey]) -> list[Any] | None:
    """The key values a cursor holds, or None when it is not one of ours."""
    if len(token) > MAX_CURSOR_LENGTH:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(keys):
            return None
        values: list[Any] = []
        for key, value in zip(keys, raw, strict=True):
            if value is None and key.field.null:
                values.append(None)
                continue
            if not isinstance(value, str | int) or isinstance(value, bool):
                return None
            parsed = key.field.to_python(value)
            if isinstance(parsed, dt.datetime) and timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, dt.UTC)
            values.append(parsed)
    except (ValueError, TypeError, binascii.Error, DjangoValidationError, OverflowError):
        return None
    return values


def keyset_page(
    queryset: QuerySet[Any], *, sort: str, size: int, after: str = "", before: str = ""
) -> KeysetPage:
    """A page of ``queryset`` ordered by ``sort`` and then id, from the cursor it is given.

    The cursors hold the (sort value, id) of the first and last row shown, so every page costs the
    same however deep it is: no OFFSET. An unreadable cursor gives the first page. ``sort`` may
    be ``custom.<key>`` for a sortable custom field: its value is annotated on every row.
    """
    custom = custom_sort_annotation(queryset.model._meta.label_lower, sort)
    if custom is not None:
        expression, output_field = custom
        queryset = queryset.annotate(**{CUSTOM_SORT_ALIAS: expression})
        pk = queryset.model._meta.pk
        descending = sort.startswith("-")
        keys = [
            OrderKey(CUSTOM_SORT_ALIAS, output_field, descending, nulls_first=False),
            OrderKey(pk.attname, pk, descending, nulls_first=False),
        ]
    else:
        keys = _order_keys(queryset.model, sort)
    token, backwards = (before, True) if before else (after, False)
    values = _decode_cursor(token, keys) if token else None
    backwards = backwards and values is not None
    walk = [key.reversed() for key in keys] if backwards else keys
    ordered = queryset.order_by(*[key.expression() for key in walk])
    if values is not None:
        ordered = ordered.filter(keyset_filter(walk, values))
    rows = list(ordered[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        if not more and len(rows) < size:
            # Back at the start with a short page: show the first page in full.
            return keyset_page(queryset, sort=sort, size=size)
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = values is not None, more

    def cursor(row: Model) -> str:
        return _encode_cursor([getattr(row, key.name) for key in keys])

    return KeysetPage(
        rows=rows,
        next_cursor=cursor(rows[-1]) if has_next and rows else "",
        previous_cursor=cursor(rows[0]) if has_previous and rows else "",
        has_cursor=values is not None,
    )


def _capped_count(queryset: QuerySet[Any]) -> int:
    return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()


# --- the customer list ----------------------------------------------------------------------


def _sort_links(
    params: dict[str, str], sort: str, custom_sorts: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """For each sortable column: the URL a click on its header goes to, and its current state."""
    links = {}
    columns = {**SORTABLE, **{name: name for name in custom_sorts}}
    for field, first in columns.items():
        active = sort.lstrip("-") == field
        descending = sort.startswith("-")
        target = (field if descending else f"-{field}") if active else first
        query = {**params, "sort": target if target != DEFAULT_SORT else ""}
        links[field] = {
            "url": _url("customers:customer-list", query),
            "active": active,
            "descending": active and descending,
        }
    return links


@login_required
@require_GET
@_service_errors
def customer_list(request: HttpRequest) -> HttpResponse:
    """Customers the user may see: filters, search, sort by column, keyset paging, bulk actions."""
    actor = request.user
    choices = ListChoices.load(actor=actor)
    form = CustomerFilterForm(request.GET, choices=choices)
    sort = form.ordering()
    filters = form.selector_filters()
    queryset = selectors.customer_list(
        actor=actor, filters=filters, q=form.search_text(), ordering=sort
    )
    page = keyset_page(
        queryset,
        sort=sort,
        size=form.page_size(),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    params = form.query_params()
    total = _capped_count(queryset)
    list_url = _url("customers:customer-list", params)
    current = {**params}
    if request.GET.get("after") and page.has_cursor:
        current["after"] = request.GET["after"]
    elif request.GET.get("before") and page.has_cursor:
        current["before"] = request.GET["before"]
    sorts = _sort_links(params, sort, form.custom_sorts)
    columns = [d for d in form.custom_fields if d.is_shown_in_list]
    cells = custom_ui.list_cells(page.rows, columns, actor=actor)
    context = {
        "nav": "customers",
        "filters": form,
        "bulk": BulkActionForm(owners=choices.owners, tags=choices.tags),
        "rows": page.rows,
        "custom_columns": [
            {"key": d.key, "label": d.label, "sort": sorts.get(f"{SORT_PREFIX}{d.key}")}
            for d in columns
        ],
        "custom_rows": list(zip(page.rows, cells, strict=True)),
        "page": page,
        "total": total,
        "total_capped": total > COUNT_CAP,
        "count_cap": COUNT_CAP,
        "is_filtered": bool(filters or form.search_text()),
        "sort": sort,
        "sorts": sorts,
        "list_url": list_url,
        "current_url": _url("customers:customer-list", current),
        "next_url": (
            _url("customers:customer-list", {**params, "after": page.next_cursor})
            if page.next_cursor
            else ""
        ),
        "previous_url": (
            _url("customers:customer-list", {**params, "before": page.previous_cursor})
            if page.previous_cursor
            else ""
        ),
        "can_create": policy.can(actor, "create", MODULE),
        "can_edit": policy.can(actor, "edit", MODULE),
    }
    if _wants_fragment(request, RESULTS_TARGET):
        response = render(request, "customers/partials/_customer_results.html", context)
        response["HX-Push-Url"] = str(context["current_url"])
    else:
        response = render(request, "customers/pages/customer_list.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_POST
@_service_errors
def customer_bulk(request: HttpRequest) -> HttpResponse:
    """Assign an owner to, or add or remove a tag on, the selected customers (all or none)."""
    actor = request.user
    back = _next_url(request, reverse("customers:customer-list"))
    tags = selectors.tag_list(actor=actor)
    tag_choices = [(str(t.pk), str(t)) for t in tags]
    form = BulkActionForm(request.POST, owners=owner_choices(actor), tags=tag_choices)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    ids = form.cleaned_data["ids"]
    action = form.cleaned_data["action"]
    try:
        if action == BulkActionForm.ASSIGN_OWNER:
            owner = account_selectors.user_get(actor=actor, pk=form.cleaned_data["owner"])
            changed = services.customers_assign_owner(actor=actor, customer_ids=ids, owner=owner)
            text = ngettext(
                "%(count)d customer assigned to %(owner)s.",
                "%(count)d customers assigned to %(owner)s.",
                changed,
            ) % {"count": changed, "owner": owner}
        else:
            tag = selectors.tag_get(actor=actor, pk=form.cleaned_data["tag"])
            if action == BulkActionForm.ADD_TAG:
                changed = services.customers_change_tags(actor=actor, customer_ids=ids, add=[tag])
                text = ngettext(
                    "Tag “%(tag)s” added to %(count)d customer.",
                    "Tag “%(tag)s” added to %(count)d customers.",
                    changed,
                ) % {"count": changed, "tag": tag}
            else:
                changed = services.customers_change_tags(
                    actor=actor, customer_ids=ids, remove=[tag]
                )
                text = ngettext(
                    "Tag “%(tag)s” removed from %(count)d customer.",
                    "Tag “%(tag)s” removed from %(count)d customers.",
                    changed,
                ) % {"count": changed, "tag": tag}
    except (ValidationError, PermissionDenied) as exc:
        # All or nothing: one customer she may see but not change leaves every one unchanged.
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(request, text)
    return redirect(back)


# --- create, edit, delete -------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: CustomerForm, customer: Customer | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "customers/pages/customer_form.html",
        {
            "nav": "customers",
            "form": form,
            "customer": customer,
            "can_delete": customer is not None and policy.can(request.user, "delete", MODULE),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def customer_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    policy.require(actor, "create", MODULE)
    tags = selectors.tag_list(actor=actor)
    custom = custom_definitions(actor)
    if request.method != "POST":
        form = CustomerForm(
            actor=actor, tags=tags, custom_fields=custom, initial={"owner": actor.pk}
        )
        return _form_page(request, form, None)
    form = CustomerForm(request.POST, actor=actor, tags=tags, custom_fields=custom)
    if form.is_valid():
        try:
            customer = services.customer_create(actor=actor, data=form.service_data())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return redirect("customers:customer-detail", pk=customer.pk)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a customer; a stale ``version`` shows the conflict screen and changes nothing."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    tags = selectors.tag_list(actor=actor)
    custom = custom_definitions(actor)
    if request.method != "POST":
        form = CustomerForm(actor=actor, tags=tags, customer=customer, custom_fields=custom)
        return _form_page(request, form, customer)
    form = CustomerForm(
        request.POST, actor=actor, tags=tags, customer=customer, custom_fields=custom
    )
    if form.is_valid():
        try:
            services.customer_update(
                actor=actor,
                customer=customer,
                data=form.service_data(),
                version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            return _conflict_page(request, form, exc.instance or customer)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": customer.name})
            return redirect("customers:customer-detail", pk=customer.pk)
    return _form_page(request, form, customer)


def _conflict_page(request: HttpRequest, form: CustomerForm, current: Customer) -> HttpResponse:
    """Someone saved the customer after the form was opened: show both versions side by side."""
    theirs = current_values(form, current)
    mine = form.attempted_values()
    rows = [
        {
            "label": form.fields[name].label,
            "current": theirs[name],
            "mine": mine[name],
            "differs": theirs[name] != mine[name],
        }
        for name in form.compared_fields()
    ]
    hidden = [form[name] for name in form.compared_fields()]
    return render(
        request,
        "customers/pages/customer_conflict.html",
        {
            "nav": "customers",
            "customer": current,
            "rows": rows,
            "hidden_fields": hidden,
            "current_version": current.version,
            "same_count": sum(1 for row in rows if not row["differs"]),
        },
        status=409,
    )


@login_required
@require_POST
@_service_errors
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a customer to the recycle bin; the message offers to undo it."""
    actor = request.user
    customer = selectors.customer_get(actor=actor, pk=pk)
    services.customer_delete(actor=actor, customer=customer)
    undo_url = _url(
        "customers:recycle-bin-restore",
        {"next": reverse("customers:customer-detail", kwargs={"pk": customer.pk})},
        kind="customer",
        pk=customer.pk,
    )
    text = _("“%(name)s” was moved to the recycle bin.") % {"name": customer.name}
    messages.success(
        request,
        format_html(
            '{} <button type="submit" form="gx-message-action" formaction="{}" '
            'class="btn btn-link btn-sm p-0 ms-2 align-baseline" data-testid="undo">{}</button>',
            text,
            undo_url,
            _("Undo"),
        ),
    )
    default = reverse("customers:customer-list")
    back = _next_url(request, default)
    if back.split("?")[0] in (
        reverse("customers:customer-detail", kwargs={"pk": customer.pk}),
        reverse("customers:customer-edit", kwargs={"pk": customer.pk}),
    ):
        back = default
    return redirect(back)


# --- recycle bin ----------------------------------------------------------------------------


BIN_KINDS = ("customer", "contact", "interaction")


def _bin_queryset(actor: Any, kind: str) -> QuerySet[Any]:
    if kind == "contact":
        return selectors.contact_list(actor=actor, deleted=True).select_related("deleted_by")
    if kind == "interaction":
        return selectors.interaction_list(actor=actor, deleted=True).select_related("deleted_by")
    return selectors.customer_list(actor=actor, deleted=True).select_related("deleted_by")


def _bin_row(kind: str, obj: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "pk": obj.pk,
        "title": str(obj),
        "parent": obj.customer.name if kind != "customer" else "",
        "deleted_at": obj.deleted_at,
        "deleted_by": obj.deleted_by,
        "erased_on": obj.deleted_at + dt.timedelta(days=services.RECYCLE_BIN_DAYS),
    }


@login_required
@require_GET
@_service_errors
def recycle_bin(request: HttpRequest) -> HttpResponse:
    """Deleted customers, contacts and interactions the user may see, newest first."""
    actor = request.user
    kind = request.GET.get("kind", "customer")
    if kind not in BIN_KINDS:
        kind = "customer"
    page = keyset_page(
        _bin_queryset(actor, kind),
        sort="-deleted_at",
        size=25,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    labels = {
        "customer": _("Customers"),
        "contact": _("Contacts"),
        "interaction": _("Interactions"),
    }
    tabs = [
        {
            "kind": name,
            "label": labels[name],
            "count": _capped_count(_bin_queryset(actor, name)),
            "url": _url("customers:recycle-bin", {"kind": name}),
            "active": name == kind,
        }
        for name in BIN_KINDS
    ]
    context = {
        "nav": "recycle-bin",
        "kind": kind,
        "tabs": tabs,
        "rows": [_bin_row(kind, obj) for obj in page.rows],
        "retention_days": services.RECYCLE_BIN_DAYS,
        "count_cap": COUNT_CAP,
        "current_url": request.get_full_path(),
        "next_url": (
            _url("customers:recycle-bin", {"kind": kind, "after": page.next_cursor})
            if page.next_cursor
            else ""
        ),
        "previous_url": (
            _url("customers:recycle-bin", {"kind": kind, "before": page.previous_cursor})
            if page.previous_cursor
            else ""
        ),
        "can_restore": policy.can(actor, "delete", MODULE) or policy.can(actor, "edit", MODULE),
    }
    return render(request, "customers/pages/recycle_bin.html", context)


@login_required
@require_POST
@_service_errors
def recycle_bin_restore(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Bring a customer, contact or interaction back from the recycle bin."""
    actor = request.user
    back = _next_url(request, _url("customers:recycle-bin", {"kind": kind}))
    try:
        if kind == "customer":
            obj: Any = selectors.customer_get(actor=actor, pk=pk, deleted=True)
            services.customer_restore(actor=actor, customer=obj)
        elif kind == "contact":
            obj = selectors.contact_get(actor=actor, pk=pk, deleted=True)
            services.contact_restore(actor=actor, contact=obj)
        elif kind == "interaction":
            obj = selectors.interaction_get(actor=actor, pk=pk, deleted=True)
            services.interaction_restore(actor=actor, interaction=obj)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(request, _("“%(name)s” was restored.") % {"name": obj})
    return redirect(back)
