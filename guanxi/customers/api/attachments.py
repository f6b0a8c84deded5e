"""``/api/v1/customers/{id}/attachments/`` and ``/api/v1/attachments/{id}/``: files."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, renderers
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.api import ApiView, error_responses, id_parameter
from guanxi.core.errors import NotFound
from guanxi.customers import selectors, services
from guanxi.customers.serializers import (
    AttachmentOutputSerializer,
    AttachmentUploadInputSerializer,
)

MODULE = "customers"
TAG = "attachments"
ATTACHMENT_ID = id_parameter(description="The attachment's id.")


class CustomerAttachmentListView(ApiView):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        tags=[TAG],
        operation_id="customers_attachments_list",
        summary="List a customer's files",
        parameters=[id_parameter(description="The customer's id.")],
        responses={
            200: AttachmentOutputSerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        customer = selectors.customer_get(actor=request.user, pk=id)
        queryset = selectors.attachment_list(actor=request.user, customer=customer)
        return self.paginated(queryset, AttachmentOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="customers_attachments_create",
        summary="Upload a file to a customer",
        description=(
            "`multipart/form-data` with the file in `file`. Empty files, files over the size "
            "limit and executable or web-page types are refused with 400."
        ),
        parameters=[id_parameter(description="The customer's id.")],
        request={"multipart/form-data": AttachmentUploadInputSerializer},
        responses={201: AttachmentOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        customer = selectors.customer_get(actor=request.user, pk=id)
        data = self.body(AttachmentUploadInputSerializer)
        attachment = services.attachment_create(
            actor=request.user,
            customer=customer,
            upload=data["file"],
            interaction=data.get("interaction"),
        )
        return self.record(
            attachment,
            AttachmentOutputSerializer,
            status=201,
            headers={"Location": f"/api/v1/attachments/{attachment.pk}/"},
        )


class AttachmentDetailView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="attachments_retrieve",
        summary="Read a file's details",
        parameters=[ATTACHMENT_ID],
        responses={200: AttachmentOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        attachment = selectors.attachment_get(actor=request.user, pk=id)
        return self.record(attachment, AttachmentOutputSerializer)

    @extend_schema(
        tags=[TAG],
        operation_id="attachments_destroy",
        summary="Delete a file",
        parameters=[ATTACHMENT_ID],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        attachment = selectors.attachment_get(actor=request.user, pk=id)
        services.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=204)


class BinaryRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``application/octet-stream``; errors are still JSON."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        return renderers.JSONRenderer().render(data)


class AttachmentDownloadView(ApiView):
    renderer_classes = [renderers.JSONRenderer, BinaryRenderer]

    @extend_schema(
        tags=[TAG],
        operation_id="attachments_download",
        summary="Download a file",
        parameters=[ATTACHMENT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, id: str) -> FileResponse:
        attachment = selectors.attachment_get(actor=request.user, pk=id)
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError) as exc:
            raise NotFound() from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type="application/octet-stream",
        )
