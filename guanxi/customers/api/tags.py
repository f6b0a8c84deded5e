"""``/api/v1/tags/`` and the read-only lookups ``industries``, ``sources`` and ``levels``."""

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
from guanxi.customers import selectors, services
from guanxi.customers.models import Industry, Level, LookupValue, Source
from guanxi.customers.serializers import (
    LookupOutputSerializer,
    TagInputSerializer,
    TagOutputSerializer,
)

MODULE = "customers"
TAG_ID = id_parameter(description="The tag's id.")


class TagListView(ApiView):
    @extend_schema(
        tags=["tags"],
        operation_id="tags_list",
        summary="List tags",
        responses={200: TagOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.tag_list(actor=request.user), TagOutputSerializer)

    @extend_schema(
        tags=["tags"],
        operation_id="tags_create",
        summary="Create a tag",
        request=TagInputSerializer,
        responses={201: TagOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        policy.require(request.user, Action.CREATE, MODULE)
        data = self.body(TagInputSerializer)
        data.pop("version", None)
        tag = services.tag_create(actor=request.user, data=data)
        return self.record(
            tag, TagOutputSerializer, status=201, headers={"Location": f"{request.path}{tag.pk}/"}
        )


class TagDetailView(ApiView):
    def _current(self, id: str) -> dict[str, Any]:
        tag = selectors.tag_get(actor=self.request.user, pk=id)
        return dict(TagOutputSerializer(tag, context=self.context()).data)

    @extend_schema(
        tags=["tags"],
        operation_id="tags_retrieve",
        summary="Read a tag",
        parameters=[TAG_ID],
        responses={200: TagOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(selectors.tag_get(actor=request.user, pk=id), TagOutputSerializer)

    def _update(self, request: Request, id: str, *, partial: bool) -> Response:
        policy.require(request.user, Action.EDIT, MODULE)
        tag = selectors.tag_get(actor=request.user, pk=id)
        data = self.body(TagInputSerializer, partial=partial)
        version = requested_version(request, data.pop("version", None))
        with conflict_current(lambda: self._current(id)):
            tag = services.tag_update(actor=request.user, tag=tag, data=data, version=version)
        return self.record(tag, TagOutputSerializer)

    @extend_schema(
        tags=["tags"],
        operation_id="tags_update",
        summary="Change a tag",
        parameters=[TAG_ID, IF_MATCH],
        request=TagInputSerializer,
        responses={
            200: TagOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=TagOutputSerializer),
        },
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    @extend_schema(
        tags=["tags"],
        operation_id="tags_partial_update",
        summary="Change some fields of a tag",
        parameters=[TAG_ID, IF_MATCH],
        request=TagInputSerializer,
        responses={
            200: TagOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, current=TagOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    @extend_schema(
        tags=["tags"],
        operation_id="tags_destroy",
        summary="Delete a tag (and take it off every customer)",
        parameters=[TAG_ID, IF_MATCH],
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 404, 409, current=TagOutputSerializer),
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        policy.require(request.user, Action.DELETE, MODULE)
        tag = selectors.tag_get(actor=request.user, pk=id)
        version = requested_version(request)
        if version is not None and version != tag.version:
            raise Conflict(
                instance=tag, current=TagOutputSerializer(tag, context=self.context()).data
            )
        services.tag_delete(actor=request.user, tag=tag)
        return Response(status=204)


def lookup_view(model: type[LookupValue], resource: str, what: str) -> type[ApiView]:
    """A read-only list of one lookup (industries, sources, levels)."""

    class LookupListView(ApiView):
        @extend_schema(
            tags=[resource],
            operation_id=f"{resource}_list",
            summary=f"List {what}",
            description=f"The {what} to choose from, in their display order (read-only).",
            responses={200: LookupOutputSerializer(many=True), **error_responses(400, 401, 403)},
        )
        def get(self, request: Request) -> Response:
            queryset = selectors.lookup_list(actor=request.user, model=model)
            return self.paginated(queryset, LookupOutputSerializer)

    LookupListView.__name__ = LookupListView.__qualname__ = f"{model.__name__}ListView"
    return LookupListView


IndustryListView = lookup_view(Industry, "industries", "industries")
SourceListView = lookup_view(Source, "sources", "customer sources")
LevelListView = lookup_view(Level, "levels", "customer levels")
