"""``/api/v1/customers/``: list, create, read, change, delete, restore, bulk, collaborators."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import policy
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
from guanxi.customers import selectors, services
from guanxi.customers.models import Customer
from guanxi.customers.serializers import (
    BulkResultSerializer,
    CollaboratorInputSerializer,
    CollaboratorOutputSerializer,
    CustomerBulkInputSerializer,
    CustomerDetailOutputSerializer,
    CustomerFilterSerializer,
    CustomerInputSerializer,
    CustomerOutputSerializer,
)
from guanxi.customization.selectors import custom_filters_from_query

MODULE = "customers"
TAG = "customers"
CUSTOMER_ID = id_parameter(description="The customer's id.")


def _fresh(actor: Any, customer: Customer) -> Customer:
    """The customer as the selector shows it; as returned if the actor can no longer see it
    (she just gave it to another owner)."""
    try:
        return selectors.customer_get(actor=actor, pk=customer.pk)
    except NotFound:
        return customer


class CustomerListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="customers_list",
        summary="List customers",
        description=(
            "Customers you may see, filtered, searched (`q`) and ordered (`ordering`), "
            "one cursor page at a time (follow `next`). Filterable custom fields filter with "
            "`cf_<key>=value`, and numbers, amounts and dates also with `cf_<key>__gte=` and "
            "`cf_<key>__lte=`."
        ),
        parameters=[CustomerFilterSerializer],
        responses={200: CustomerOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.query(CustomerFilterSerializer)
        custom = custom_filters_from_query(request.query_params)
        if custom:
            params["custom"] = custom
        queryset = selectors.customer_list(
            actor=request.user,
            q=params.pop("q", ""),
            ordering=params.pop("ordering", "-id"),
            deleted=params.pop("in_recycle_bin", False),
            filters=params,
        )
        return self.paginated(queryset, CustomerOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_create",
        summary="Create a customer",
        request=CustomerInputSerializer,
        responses={201: CustomerDetailOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.CREATE, MODULE)
        data = self.body(CustomerInputSerializer)
        data.pop("version", None)
        customer = services.customer_create(
            actor=request.user, data=data, created_via=CreatedVia.API
        )
        return self.record(
            _fresh(request.user, customer),
            CustomerDetailOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{customer.pk}/"},
        )


class CustomerDetailView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        customer = selectors.customer_get(actor=self.request.user, pk=id)
        return dict(CustomerDetailOutputSerializer(customer, context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_retrieve",
        summary="Read a customer",
        parameters=[CUSTOMER_ID],
        responses={200: CustomerDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        customer = selectors.customer_get(actor=request.user, pk=id)
        return self.record(customer, CustomerDetailOutputSerializer)

    def _update(self, request: Request, id: str, *, partial: bool) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id)
        data = self.body(CustomerInputSerializer, partial=partial)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(lambda: self._current(id)):
            customer = services.customer_update(
                actor=request.user, customer=customer, data=data, version=version
            )
        return self.record(_fresh(request.user, customer), CustomerDetailOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_update",
        summary="Change a customer",
        description=(
            "`name` is required; fields left out keep their values. Send the version you read "
            "(`version` or `If-Match`) to be told, with 409, when someone changed it meanwhile."
        ),
        parameters=[CUSTOMER_ID, IF_MATCH],
        request=CustomerInputSerializer,
        responses={
            200: CustomerDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=CustomerDetailOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_partial_update",
        summary="Change some fields of a customer",
        parameters=[CUSTOMER_ID, IF_MATCH],
        request=CustomerInputSerializer,
        responses={
            200: CustomerDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=CustomerDetailOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_destroy",
        summary="Move a customer to the recycle bin",
        description="Restorable for 30 days with `POST /customers/{id}/restore/`.",
        parameters=[CUSTOMER_ID, IF_MATCH],
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 404, 409, current=CustomerDetailOutputSerializer),
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.DELETE, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id)
        version = requested_version(request)
        if version is not None and version != customer.version:
            raise Conflict(
                instance=customer,
                current=CustomerDetailOutputSerializer(customer, context=self.context()).data,
            )
        services.customer_delete(actor=request.user, customer=customer)
        return Response(status=204)


class CustomerRestoreView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="customers_restore",
        summary="Bring a customer back from the recycle bin",
        parameters=[CUSTOMER_ID],
        request=None,
        responses={200: CustomerDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.DELETE, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id, deleted=True)
        customer = services.customer_restore(actor=request.user, customer=customer)
        return self.record(_fresh(request.user, customer), CustomerDetailOutputSerializer)


class CustomerBulkView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="customers_bulk",
        summary="Change many customers at once",
        description=(
            "Give the customers in `ids` a new `owner`, and/or add and remove tags. All or "
            "nothing: if one customer cannot be changed, none is."
        ),
        request=CustomerBulkInputSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        data = self.body(CustomerBulkInputSerializer)
        owner_changed = tags_changed = 0
        with transaction.atomic():
            if data.get("owner") is not None:
                owner_changed = services.customers_assign_owner(
                    actor=request.user, customer_ids=data["ids"], owner=data["owner"]
                )
            if data.get("add_tags") or data.get("remove_tags"):
                tags_changed = services.customers_change_tags(
                    actor=request.user,
                    customer_ids=data["ids"],
                    add=data.get("add_tags", []),
                    remove=data.get("remove_tags", []),
                )
        return Response(
            BulkResultSerializer(
                {"owner_changed": owner_changed, "tags_changed": tags_changed}
            ).data
        )


class CollaboratorListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="customers_collaborators_list",
        summary="List a customer's collaborators",
        parameters=[CUSTOMER_ID],
        responses={
            200: CollaboratorOutputSerializer(many=True),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        customer = selectors.customer_get(actor=request.user, pk=id)
        return Response(CollaboratorOutputSerializer(customer.collaborators.all(), many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_collaborators_set",
        summary="Add a collaborator (or change her access)",
        parameters=[CUSTOMER_ID],
        request=CollaboratorInputSerializer,
        responses={
            200: CollaboratorOutputSerializer,
            **error_responses(400, 401, 403, 404, 415),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id)
        data = self.body(CollaboratorInputSerializer)
        collaborator = services.collaborator_set(
            actor=request.user, customer=customer, user=data["user"], access=data["access"]
        )
        return Response(CollaboratorOutputSerializer(collaborator).data)


class CollaboratorDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="customers_collaborators_remove",
        summary="Remove a collaborator",
        parameters=[CUSTOMER_ID, id_parameter("user_id", "The collaborator's user id.")],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str, user_id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id)
        user = user_get(actor=request.user, pk=user_id)
        if not any(c.user_id == user.pk for c in customer.collaborators.all()):
            raise NotFound()
        services.collaborator_remove(actor=request.user, customer=customer, user=user)
        return Response(status=204)
