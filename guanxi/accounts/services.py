"""Writes for users, departments, roles and API tokens.

Every change of who may do what (roles, role assignments, activation, passwords, sessions) is
written to the audit log as a permission change, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy, registry
from guanxi.accounts.models import ApiToken, Department, Language, Role, User
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction

TOKEN_PREFIX = "gx_"  # noqa: S105 - a public marker, not a secret
ADMIN_MODULE = "accounts"
TOKEN_SCOPE_LEVELS = ("read", "write")


def _require_admin(actor: Any) -> None:
    """Only someone with the ``admin`` right on users and roles (or the system, actor None)."""
    if actor is not None and not policy.can(actor, Action.ADMIN, ADMIN_MODULE):
        raise PermissionDenied(_("Only an administrator can do this."))


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _clean_name(value: Any, *, field: str = "name", limit: int = 100, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(_("Name is required."), field=field)
    if len(text) > limit:
        raise ValidationError(
            _("Too long: at most %(limit)d characters.") % {"limit": limit}, field=field
        )
    return text


# --- departments ----------------------------------------------------------------------------


def _department_name(name: Any, parent: Department | None, exclude: int | None = None) -> str:
    name = _clean_name(name)
    siblings = Department.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise ValidationError(_("A department with this name already exists here."), field="name")
    return name


@transaction.atomic
def department_create(
    *, actor: Any, name: str, parent: Department | None = None, manager: User | None = None
) -> Department:
    """Create a department under ``parent`` (or at the root)."""
    _require_admin(actor)
    name = _department_name(name, parent)
    department = Department.objects.create(
        name=name, parent=parent, manager=manager, created_by=_actor(actor)
    )
    department.path = f"{parent.path if parent else '/'}{department.pk}/"
    department.save(update_fields=["path"])
    audit.record(
        actor,
        AuditAction.CREATE,
        department,
        changes={"name": [None, name], "parent": [None, parent.pk if parent else None]},
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor: Any,
    department: Department,
    name: str | None = None,
    manager: User | bool | None = False,
    version: int | None = None,
) -> Department:
    """Rename a department or change its manager (``manager=False`` leaves it as it is)."""
    _require_admin(actor)
    department = Department.objects.select_for_update().get(pk=department.pk)
    if version is not None and int(version) != department.version:
        from guanxi.core.errors import Conflict

        raise Conflict(instance=department)
    before = audit.snapshot(department, ["name", "manager"])
    if name is not None:
        department.name = _department_name(name, department.parent, exclude=department.pk)
    if manager is not False:
        department.manager = manager  # type: ignore[assignment]
    changes = audit.diff(before, audit.snapshot(department, ["name", "manager"]))
    if changes:
        department.version += 1
        department.updated_at = timezone.now()
        department.save()
        audit.record(actor, AuditAction.UPDATE, department, changes=changes)
    return department


def department_rename(*, actor: Any, department: Department, name: str) -> Department:
    return department_update(actor=actor, department=department, name=name)


@transaction.atomic
def department_move(*, actor: Any, department: Department, parent: Department | None) -> Department:
    """Move a department (with everything below it) under ``parent`` (None: to the root).

    The ``path`` of every department in the moved subtree is rewritten, so department scopes
    follow the move at once. Moving a department under itself or below it is refused.
    """
    _require_admin(actor)
    department = Department.objects.select_for_update().get(pk=department.pk)
    if parent is not None:
        parent = Department.objects.get(pk=parent.pk)
        if parent.path.startswith(department.path):
            raise ValidationError(
                _("A department cannot be moved under itself or below it."), field="parent"
            )
    if department.parent_id == (parent.pk if parent else None):
        return department
    _department_name(department.name, parent, exclude=department.pk)
    old_path = department.path
    new_path = f"{parent.path if parent else '/'}{department.pk}/"
    old_parent = department.parent_id
    department.parent = parent
    department.path = new_path
    department.version += 1
    department.updated_at = timezone.now()
    department.save()
    below = Department.objects.select_for_update().filter(path__startswith=old_path)
    for child in below.exclude(pk=department.pk):
        child.path = new_path + child.path[len(old_path) :]
        child.save(update_fields=["path"])
    audit.record(
        actor,
        AuditAction.UPDATE,
        department,
        changes={"parent": [old_parent, parent.pk if parent else None]},
    )
    return department


@transaction.atomic
def department_delete(*, actor: Any, department: Department) -> None:
    """Remove an empty department (no sub-departments, no members)."""
    _require_admin(actor)
    if department.children.exists():
        raise ValidationError(_("Move or remove its sub-departments first."))
    if department.members.exists():
        raise ValidationError(_("Move its members to another department first."))
    audit.record(actor, AuditAction.DELETE, department, changes={"name": [department.name, None]})
    department.delete()


# --- roles ----------------------------------------------------------------------------------


def _clean_permissions(permissions: Any) -> dict[str, Any]:
    try:
        return registry.validate_permissions(permissions)
    except ValueError as exc:
        raise ValidationError(str(exc), field="permissions") from exc


def _role_name(name: Any, exclude: int | None = None) -> str:
    name = _clean_name(name)
    others = Role.objects.filter(name=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ValidationError(_("A role with this name already exists."), field="name")
    return name


ROLE_FIELDS = ("name", "name_en", "description", "description_en", "permissions", "requires_2fa")


@transaction.atomic
def role_create(*, actor: Any, data: Mapping[str, Any]) -> Role:
    """Create a role; ``permissions`` are checked against the module registry."""
    _require_admin(actor)
    role = Role(
        name=_role_name(data.get("name")),
        name_en=_clean_name(data.get("name_en"), field="name_en", required=False),
        description=str(data.get("description") or "").strip()[:2000],
        description_en=str(data.get("description_en") or "").strip()[:2000],
        permissions=_clean_permissions(data.get("permissions") or {}),
        requires_2fa=bool(data.get("requires_2fa")),
        created_by=_actor(actor),
    )
    role.save()
    audit.record(
        actor,
        AuditAction.PERMISSION,
        role,
        changes=audit.diff({}, audit.snapshot(role, ROLE_FIELDS)),
    )
    events.publish("role.created", role_id=role.pk, actor_id=getattr(actor, "pk", None))
    return role


@transaction.atomic
def role_update(
    *, actor: Any, role: Role, data: Mapping[str, Any], version: int | None = None
) -> Role:
    """Change the given fields of a role; holders get the new rights at their next request."""
    _require_admin(actor)
    role = Role.objects.select_for_update().get(pk=role.pk)
    if version is not None and int(version) != role.version:
        from guanxi.core.errors import Conflict

        raise Conflict(instance=role)
    before = audit.snapshot(role, ROLE_FIELDS)
    if "name" in data:
        role.name = _role_name(data["name"], exclude=role.pk)
    if "name_en" in data:
        role.name_en = _clean_name(data["name_en"], field="name_en", required=False)
    for name in ("description", "description_en"):
        if name in data:
            setattr(role, name, str(data[name] or "").strip()[:2000])
    if "permissions" in data:
        role.permissions = _clean_permissions(data["permissions"])
    if "requires_2fa" in data:
        role.requires_2fa = bool(data["requires_2fa"])
    changes = audit.diff(before, audit.snapshot(role, ROLE_FIELDS))
    if changes:
        role.version += 1
        role.updated_at = timezone.now()
        role.save()
        audit.record(actor, AuditAction.PERMISSION, role, changes=changes)
        events.publish("role.updated", role_id=role.pk, actor_id=getattr(actor, "pk", None))
    return role


@transaction.atomic
def role_delete(*, actor: Any, role: Role) -> None:
    """Remove a role that nobody holds any more."""
    _require_admin(actor)
    holders = role.users.count()
    if holders:
        raise ValidationError(
            _("%(count)d users still have this role: take it from them first.") % {"count": holders}
        )
    audit.record(actor, AuditAction.PERMISSION, role, changes={"deleted": [role.name, None]})
    role.delete()


def default_roles_ensure() -> list[Role]:
    """Create any shipped role that is missing (the data migration does this on install)."""
    from guanxi.accounts import default_roles

    result = []
    for definition in default_roles.definitions():
        role = Role.objects.filter(code=definition["code"]).first()
        if role is None:
            role = Role.objects.create(
                code=definition["code"],
                name=definition["name"],
                name_en=definition["name_en"],
                description=definition["description"],
                description_en=definition["description_en"],
                permissions=registry.validate_permissions(definition["permissions"]),
                requires_2fa=definition["requires_2fa"],
            )
        result.append(role)
    return result


def role_by_code(code: str) -> Role:
    role = Role.objects.filter(code=code).first()
    if role is None:
        default_roles_ensure()
        role = Role.objects.filter(code=code).first()
    if role is None:
        raise NotFound()
    return role


# --- users ----------------------------------------------------------------------------------


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password") from exc


def _role_ids(user: User) -> list[int]:
    return sorted(user.roles.values_list("pk", flat=True))


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
    roles: Iterable[Role] = (),
    mobile: str = "",
) -> User:
    """Create a user; with no password, the account cannot log in until one is set.

    A user without roles can sign in but sees nothing (least privilege). Only a superuser can
    create another superuser.
    """
    _require_admin(actor)
    if is_superuser and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can create another superuser."))
    username = (username or "").strip()
    if not username:
        raise ValidationError(_("Username is required."), field="username")
    if len(username) > 150:
        raise ValidationError(
            _("Too long: at most %(limit)d characters.") % {"limit": 150}, field="username"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("This username is taken."), field="username")
    if language not in Language.values:
        raise ValidationError(_("Unknown language."), field="language")
    user = User(
        username=username,
        display_name=_clean_name(display_name, field="display_name", required=False),
        email=(email or "").strip()[:254],
        mobile=(mobile or "").strip()[:32],
        department=department,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        if check_password:
            _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    roles = list(roles)
    if roles:
        user.roles.set(roles)
    audit.record(
        actor,
        AuditAction.CREATE,
        user,
        changes={
            "username": [None, username],
            "is_superuser": [None, is_superuser],
            "department": [None, department.pk if department else None],
            "roles": [None, sorted(r.pk for r in roles)],
        },
    )
    events.publish("user.created", user_id=user.pk, actor_id=getattr(actor, "pk", None))
    return user


USER_FIELDS = ("display_name", "email", "mobile", "department", "language")


@transaction.atomic
def user_update(*, actor: Any, user: User, data: Mapping[str, Any]) -> User:
    """Change a user's name, e-mail, mobile, department or language (administrators)."""
    _require_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = audit.snapshot(user, USER_FIELDS)
    if "display_name" in data:
        user.display_name = _clean_name(data["display_name"], field="display_name", required=False)
    if "email" in data:
        email = str(data["email"] or "").strip()
        if email:
            from guanxi.core.normalize import NormalizeError, normalize_email

            try:
                email = normalize_email(email)
            except NormalizeError as exc:
                raise ValidationError(str(exc), field="email") from exc
        user.email = email
    if "mobile" in data:
        user.mobile = str(data["mobile"] or "").strip()[:32]
    if "department" in data:
        user.department = data["department"]
    if "language" in data:
        if data["language"] not in Language.values:
            raise ValidationError(_("Unknown language."), field="language")
        user.language = data["language"]
    changes = audit.diff(before, audit.snapshot(user, USER_FIELDS))
    if changes:
        user.save()
        audit.record(actor, AuditAction.UPDATE, user, changes=changes)
        if "department" in changes:
            # Department scopes follow the user: her customers are counted in her new department.
            events.publish(
                "user.department_changed",
                user_id=user.pk,
                department_id=user.department_id,
                actor_id=getattr(actor, "pk", None),
            )
    return user


@transaction.atomic
def user_set_roles(*, actor: Any, user: User, roles: Iterable[Role]) -> User:
    """Give ``user`` exactly these roles (an empty list takes every right away)."""
    _require_admin(actor)
    roles = list(roles)
    before = _role_ids(user)
    after = sorted({r.pk for r in roles})
    if before == after:
        return user
    user.roles.set(roles)
    policy.forget(user)
    audit.record(actor, AuditAction.PERMISSION, user, changes={"roles": [before, after]})
    events.publish("user.roles_changed", user_id=user.pk, actor_id=getattr(actor, "pk", None))
    return user


@transaction.atomic
def user_set_superuser(*, actor: Any, user: User, is_superuser: bool) -> User:
    """Grant or withdraw superuser status (superusers only)."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can do this."))
    if actor is not None and user.pk == actor.pk and not is_superuser:
        raise ValidationError(_("You cannot withdraw your own superuser status."))
    if user.is_superuser == is_superuser:
        return user
    User.objects.filter(pk=user.pk).update(is_superuser=is_superuser, is_staff=is_superuser)
    user.is_superuser = user.is_staff = is_superuser
    audit.record(
        actor,
        AuditAction.PERMISSION,
        user,
        changes={"is_superuser": [not is_superuser, is_superuser]},
    )
    return user


def _end_sessions(user: User) -> None:
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def user_logout_everywhere(*, actor: Any, user: User) -> User:
    """End every session of ``user`` on every device (her API tokens stay valid).

    Allowed to the user herself and to administrators.
    """
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    _end_sessions(user)
    audit.record(actor, AuditAction.LOGOUT, user, changes={"sessions": ["all", None]})
    return user


@transaction.atomic
def user_set_password(
    *, actor: Any, user: User, password: str, check_password: bool = True
) -> User:
    """Set a new password (an administrator's reset, or the user's own change).

    Every other session of the user ends; the value is never written to the audit log.
    """
    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    if not password:
        raise ValidationError(_("Enter a password."), field="password")
    if check_password:
        _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_sessions(user)
    audit.record(
        actor, AuditAction.PERMISSION, user, changes={"password": [audit.MASK, audit.MASK]}
    )
    return user


@transaction.atomic
def user_deactivate(*, actor: Any, user: User, transfer_to: User | None = None) -> User:
    """Close a leaver's account: she cannot sign in, her sessions end, her tokens are revoked.

    With ``transfer_to`` everything she owns (customers, and deals, leads and orders where the
    sales module is installed) goes to that colleague in the same action.
    """
    _require_admin(actor)
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_superuser and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can deactivate a superuser."))
    if transfer_to is not None:
        records_transfer_all(actor=actor, from_user=user, to_user=transfer_to)
    if user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        _end_sessions(user)
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record(
            actor,
            AuditAction.PERMISSION,
            user,
            changes={"is_active": [True, False], "tokens_revoked": [None, revoked]},
        )
        events.publish("user.deactivated", user_id=user.pk, actor_id=getattr(actor, "pk", None))
    return user


@transaction.atomic
def user_reactivate(*, actor: Any, user: User) -> User:
    _require_admin(actor)
    if not user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        audit.record(actor, AuditAction.PERMISSION, user, changes={"is_active": [False, True]})
    return user


@transaction.atomic
def records_transfer_all(*, actor: Any, from_user: User, to_user: User) -> dict[str, int]:
    """Give everything ``from_user`` (a leaving employee) owns to ``to_user``, in one action:
    every kind of record registered with ``registry.register_owned_records``.

    Administrators only; each record gets an ownership-transfer entry in the audit log and the
    user a summary entry. Returns how many records of each kind moved (``{"customers": 12, …}``).
    """
    _require_admin(actor)
    if to_user is None or not to_user.is_active:
        raise ValidationError(_("Choose an active user as the new owner."), field="to_user")
    if from_user.pk == to_user.pk:
        raise ValidationError(_("Choose another user as the new owner."), field="to_user")
    moved = {
        kind.name: kind.transfer(actor=actor, from_user=from_user, to_user=to_user)
        for kind in registry.owned_records()
    }
    audit.record(
        actor,
        AuditAction.TRANSFER,
        from_user,
        changes={"records": [from_user.pk, to_user.pk], "moved": [None, moved]},
    )
    return moved


def transfer_summary(moved: dict[str, int]) -> str:
    """``12 customers, 3 deals`` in the user's language (kinds with nothing moved left out)."""
    labels = {kind.name: kind.label for kind in registry.owned_records()}
    parts = [f"{labels.get(name, name)} {count}" for name, count in moved.items() if count]
    return _(", ").join(parts) if parts else _("nothing")


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
    scopes: Mapping[str, str] | None = None,
) -> IssuedToken:
    """Issue a bearer token for ``user``; the secret is returned once and only its hash is kept.

    ``scopes`` narrows the token to some modules: ``{"customers": "read", "sales": "write"}``
    (``"*"`` for every module); without it the token carries all of the user's rights. A token
    never grants more than its user has.
    """
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied(_("You can only create tokens for yourself."))
    _refuse_limited_token(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name is required."), field="name")
    if len(name) > 100:
        raise ValidationError(_("Name is too long (at most 100 characters)."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry must be in the future."), field="expires_at")
    scopes = _clean_token_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash_secret(secret),
        is_read_only=is_read_only,
        expires_at=expires_at,
        scopes=scopes,
    )
    audit.record(
        actor,
        AuditAction.TOKEN,
        token,
        changes={
            "created": [None, name],
            "read_only": [None, is_read_only],
            "scopes": [None, scopes],
            "expires_at": [None, expires_at],
        },
    )
    return IssuedToken(token=token, secret=secret)


def _clean_token_scopes(scopes: Mapping[str, str] | None) -> dict[str, str]:
    if not scopes:
        return {}
    if not isinstance(scopes, Mapping):
        raise ValidationError(_("Scopes must be an object."), field="scopes")
    known = {info.name for info in registry.modules()} | {"*"}
    cleaned = {}
    for module, level in scopes.items():
        if module not in known:
            raise ValidationError(
                _("Unknown module “%(module)s”.") % {"module": module}, field="scopes"
            )
        if level not in TOKEN_SCOPE_LEVELS:
            raise ValidationError(_("A scope is “read” or “write”."), field="scopes")
        cleaned[str(module)] = str(level)
    return cleaned


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
def _refuse_limited_token(actor: Any) -> None:
    """A token that is read-only or limited to some modules may not mint or revoke tokens: a
    new token would carry more than it does."""
    token = getattr(actor, "api_token", None)
    if token is None:
        return
    if token.is_read_only or (token.scopes and token.scopes.get("*") != "write"):
        raise PermissionDenied(_("Only a token with all of your rights can change API tokens."))


def token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    _refuse_limited_token(actor)
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


# --- two-factor authentication --------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, actor: User) -> Any:
    """Begin enrolling an authenticator app: a new, unconfirmed TOTP device for ``actor``.

    Confirmed devices stay in force until the new one is confirmed.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, actor: User, device_id: int, token: str) -> Any:
    """Confirm enrolment with a code from the app; the new device replaces any older one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(pk=device_id, user=actor, confirmed=False).first()
    if device is None:
        raise NotFound()
    token = "".join(str(token or "").split())
    if not token.isdigit() or not device.verify_token(token):
        raise ValidationError(_("This code is not right. Try the current one."), field="token")
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor, AuditAction.PERMISSION, actor, changes={"two_factor": [None, "enrolled"]})
    return device


def totp_verify(*, actor: User, token: str) -> Any:
    """The confirmed device that accepts ``token`` (a failed try is audited), or None."""
    from django_otp import match_token

    token = "".join(str(token or "").split())
    device = match_token(actor, token) if token.isdigit() else None
    if device is None:
        audit.record(
            None,
            AuditAction.LOGIN_FAILED,
            object_type="accounts.user",
            object_id=actor.pk,
            object_repr=actor.username,
            ip=getattr(actor, "request_ip", None),
            changes={"second_factor": [None, "wrong code"]},
        )
    return device


@transaction.atomic
def totp_disable(*, actor: Any, user: User) -> int:
    """Remove every authenticator of ``user`` (herself, or an administrator after a lost phone).

    If one of her roles requires 2FA she must enrol again at her next request.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if actor is not None and actor.pk != user.pk:
        _require_admin(actor)
    removed, _details = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit.record(
            actor, AuditAction.PERMISSION, user, changes={"two_factor": ["enrolled", None]}
        )
    return removed


def sessions_end_others(*, actor: User) -> User:
    """Log ``actor`` out of every other device; the caller keeps the current session alive."""
    return user_logout_everywhere(actor=actor, user=actor)
