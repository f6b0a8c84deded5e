"""Customers (companies or people), contacts, tags, interactions and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.crypto import EncryptedTextField
from guanxi.core.models import BaseModel, SoftDeleteModel


class LookupValue(BaseModel):
    """An admin-editable list entry (industry, source, level): a row, not a string literal."""

    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    colour = models.CharField(_("colour"), max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Industry(LookupValue):
    class Meta(LookupValue.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        constraints = [models.UniqueConstraint(fields=["name"], name="industry_unique_name")]


class Source(LookupValue):
    class Meta(LookupValue.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [models.UniqueConstraint(fields=["name"], name="source_unique_name")]


class Level(LookupValue):
    class Meta(LookupValue.Meta):
        verbose_name = _("customer level")
        verbose_name_plural = _("customer levels")
        constraints = [models.UniqueConstraint(fields=["name"], name="level_unique_name")]


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 people")
    SMALL = "10-49", _("10–49 people")
    MEDIUM = "50-199", _("50–199 people")
    LARGE = "200-999", _("200–999 people")
    XLARGE = "1000+", _("1,000 people or more")


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    LOYAL = "loyal", _("Loyal customer")
    CHURNED = "churned", _("Churned")


class Tag(BaseModel):
    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=16, default="blue")
    group = models.CharField(_("tag group"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Customer(SoftDeleteModel):
    """A company or a person the company does business with."""

    policy_module = "customers"
    policy_owner_field = "owner"
    policy_collaborator_field = "collaborators"

    kind = models.CharField(
        _("type"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT
    )
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    level = models.ForeignKey(
        Level, verbose_name=_("level"), null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.ForeignKey(
        Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    address = EncryptedTextField(_("street address"), blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    last_contacted_at = models.DateTimeField(_("last contacted"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # The company name as duplicates share it (``core.normalize.company_name_key``).
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    # The import job that created this record (``dataio.ImportJob`` id), for undo and resume.
    import_batch = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="customer_owner_idx"),
            models.Index(fields=["deleted_at", "-id"], name="customer_alive_idx"),
            models.Index(fields=["lifecycle_stage", "-id"], name="customer_stage_idx"),
            models.Index(fields=["level", "-id"], name="customer_level_idx"),
            models.Index(fields=["industry", "-id"], name="customer_industry_idx"),
            models.Index(fields=["province", "city"], name="customer_region_idx"),
            models.Index(fields=["created_at"], name="customer_created_idx"),
            models.Index(fields=["last_contacted_at"], name="customer_contacted_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="customer_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class CollaboratorAccess(models.TextChoices):
    READ = "read", _("Can view")
    EDIT = "edit", _("Can edit")


class CustomerCollaborator(models.Model):
    """A colleague who works on a customer beside its owner."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="collaborators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations"
    )
    access = models.CharField(
        _("access"),
        max_length=8,
        choices=CollaboratorAccess.choices,
        default=CollaboratorAccess.EDIT,
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="collaborator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer}"


class Contact(SoftDeleteModel):
    """A person at a customer."""

    policy_module = "customers"
    policy_owner_field = "customer__owner"
    policy_collaborator_field = "customer__collaborators"

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = EncryptedTextField(_("mobile"), blank=True)
    mobile_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("office phone"), blank=True)
    phone_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_bidx = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    wechat = EncryptedTextField(_("WeChat ID"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    import_batch = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["customer", "deleted_at"], name="contact_customer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_primary=True, deleted_at__isnull=True),
                name="contact_one_primary",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="contact_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat message")
    NOTE = "note", _("Note")


class InteractionOutcome(models.TextChoices):
    NONE = "", _("—")
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")
    NO_ANSWER = "no_answer", _("No answer")


class Interaction(SoftDeleteModel):
    """One entry of a customer's timeline: a call, visit, meeting, e-mail, message or note."""

    policy_module = "customers"
    policy_owner_field = "customer__owner"
    policy_collaborator_field = "customer__collaborators"

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    kind = models.CharField(
        _("type"), max_length=10, choices=InteractionKind.choices, default=InteractionKind.CALL
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    content = models.TextField(_("content"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=InteractionOutcome.choices, blank=True
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    import_batch = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_timeline_idx"),
            models.Index(fields=["author", "-occurred_at"], name="interaction_author_idx"),
            models.Index(fields=["next_follow_up_on"], name="interaction_follow_up_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.get_kind_display()


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{instance.storage_key}"


class Attachment(BaseModel):
    """A file attached to a customer or an interaction (exactly one of them)."""

    policy_module = "customers"
    policy_owner_field = "customer__owner"
    policy_collaborator_field = "customer__collaborators"

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    storage_key = models.CharField(max_length=64, editable=False)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
