"""Input and output shapes of the sales API.

Input serializers check types and shapes and resolve ids through selectors (an id the actor may not
see is as unknown as one that does not exist); the rules live in the services. Output serializers
shape records for the client. Money is a decimal string, never a float.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.selectors import user_list
from guanxi.accounts.serializers import UserRefSerializer
from guanxi.core.api import (
    MAX_ID,
    BoundedDateField,
    CustomFieldsField,
    VersionField,
    VisibleIdListField,
    VisibleRelatedField,
)
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import CompanySize, Industry, Source
from guanxi.sales import selectors
from guanxi.sales.models import (
    CollaboratorAccess,
    DealStatus,
    LeadStatus,
    OrderStatus,
    QuoteStatus,
    ReasonKind,
    RequiredField,
)
from guanxi.sales.selectors import GroupBy

ORDERING_CHOICES = sorted(
    selectors.deals.ORDERINGS, key=lambda o: (o.lstrip("-"), o.startswith("-"))
)


def _id_filter(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=max_length, **kwargs)


def _number(**kwargs: Any) -> serializers.DecimalField:
    """A decimal number as text or JSON number; the services check its range."""
    return serializers.DecimalField(max_digits=30, decimal_places=10, **kwargs)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2)


def _customers(actor: Any) -> Any:
    return customer_selectors.customer_list(actor=actor).prefetch_related(None)


def _contacts(actor: Any) -> Any:
    return customer_selectors.contact_list(actor=actor)


def _users(actor: Any) -> Any:
    return user_list(actor=actor)


def _pipelines(actor: Any) -> Any:
    return selectors.pipeline_list(actor=actor).prefetch_related(None)


def _stages(actor: Any) -> Any:
    return selectors.stage_list(actor=actor)


def _reasons(actor: Any) -> Any:
    return selectors.close_reason_list(actor=actor)


def _products(actor: Any) -> Any:
    return selectors.product_list(actor=actor)


def _price_lists(actor: Any) -> Any:
    return selectors.price_list_list(actor=actor)


def _categories(actor: Any) -> Any:
    return selectors.product_category_list(actor=actor)


def _sources(actor: Any) -> Any:
    return customer_selectors.lookup_list(actor=actor, model=Source)


def _industries(actor: Any) -> Any:
    return customer_selectors.lookup_list(actor=actor, model=Industry)


class QuerySerializer(serializers.Serializer):
    """Query parameters. An empty value (``?stage=``) is refused unless the parameter may be
    blank: the schema says so, and DRF would otherwise read it as absent."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "getlist"):
            errors = {
                name: [_("This parameter may not be empty.")]
                for name, field in self.fields.items()
                if name in data
                and any(value == "" for value in data.getlist(name))
                and not getattr(field, "allow_blank", False)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- references ----------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__", help_text="The name in the user's language.")


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StageRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    probability = serializers.IntegerField()
    is_won = serializers.BooleanField()
    is_lost = serializers.BooleanField()


# --- pipelines -----------------------------------------------------------------------------


class StageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pipeline_id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    position = serializers.IntegerField()
    probability = serializers.IntegerField(help_text="Win probability in percent.")
    colour = serializers.CharField()
    required_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=RequiredField.choices),
        help_text="What a deal must have before it may enter this stage.",
    )
    is_won = serializers.BooleanField()
    is_lost = serializers.BooleanField()
    version = serializers.IntegerField()


class PipelineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    is_default = serializers.BooleanField()
    stages = StageOutputSerializer(many=True)


class StageFilterSerializer(QuerySerializer):
    pipeline = _id_filter("Only the stages of this pipeline.")


class CloseReasonFilterSerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=ReasonKind.choices, required=False)


class CloseReasonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReasonKind.choices)
    name = serializers.CharField(source="__str__")


# --- deals ---------------------------------------------------------------------------------


class DealFilterSerializer(QuerySerializer):
    pipeline = _id_filter("Only deals of this pipeline.")
    stage = _id_filter("Only deals in this stage.")
    status = serializers.ChoiceField(choices=DealStatus.choices, required=False)
    owner = _id_filter("Only deals owned by this user.")
    department = _id_filter("Only deals of this department (and its sub-departments).")
    customer = _id_filter("Only deals with this customer.")
    source = _id_filter("Only deals from this source.")
    expected_close_from = BoundedDateField(required=False)
    expected_close_to = BoundedDateField(required=False)
    created_from = BoundedDateField(required=False)
    created_to = BoundedDateField(required=False)
    closed_from = BoundedDateField(required=False)
    closed_to = BoundedDateField(required=False)
    amount_min = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, help_text="At least this much (CNY)."
    )
    amount_max = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, help_text="At most this much (CNY)."
    )
    q = _text(200, help_text="Deal name (beginning) or the customer's name, pinyin, phone.")
    ordering = serializers.ChoiceField(
        choices=ORDERING_CHOICES, required=False, help_text="Sort order; `-` for descending."
    )
    in_recycle_bin = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        department = attrs.get("department")
        if department is not None:
            from guanxi.accounts.models import Department

            attrs["department"] = Department.objects.filter(pk=department).first() or department
        return attrs


class LineItemInputSerializer(serializers.Serializer):
    product = VisibleRelatedField(selector=_products, required=False, allow_null=True)
    name = _text(200)
    quantity = _number(required=False, help_text="Greater than 0; default 1.")
    unit_price = _number(
        required=False, allow_null=True, help_text="Default: the price list's or product's price."
    )
    discount_percent = _number(required=False, help_text="0 to 100.")


class DealInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    customer = VisibleRelatedField(selector=_customers)
    contacts = VisibleIdListField(selector=_contacts, required=False, max_length=100)
    pipeline = VisibleRelatedField(
        selector=_pipelines, required=False, help_text="Default: the default pipeline."
    )
    stage = VisibleRelatedField(
        selector=_stages,
        required=False,
        help_text="Default: the pipeline's first stage. Changing it moves the deal (as /move/).",
    )
    amount = _number(required=False, help_text="In `currency`; not negative.")
    currency = _text(3, help_text="ISO 4217 code; default CNY.")
    exchange_rate = _number(
        required=False,
        allow_null=True,
        help_text="CNY per unit of `currency`; default: the rate on file (400 if none).",
    )
    expected_close_on = BoundedDateField(required=False, allow_null=True)
    source = VisibleRelatedField(selector=_sources, required=False, allow_null=True)
    description = _text(20000, trim_whitespace=False)
    owner = VisibleRelatedField(selector=_users, required=False, help_text="Default: you.")
    line_items = LineItemInputSerializer(many=True, required=False, max_length=200)
    custom = CustomFieldsField(required=False)
    version = VersionField()


class LineItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = RefSerializer(allow_null=True)
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_price = _money()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    total = _money()


class DealCollaboratorOutputSerializer(serializers.Serializer):
    user = UserRefSerializer()
    access = serializers.ChoiceField(choices=CollaboratorAccess.choices)
    added_at = serializers.DateTimeField()


class DealOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    customer = CustomerRefSerializer()
    pipeline = RefSerializer()
    stage = StageRefSerializer()
    status = serializers.ChoiceField(choices=DealStatus.choices)
    amount = _money()
    currency = serializers.CharField()
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=6)
    amount_cny = _money()
    expected_close_on = serializers.DateField(allow_null=True)
    source = RefSerializer(allow_null=True)
    description = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    department_id = serializers.IntegerField(allow_null=True)
    stage_entered_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    days_to_close = serializers.IntegerField(allow_null=True)
    close_reason = RefSerializer(allow_null=True)
    close_note = serializers.CharField()
    custom = CustomFieldsField()
    created_via = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class DealDetailOutputSerializer(DealOutputSerializer):
    contacts = CustomerRefSerializer(many=True)
    line_items = LineItemOutputSerializer(many=True)
    collaborators = DealCollaboratorOutputSerializer(many=True)


class MoveInputSerializer(serializers.Serializer):
    stage = VisibleRelatedField(selector=_stages)
    reason = VisibleRelatedField(
        selector=_reasons, required=False, allow_null=True, help_text="Required for the lost stage."
    )
    note = _text(2000)
    version = VersionField()


class CloseInputSerializer(serializers.Serializer):
    reason = VisibleRelatedField(
        selector=_reasons, required=False, allow_null=True, help_text="Required to lose a deal."
    )
    note = _text(2000)
    version = VersionField()


class LineItemsInputSerializer(serializers.Serializer):
    items = LineItemInputSerializer(many=True, max_length=200)
    price_list = VisibleRelatedField(selector=_price_lists, required=False, allow_null=True)
    version = VersionField()


class StageChangeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_stage = StageRefSerializer(allow_null=True)
    to_stage = StageRefSerializer()
    changed_at = serializers.DateTimeField()
    changed_by = UserRefSerializer(allow_null=True)
    seconds_in_from_stage = serializers.IntegerField(allow_null=True)


class DealCollaboratorInputSerializer(serializers.Serializer):
    user = VisibleRelatedField(selector=_users)
    access = serializers.ChoiceField(
        choices=CollaboratorAccess.choices, required=False, default=CollaboratorAccess.EDIT
    )


# --- products ------------------------------------------------------------------------------


class ProductFilterSerializer(QuerySerializer):
    category = _id_filter("Only products of this category.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = _text(200, help_text="Code or name (beginning).")
    ordering = serializers.ChoiceField(
        choices=["code", "-code", "name", "-name", "price", "-price", "id", "-id"], required=False
    )


class ProductInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    category = VisibleRelatedField(selector=_categories, required=False, allow_null=True)
    unit = _text(20)
    price = _number(required=False)
    currency = _text(3)
    description = _text(20000, trim_whitespace=False)
    is_active = serializers.BooleanField(required=False)
    version = VersionField()


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    category = RefSerializer(allow_null=True)
    unit = serializers.CharField()
    price = _money()
    currency = serializers.CharField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()


# --- analytics -----------------------------------------------------------------------------


class FunnelFilterSerializer(QuerySerializer):
    pipeline = _id_filter("The pipeline (default: the default pipeline).")
    owner = _id_filter("Only deals owned by this user.")
    department = _id_filter("Only deals of this department (and below).")
    created_from = BoundedDateField(required=False, help_text="Deals created on or after.")
    created_to = BoundedDateField(required=False, help_text="Deals created on or before.")
    expected_close_from = BoundedDateField(required=False)
    expected_close_to = BoundedDateField(required=False)


class FunnelStageOutputSerializer(serializers.Serializer):
    stage = StageRefSerializer()
    count = serializers.IntegerField(help_text="Deals in this stage now.")
    amount = _money()
    reached = serializers.IntegerField(help_text="Deals that reached this stage or went further.")
    conversion = serializers.FloatField(
        allow_null=True, help_text="Share of them that reached the next stage."
    )
    average_days = serializers.FloatField(
        allow_null=True, help_text="Average days spent in it by the deals that left it."
    )


class FunnelOutputSerializer(serializers.Serializer):
    pipeline = RefSerializer()
    stages = FunnelStageOutputSerializer(many=True)
    total = serializers.IntegerField()
    total_amount = _money()
    open_count = serializers.IntegerField()
    open_amount = _money()
    weighted = _money()
    won_count = serializers.IntegerField()
    won_amount = _money()
    lost_count = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True, help_text="Won among closed deals.")
    cycle_days = serializers.FloatField(
        allow_null=True, help_text="Average days from creation to a win."
    )


class BoardColumnOutputSerializer(serializers.Serializer):
    stage = StageRefSerializer()
    count = serializers.IntegerField()
    amount = _money()
    weighted = _money()


class ForecastFilterSerializer(QuerySerializer):
    start = BoundedDateField(required=False, help_text="Any day of the first month (default: now).")
    months = serializers.IntegerField(required=False, min_value=1, max_value=36, default=6)
    group_by = serializers.ChoiceField(
        choices=[GroupBy.NONE, GroupBy.OWNER, GroupBy.DEPARTMENT], required=False, default=""
    )
    pipeline = _id_filter("Only deals of this pipeline.")
    owner = _id_filter("Only deals owned by this user.")
    department = _id_filter("Only deals of this department (and below).")

    def validate_start(self, value: Any) -> Any:
        if value.year > 9990:
            raise serializers.ValidationError(_("Choose a month before the year 9990."))
        return value


class ForecastRowOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    key = serializers.IntegerField(allow_null=True, help_text="Owner or department id.")
    label = serializers.CharField()
    open_count = serializers.IntegerField()
    pipeline = _money()
    weighted = _money()
    won = _money()
    target = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    attainment = serializers.FloatField(allow_null=True, help_text="Won divided by target.")


class ForecastOutputSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField())
    group_by = serializers.CharField()
    rows = ForecastRowOutputSerializer(many=True)


# --- leads ---------------------------------------------------------------------------------


def _pools(actor: Any) -> Any:
    return selectors.pool_list(actor=actor)


def _pool_leads(actor: Any) -> Any:
    return selectors.pool_lead_list(actor=actor)


class LeadFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    owner = _id_filter("Only leads owned by this user.")
    source = _id_filter("Only leads from this source.")
    open = serializers.BooleanField(required=False, help_text="Only leads not yet converted.")
    min_score = serializers.IntegerField(
        required=False,
        min_value=-1000000,
        max_value=1000000,
        help_text="Only leads scoring at least this much.",
    )
    ordering = serializers.ChoiceField(
        choices=sorted(selectors.leads.ORDERINGS), required=False, help_text="Sort order."
    )


class LeadInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    company = _text(200)
    title = _text(100)
    mobile = _text(64)
    phone = _text(64)
    email = _text(254)
    wechat = _text(64)
    source = VisibleRelatedField(selector=_sources, required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=LeadStatus.choices,
        required=False,
        help_text="`converted` is set by converting the lead, not here.",
    )
    notes = _text(20000, trim_whitespace=False)
    next_follow_up_on = BoundedDateField(required=False, allow_null=True)
    industry = VisibleRelatedField(selector=_industries, required=False, allow_null=True)
    company_size = serializers.ChoiceField(
        choices=CompanySize.choices, required=False, allow_blank=True
    )
    pool = VisibleRelatedField(
        selector=_pools,
        required=False,
        allow_null=True,
        help_text="Put the new lead in this pool instead of owning it.",
    )
    custom = CustomFieldsField(required=False)
    version = VersionField()


class LeadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField()
    title = serializers.CharField()
    mobile = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    wechat = serializers.CharField()
    source = RefSerializer(allow_null=True)
    status = serializers.ChoiceField(
        choices=LeadStatus.choices,
    )
    notes = serializers.CharField()
    pool = RefSerializer(allow_null=True)
    owner = UserRefSerializer(allow_null=True)
    department_id = serializers.IntegerField(allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)
    last_followed_up_at = serializers.DateTimeField(allow_null=True)
    next_follow_up_on = serializers.DateField(allow_null=True)
    converted_at = serializers.DateTimeField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)
    contact_id = serializers.IntegerField(allow_null=True)
    deal_id = serializers.IntegerField(allow_null=True)
    industry = RefSerializer(allow_null=True)
    company_size = serializers.ChoiceField(choices=CompanySize.choices, allow_blank=True)
    score = serializers.IntegerField(
        help_text="Sum of the points of the lead scoring rules the lead meets (read-only)."
    )
    custom = CustomFieldsField()
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class FollowUpInputSerializer(serializers.Serializer):
    note = _text(5000)
    next_follow_up_on = BoundedDateField(required=False, allow_null=True)


class ConvertDealInputSerializer(serializers.Serializer):
    name = _text(200)
    amount = _number(required=False)
    currency = _text(3)
    exchange_rate = _number(required=False, allow_null=True)
    expected_close_on = BoundedDateField(required=False, allow_null=True)
    pipeline = VisibleRelatedField(selector=_pipelines, required=False)


class ConvertInputSerializer(serializers.Serializer):
    customer = VisibleRelatedField(
        selector=_customers,
        required=False,
        allow_null=True,
        help_text="Attach to this existing customer instead of creating one.",
    )
    create_new = serializers.BooleanField(
        required=False, default=False, help_text="Create a customer even if look-alikes exist."
    )
    deal = ConvertDealInputSerializer(
        required=False, allow_null=True, help_text="Also open a deal."
    )


class ConvertOutputSerializer(serializers.Serializer):
    lead = LeadOutputSerializer()
    customer = CustomerRefSerializer()
    contact = CustomerRefSerializer()
    deal_id = serializers.IntegerField(allow_null=True, source="deal.pk", default=None)


class DistributeInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=1000
    )
    owner = VisibleRelatedField(selector=_users)


class DistributeOutputSerializer(serializers.Serializer):
    distributed = serializers.IntegerField(help_text="How many leads were handed out.")


class PoolOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    claim_limit = serializers.IntegerField()
    return_after_days = serializers.IntegerField()
    warn_days_before = serializers.IntegerField()
    is_default = serializers.BooleanField()


# --- quotes, orders and payments -------------------------------------------------------------


def _deals(actor: Any) -> Any:
    return selectors.deals_visible(actor)


def _quotes(actor: Any) -> Any:
    return selectors.quote_list(actor=actor)


class QuoteFilterSerializer(QuerySerializer):
    deal = _id_filter("Only quotes of this deal.")
    customer = _id_filter("Only quotes of this customer's deals.")
    status = serializers.ChoiceField(choices=QuoteStatus.choices, required=False)
    created_from = BoundedDateField(required=False, help_text="Quotes made on or after.")
    created_to = BoundedDateField(required=False, help_text="Quotes made on or before.")


class QuoteInputSerializer(serializers.Serializer):
    deal = VisibleRelatedField(
        selector=_deals, help_text="The deal whose products (or amount) are quoted."
    )
    valid_until = BoundedDateField(required=False, allow_null=True)
    notes = _text(5000, trim_whitespace=False, help_text="Terms and notes printed on the quote.")


class QuoteAcceptInputSerializer(serializers.Serializer):
    signed_on = BoundedDateField(
        required=False, allow_null=True, help_text="When the order was signed (default: today)."
    )


class QuoteLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_price = _money()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    total = _money()
    position = serializers.IntegerField()


class QuoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    deal = RefSerializer()
    customer = CustomerRefSerializer(source="deal.customer")
    status = serializers.ChoiceField(choices=QuoteStatus.choices)
    currency = serializers.CharField()
    amount = _money()
    valid_until = serializers.DateField(allow_null=True)
    notes = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_via = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class QuoteDetailOutputSerializer(QuoteOutputSerializer):
    line_items = QuoteLineOutputSerializer(many=True)
    order_id = serializers.SerializerMethodField(help_text="The order it became, once accepted.")

    def get_order_id(self, quote: Any) -> int | None:
        order = getattr(quote, "order", None)  # the reverse one-to-one raises when missing
        return order.pk if order is not None else None


class OrderFilterSerializer(QuerySerializer):
    deal = _id_filter("Only orders of this deal.")
    customer = _id_filter("Only orders of this customer.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    signed_from = BoundedDateField(required=False, help_text="Orders signed on or after.")
    signed_to = BoundedDateField(required=False, help_text="Orders signed on or before.")
    outstanding = serializers.BooleanField(
        required=False, default=False, help_text="Only active orders not paid in full."
    )


class OrderInputSerializer(serializers.Serializer):
    quote = VisibleRelatedField(
        selector=_quotes, help_text="A draft or sent quote: accepting it makes the order."
    )
    signed_on = BoundedDateField(
        required=False, allow_null=True, help_text="When the order was signed (default: today)."
    )


class OrderCancelInputSerializer(serializers.Serializer):
    version = VersionField()


class InstalmentInputSerializer(serializers.Serializer):
    due_on = BoundedDateField()
    amount = _number()
    note = _text(200)


class PaymentPlanInputSerializer(serializers.Serializer):
    instalments = serializers.ListField(
        child=InstalmentInputSerializer(),
        min_length=1,
        max_length=120,
        help_text="Every instalment; together they must add up to the order's amount.",
    )


class InstalmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    due_on = serializers.DateField()
    amount = _money()
    note = serializers.CharField()


class PaymentFilterSerializer(QuerySerializer):
    order = _id_filter("Only payments on this order.")
    deal = _id_filter("Only payments on this deal's orders.")
    customer = _id_filter("Only payments on this customer's orders.")
    received_from = BoundedDateField(required=False, help_text="Received on or after.")
    received_to = BoundedDateField(required=False, help_text="Received on or before.")


class PaymentInputSerializer(serializers.Serializer):
    amount = _number(help_text="At most the balance still owed.")
    received_on = BoundedDateField(
        required=False, allow_null=True, help_text="When it was received (default: today)."
    )
    method = _text(32, help_text="Bank transfer, cash, …")
    reference = _text(100, help_text="The bank's or the receipt's reference.")


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    amount = _money()
    received_on = serializers.DateField()
    method = serializers.CharField()
    reference = serializers.CharField()
    recorded_by = UserRefSerializer(allow_null=True)
    recorded_at = serializers.DateTimeField()


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    deal = RefSerializer()
    quote_id = serializers.IntegerField(allow_null=True)
    customer = CustomerRefSerializer()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    currency = serializers.CharField()
    amount = _money()
    received = _money()
    balance = _money()
    signed_on = serializers.DateField()
    owner = UserRefSerializer(allow_null=True)
    created_via = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class OrderDetailOutputSerializer(OrderOutputSerializer):
    plan = InstalmentOutputSerializer(many=True)
    payments = PaymentOutputSerializer(many=True)
