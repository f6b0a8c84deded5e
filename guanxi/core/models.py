"""Shared kernel models: the base every record builds on, and the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CreatedVia(models.TextChoices):
    UI = "ui", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    AUTOMATION = "automation", _("Automation")
    EMAIL = "email", _("E-mail")
    SYSTEM = "system", _("System")


class AliveQuerySet(models.QuerySet):
    def alive(self) -> AliveQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> AliveQuerySet:
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(AliveQuerySet)):  # type: ignore[misc]
    """The default manager: records in the recycle bin are not there."""

    def get_queryset(self) -> AliveQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class BaseModel(models.Model):
    """Timestamps, who created it and how, and a version for optimistic locking."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_via = models.CharField(
        _("created via"), max_length=16, choices=CreatedVia.choices, default=CreatedVia.UI
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class SoftDeleteModel(BaseModel):
    """A record that goes to the recycle bin when deleted, restorable for 30 days."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = AliveManager()
    all_objects = AliveQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    RESTORE = "restore", _("Restored")
    PURGE = "purge", _("Erased for good")
    MERGE = "merge", _("Merged")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    PERMISSION = "permission", _("Permission changed")
    TRANSFER = "transfer", _("Ownership transferred")
    TOKEN = "token", _("API token")
    OTHER = "other", _("Other")


class AuditEntry(models.Model):
    """One append-only, hash-chained line of the audit log (written by ``core.audit`` only)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("record type"), max_length=64, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
            models.Index(fields=["action", "at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """A single row holding the last hash: locking it serialises writers of the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_entry_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head #{self.last_entry_id}"


def model_label(obj_or_model: Any) -> str:
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}"


class SearchScope(models.IntegerChoices):
    """The kinds of record that ``core.search`` indexes (the first column of every search key)."""

    CUSTOMER = 1


class SearchKey(models.Model):
    """An exact key a record is found by: a phone suffix, an e-mail address or its local part.

    The key is an HMAC of the normalised value (``core.search.tokens``), so the table reveals
    nothing of the encrypted fields behind it. Written by ``core.search`` only.
    """

    pk = models.CompositePrimaryKey("scope", "key", "object_id")
    scope = models.PositiveSmallIntegerField(choices=SearchScope.choices)
    key = models.BigIntegerField()
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["scope", "object_id"], name="searchkey_object_idx")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.object_id}"
