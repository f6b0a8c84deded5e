"""The one access policy: who may do what, and which records she may see (DESIGN.md §3.1).

Every read of customer data starts from ``visible(actor, queryset, module)``; every service calls
``require(actor, action, module, obj)`` before it writes. A record outside the actor's scope is
reported as not found, never as forbidden, so its existence does not leak.

Scopes: ``own`` (records she owns or collaborates on), ``department`` (owned by anyone in her
department or below), ``all``. Until roles are assigned (see the roles module) an active staff
member is treated by the rules in ``_grants``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import NotFound, PermissionDenied


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"
    ADMIN = "admin"


class Scope(StrEnum):
    NONE = "none"
    OWN = "own"
    DEPARTMENT = "department"
    ALL = "all"


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]
    scope: Scope


NO_GRANT = Grant(frozenset(), Scope.NONE)
FULL_GRANT = Grant(frozenset(a.value for a in Action), Scope.ALL)


def _grants(actor: Any, module: str) -> Grant:
    """What ``actor`` may do in ``module`` and over which records."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return NO_GRANT
    if actor.is_superuser:
        return FULL_GRANT
    cache = getattr(actor, "_guanxi_grants", None)
    if cache is None:
        cache = {}
        actor._guanxi_grants = cache
    if module not in cache:
        cache[module] = _load_grant(actor, module)
    grant: Grant = cache[module]
    token = getattr(actor, "api_token", None)
    if token is not None and token.is_read_only:
        grant = Grant(grant.actions & {Action.VIEW.value}, grant.scope)
    return grant


def _load_grant(actor: Any, module: str) -> Grant:
    # Staff without roles work on their own records: the roles module replaces this rule.
    return Grant(
        frozenset({Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE, Action.EXPORT}),
        Scope.OWN,
    )


def grant(actor: Any, module: str) -> Grant:
    return _grants(actor, module)


def can(actor: Any, action: str, module: str, obj: Model | None = None) -> bool:
    """True when ``actor`` may perform ``action`` in ``module`` (on ``obj``, if given)."""
    granted = _grants(actor, module)
    if str(action) not in granted.actions:
        return False
    if obj is None:
        return True
    return is_in_scope(actor, obj, granted.scope)


def require(actor: Any, action: str, module: str, obj: Model | None = None) -> None:
    """Raise NotFound for a record outside the scope, PermissionDenied for a missing right."""
    granted = _grants(actor, module)
    if obj is not None and not is_in_scope(actor, obj, granted.scope):
        raise NotFound()
    if str(action) not in granted.actions:
        raise PermissionDenied(_("You do not have permission to do this."))


def scope_q(
    actor: Any,
    scope: Scope,
    *,
    owner_field: str = "owner",
    collaborator_field: str | None = "collaborators",
) -> Q:
    """The row filter for a scope, as a Q over the model's owner and collaborator relations."""
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.NONE:
        return Q(pk__in=[])
    if scope == Scope.DEPARTMENT and actor.department_id is not None:
        department_path = actor.department.path
        q = Q(**{f"{owner_field}__department__path__startswith": department_path})
    else:
        q = Q(**{owner_field: actor.pk})
    if collaborator_field:
        q |= Q(**{f"{collaborator_field}__user": actor.pk})
    return q


def _model_rules(model: Any) -> tuple[str, str, str | None]:
    """A model declares its module and how its rows are owned: ``policy_module``,
    ``policy_owner_field`` (default ``owner``) and ``policy_collaborator_field`` (or None)."""
    return (
        getattr(model, "policy_module", model._meta.app_label),
        getattr(model, "policy_owner_field", "owner"),
        getattr(model, "policy_collaborator_field", "collaborators"),
    )


def visible(actor: Any, queryset: QuerySet, module: str | None = None) -> QuerySet:
    """The part of ``queryset`` that ``actor`` may see (in ``module``, default the model's)."""
    model_module, owner_field, collaborator_field = _model_rules(queryset.model)
    granted = _grants(actor, module or model_module)
    if Action.VIEW.value not in granted.actions:
        return queryset.none()
    if granted.scope == Scope.ALL:
        return queryset
    q = scope_q(
        actor, granted.scope, owner_field=owner_field, collaborator_field=collaborator_field
    )
    if collaborator_field:
        # A collaborator join can repeat rows; filter by id so the queryset stays one row each.
        return queryset.filter(pk__in=queryset.model._base_manager.filter(q).values("pk"))
    return queryset.filter(q)


def is_in_scope(actor: Any, obj: Model, scope: Scope | None = None) -> bool:
    """Whether ``obj`` lies in the actor's scope for its module (checked against the database)."""
    module, owner_field, collaborator_field = _model_rules(obj.__class__)
    if scope is None:
        scope = _grants(actor, module).scope
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    q = scope_q(actor, scope, owner_field=owner_field, collaborator_field=collaborator_field)
    return obj.__class__._base_manager.filter(q, pk=obj.pk).exists()
