"""Writes for users, departments and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import ApiToken, Department, Language, User
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction

TOKEN_PREFIX = "gx_"  # noqa: S105 - a public marker, not a secret


def _require_admin(actor: Any) -> None:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only an administrator can do this."))


@transaction.atomic
def department_create(
    *, actor: Any, name: str, parent: Department | None = None, manager: User | None = None
) -> Department:
    """Create a department under ``parent`` (or at the root)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name is required."), field="name")
    if len(name) > 100:
        raise ValidationError(_("Name is too long (at most 100 characters)."), field="name")
    if Department.objects.filter(parent=parent, name=name).exists():
        raise ValidationError(_("A department with this name already exists here."), field="name")
    department = Department.objects.create(
        name=name, parent=parent, manager=manager, created_by=actor if actor else None
    )
    department.path = f"{parent.path if parent else '/'}{department.pk}/"
    department.save(update_fields=["path"])
    audit.record(actor, AuditAction.CREATE, department, changes={"name": [None, name]})
    return department


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
    department: Department | None = None,
    is_superuser: bool = False,
    language: str = Language.ZH_HANS,
    check_password: bool = True,
) -> User:
    """Create a user; with no password, the account cannot log in until one is set."""
    _require_admin(actor)
    username = (username or "").strip()
    if not username:
        raise ValidationError(_("Username is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("This username is taken."), field="username")
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        department=department,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except DjangoValidationError as exc:
                raise ValidationError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        actor,
        AuditAction.CREATE,
        user,
        changes={"username": [None, username], "is_superuser": [None, is_superuser]},
    )
    events.publish("user.created", user_id=user.pk, actor_id=getattr(actor, "pk", None))
    return user


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    if language not in Language.values:
        raise ValidationError(_("Unknown language."), field="language")
    old = actor.language
    actor.language = language
    actor.save(update_fields=["language"])
    audit.record(actor, AuditAction.UPDATE, actor, changes={"language": [old, language]})
    return actor


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: Any,
    user: User,
    name: str,
    is_read_only: bool = False,
    expires_at: dt.datetime | None = None,
) -> IssuedToken:
    """Issue a bearer token for ``user``; the secret is returned once and only its hash is kept."""
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied(_("You can only create tokens for yourself."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name is required."), field="name")
    if len(name) > 100:
        raise ValidationError(_("Name is too long (at most 100 characters)."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry must be in the future."), field="expires_at")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash_secret(secret),
        is_read_only=is_read_only,
        expires_at=expires_at,
    )
    audit.record(
        actor,
        AuditAction.TOKEN,
        token,
        changes={"created": [None, name], "read_only": [None, is_read_only]},
    )
    return IssuedToken(token=token, secret=secret)


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token with this secret, or None; records when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__department")
        .filter(token_hash=_hash_secret(secret))
        .first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (
        actor is not None and token.user_id != actor.pk and not actor.is_superuser
    ):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, AuditAction.TOKEN, token, changes={"revoked": [None, token.name]})
    return token


def login_record(*, user: Any, ip: str | None, succeeded: bool, username: str = "") -> None:
    """Audit a login attempt (successful or not)."""
    if succeeded:
        audit.record(user, AuditAction.LOGIN, user, ip=ip)
    else:
        audit.record(
            None,
            AuditAction.LOGIN_FAILED,
            object_type="accounts.user",
            object_repr=username[:150],
            ip=ip,
        )
