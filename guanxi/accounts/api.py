"""``/api/v1/users/`` (owner choices, read-only) and ``/api/v1/tokens/`` (your API tokens)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import selectors, services
from guanxi.accounts.serializers import (
    TokenCreatedOutputSerializer,
    TokenCreateInputSerializer,
    TokenOutputSerializer,
    UserOutputSerializer,
)
from guanxi.core.api import ApiView, error_responses, id_parameter
from guanxi.core.errors import NotFound


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "guanxi.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: `Authorization: Bearer gx_…`.",
        }


class UserListView(ApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_list",
        summary="List active users",
        description="Colleagues who can be chosen as owner or collaborator (read-only).",
        responses={200: UserOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.user_list(actor=request.user), UserOutputSerializer)


class UserDetailView(ApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_retrieve",
        summary="Read a user",
        parameters=[id_parameter(description="The user's id.")],
        responses={200: UserOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(UserOutputSerializer(selectors.user_get(actor=request.user, pk=id)).data)


class TokenListView(ApiView):
    @extend_schema(
        tags=["tokens"],
        operation_id="tokens_list",
        summary="List your API tokens",
        responses={200: TokenOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.token_list(actor=request.user), TokenOutputSerializer)

    @extend_schema(
        tags=["tokens"],
        operation_id="tokens_create",
        summary="Create an API token",
        description=(
            "The answer holds the token in `secret`: it is shown only this once (only its hash is "
            "stored). A read-only token (`is_read_only`) may read but never change anything."
        ),
        request=TokenCreateInputSerializer,
        responses={201: TokenCreatedOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        data = self.body(TokenCreateInputSerializer)
        issued = services.token_create(
            actor=request.user,
            user=request.user,
            name=data["name"],
            is_read_only=data["is_read_only"],
            expires_at=data.get("expires_at"),
            scopes=data.get("scopes"),
        )
        body = {**TokenOutputSerializer(issued.token).data, "secret": issued.secret}
        return Response(
            TokenCreatedOutputSerializer(body).data,
            status=201,
            headers={"Location": f"{request.path}{issued.token.pk}/"},
        )


class TokenDetailView(ApiView):
    @extend_schema(
        tags=["tokens"],
        operation_id="tokens_revoke",
        summary="Revoke one of your API tokens",
        description="The token stops working at once; it stays in the list as revoked.",
        parameters=[id_parameter(description="The token's id.")],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, id: str) -> Response:
        token = selectors.token_list(actor=request.user).filter(pk=_int_or_404(id)).first()
        if token is None:
            raise NotFound()
        services.token_revoke(actor=request.user, token_id=token.pk)
        return Response(status=204)


def _int_or_404(value: str) -> int:
    try:
        pk = int(value)
    except ValueError as exc:
        raise NotFound() from exc
    if not 1 <= pk < 2**63:
        raise NotFound()
    return pk
