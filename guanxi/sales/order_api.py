"""``/api/v1/`` endpoints for quotes, orders (contracts), payment plans and payments received.

Thin views: parse → authorise → call a service or selector → render. Every rule (who may quote,
which status changes are allowed, how much may still be paid) lives in ``services.orders``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.api import (
    IF_MATCH,
    ApiView,
    conflict_current,
    error_responses,
    id_parameter,
    requested_version,
)
from guanxi.core.models import CreatedVia
from guanxi.sales import selectors, services
from guanxi.sales.models import Order, Quote
from guanxi.sales.pdf import quote_pdf
from guanxi.sales.serializers import (
    OrderCancelInputSerializer,
    OrderDetailOutputSerializer,
    OrderFilterSerializer,
    OrderInputSerializer,
    OrderOutputSerializer,
    PaymentFilterSerializer,
    PaymentInputSerializer,
    PaymentOutputSerializer,
    PaymentPlanInputSerializer,
    QuoteAcceptInputSerializer,
    QuoteDetailOutputSerializer,
    QuoteFilterSerializer,
    QuoteInputSerializer,
    QuoteOutputSerializer,
)

MODULE = "sales"
TAG = "sales"
QUOTE_ID = id_parameter(description="The quote's id.")
ORDER_ID = id_parameter(description="The order's id.")


def _quote(actor: Any, pk: Any) -> Quote:
    return selectors.quote_get(actor=actor, pk=pk)


def _order(actor: Any, pk: Any) -> Order:
    return selectors.order_get(actor=actor, pk=pk)


# --- quotes ----------------------------------------------------------------------------------


class QuoteListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="quotes_list",
        summary="List quotes",
        description="Quotes of the deals you may see, newest first, one cursor page at a time.",
        parameters=[QuoteFilterSerializer],
        responses={200: QuoteOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(QuoteFilterSerializer)
        return self.paginated(
            selectors.quote_list(actor=request.user, filters=params), QuoteOutputSerializer
        )

    @extend_schema(
        tags=[TAG],
        operation_id="quotes_create",
        summary="Quote a deal",
        description=(
            "The quote copies the deal's products (or, without products, one line for its "
            "amount); 400 on `deal` when the deal has neither."
        ),
        request=QuoteInputSerializer,
        responses={201: QuoteDetailOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        data = self.body(QuoteInputSerializer)
        quote = services.quote_create(
            actor=request.user,
            deal=data["deal"],
            valid_until=data.get("valid_until"),
            notes=data.get("notes", ""),
            created_via=CreatedVia.API,
        )
        return self.record(
            _quote(request.user, quote.pk),
            QuoteDetailOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{quote.pk}/"},
        )


class QuoteDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="quotes_retrieve",
        summary="Read a quote with its lines",
        parameters=[QUOTE_ID],
        responses={200: QuoteDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        return self.record(_quote(request.user, id), QuoteDetailOutputSerializer)


class _QuoteDecisionView(ApiView):
    decide: Any = None

    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        quote = _quote(request.user, id)
        self.decide(actor=request.user, quote=quote)
        return self.record(_quote(request.user, id), QuoteDetailOutputSerializer)


class QuoteSendView(_QuoteDecisionView):
    decide = staticmethod(services.quote_send)

    @extend_schema(
        tags=[TAG],
        operation_id="quotes_send",
        summary="Mark a draft quote as sent",
        description="400 `quote_status` unless the quote is a draft.",
        parameters=[QUOTE_ID],
        request=None,
        responses={200: QuoteDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        return super().post(request, id)


class QuoteRejectView(_QuoteDecisionView):
    decide = staticmethod(services.quote_reject)

    @extend_schema(
        tags=[TAG],
        operation_id="quotes_reject",
        summary="Mark a quote as rejected by the customer",
        description="400 `quote_status` unless the quote is a draft or sent.",
        parameters=[QUOTE_ID],
        request=None,
        responses={200: QuoteDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        return super().post(request, id)


def _accept(request: Request, quote: Quote, signed_on: Any) -> Order:
    order = services.quote_accept(
        actor=request.user, quote=quote, signed_on=signed_on, created_via=CreatedVia.API
    )
    return _order(request.user, order.pk)


class QuoteAcceptView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="quotes_accept",
        summary="Accept a quote: it becomes an order",
        description=(
            "Answers the new order. 400 `quote_status` unless the quote is a draft or sent, "
            "`expired` after its validity date."
        ),
        parameters=[QUOTE_ID],
        request=QuoteAcceptInputSerializer,
        responses={201: OrderDetailOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        quote = _quote(request.user, id)
        data = self.body(QuoteAcceptInputSerializer)
        order = _accept(request, quote, data.get("signed_on"))
        return self.record(
            order,
            OrderDetailOutputSerializer,
            status=201,
            headers={"Location": f"/api/v1/orders/{order.pk}/"},
        )


class QuotePdfView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="quotes_pdf",
        summary="The quote as a printable PDF",
        parameters=[QUOTE_ID],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF document."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        policy.require(request.user, Action.VIEW, MODULE)
        quote = _quote(request.user, id)
        response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
        return response


# --- orders ----------------------------------------------------------------------------------


class OrderListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="orders_list",
        summary="List orders (contracts)",
        description="Orders you may see, newest first, one cursor page at a time.",
        parameters=[OrderFilterSerializer],
        responses={200: OrderOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(OrderFilterSerializer)
        queryset = selectors.order_list(
            actor=request.user, outstanding=params.pop("outstanding", False), filters=params
        )
        return self.paginated(queryset, OrderOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="orders_create",
        summary="Make an order from a quote (accepts the quote)",
        description=(
            "The same as accepting the quote. 400 on `status` when the quote was already "
            "accepted or rejected, on `valid_until` when it has expired."
        ),
        request=OrderInputSerializer,
        responses={201: OrderDetailOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        data = self.body(OrderInputSerializer)
        order = _accept(request, data["quote"], data.get("signed_on"))
        return self.record(
            order,
            OrderDetailOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{order.pk}/"},
        )


class OrderDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="orders_retrieve",
        summary="Read an order with its payment plan and payments",
        parameters=[ORDER_ID],
        responses={200: OrderDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        return self.record(_order(request.user, id), OrderDetailOutputSerializer)


class OrderCancelView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="orders_cancel",
        summary="Cancel an order nothing has been paid on",
        description=(
            "400 `order_status` unless the order is active, `has_payments` once money has been "
            "received on it."
        ),
        parameters=[ORDER_ID, IF_MATCH],
        request=OrderCancelInputSerializer,
        responses={
            200: OrderDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=OrderDetailOutputSerializer),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        order = _order(request.user, id)
        data = self.body(OrderCancelInputSerializer)
        version = requested_version(request, data.get("version"))
        with conflict_current(
            lambda: dict(
                OrderDetailOutputSerializer(_order(request.user, id), context=self.context()).data
            )
        ):
            services.order_cancel(actor=request.user, order=order, version=version)
        return self.record(_order(request.user, id), OrderDetailOutputSerializer)


class OrderPaymentPlanView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="orders_set_payment_plan",
        summary="Replace an order's payment plan",
        description=(
            "The instalments must add up to the order's amount (400 `plan_total` on "
            "`instalments`); a wrong instalment is named as `instalments[2].amount`."
        ),
        parameters=[ORDER_ID],
        request=PaymentPlanInputSerializer,
        responses={200: OrderDetailOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def put(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        order = _order(request.user, id)
        data = self.body(PaymentPlanInputSerializer)
        services.order_set_payment_plan(
            actor=request.user, order=order, instalments=data["instalments"]
        )
        return self.record(_order(request.user, id), OrderDetailOutputSerializer)


class OrderPaymentListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="orders_record_payment",
        summary="Record a payment received on an order",
        description=(
            "400 `exceeds_balance` on `amount` when it is more than what is still owed; the "
            "order is marked paid in full when its balance reaches zero."
        ),
        parameters=[ORDER_ID],
        request=PaymentInputSerializer,
        responses={201: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        order = _order(request.user, id)
        data = self.body(PaymentInputSerializer)
        payment = services.payment_record(
            actor=request.user,
            order=order,
            amount=data["amount"],
            received_on=data.get("received_on"),
            method=data.get("method", ""),
            reference=data.get("reference", ""),
        )
        return self.record(payment, PaymentOutputSerializer, status=201)


# --- payments --------------------------------------------------------------------------------


class PaymentListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="payments_list",
        summary="List payments received",
        description="Payments on the orders you may see, newest first, one cursor page at a time.",
        parameters=[PaymentFilterSerializer],
        responses={200: PaymentOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(PaymentFilterSerializer)
        return self.paginated(
            selectors.payment_list(actor=request.user, filters=params), PaymentOutputSerializer
        )
