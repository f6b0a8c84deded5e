"""Import wizard, import history and progress, exports, duplicates and data quality (thin UI
views: parse, call a selector or a service with ``actor=request.user``, render)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, NotFound, PermissionDenied
from guanxi.customers.models import CustomerKind
from guanxi.dataio import engine, selectors
from guanxi.dataio import services as import_services
from guanxi.dataio.fields import field_choices, spec_for
from guanxi.dataio.filters import list_filters, list_params
from guanxi.dataio.models import (
    ExportStatus,
    FileFormat,
    ImportKind,
    ImportStatus,
    OnDuplicate,
)
from guanxi.dataio.services import duplicates as duplicate_services
from guanxi.dataio.services import exports as export_services
from guanxi.dataio.services import quality as quality_services

NAV = "dataio"


def _service_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A record outside the user's scope is a 404, a missing right a 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    actor = request.user
    return {
        "nav": NAV,
        "can_import": policy.can(actor, Action.IMPORT, "customers"),
        "can_scan": duplicate_services._can_scan(actor),
        **extra,
    }


# --- imports --------------------------------------------------------------------------------


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.import_job_list(actor=request.user)[:100]
    return render(request, "dataio/pages/imports.html", _context(request, tab="imports", jobs=jobs))


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def import_create(request: HttpRequest) -> HttpResponse:
    mappings = selectors.import_mapping_list(actor=request.user)
    context = _context(
        request,
        tab="imports",
        kinds=ImportKind.choices,
        mappings=mappings,
        values=request.POST,
        max_mb=import_services.imports.max_upload_bytes() // 1024**2,
    )
    if request.method == "POST":
        upload = request.FILES.get("file")
        mapping = None
        if request.POST.get("mapping"):
            mapping = mappings.filter(pk=request.POST["mapping"]).first()
        try:
            if upload is None:
                raise ApplicationError(_("Choose a file."), field="file")
            job = import_services.import_job_create(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                upload=upload,
                sheet=request.POST.get("sheet", "").strip(),
                encoding=request.POST.get("encoding", "").strip(),
                mapping=mapping,
            )
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            context["error"] = exc
            return render(request, "dataio/pages/import_new.html", context, status=400)
        return redirect("dataio:import-map", pk=job.pk)
    if not context["can_import"]:
        raise DjangoPermissionDenied(_("You do not have permission to import."))
    return render(request, "dataio/pages/import_new.html", context)


def _columns(job: Any) -> list[dict[str, Any]]:
    with engine.local_path(job.file) as path:
        _table, samples = engine.first_rows(path, job)
    values = engine.sample_values(samples, len(job.headers))
    return [
        {
            "index": index,
            "header": header,
            "samples": values[index][:3],
            "field": job.mapping.get(str(index), ""),
        }
        for index, header in enumerate(job.headers)
    ]


def _field_options(job: Any) -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in field_choices(job.kind)]


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    if job.status != ImportStatus.DRAFT:
        return redirect("dataio:import-detail", pk=job.pk)
    error = None
    if request.method == "POST":
        mapping = {
            str(index): request.POST.get(f"column_{index}", "") for index in range(len(job.headers))
        }
        try:
            job = import_services.import_job_configure(
                actor=request.user,
                job=job,
                mapping=mapping,
                on_duplicate=request.POST.get("on_duplicate", OnDuplicate.SKIP),
                options={
                    "owner_id": request.POST.get("owner_id", ""),
                    "default_kind": request.POST.get("default_kind", ""),
                },
                save_as=request.POST.get("save_as", ""),
            )
        except ApplicationError as exc:
            error = exc
            job.mapping = {k: v for k, v in mapping.items() if v}
        else:
            return redirect("dataio:import-preview", pk=job.pk)
    from guanxi.customers.forms.customer import owner_choices

    context = _context(
        request,
        tab="imports",
        job=job,
        columns=_columns(job),
        fields=_field_options(job),
        on_duplicate_choices=OnDuplicate.choices,
        owners=owner_choices(request.user),
        kinds=CustomerKind.choices,
        error=error,
    )
    return render(request, "dataio/pages/import_map.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    if request.method == "POST":
        try:
            import_services.import_job_start(actor=request.user, job=job)
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            messages.error(request, str(exc.message))
            return redirect("dataio:import-map", pk=job.pk)
        return redirect("dataio:import-detail", pk=job.pk)
    if job.status != ImportStatus.DRAFT:
        return redirect("dataio:import-detail", pk=job.pk)
    error = None
    try:
        rows = selectors.import_preview(actor=request.user, job=job)
    except ApplicationError as exc:
        rows, error = [], exc
    mapped = sorted((int(index), key) for index, key in job.mapping.items())
    headers = [(job.headers[index], str(spec_for(job.kind, key).label)) for index, key in mapped]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    context = _context(
        request, tab="imports", job=job, rows=rows, headers=headers, counts=counts, error=error
    )
    return render(request, "dataio/pages/import_preview.html", context)


@login_required
@require_GET
@_service_errors
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    context = _context(request, tab="imports", job=job, summary=selectors.import_job_summary(job))
    if _is_htmx(request) and request.headers.get("HX-Target") == "gx-import-progress":
        return render(request, "dataio/partials/_import_progress.html", context)
    return render(request, "dataio/pages/import_detail.html", context)


@login_required
@require_POST
@_service_errors
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    try:
        import_services.import_job_cancel(actor=request.user, job=job)
        messages.info(request, _("The import stops after the rows it is writing now."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("dataio:import-detail", pk=job.pk)


@login_required
@require_POST
@_service_errors
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    try:
        import_services.import_job_resume(actor=request.user, job=job)
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
    return redirect("dataio:import-detail", pk=job.pk)


@login_required
@require_POST
@_service_errors
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    if not policy.can(request.user, Action.DELETE, "customers"):
        raise DjangoPermissionDenied(_("You do not have permission to undo an import."))
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DRAFT):
        messages.error(request, _("Stop the import before undoing it."))
        return redirect("dataio:import-detail", pk=job.pk)
    from django.db import transaction

    from guanxi.dataio.tasks import import_job_undo_task

    actor_id = request.user.pk
    transaction.on_commit(lambda: import_job_undo_task(job.pk, actor_id))
    messages.success(
        request,
        _(
            "The import is being undone: records nobody touched since are erased, the others go "
            "to the recycle bin, updated records get their previous values back."
        ),
    )
    return redirect("dataio:import-detail", pk=job.pk)


@login_required
@require_GET
@_service_errors
def import_errors(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    name, content_type, chunks = selectors.import_error_file(actor=request.user, job=job)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = _attachment(name)
    return response


# --- exports --------------------------------------------------------------------------------


@login_required
@require_GET
@_service_errors
def customer_export(request: HttpRequest) -> HttpResponse:
    """The export page of the customer list (same query parameters as the list); with
    ``format`` it downloads the file, or queues it when it is too big to write at once."""
    actor = request.user
    if not policy.can(actor, Action.EXPORT, "customers"):
        raise DjangoPermissionDenied(_("You do not have permission to export."))
    filters, q, ordering = list_filters(actor, request.GET)
    file_format = request.GET.get("format", "")
    kind = request.GET.get("records", ImportKind.CUSTOMERS)
    params = list_params(request.GET)
    params.pop("records", None)
    if not file_format:
        count = export_services.customers_for_export(actor=actor, filters=filters, q=q).count()
        context = _context(
            request,
            tab="export",
            count=count,
            params=urlencode(params),
            list_url=reverse("customers:customer-list")
            + (f"?{urlencode(params)}" if params else ""),
            masked=sorted(policy.restricted_fields(actor, "customers")),
            is_filtered=bool(filters or q),
        )
        return render(request, "dataio/pages/export.html", context)
    if kind == ImportKind.CUSTOMERS and file_format == FileFormat.XLSX:
        count = export_services.customers_for_export(actor=actor, filters=filters, q=q).count()
        if count > export_services.inline_rows():
            job = export_services.export_job_create(
                actor=actor, kind=kind, file_format=file_format, params=params
            )
            return redirect("dataio:export-detail", pk=job.pk)
    try:
        export = export_services.records_export(
            actor=actor, kind=kind, file_format=file_format, filters=filters, q=q, ordering=ordering
        )
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
        return redirect(reverse("dataio:customer-export") + f"?{urlencode(params)}")
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = _attachment(export.filename)
    return response


@login_required
@require_GET
@_service_errors
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.export_job_get(actor=request.user, pk=pk)
    context = _context(request, tab="export", job=job, is_done=job.status == ExportStatus.DONE)
    if _is_htmx(request):
        return render(request, "dataio/partials/_export_progress.html", context)
    return render(request, "dataio/pages/export_detail.html", context)


@login_required
@require_GET
@_service_errors
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.export_job_get(actor=request.user, pk=pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404()
    name = job.file.name.rsplit("/", 1)[-1]
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name)


# --- duplicates -----------------------------------------------------------------------------


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    pairs = selectors.duplicate_pair_list(actor=request.user)[:200]
    context = _context(
        request,
        tab="duplicates",
        pairs=pairs,
        scan=selectors.duplicate_scan_latest(),
        merges=selectors.merge_record_list(actor=request.user)[:20],
    )
    return render(request, "dataio/pages/duplicates.html", context)


@login_required
@require_POST
@_service_errors
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    duplicate_services.duplicate_scan_start(actor=request.user)
    messages.info(request, _("The scan has started; its pairs appear here as soon as it ends."))
    return redirect("dataio:duplicate-list")


@login_required
@require_http_methods(["GET", "POST"])
@_service_errors
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.duplicate_pair_get(actor=request.user, pk=pk)
    swap = request.GET.get("keep") == "b" or request.POST.get("keep") == "b"
    survivor, other = (
        (pair.customer_b, pair.customer_a) if swap else (pair.customer_a, pair.customer_b)
    )
    error = None
    if request.method == "POST":
        chosen = [
            name
            for name in duplicate_services.MERGEABLE
            if request.POST.get(f"field_{name}") == "other"
        ]
        try:
            record = duplicate_services.customers_merge(
                actor=request.user,
                survivor=survivor,
                merged=other,
                fields_from_merged=chosen,
                pair=pair,
            )
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise
            error = exc
        else:
            messages.success(
                request,
                _("Merged into “%(name)s”. You can undo the merge from the duplicates page.")
                % {"name": record.survivor.name},
            )
            return redirect("customers:customer-detail", pk=record.survivor_id)
    fields = []
    for name in duplicate_services.MERGEABLE:
        model_field = survivor._meta.get_field(name)
        mine = _display(survivor, name)
        theirs = _display(other, name)
        fields.append(
            {
                "name": name,
                "label": model_field.verbose_name,
                "survivor": policy.protected_value(request.user, "customers", name, mine),
                "other": policy.protected_value(request.user, "customers", name, theirs),
                "same": mine == theirs,
                "take_other": not mine and bool(theirs),
            }
        )
    context = _context(
        request,
        tab="duplicates",
        pair=pair,
        survivor=survivor,
        other=other,
        fields=fields,
        keep="b" if swap else "a",
        error=error,
    )
    return render(request, "dataio/pages/merge.html", context)


def _display(customer: Any, name: str) -> str:
    display = getattr(customer, f"get_{name}_display", None)
    if display is not None:
        return str(display()) if getattr(customer, name) else ""
    value = getattr(customer, name)
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@login_required
@require_POST
@_service_errors
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    pair = selectors.duplicate_pair_get(actor=request.user, pk=pk)
    duplicate_services.duplicate_pair_dismiss(actor=request.user, pair=pair)
    if _is_htmx(request):
        return HttpResponse("")
    return redirect("dataio:duplicate-list")


@login_required
@require_POST
@_service_errors
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.merge_record_get(actor=request.user, pk=pk)
    try:
        duplicate_services.merge_undo(actor=request.user, record=record)
        messages.success(request, _("The merge was undone."))
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        messages.error(request, str(exc.message))
    return redirect("dataio:duplicate-list")


# --- data quality ---------------------------------------------------------------------------


@login_required
@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    report = selectors.quality_report_latest(actor=request.user)
    rows = []
    if report is not None and report.data:
        total = report.data.get("total") or 0
        labels = {
            "phone": _("Phone"),
            "email": _("E-mail"),
            "address": _("Street address"),
            "website": _("Website"),
            "industry": _("Industry"),
            "level": _("Customer level"),
            "source": _("Source"),
            "owner": _("Owner"),
            "province": _("Province"),
            "city": _("City"),
            "contacts": _("At least one contact"),
        }
        for key, label in labels.items():
            filled = report.data.get("completeness", {}).get(key, 0)
            rows.append(
                {
                    "label": label,
                    "filled": filled,
                    "percent": round(100 * filled / total) if total else 0,
                }
            )
    context = _context(
        request,
        tab="quality",
        report=report,
        rows=rows,
        problems=(report.data or {}).get("problems", {}) if report else {},
        can_fix=policy.can(request.user, Action.EDIT, "customers"),
    )
    if _is_htmx(request):
        return render(request, "dataio/partials/_quality.html", context)
    return render(request, "dataio/pages/quality.html", context)


@login_required
@require_POST
@_service_errors
def quality_refresh(request: HttpRequest) -> HttpResponse:
    quality_services.quality_report_start(actor=request.user)
    return redirect("dataio:quality")


@login_required
@require_POST
@_service_errors
def quality_fix(request: HttpRequest) -> HttpResponse:
    fix = request.POST.get("fix", "")
    try:
        result = quality_services.quality_fix(actor=request.user, fix=fix)
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc.message))
        return redirect("dataio:quality")
    messages.success(
        request,
        _("%(fixed)d records fixed; %(left)d need a person to look at them.") % result,
    )
    quality_services.quality_report_start(actor=request.user)
    return redirect("dataio:quality")
