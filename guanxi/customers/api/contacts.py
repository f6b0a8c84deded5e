"""``/api/v1/contacts/`` and ``/api/v1/interactions/``: a customer's people and timeline."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
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
from guanxi.core.errors import Conflict
from guanxi.core.models import CreatedVia
from guanxi.customers import selectors, services
from guanxi.customers.serializers import (
    ContactCreateInputSerializer,
    ContactFilterSerializer,
    ContactOutputSerializer,
    ContactUpdateInputSerializer,
    InteractionCreateInputSerializer,
    InteractionFilterSerializer,
    InteractionOutputSerializer,
    InteractionUpdateInputSerializer,
)

MODULE = "customers"
CONTACT_ID = id_parameter(description="The contact's id.")
INTERACTION_ID = id_parameter(description="The interaction's id.")


def _check_version(request: Request, obj: Any, current: dict[str, Any]) -> None:
    version = requested_version(request)
    if version is not None and version != obj.version:
        raise Conflict(instance=obj, current=current)


# --- contacts ------------------------------------------------------------------------------------


class ContactListView(ApiView):
    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_list",
        summary="List contacts",
        parameters=[ContactFilterSerializer],
        responses={200: ContactOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.query(ContactFilterSerializer)
        queryset = selectors.contact_list(actor=request.user, q=params.get("q", ""))
        if "customer" in params:
            queryset = queryset.filter(customer_id=params["customer"])
        return self.paginated(queryset, ContactOutputSerializer)

    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_create",
        summary="Add a contact to a customer",
        request=ContactCreateInputSerializer,
        responses={201: ContactOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        data = self.body(ContactCreateInputSerializer)
        data.pop("version", None)
        customer = data.pop("customer")
        contact = services.contact_create(
            actor=request.user, customer=customer, data=data, created_via=CreatedVia.API
        )
        contact = selectors.contact_get(actor=request.user, pk=contact.pk)
        return self.record(
            contact,
            ContactOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{contact.pk}/"},
        )


class ContactDetailView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        contact = selectors.contact_get(actor=self.request.user, pk=id)
        return dict(ContactOutputSerializer(contact, context=self.context()).data)

    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_retrieve",
        summary="Read a contact",
        parameters=[CONTACT_ID],
        responses={200: ContactOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(
            selectors.contact_get(actor=request.user, pk=id), ContactOutputSerializer
        )

    def _update(self, request: Request, id: str, *, partial: bool) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        contact = selectors.contact_get(actor=request.user, pk=id)
        data = self.body(ContactUpdateInputSerializer, partial=partial)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(lambda: self._current(id)):
            contact = services.contact_update(
                actor=request.user, contact=contact, data=data, version=version
            )
        contact = selectors.contact_get(actor=request.user, pk=contact.pk)
        return self.record(contact, ContactOutputSerializer)

    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_update",
        summary="Change a contact",
        description="`name` is required; fields left out keep their values.",
        parameters=[CONTACT_ID, IF_MATCH],
        request=ContactUpdateInputSerializer,
        responses={
            200: ContactOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=ContactOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_partial_update",
        summary="Change some fields of a contact",
        parameters=[CONTACT_ID, IF_MATCH],
        request=ContactUpdateInputSerializer,
        responses={
            200: ContactOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=ContactOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    @extend_schema(
        tags=["contacts"],
        operation_id="contacts_destroy",
        summary="Move a contact to the recycle bin",
        parameters=[CONTACT_ID, IF_MATCH],
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 404, 409, current=ContactOutputSerializer),
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        contact = selectors.contact_get(actor=request.user, pk=id)
        _check_version(
            request, contact, ContactOutputSerializer(contact, context=self.context()).data
        )
        services.contact_delete(actor=request.user, contact=contact)
        return Response(status=204)


# --- interactions --------------------------------------------------------------------------------


class InteractionListView(ApiView):
    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_list",
        summary="List interactions (newest first)",
        parameters=[InteractionFilterSerializer],
        responses={
            200: InteractionOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.query(InteractionFilterSerializer)
        customer_id = params.pop("customer", None)
        queryset = selectors.interaction_list(actor=request.user, filters=params)
        if customer_id is not None:
            queryset = queryset.filter(customer_id=customer_id)
        return self.paginated(queryset, InteractionOutputSerializer)

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_create",
        summary="Add an entry to a customer's timeline",
        request=InteractionCreateInputSerializer,
        responses={201: InteractionOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        data = self.body(InteractionCreateInputSerializer)
        data.pop("version", None)
        customer = data.pop("customer")
        interaction = services.interaction_create(
            actor=request.user, customer=customer, data=data, created_via=CreatedVia.API
        )
        interaction = selectors.interaction_get(actor=request.user, pk=interaction.pk)
        return self.record(
            interaction,
            InteractionOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{interaction.pk}/"},
        )


class InteractionDetailView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        interaction = selectors.interaction_get(actor=self.request.user, pk=id)
        return dict(InteractionOutputSerializer(interaction, context=self.context()).data)

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_retrieve",
        summary="Read an interaction",
        parameters=[INTERACTION_ID],
        responses={200: InteractionOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        interaction = selectors.interaction_get(actor=request.user, pk=id)
        return self.record(interaction, InteractionOutputSerializer)

    def _update(self, request: Request, id: str, *, partial: bool) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        interaction = selectors.interaction_get(actor=request.user, pk=id)
        data = self.body(InteractionUpdateInputSerializer, partial=partial)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(lambda: self._current(id)):
            interaction = services.interaction_update(
                actor=request.user, interaction=interaction, data=data, version=version
            )
        interaction = selectors.interaction_get(actor=request.user, pk=interaction.pk)
        return self.record(interaction, InteractionOutputSerializer)

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_update",
        summary="Change an interaction",
        parameters=[INTERACTION_ID, IF_MATCH],
        request=InteractionUpdateInputSerializer,
        responses={
            200: InteractionOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=InteractionOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_partial_update",
        summary="Change some fields of an interaction",
        parameters=[INTERACTION_ID, IF_MATCH],
        request=InteractionUpdateInputSerializer,
        responses={
            200: InteractionOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=InteractionOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    @extend_schema(
        tags=["interactions"],
        operation_id="interactions_destroy",
        summary="Move an interaction to the recycle bin",
        parameters=[INTERACTION_ID, IF_MATCH],
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 404, 409, current=InteractionOutputSerializer),
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        interaction = selectors.interaction_get(actor=request.user, pk=id)
        _check_version(
            request,
            interaction,
            InteractionOutputSerializer(interaction, context=self.context()).data,
        )
        services.interaction_delete(actor=request.user, interaction=interaction)
        return Response(status=204)
