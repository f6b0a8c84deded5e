"""The set-up pages of sales (the *admin* right in sales): pipelines and their stages, public
pools, sales targets, and products with their categories and price lists.

Thin views: the forms parse and display, the services check and write (and audit); a service's
error is shown beside the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import policy
from guanxi.accounts.models import Department
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, NotFound
from guanxi.sales import selectors, services
from guanxi.sales.forms import EMPTY, PeopleChoiceField, _date_input, active_users, style
from guanxi.sales.models import (
    PriceList,
    Product,
    ProductCategory,
    PublicPool,
    RequiredField,
    SalesTarget,
    Stage,
)
from guanxi.sales.services.pipelines import COLOURS
from guanxi.sales.views import MODULE, PAGES, sales_view

COLOUR_CHOICES = [(c, c) for c in sorted(COLOURS)]


def _require_admin(request: HttpRequest) -> None:
    policy.require(request.user, Action.ADMIN, MODULE)


def _save(form: forms.Form, call: Callable[[], Any], aliases: dict[str, str] | None = None) -> Any:
    """Run ``call`` when the form is valid; a service error goes beside the field it names.
    Returns the service's result, or None when something was refused."""
    if not form.is_valid():
        return None
    try:
        return call()
    except ApplicationError as exc:
        name = (aliases or {}).get(exc.field or "", exc.field)
        form.add_error(name if name in form.fields else None, str(exc.message))
        return None


def _get(model: Any, pk: int) -> Any:
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def _page(
    request: HttpRequest, template: str, tab: str, context: dict[str, Any], status: int
) -> HttpResponse:
    return render(
        request, PAGES + template, {"nav": "sales-board", "tab": tab, **context}, status=status
    )


# --- pipelines and stages ---------------------------------------------------------------------


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-pipeline")


class PipelineCreateForm(PipelineForm):
    stages = forms.CharField(
        label=_("Open stages"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, in order; the won and lost stages are added at the end."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-pipeline")

    def stage_rows(self) -> list[dict[str, Any]]:
        lines = [line.strip() for line in self.cleaned_data["stages"].splitlines()]
        return [{"name": line} for line in lines if line]


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100)
    colour = forms.ChoiceField(label=_("Colour"), choices=COLOUR_CHOICES, initial="blue")
    required_fields = forms.MultipleChoiceField(
        label=_("Required before entering"),
        choices=RequiredField.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix or None, **kwargs)
        style(self, f"gx-stage{prefix}")


def _stage_form(stage: Stage, data: Any = None) -> StageForm:
    initial = {
        "name": stage.name,
        "name_en": stage.name_en,
        "probability": stage.probability,
        "colour": stage.colour,
        "required_fields": stage.required_fields,
    }
    return StageForm(data, prefix=f"s{stage.pk}", initial=initial)


@sales_view("GET")
def setup_home(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return redirect("sales:setup-pipelines")


@sales_view("GET", "POST")
def setup_pipelines(request: HttpRequest) -> HttpResponse:
    """Every pipeline (in use or not); POST adds one with its open stages."""
    _require_admin(request)
    form = PipelineCreateForm(request.POST or None)
    if request.method == "POST":
        pipeline = _save(
            form,
            lambda: services.pipeline_create(
                actor=request.user, data=form.cleaned_data, stages=form.stage_rows()
            ),
        )
        if pipeline is not None:
            messages.success(request, gettext("Pipeline created."))
            return redirect("sales:setup-pipeline", pk=pipeline.pk)
    pipelines = selectors.pipeline_list(actor=request.user, include_inactive=True)
    status = 422 if form.errors else 200
    return _page(
        request, "setup_pipelines.html", "pipelines", {"form": form, "pipelines": pipelines}, status
    )


def _pipeline_page(
    request: HttpRequest,
    pipeline: Any,
    *,
    pipeline_form: PipelineForm | None = None,
    stage_forms: dict[int, StageForm] | None = None,
    new_stage_form: StageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    counts = selectors.stage_deal_counts(pipeline=pipeline)
    stage_forms = stage_forms or {}
    rows = [
        (stage, stage_forms.get(stage.pk) or _stage_form(stage), counts.get(stage.pk, 0))
        for stage in stages
    ]
    open_ids = [stage.pk for stage in stages if stage.is_open]
    context = {
        "pipeline": pipeline,
        "pipeline_form": pipeline_form
        or PipelineForm(
            initial={
                "name": pipeline.name,
                "name_en": pipeline.name_en,
                "is_default": pipeline.is_default,
            }
        ),
        "rows": rows,
        "open_ids": open_ids,
        "new_stage_form": new_stage_form or StageForm(prefix="new", initial={"colour": "blue"}),
    }
    return _page(request, "setup_pipeline.html", "pipelines", context, status)


@sales_view("GET", "POST")
def setup_pipeline(request: HttpRequest, pk: int) -> HttpResponse:
    """A pipeline and its stages; POST renames it or makes it the default."""
    _require_admin(request)
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    if request.method == "POST":
        form = PipelineForm(request.POST)
        if _save(
            form,
            lambda: services.pipeline_update(
                actor=request.user, pipeline=pipeline, data=form.cleaned_data
            ),
        ):
            messages.success(request, gettext("Pipeline saved."))
            return redirect("sales:setup-pipeline", pk=pipeline.pk)
        return _pipeline_page(request, pipeline, pipeline_form=form, status=422)
    return _pipeline_page(request, pipeline)


@sales_view("POST")
def setup_pipeline_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    try:
        services.pipeline_set_active(
            actor=request.user, pipeline=pipeline, active=not pipeline.is_active
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Pipeline saved."))
    return redirect("sales:setup-pipeline", pk=pipeline.pk)


@sales_view("POST")
def setup_stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    form = StageForm(request.POST, prefix="new")
    if _save(
        form,
        lambda: services.stage_create(
            actor=request.user, pipeline=pipeline, data=form.cleaned_data
        ),
    ):
        messages.success(request, gettext("Stage added."))
        return redirect("sales:setup-pipeline", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, new_stage_form=form, status=422)


def _stage(request: HttpRequest, pk: int) -> Stage:
    stage = _get(Stage, pk)
    selectors.pipeline_get(actor=request.user, pk=stage.pipeline_id)
    return stage


@sales_view("POST")
def setup_stage_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a stage, change its probability, colour or required fields."""
    _require_admin(request)
    stage = _stage(request, pk)
    form = _stage_form(stage, request.POST)
    if _save(
        form,
        lambda: services.stage_update(actor=request.user, stage=stage, data=form.cleaned_data),
    ):
        messages.success(request, gettext("Stage saved."))
        return redirect("sales:setup-pipeline", pk=stage.pipeline_id)
    return _pipeline_page(request, stage.pipeline, stage_forms={stage.pk: form}, status=422)


@sales_view("POST")
def setup_stage_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    """Move an open stage one step up or down (won and lost stay last)."""
    _require_admin(request)
    stage = _stage(request, pk)
    ids = list(
        Stage.objects.filter(pipeline_id=stage.pipeline_id, is_won=False, is_lost=False)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    if stage.pk in ids:
        index = ids.index(stage.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
            services.stages_reorder(actor=request.user, pipeline=stage.pipeline, stage_ids=ids)
    return redirect("sales:setup-pipeline", pk=stage.pipeline_id)


@sales_view("POST")
def setup_stage_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    stage = _stage(request, pk)
    try:
        services.stage_set_active(actor=request.user, stage=stage, active=not stage.is_active)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Stage saved."))
    return redirect("sales:setup-pipeline", pk=stage.pipeline_id)


@sales_view("POST")
def setup_stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a stage no deal is in (one that deals passed through is switched off instead)."""
    _require_admin(request)
    stage = _stage(request, pk)
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Stage removed."))
    return redirect("sales:setup-pipeline", pk=stage.pipeline_id)


# --- public pools -----------------------------------------------------------------------------


class PoolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    claim_limit = forms.IntegerField(
        label=_("Leads a rep may hold"), initial=50, help_text=_("Open leads of this pool.")
    )
    return_after_days = forms.IntegerField(
        label=_("Return after days without follow-up"), initial=30, help_text=_("0: never.")
    )
    warn_days_before = forms.IntegerField(label=_("Warn days before"), initial=3)
    is_default = forms.BooleanField(label=_("Default pool"), required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix or None, **kwargs)
        style(self, f"gx-pool{prefix}")


def _pool_form(pool: PublicPool, data: Any = None) -> PoolForm:
    initial = {name: getattr(pool, name) for name in PoolForm.base_fields}
    return PoolForm(data, prefix=f"p{pool.pk}", initial=initial)


def _pools_page(
    request: HttpRequest,
    *,
    form: PoolForm | None = None,
    edit: dict[int, PoolForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    edit = edit or {}
    pools = list(PublicPool.objects.order_by("-is_default", "position", "id"))
    rows = [(pool, edit.get(pool.pk) or _pool_form(pool)) for pool in pools]
    return _page(
        request,
        "setup_pools.html",
        "pools",
        {"form": form or PoolForm(prefix="new"), "rows": rows},
        status,
    )


@sales_view("GET", "POST")
def setup_pools(request: HttpRequest) -> HttpResponse:
    """The public pools; POST adds one."""
    _require_admin(request)
    if request.method == "POST":
        form = PoolForm(request.POST, prefix="new")
        if _save(form, lambda: services.pool_create(actor=request.user, data=form.cleaned_data)):
            messages.success(request, gettext("Pool saved."))
            return redirect("sales:setup-pools")
        return _pools_page(request, form=form, status=422)
    return _pools_page(request)


@sales_view("POST")
def setup_pool_update(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    pool = _get(PublicPool, pk)
    form = _pool_form(pool, request.POST)
    if _save(
        form,
        lambda: services.pool_update(actor=request.user, pool=pool, data=form.cleaned_data),
    ):
        messages.success(request, gettext("Pool saved."))
        return redirect("sales:setup-pools")
    return _pools_page(request, edit={pool.pk: form}, status=422)


# --- sales targets ----------------------------------------------------------------------------


class TargetForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=_date_input())
    period_end = forms.DateField(label=_("To"), widget=_date_input())
    owner = PeopleChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=EMPTY[0][1]
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=None, required=False, empty_label=EMPTY[0][1]
    )
    amount = forms.DecimalField(label=_("Target (CNY)"), max_digits=30, decimal_places=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()
        self.fields["department"].queryset = Department.objects.order_by("path")
        self.fields["owner"].help_text = _("Leave owner and department empty for the company.")
        style(self, "gx-target")


@sales_view("GET", "POST")
def setup_targets(request: HttpRequest) -> HttpResponse:
    """Sales targets per period for an owner, a department or the company; POST sets one (the
    same period and assignee again replaces the amount)."""
    _require_admin(request)
    form = TargetForm(request.POST or None)
    if request.method == "POST" and _save(
        form,
        lambda: services.target_set(actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, gettext("Target saved."))
        return redirect("sales:setup-targets")
    targets = selectors.target_list(actor=request.user)[:500]
    return _page(
        request,
        "setup_targets.html",
        "targets",
        {"form": form, "targets": targets},
        422 if form.errors else 200,
    )


@sales_view("POST")
def setup_target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    services.target_delete(actor=request.user, target=_get(SalesTarget, pk))
    messages.success(request, gettext("Target removed."))
    return redirect("sales:setup-targets")


# --- products, categories and price lists -------------------------------------------------------


class ProductForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=None, required=False, empty_label=EMPTY[0][1]
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    price = forms.DecimalField(label=_("List price"), max_digits=30, decimal_places=10)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.filter(is_active=True).order_by(
            "position", "id"
        )
        style(self, "gx-product")


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    parent = forms.ModelChoiceField(
        label=_("Parent category"), queryset=None, required=False, empty_label=EMPTY[0][1]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = ProductCategory.objects.filter(is_active=True)
        style(self, "gx-category")


class PriceListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=_date_input())
    valid_to = forms.DateField(label=_("Valid until"), required=False, widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, "gx-price-list")


class PriceForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    price = forms.DecimalField(label=_("Price"), max_digits=30, decimal_places=10)

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix or None, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("code")
        style(self, f"gx-price{prefix}")


def _products_page(request: HttpRequest, status: int = 200, **forms_: Any) -> HttpResponse:
    price_lists = list(
        PriceList.objects.prefetch_related("items__product").order_by("position", "id")
    )
    price_forms = forms_.pop("price_forms", {})
    context = {
        "form": forms_.get("form") or ProductForm(),
        "category_form": forms_.get("category_form") or CategoryForm(),
        "price_list_form": forms_.get("price_list_form") or PriceListForm(),
        "products": selectors.product_list(actor=request.user).select_related("category")[:500],
        "categories": ProductCategory.objects.select_related("parent").order_by("position", "id"),
        "price_lists": [
            (pl, price_forms.get(pl.pk) or PriceForm(prefix=f"pl{pl.pk}")) for pl in price_lists
        ],
    }
    return _page(request, "setup_products.html", "products", context, status)


@sales_view("GET", "POST")
def setup_products(request: HttpRequest) -> HttpResponse:
    """Products (not in the recycle bin), categories and price lists; POST adds a product."""
    _require_admin(request)
    if request.method == "POST":
        form = ProductForm(request.POST)
        if _save(form, lambda: services.product_create(actor=request.user, data=form.cleaned_data)):
            messages.success(request, gettext("Product saved."))
            return redirect("sales:setup-products")
        return _products_page(request, 422, form=form)
    return _products_page(request)


@sales_view("GET", "POST")
def setup_product(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a product."""
    _require_admin(request)
    product = selectors.product_get(actor=request.user, pk=pk)
    initial = {name: getattr(product, name) for name in ProductForm.base_fields}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        form,
        lambda: services.product_update(
            actor=request.user, product=product, data=form.cleaned_data
        ),
    ):
        messages.success(request, gettext("Product saved."))
        return redirect("sales:setup-products")
    return _page(
        request,
        "setup_product.html",
        "products",
        {"form": form, "product": product},
        422 if form.errors else 200,
    )


@sales_view("POST")
def setup_product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    product = selectors.product_get(actor=request.user, pk=pk)
    services.product_delete(actor=request.user, product=product)
    messages.success(request, gettext("Product moved to the recycle bin."))
    return redirect("sales:setup-products")


@sales_view("POST")
def setup_category_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = CategoryForm(request.POST)
    if _save(
        form,
        lambda: services.product_category_create(
            actor=request.user, data=form.cleaned_data, parent=form.cleaned_data.get("parent")
        ),
    ):
        messages.success(request, gettext("Category added."))
        return redirect("sales:setup-products")
    return _products_page(request, 422, category_form=form)


@sales_view("POST")
def setup_price_list_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PriceListForm(request.POST)
    if _save(form, lambda: services.price_list_create(actor=request.user, data=form.cleaned_data)):
        messages.success(request, gettext("Price list added."))
        return redirect("sales:setup-products")
    return _products_page(request, 422, price_list_form=form)


@sales_view("POST")
def setup_price_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the price of a product in a price list."""
    _require_admin(request)
    price_list = _get(PriceList, pk)
    form = PriceForm(request.POST, prefix=f"pl{price_list.pk}")
    if _save(
        form,
        lambda: services.price_list_set_price(
            actor=request.user,
            price_list=price_list,
            product=form.cleaned_data["product"],
            price=form.cleaned_data["price"],
        ),
    ):
        messages.success(request, gettext("Price saved."))
        return redirect("sales:setup-products")
    return _products_page(request, 422, price_forms={price_list.pk: form})
