"""``/api/v1/custom-fields/``: everyone who may view customers reads them; administrators write."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import ApiView, error_responses, id_parameter, requested_version
from guanxi.customization import selectors, services
from guanxi.customization.serializers import (
    FieldDefinitionArchiveSerializer,
    FieldDefinitionFilterSerializer,
    FieldDefinitionInputSerializer,
    FieldDefinitionOutputSerializer,
)

TAG = "custom fields"
FIELD_ID = id_parameter(description="The custom field's id.")


class FieldDefinitionListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="custom_fields_list",
        summary="List custom fields",
        parameters=[FieldDefinitionFilterSerializer],
        responses={
            200: FieldDefinitionOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.query(FieldDefinitionFilterSerializer)
        queryset = selectors.field_definition_list(
            actor=request.user,
            model=params.get("model"),
            archived=params.get("archived", False),
        )
        return self.paginated(queryset.order_by("-id"), FieldDefinitionOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="custom_fields_create",
        summary="Add a custom field (administrators)",
        request=FieldDefinitionInputSerializer,
        responses={201: FieldDefinitionOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        data = self.body(FieldDefinitionInputSerializer)
        data.pop("version", None)
        data.pop("accept_loss", None)
        definition = services.field_definition_create(actor=request.user, data=data)
        return self.record(
            definition,
            FieldDefinitionOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{definition.pk}/"},
        )


class FieldDefinitionDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="custom_fields_retrieve",
        summary="Read a custom field",
        parameters=[FIELD_ID],
        responses={200: FieldDefinitionOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        definition = selectors.field_definition_get(actor=request.user, pk=id)
        return self.record(definition, FieldDefinitionOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="custom_fields_partial_update",
        summary="Change a custom field (administrators)",
        description=(
            "Labels, help text, flags and new options apply at once. A change of type or removed "
            "options is refused (code `values_lost`, listing the values) when stored values would "
            "not fit, unless `accept_loss` is true: then those values are archived in the record."
        ),
        parameters=[FIELD_ID],
        request=FieldDefinitionInputSerializer(partial=True),
        responses={
            200: FieldDefinitionOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        definition = services.field_definition_get_for_update(actor=request.user, pk=id)
        data = self.body(FieldDefinitionInputSerializer, partial=True)
        version = requested_version(request, data.pop("version", None))
        accept_loss = data.pop("accept_loss", False)
        definition, _impact = services.field_definition_update(
            actor=request.user,
            definition=definition,
            data=data,
            version=version,
            accept_loss=accept_loss,
        )
        return self.record(definition, FieldDefinitionOutputSerializer)


class FieldDefinitionArchiveView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="custom_fields_archive",
        summary="Archive a custom field or bring it back (administrators)",
        description="An archived field is hidden everywhere; the values stored in it are kept.",
        parameters=[FIELD_ID],
        request=FieldDefinitionArchiveSerializer,
        responses={
            200: FieldDefinitionOutputSerializer,
            **error_responses(400, 401, 403, 404, 415),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        definition = services.field_definition_get_for_update(actor=request.user, pk=id)
        data = self.body(FieldDefinitionArchiveSerializer)
        definition = services.field_definition_archive(
            actor=request.user, definition=definition, archived=data["archived"]
        )
        return self.record(definition, FieldDefinitionOutputSerializer)
