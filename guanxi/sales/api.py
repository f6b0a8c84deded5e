"""``/api/v1/`` endpoints of the sales module: pipelines, stages, reasons, deals, products, and the
board totals, funnel and forecast. Thin views: parse → authorise → call a service or selector."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import policy
from guanxi.accounts.models import Department
from guanxi.accounts.policy import Action
from guanxi.accounts.selectors import user_get
from guanxi.core.api import (
    IF_MATCH,
    ApiView,
    conflict_current,
    error_responses,
    id_parameter,
    requested_version,
)
from guanxi.core.errors import Conflict, NotFound
from guanxi.core.models import CreatedVia
from guanxi.sales import selectors, services
from guanxi.sales.models import Deal
from guanxi.sales.serializers import (
    BoardColumnOutputSerializer,
    CloseInputSerializer,
    CloseReasonFilterSerializer,
    CloseReasonOutputSerializer,
    ConvertInputSerializer,
    ConvertOutputSerializer,
    DealCollaboratorInputSerializer,
    DealCollaboratorOutputSerializer,
    DealDetailOutputSerializer,
    DealFilterSerializer,
    DealInputSerializer,
    DealOutputSerializer,
    DistributeInputSerializer,
    DistributeOutputSerializer,
    FollowUpInputSerializer,
    ForecastFilterSerializer,
    ForecastOutputSerializer,
    FunnelFilterSerializer,
    FunnelOutputSerializer,
    LeadFilterSerializer,
    LeadInputSerializer,
    LeadOutputSerializer,
    LineItemsInputSerializer,
    MoveInputSerializer,
    PipelineOutputSerializer,
    PoolOutputSerializer,
    ProductFilterSerializer,
    ProductInputSerializer,
    ProductOutputSerializer,
    StageChangeOutputSerializer,
    StageFilterSerializer,
    StageOutputSerializer,
)

MODULE = "sales"
TAG = "sales"
DEAL_ID = id_parameter(description="The deal's id.")
PRODUCT_ID = id_parameter(description="The product's id.")
PIPELINE_ID = id_parameter(description="The pipeline's id.")


def _department(value: Any) -> Any:
    if value in (None, ""):
        return None
    return Department.objects.filter(pk=value).first() or value


def _analytics_filters(params: dict[str, Any]) -> dict[str, Any]:
    filters = {k: v for k, v in params.items() if v not in (None, "")}
    if "department" in filters:
        filters["department"] = _department(filters["department"])
    return filters


# --- set-up lists --------------------------------------------------------------------------


class PipelineListView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="pipelines_list",
        summary="List pipelines with their stages",
        responses={200: PipelineOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        pipelines = selectors.pipeline_list(actor=request.user)
        return Response(PipelineOutputSerializer(pipelines, many=True).data)


class PipelineDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="pipelines_retrieve",
        summary="Read a pipeline with its stages",
        parameters=[PIPELINE_ID],
        responses={200: PipelineOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        return Response(
            PipelineOutputSerializer(selectors.pipeline_get(actor=request.user, pk=id)).data
        )


class StageListView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="stages_list",
        summary="List stages (of one pipeline, or all)",
        parameters=[StageFilterSerializer],
        responses={200: StageOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(StageFilterSerializer)
        stages = selectors.stage_list(actor=request.user, pipeline=params.get("pipeline"))
        return Response(StageOutputSerializer(stages, many=True).data)


class CloseReasonListView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="close_reasons_list",
        summary="List the reasons deals are won or lost",
        parameters=[CloseReasonFilterSerializer],
        responses={200: CloseReasonOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(CloseReasonFilterSerializer)
        reasons = selectors.close_reason_list(actor=request.user, kind=params.get("kind"))
        return Response(CloseReasonOutputSerializer(reasons, many=True).data)


# --- deals ---------------------------------------------------------------------------------


def _fresh(actor: Any, deal: Deal) -> Deal:
    try:
        return selectors.deal_get(actor=actor, pk=deal.pk)
    except NotFound:
        return deal


class DealListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="deals_list",
        summary="List deals",
        description=(
            "Deals you may see, filtered, searched (`q`) and ordered (`ordering`), one cursor "
            "page at a time (follow `next`)."
        ),
        parameters=[DealFilterSerializer],
        responses={200: DealOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(DealFilterSerializer)
        queryset = selectors.deal_list(
            actor=request.user,
            q=params.pop("q", ""),
            ordering=params.pop("ordering", "-id"),
            deleted=params.pop("in_recycle_bin", False),
            filters=params,
        ).select_related("source", "close_reason")
        return self.paginated(queryset, DealOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_create",
        summary="Create a deal",
        description=(
            "The stage's required fields must be filled; a currency other than CNY needs an "
            "`exchange_rate` or a rate on file."
        ),
        request=DealInputSerializer,
        responses={201: DealDetailOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.CREATE, MODULE)
        data = self.body(DealInputSerializer)
        data.pop("version", None)
        deal = services.deal_create(actor=request.user, data=data, created_via=CreatedVia.API)
        return self.record(
            _fresh(request.user, deal),
            DealDetailOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{deal.pk}/"},
        )


class DealDetailView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        deal = selectors.deal_get(actor=self.request.user, pk=id)
        return dict(DealDetailOutputSerializer(deal, context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_retrieve",
        summary="Read a deal",
        parameters=[DEAL_ID],
        responses={200: DealDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(
            selectors.deal_get(actor=request.user, pk=id), DealDetailOutputSerializer
        )

    def _update(self, request: Request, id: str, *, partial: bool) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        policy.require(request.user, Action.EDIT, MODULE, deal)
        data = self.body(DealInputSerializer, partial=partial)
        version = requested_version(request, data.pop("version", None))
        items = data.pop("line_items", None)
        with conflict_current(lambda: self._current(id)):
            deal = services.deal_update(actor=request.user, deal=deal, data=data, version=version)
            if items is not None:
                deal = services.deal_set_line_items(actor=request.user, deal=deal, items=items)
        return self.record(_fresh(request.user, deal), DealDetailOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_update",
        summary="Change a deal",
        description=(
            "`name` and `customer` are required; fields left out keep their values. Send the "
            "version you read (`version` or `If-Match`): 409 with `current` if it changed."
        ),
        parameters=[DEAL_ID, IF_MATCH],
        request=DealInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_partial_update",
        summary="Change some fields of a deal",
        parameters=[DEAL_ID, IF_MATCH],
        request=DealInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_destroy",
        summary="Move a deal to the recycle bin",
        parameters=[DEAL_ID, IF_MATCH],
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 404, 409, current=DealDetailOutputSerializer),
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        policy.require(request.user, Action.DELETE, MODULE, deal)
        version = requested_version(request)
        if version is not None and version != deal.version:
            raise Conflict(
                instance=deal,
                current=DealDetailOutputSerializer(deal, context=self.context()).data,
            )
        services.deal_delete(actor=request.user, deal=deal)
        return Response(status=204)


class DealRestoreView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="deals_restore",
        summary="Bring a deal back from the recycle bin",
        parameters=[DEAL_ID],
        request=None,
        responses={200: DealDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id, deleted=True)
        deal = services.deal_restore(actor=request.user, deal=deal)
        return self.record(_fresh(request.user, deal), DealDetailOutputSerializer)


class DealMoveView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        deal = selectors.deal_get(actor=self.request.user, pk=id)
        return dict(DealDetailOutputSerializer(deal, context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="deals_move",
        summary="Move a deal to another stage",
        description=(
            "400 with code `stage_requirements` and `missing` (the fields to fill) when the deal "
            "lacks what the stage requires; the lost stage needs a `reason`."
        ),
        parameters=[DEAL_ID, IF_MATCH],
        request=MoveInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        data = self.body(MoveInputSerializer)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(lambda: self._current(id)):
            deal = services.deal_move_to_stage(
                actor=request.user,
                deal=deal,
                stage=data["stage"],
                version=version,
                reason=data.get("reason"),
                note=data.get("note", ""),
            )
        return self.record(_fresh(request.user, deal), DealDetailOutputSerializer)


class _DealCloseView(ApiView):
    won = True

    def post(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        data = self.body(CloseInputSerializer)
        version = requested_version(request, data.pop("version", None))
        close = services.deal_mark_won if self.won else services.deal_mark_lost
        with conflict_current(
            lambda: dict(
                DealDetailOutputSerializer(
                    selectors.deal_get(actor=request.user, pk=id), context=self.context()
                ).data
            )
        ):
            deal = close(
                actor=request.user,
                deal=deal,
                reason=data.get("reason"),
                note=data.get("note", ""),
                version=version,
            )
        return self.record(_fresh(request.user, deal), DealDetailOutputSerializer)


class DealWonView(_DealCloseView):
    won = True

    @extend_schema(
        tags=[TAG],
        operation_id="deals_mark_won",
        summary="Mark a deal as won",
        parameters=[DEAL_ID, IF_MATCH],
        request=CloseInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        return super().post(request, id)


class DealLostView(_DealCloseView):
    won = False

    @extend_schema(
        tags=[TAG],
        operation_id="deals_mark_lost",
        summary="Mark a deal as lost (a lost reason is required)",
        parameters=[DEAL_ID, IF_MATCH],
        request=CloseInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        return super().post(request, id)


class DealLineItemsView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="deals_set_line_items",
        summary="Replace the products of a deal",
        description="The deal's amount becomes the sum of the lines (in the deal's currency).",
        parameters=[DEAL_ID, IF_MATCH],
        request=LineItemsInputSerializer,
        responses={
            200: DealDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=DealDetailOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        data = self.body(LineItemsInputSerializer)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(
            lambda: dict(
                DealDetailOutputSerializer(
                    selectors.deal_get(actor=request.user, pk=id), context=self.context()
                ).data
            )
        ):
            deal = services.deal_set_line_items(
                actor=request.user,
                deal=deal,
                items=data["items"],
                price_list=data.get("price_list"),
                version=version,
            )
        return self.record(_fresh(request.user, deal), DealDetailOutputSerializer)


class DealHistoryView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="deals_history",
        summary="The stage history of a deal, oldest first",
        parameters=[DEAL_ID],
        responses={200: StageChangeOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        history = selectors.deal_history(actor=request.user, deal=deal)
        return Response(StageChangeOutputSerializer(history, many=True).data)


class DealCollaboratorListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="deals_collaborators_set",
        summary="Add a collaborator to a deal (or change her access)",
        parameters=[DEAL_ID],
        request=DealCollaboratorInputSerializer,
        responses={
            200: DealCollaboratorOutputSerializer,
            **error_responses(400, 401, 403, 404, 415),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        data = self.body(DealCollaboratorInputSerializer)
        collaborator = services.deal_collaborator_set(
            actor=request.user, deal=deal, user=data["user"], access=data["access"]
        )
        return Response(DealCollaboratorOutputSerializer(collaborator).data)


class DealCollaboratorDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="deals_collaborators_remove",
        summary="Remove a collaborator from a deal",
        parameters=[DEAL_ID, id_parameter("user_id", "The collaborator's user id.")],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str, user_id: str) -> Response:
        deal = selectors.deal_get(actor=request.user, pk=id)
        user = user_get(actor=request.user, pk=user_id)
        services.deal_collaborator_remove(actor=request.user, deal=deal, user=user)
        return Response(status=204)


# --- products ------------------------------------------------------------------------------


class ProductListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="products_list",
        summary="List products",
        parameters=[ProductFilterSerializer],
        responses={200: ProductOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(ProductFilterSerializer)
        queryset = selectors.product_list(
            actor=request.user,
            filters={k: v for k, v in params.items() if k in ("category", "is_active")},
            q=params.get("q", ""),
            ordering=params.get("ordering", "code"),
        )
        return self.paginated(queryset, ProductOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="products_create",
        summary="Add a product (administrators)",
        request=ProductInputSerializer,
        responses={201: ProductOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.ADMIN, MODULE)
        data = self.body(ProductInputSerializer)
        data.pop("version", None)
        product = services.product_create(actor=request.user, data=data, created_via=CreatedVia.API)
        return self.record(
            product,
            ProductOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{product.pk}/"},
        )


class ProductDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="products_retrieve",
        summary="Read a product",
        parameters=[PRODUCT_ID],
        responses={200: ProductOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(
            selectors.product_get(actor=request.user, pk=id), ProductOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        operation_id="products_partial_update",
        summary="Change a product (administrators)",
        parameters=[PRODUCT_ID, IF_MATCH],
        request=ProductInputSerializer,
        responses={
            200: ProductOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=ProductOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        product = selectors.product_get(actor=request.user, pk=id)
        policy.require(request.user, Action.ADMIN, MODULE)
        data = self.body(ProductInputSerializer, partial=True)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(
            lambda: dict(
                ProductOutputSerializer(selectors.product_get(actor=request.user, pk=id)).data
            )
        ):
            product = services.product_update(
                actor=request.user, product=product, data=data, version=version
            )
        return self.record(product, ProductOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="products_destroy",
        summary="Move a product to the recycle bin (administrators)",
        parameters=[PRODUCT_ID],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        product = selectors.product_get(actor=request.user, pk=id)
        services.product_delete(actor=request.user, product=product)
        return Response(status=204)


# --- analytics -----------------------------------------------------------------------------


def _pipeline(actor: Any, pk: Any) -> Any:
    if pk:
        return selectors.pipeline_get(actor=actor, pk=pk)
    pipeline = selectors.pipeline_list(actor=actor).first()
    if pipeline is None:
        raise NotFound()
    return pipeline


class BoardView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="sales_board",
        summary="Kanban totals: deals and amounts per stage of a pipeline",
        parameters=[FunnelFilterSerializer],
        responses={
            200: BoardColumnOutputSerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(FunnelFilterSerializer)
        pipeline = _pipeline(request.user, params.pop("pipeline", None))
        columns = selectors.deal_board(
            actor=request.user,
            pipeline=pipeline,
            filters=_analytics_filters(params),
            per_stage=0,
        )
        return Response(BoardColumnOutputSerializer(columns, many=True).data)


class FunnelView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="sales_funnel",
        summary="The funnel of a pipeline",
        description=(
            "Per stage: deals in it now and their amount, deals that reached it, conversion to "
            "the next stage, average days in it; overall win rate and sales cycle."
        ),
        parameters=[FunnelFilterSerializer],
        responses={200: FunnelOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(FunnelFilterSerializer)
        pipeline = _pipeline(request.user, params.pop("pipeline", None))
        funnel = selectors.deal_funnel(
            actor=request.user, pipeline=pipeline, filters=_analytics_filters(params)
        )
        return Response(FunnelOutputSerializer(funnel).data)


class ForecastView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="sales_forecast",
        summary="Weighted pipeline and won amounts per month, against targets",
        parameters=[ForecastFilterSerializer],
        responses={200: ForecastOutputSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(ForecastFilterSerializer)
        start = params.pop("start", None) or timezone.localdate()
        months = params.pop("months", 6)
        group_by = params.pop("group_by", "")
        forecast = selectors.deal_forecast(
            actor=request.user,
            start=start,
            months=months,
            group_by=group_by,
            filters=_analytics_filters(params),
        )
        return Response(ForecastOutputSerializer(forecast).data)


# --- leads and pools -----------------------------------------------------------------------

LEAD_ID = id_parameter(description="The lead's id.")


def _lead_data(request: Request, leads: Any, *, many: bool = False) -> Any:
    """Leads as the actor may see them: contact data of pool leads masked until claimed, and
    the role's field rules applied to the others."""
    items = list(leads) if many else [leads]
    rows = []
    for lead in items:
        data = dict(LeadOutputSerializer(lead).data)
        if lead.owner_id is None:
            for name in ("mobile", "phone", "email", "wechat"):
                data[name] = policy.mask_value(name, data[name])
        rows.append(policy.apply_field_rules(request.user, MODULE, data))
    return rows if many else rows[0]


class LeadListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_list",
        summary="List your leads (those in your scope)",
        parameters=[LeadFilterSerializer],
        responses={200: LeadOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(LeadFilterSerializer)
        ordering = params.pop("ordering", "-id")
        queryset = selectors.lead_list(actor=request.user, filters=params, ordering=ordering)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_lead_data(request, page, many=True))

    @extend_schema(
        tags=[TAG],
        operation_id="leads_create",
        summary="Create a lead (yours, or in a pool)",
        request=LeadInputSerializer,
        responses={201: LeadOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.CREATE, MODULE)
        data = self.body(LeadInputSerializer)
        data.pop("version", None)
        lead = services.lead_create(actor=request.user, data=data, created_via=CreatedVia.API)
        return Response(
            _lead_data(request, lead),
            status=201,
            headers={"Location": f"{request.path}{lead.pk}/", "ETag": f'"{lead.version}"'},
        )


class LeadDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_retrieve",
        summary="Read a lead",
        parameters=[LEAD_ID],
        responses={200: LeadOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_lead_data(request, selectors.lead_get(actor=request.user, pk=id)))

    @extend_schema(
        tags=[TAG],
        operation_id="leads_partial_update",
        summary="Change some fields of a lead",
        parameters=[LEAD_ID, IF_MATCH],
        request=LeadInputSerializer,
        responses={
            200: LeadOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=LeadOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        data = self.body(LeadInputSerializer, partial=True)
        data.pop("pool", None)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(
            lambda: _lead_data(request, selectors.lead_get(actor=request.user, pk=id))
        ):
            lead = services.lead_update(actor=request.user, lead=lead, data=data, version=version)
        return Response(_lead_data(request, lead))

    @extend_schema(
        tags=[TAG],
        operation_id="leads_destroy",
        summary="Move a lead to the recycle bin",
        parameters=[LEAD_ID],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        services.lead_delete(actor=request.user, lead=lead)
        return Response(status=204)


class LeadClaimView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_claim",
        summary="Claim a lead from its public pool",
        description=(
            "400 `already_claimed` when someone else took it first (of simultaneous claims "
            "exactly one wins); 400 `claim_limit` when you hold as many as the pool allows."
        ),
        parameters=[LEAD_ID],
        request=None,
        responses={200: LeadOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        lead = services.lead_claim(actor=request.user, lead=lead)
        return Response(_lead_data(request, lead))


class LeadReleaseView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_release",
        summary="Give a lead back to its public pool",
        parameters=[LEAD_ID],
        request=None,
        responses={200: LeadOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        lead = services.lead_release(actor=request.user, lead=lead)
        return Response(_lead_data(request, lead))


class LeadFollowUpView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_follow_up",
        summary="Record a follow-up (restarts the return clock)",
        parameters=[LEAD_ID],
        request=FollowUpInputSerializer,
        responses={200: LeadOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        data = self.body(FollowUpInputSerializer)
        lead = services.lead_follow_up(
            actor=request.user,
            lead=lead,
            note=data.get("note", ""),
            next_follow_up_on=data.get("next_follow_up_on"),
        )
        return Response(_lead_data(request, lead))


class LeadConvertView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_convert",
        summary="Convert a lead into a customer, a contact and (optionally) a deal",
        description=(
            "400 `duplicates` lists look-alike customers in `duplicates`: send one as "
            "`customer`, or `create_new: true`."
        ),
        parameters=[LEAD_ID],
        request=ConvertInputSerializer,
        responses={200: ConvertOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        lead = selectors.lead_get(actor=request.user, pk=id)
        data = self.body(ConvertInputSerializer)
        deal = data.get("deal")
        if deal is not None:
            deal = {k: v for k, v in deal.items() if v not in (None, "")}
        result = services.lead_convert(
            actor=request.user,
            lead=lead,
            customer=data.get("customer"),
            create_new=data.get("create_new", False),
            deal=deal,
        )
        body = dict(ConvertOutputSerializer(result).data)
        body["lead"] = _lead_data(request, result.lead)
        return Response(body)


class LeadDistributeView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="leads_distribute",
        summary="Hand pool leads to a rep (managers)",
        request=DistributeInputSerializer,
        responses={200: DistributeOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        data = self.body(DistributeInputSerializer)
        handed = services.leads_distribute(
            actor=request.user, lead_ids=data["ids"], owner=data["owner"]
        )
        return Response({"distributed": handed})


class PoolListView(ApiView):
    pagination_class = None

    @extend_schema(
        tags=[TAG],
        operation_id="pools_list",
        summary="List the public pools",
        responses={200: PoolOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        return Response(
            PoolOutputSerializer(selectors.pool_list(actor=request.user), many=True).data
        )


class PoolLeadListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="pools_leads",
        summary="The leads waiting in a pool (contact data masked until claimed)",
        parameters=[id_parameter(description="The pool's id.")],
        responses={200: LeadOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        pool = (
            selectors.pool_list(actor=request.user).filter(pk=int(id)).first()
            if id.isdigit() and len(id) < 19
            else None
        )
        if pool is None:
            raise NotFound()
        queryset = selectors.pool_lead_list(actor=request.user, pool=pool)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_lead_data(request, page, many=True))
