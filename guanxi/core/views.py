"""The audit log page for auditors and administrators: filter, page through, export as CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from guanxi.core import audit_selectors, services
from guanxi.core.errors import PermissionDenied
from guanxi.core.models import AuditAction


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=gettext_lazy("Who"), queryset=get_user_model().objects.none(), required=False
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Record type"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Record id"), required=False, max_length=64)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor_field = cast(forms.ModelChoiceField, self.fields["actor"])
        actor_field.queryset = get_user_model().objects.order_by("username")
        action_field = cast(forms.ChoiceField, self.fields["action"])
        action_field.choices = [("", _("All")), *AuditAction.choices]
        type_field = cast(forms.ChoiceField, self.fields["object_type"])
        type_field.choices = [("", _("All")), *audit_selectors.record_types()]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css
            if name.startswith("date_"):
                field.widget.attrs.update({"data-gx-date": "date", "autocomplete": "off"})

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "actor": data["actor"].pk if data.get("actor") else None,
            "action": data.get("action") or None,
            "object_type": data.get("object_type") or None,
            "object_id": (data.get("object_id") or "").strip() or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


def _before(request: HttpRequest) -> int | None:
    try:
        value = int(request.GET.get("before", ""))
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    try:
        page = audit_selectors.audit_entry_page(
            actor=request.user, filters=form.filters(), before=_before(request)
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    query = request.GET.copy()
    query.pop("before", None)
    if page.next_before:
        query["before"] = str(page.next_before)
    from guanxi.accounts import policy

    return render(
        request,
        "core/pages/audit_log.html",
        {
            "nav": "settings",
            "tab": "audit",
            "form": form,
            "page": page,
            "next_query": query.urlencode() if page.next_before else "",
            "export_query": request.GET.urlencode(),
            "may_export": policy.can(request.user, "export", audit_selectors.MODULE),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows(entries: Iterator[Any]) -> Iterator[list[str]]:
    yield [
        _("Id"),
        _("Time"),
        _("Who"),
        _("From"),
        _("Action"),
        _("Record type"),
        _("Record id"),
        _("Record"),
        _("Changes"),
    ]
    for entry in entries:
        yield [
            _cell(entry.pk),
            _cell(timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")),
            _cell(entry.actor_name),
            _cell(entry.ip),
            _cell(entry.get_action_display()),
            _cell(entry.object_type),
            _cell(entry.object_id),
            _cell(entry.object_repr),
            _cell(json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)),
        ]


@login_required
@require_GET
def audit_log_export(request: HttpRequest) -> StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    try:
        count = audit_selectors.audit_entry_list(
            actor=request.user, filters=filters, action="export"
        ).count()
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    recorded = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    recorded_entry = services.audit_log_export_record(
        actor=request.user, filters=recorded, count=count
    )
    writer = csv.writer(_Echo())
    entries = audit_selectors.audit_entry_iter(
        actor=request.user, filters=filters, before=recorded_entry.pk
    )

    def stream() -> Iterator[str]:
        yield "\ufeff"
        for row in _rows(entries):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
