"""Users, departments (a tree) and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel


class Department(BaseModel):
    """A node of the company's department tree; ``path`` holds the ids from the root (/1/4/9/)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class Role(BaseModel):
    """A set of rights: actions and a data scope per module, and rules for sensitive fields.

    ``permissions`` is ``{module: {"actions": [...], "scope": "own|department|all",
    "fields": {"hidden": [...], "masked": [...]}}}``, validated against ``accounts.registry``.
    A user may hold several roles: she gets the union of their actions, the widest scope, and the
    most open rule for each field.
    """

    code = models.SlugField(_("code"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    requires_2fa = models.BooleanField(_("requires two-factor authentication"), default=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="role_unique_name"),
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="role_unique_code"
            ),
        ]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def display_description(self) -> str:
        from django.utils.translation import get_language

        if self.description_en and (get_language() or "").startswith("en"):
            return self.description_en
        return self.description


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class User(AbstractUser):
    """A person who signs in. ``username`` is the login; ``display_name`` is what others see."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Sessions carry this hash; bumping ``session_epoch`` (log out everywhere) or changing the
        # password makes every existing session invalid at its next request.
        return salted_hmac(
            "guanxi.accounts.User.session",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class ApiToken(models.Model):
    """A named bearer token. Only a SHA-256 hash is stored; the secret is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    is_read_only = models.BooleanField(_("read only"), default=False)
    scopes = models.JSONField(
        _("scopes"),
        default=dict,
        blank=True,
        help_text=_(
            'Per module "read" or "write" ("*" for every module); empty: all of the user\'s rights.'
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def scope_labels(self) -> list[tuple[object, bool]]:
        """(module label, may write) for each module the token is limited to; empty: all."""
        from guanxi.accounts import registry

        labels: list[tuple[object, bool]] = []
        for module, level in sorted(self.scopes.items()):
            info = registry.module(module)
            if info is not None:
                label = info.label
            else:
                label = _("all modules") if module == "*" else module
            labels.append((label, level == "write" and not self.is_read_only))
        return labels

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
