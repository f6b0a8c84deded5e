"""Pipelines and their stages, deals, products and price lists, and sales targets.

Money is a ``Decimal`` amount with an ISO currency code. A deal in another currency keeps the rate
it was converted with, and its amount in CNY (``amount_cny``) so that every total is one SQL sum.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.crypto import EncryptedTextField
from guanxi.core.models import BaseModel, SoftDeleteModel
from guanxi.customers.models import CompanySize

BASE_CURRENCY = "CNY"
MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}
RATE: dict[str, Any] = {"max_digits": 18, "decimal_places": 6}


class NamedRow(BaseModel):
    """An admin-editable row with a Chinese and an English name, kept in order."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


# --- pipelines ------------------------------------------------------------------------------


class Pipeline(NamedRow):
    """A sales process: an ordered list of stages a deal moves through."""

    is_default = models.BooleanField(_("default pipeline"), default=False)

    class Meta(NamedRow.Meta):
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="pipeline_unique_name"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            ),
        ]


class RequiredField(models.TextChoices):
    """Deal fields a stage can require before a deal enters it."""

    AMOUNT = "amount", _("Amount")
    EXPECTED_CLOSE_ON = "expected_close_on", _("Expected close date")
    CONTACTS = "contacts", _("Contacts")
    LINE_ITEMS = "line_items", _("Products")
    DESCRIPTION = "description", _("Description")
    SOURCE = "source", _("Source")


class Stage(NamedRow):
    """One step of a pipeline, with its win probability and what a deal needs to enter it.

    Each pipeline has exactly one won and one lost stage; the others are open.
    """

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=0)
    colour = models.CharField(_("colour"), max_length=16, default="blue")
    required_fields = models.JSONField(_("required before entering"), default=list, blank=True)
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    class Meta(NamedRow.Meta):
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_order_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability"),
            models.CheckConstraint(
                condition=~(Q(is_won=True) & Q(is_lost=True)), name="stage_won_or_lost"
            ),
            models.UniqueConstraint(
                fields=["pipeline"], condition=Q(is_won=True), name="stage_one_won"
            ),
            models.UniqueConstraint(
                fields=["pipeline"], condition=Q(is_lost=True), name="stage_one_lost"
            ),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
        ]

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)


class ReasonKind(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class CloseReason(NamedRow):
    """Why deals are won or lost (price, competitor, no budget…): rows an administrator edits."""

    kind = models.CharField(_("kind"), max_length=8, choices=ReasonKind.choices)

    class Meta(NamedRow.Meta):
        verbose_name = _("won or lost reason")
        verbose_name_plural = _("won and lost reasons")
        ordering = ["kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="close_reason_unique_name"),
        ]


class ExchangeRate(BaseModel):
    """How many CNY one unit of ``currency`` is worth from ``valid_on`` on."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate to CNY"), **RATE)
    valid_on = models.DateField(_("valid from"), default=timezone.localdate)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="exchange_rate_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_on})"


# --- deals ----------------------------------------------------------------------------------


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(SoftDeleteModel):
    """A sales opportunity with a customer, moving through the stages of one pipeline."""

    policy_module = "sales"
    policy_owner_field = "owner"
    policy_collaborator_field = "collaborators"

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "customers.Contact", verbose_name=_("contacts"), blank=True, related_name="deals"
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    amount = models.DecimalField(_("amount"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=BASE_CURRENCY)
    exchange_rate = models.DecimalField(_("exchange rate to CNY"), default=Decimal("1"), **RATE)
    amount_cny = models.DecimalField(_("amount (CNY)"), default=Decimal("0"), **MONEY)
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    source = models.ForeignKey(
        "customers.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_deals",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    # The highest position among the non-lost stages the deal has reached (for conversion rates).
    furthest_position = models.PositiveIntegerField(default=0, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    days_to_close = models.PositiveIntegerField(_("days to close"), null=True, blank=True)
    close_reason = models.ForeignKey(
        CloseReason,
        verbose_name=_("reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    close_note = models.TextField(_("closing note"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="deal_owner_idx"),
            models.Index(fields=["department", "-id"], name="deal_department_idx"),
            models.Index(fields=["customer", "-id"], name="deal_customer_idx"),
            models.Index(fields=["stage", "-id"], name="deal_stage_idx"),
            models.Index(fields=["status", "-id"], name="deal_status_idx"),
            models.Index(fields=["deleted_at", "-id"], name="deal_alive_idx"),
            models.Index(fields=["expected_close_on"], name="deal_close_on_idx"),
            models.Index(fields=["closed_on"], name="deal_closed_on_idx"),
            models.Index(fields=["name"], name="deal_name_idx"),
            models.Index(fields=["created_at"], name="deal_created_idx"),
            models.Index(fields=["amount_cny"], name="deal_amount_idx"),
            # Kanban totals and the funnel read only these columns: a covering index.
            models.Index(
                fields=["pipeline", "stage", "amount_cny"],
                condition=Q(deleted_at__isnull=True),
                name="deal_board_idx",
            ),
            models.Index(
                fields=["status", "expected_close_on", "stage", "amount_cny"],
                condition=Q(deleted_at__isnull=True),
                name="deal_forecast_idx",
            ),
            models.Index(
                fields=["status", "closed_on", "amount_cny"],
                condition=Q(deleted_at__isnull=True),
                name="deal_won_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="deal_name_not_empty"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_cny__gte=0), name="deal_amount_cny_not_negative"
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="deal_rate_positive"),
            models.CheckConstraint(
                condition=Q(status__in=DealStatus.values), name="deal_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN


class CollaboratorAccess(models.TextChoices):
    READ = "read", _("Can view")
    EDIT = "edit", _("Can edit")


class DealCollaborator(models.Model):
    """A colleague who works on a deal beside its owner."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="collaborators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deal_collaborations"
    )
    access = models.CharField(
        _("access"),
        max_length=8,
        choices=CollaboratorAccess.choices,
        default=CollaboratorAccess.EDIT,
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deal collaborator")
        verbose_name_plural = _("deal collaborators")
        indexes = [models.Index(fields=["user", "deal"], name="deal_collaborator_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["deal", "user"], name="deal_collaborator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.deal}"


class DealStageChange(models.Model):
    """One move of a deal between stages (append-only, written by the services)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # How long the deal had been in ``from_stage`` (for the average time in each stage).
    seconds_in_from_stage = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ["deal", "changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="deal_history_idx"),
            models.Index(
                fields=["from_stage", "seconds_in_from_stage"], name="deal_history_stage_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


# --- products -------------------------------------------------------------------------------


class ProductCategory(NamedRow):
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta(NamedRow.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="product_category_unique"),
        ]


class Product(SoftDeleteModel):
    """Something the company sells, with its list price."""

    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    price = models.DecimalField(_("list price"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=BASE_CURRENCY)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code", "id"]
        indexes = [
            models.Index(fields=["category", "code"], name="product_category_idx"),
            models.Index(fields=["name"], name="product_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(deleted_at__isnull=True), name="product_unique_code"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=~Q(name=""), name="product_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name


class PriceList(NamedRow):
    """Prices that differ from the list price (a channel, a region, a season)."""

    currency = models.CharField(_("currency"), max_length=3, default=BASE_CURRENCY)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    class Meta(NamedRow.Meta):
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [models.UniqueConstraint(fields=["name"], name="price_list_unique_name")]


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_list_items")
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"], name="price_list_item_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_list_item_price"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.product_id}: {self.price}"


class DealLineItem(models.Model):
    """A product on a deal: quantity × unit price, less a discount (percent)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("total"), **MONEY)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("deal product")
        verbose_name_plural = _("deal products")
        ordering = ["deal", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_item_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_item_price"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_item_discount",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="line_item_total"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


# --- targets --------------------------------------------------------------------------------


class SalesTarget(BaseModel):
    """A quota in CNY for a period, for one owner, one department, or (neither) the company."""

    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    amount = models.DecimalField(_("target (CNY)"), **MONEY)

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-period_start", "id"]
        indexes = [models.Index(fields=["period_start", "period_end"], name="target_period_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="target_period_order"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(department__isnull=True),
                name="target_owner_or_department",
            ),
            models.UniqueConstraint(
                fields=["period_start", "period_end", "owner"],
                condition=Q(owner__isnull=False),
                name="target_unique_owner",
            ),
            models.UniqueConstraint(
                fields=["period_start", "period_end", "department"],
                condition=Q(department__isnull=False),
                name="target_unique_department",
            ),
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=Q(owner__isnull=True, department__isnull=True),
                name="target_unique_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}: {self.amount}"


# --- leads and public pools -----------------------------------------------------------------


class PublicPool(NamedRow):
    """A pool (公海) of leads nobody owns: reps claim them, up to ``claim_limit`` each; a claimed
    lead without a follow-up for ``return_after_days`` goes back (the owner is warned first)."""

    claim_limit = models.PositiveIntegerField(_("leads a rep may hold"), default=50)
    return_after_days = models.PositiveIntegerField(
        _("return after days without follow-up"), default=30, help_text=_("0: never.")
    )
    warn_days_before = models.PositiveIntegerField(_("warn days before"), default=3)
    is_default = models.BooleanField(_("default pool"), default=False)

    class Meta(NamedRow.Meta):
        verbose_name = _("public pool")
        verbose_name_plural = _("public pools")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="pool_unique_name"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pool_one_default"
            ),
        ]


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    DISQUALIFIED = "disqualified", _("Disqualified")


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class Lead(SoftDeleteModel):
    """A person or company that may buy, not yet a customer. Without an owner it is in a pool."""

    policy_module = "sales"
    policy_owner_field = "owner"
    policy_collaborator_field = None

    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = EncryptedTextField(_("mobile"), blank=True)
    mobile_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    wechat = EncryptedTextField(_("WeChat ID"), blank=True)
    source = models.ForeignKey(
        "customers.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    notes = models.TextField(_("notes"), blank=True)
    pool = models.ForeignKey(
        PublicPool,
        verbose_name=_("public pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_followed_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    return_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    industry = models.ForeignKey(
        "customers.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    company_size = models.CharField(
        _("company size"), max_length=10, choices=CompanySize.choices, blank=True
    )
    # Kept by the scoring service (recomputed when the lead or the rules change); never typed.
    score = models.IntegerField(_("score"), default=0, editable=False)
    web_form = models.ForeignKey(
        "LeadWebForm",
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        editable=False,
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="lead_owner_idx"),
            models.Index(fields=["pool", "owner", "-id"], name="lead_pool_idx"),
            models.Index(fields=["status", "-id"], name="lead_status_idx"),
            models.Index(fields=["deleted_at", "-id"], name="lead_alive_idx"),
            models.Index(
                fields=["owner", "last_followed_up_at"],
                condition=Q(owner__isnull=False, pool__isnull=False),
                name="lead_return_idx",
            ),
            models.Index(fields=["next_follow_up_on"], name="lead_follow_up_idx"),
            models.Index(fields=["-score", "-id"], name="lead_score_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="lead_name_not_empty"),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(pool__isnull=False),
                name="lead_owned_or_pooled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


# --- quotes, orders, payments ---------------------------------------------------------------


class LeadFollowUp(models.Model):
    """One follow-up recorded on a lead (what lead scoring counts as engagement)."""

    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    followed_up_at = models.DateTimeField(_("time"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("lead follow-up")
        verbose_name_plural = _("lead follow-ups")
        ordering = ["-followed_up_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-followed_up_at"], name="lead_follow_up_lead_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} @ {self.followed_up_at:%Y-%m-%d}"


class LeadWebForm(BaseModel):
    """A public page at a secret address where visitors leave their details as a new lead."""

    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(max_length=64, unique=True, editable=False)
    pool = models.ForeignKey(
        PublicPool,
        verbose_name=_("public pool"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead web form")
        verbose_name_plural = _("lead web forms")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class ScoringField(models.TextChoices):
    SOURCE = "source", _("Source")
    INDUSTRY = "industry", _("Industry")
    COMPANY_SIZE = "company_size", _("Company size")
    ENGAGEMENT = "engagement", _("Engagement (follow-ups in the last 30 days)")


class ScoringOperator(models.TextChoices):
    IS = "is", _("is")
    IS_NOT = "is_not", _("is not")
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")


class LeadScoringRule(BaseModel):
    """A rule of lead scoring: when ``field`` ``operator`` ``value`` holds, add ``points``."""

    field = models.CharField(_("field"), max_length=16, choices=ScoringField.choices)
    operator = models.CharField(_("condition"), max_length=10, choices=ScoringOperator.choices)
    value = models.CharField(_("value"), max_length=100)
    points = models.IntegerField(_("points"))
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__gte=-1000, points__lte=1000) & ~Q(points=0),
                name="lead_scoring_points_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Quote(BaseModel):
    """A priced offer made from a deal's products; once accepted it becomes an order."""

    policy_module = "sales"
    policy_owner_field = "deal__owner"
    policy_collaborator_field = "deal__collaborators"

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.PROTECT, related_name="quotes"
    )
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default=BASE_CURRENCY)
    amount = models.DecimalField(_("total"), **MONEY)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    notes = models.TextField(_("terms and notes"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-id"]
        indexes = [models.Index(fields=["deal", "-id"], name="quote_deal_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="quote_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class QuoteLineItem(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="line_items")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2)
    total = models.DecimalField(_("total"), **MONEY)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class OrderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Paid in full")
    CANCELLED = "cancelled", _("Cancelled")


class Order(BaseModel):
    """An order or contract (订单/合同): what the customer agreed to pay, and when."""

    policy_module = "sales"
    policy_owner_field = "owner"
    policy_collaborator_field = None

    number = models.CharField(_("number"), max_length=32, unique=True)
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.PROTECT, related_name="orders"
    )
    quote = models.OneToOneField(
        Quote,
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACTIVE
    )
    currency = models.CharField(_("currency"), max_length=3, default=BASE_CURRENCY)
    amount = models.DecimalField(_("amount"), **MONEY)
    received = models.DecimalField(_("received"), default=Decimal("0"), **MONEY)
    signed_on = models.DateField(_("signed on"), default=timezone.localdate)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_orders",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"], name="order_customer_idx"),
            models.Index(fields=["owner", "-id"], name="order_owner_idx"),
            models.Index(fields=["status", "-id"], name="order_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(received__gte=0, received__lte=models.F("amount")),
                name="order_received_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.amount - self.received


class PaymentPlanItem(models.Model):
    """One instalment the customer is to pay by ``due_on``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="plan")
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("payment plan")
        ordering = ["order", "due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="plan_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.due_on}: {self.amount}"


class Payment(models.Model):
    """Money received against an order (回款)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=32, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")
        ordering = ["order", "received_on", "id"]
        indexes = [models.Index(fields=["received_on"], name="payment_received_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.received_on}: {self.amount}"
