"""``/api/v1/sales/follow-ups/`` and ``/api/v1/sales/not-contacted/``: the follow-up lists of the
sales section, read-only, over the customers the caller may see (cursor pages)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.accounts.serializers import UserRefSerializer
from guanxi.core.api import MAX_ID, ApiView, error_responses
from guanxi.sales import selectors
from guanxi.sales.selectors.follow_ups import DEFAULT_IDLE_DAYS, MAX_IDLE_DAYS, TABS, TODAY
from guanxi.sales.serializers import QuerySerializer

MODULE = "sales"
TAG = "sales"


def _owner_filter() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only customers owned by this user (within your scope).",
    )


class FollowUpFilterSerializer(QuerySerializer):
    tab = serializers.ChoiceField(
        choices=list(TABS),
        required=False,
        default=TODAY,
        help_text="`today` (default), `overdue` or `upcoming`.",
    )
    owner = _owner_filter()


class IdleFilterSerializer(QuerySerializer):
    days = serializers.IntegerField(
        required=False,
        default=DEFAULT_IDLE_DAYS,
        min_value=1,
        max_value=MAX_IDLE_DAYS,
        help_text="Customers not contacted for this many days (1-3650, default 30).",
    )
    owner = _owner_filter()


class FollowUpCustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    next_follow_up_on = serializers.DateField(allow_null=True)
    last_contacted_at = serializers.DateTimeField(allow_null=True)


class FollowUpListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="sales_follow_ups_list",
        summary="List customers whose follow-up is due today, overdue or upcoming",
        description=(
            "A follow-up is the next follow-up date of the customer's latest interaction that has "
            "one; it is open until the customer is contacted again (a logged call, visit, "
            "meeting, e-mail or message). Ordered by the follow-up date."
        ),
        parameters=[FollowUpFilterSerializer],
        responses={
            200: FollowUpCustomerOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(FollowUpFilterSerializer)
        queryset = selectors.follow_up_list(
            actor=request.user, tab=params["tab"], filters={"owner": params.get("owner")}
        )
        return self.paginated(queryset, FollowUpCustomerOutputSerializer)


class IdleCustomerListView(ApiView):
    @extend_schema(
        tags=[TAG],
        operation_id="sales_not_contacted_list",
        summary="List customers not contacted for a number of days",
        description=(
            "Customers whose last contact is older than `days` days, and those never contacted "
            "that were created before then; least recently contacted first."
        ),
        parameters=[IdleFilterSerializer],
        responses={
            200: FollowUpCustomerOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, Action.VIEW, MODULE)
        params = self.query(IdleFilterSerializer)
        queryset = selectors.idle_customer_list(
            actor=request.user, days=params["days"], filters={"owner": params.get("owner")}
        )
        return self.paginated(queryset, FollowUpCustomerOutputSerializer)
