"""Reads for the administration of users, departments and roles (administrators only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from guanxi.accounts import policy
from guanxi.accounts.models import Department, Role, User
from guanxi.accounts.policy import Action
from guanxi.core.errors import NotFound, PermissionDenied

ADMIN_MODULE = "accounts"


def require_admin(actor: Any) -> None:
    """PermissionDenied unless ``actor`` may administer users, departments and roles."""
    from django.utils.translation import gettext as _

    if not policy.can(actor, Action.ADMIN, ADMIN_MODULE):
        raise PermissionDenied(_("Only an administrator can do this."))


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not 1 <= pk < 2**63:
        raise NotFound()
    return pk


def admin_user_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[User]:
    """Every user (inactive ones too) with department and roles; filters: q, department, role,
    is_active."""
    require_admin(actor)
    f = filters or {}
    qs = User.objects.select_related("department").prefetch_related(
        Prefetch("roles", queryset=Role.objects.order_by("id"))
    )
    if q := (f.get("q") or "").strip():
        qs = qs.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
        )
    if f.get("department"):
        department = Department.objects.filter(pk=f["department"]).first()
        if department is not None:
            qs = qs.filter(department__path__startswith=department.path)
    if f.get("role"):
        qs = qs.filter(roles=f["role"])
    if f.get("is_active") in (True, False):
        qs = qs.filter(is_active=f["is_active"])
    return qs.order_by("-is_active", "username", "id")


def admin_user_get(*, actor: Any, pk: Any) -> User:
    try:
        return admin_user_list(actor=actor).get(pk=_pk(pk))
    except User.DoesNotExist as exc:
        raise NotFound() from exc


def department_list(*, actor: Any) -> QuerySet[Department]:
    """The department tree in display order (by path), with member counts."""
    require_admin(actor)
    return (
        Department.objects.select_related("manager", "parent")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("path")
    )


def department_tree(*, actor: Any) -> list[Department]:
    """Departments depth-first under their parents, each with ``depth`` for indentation."""
    departments = list(department_list(actor=actor))
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)
    ordered: list[Department] = []

    def walk(parent: int | None) -> None:
        for department in sorted(children.get(parent, []), key=lambda d: d.name):
            ordered.append(department)
            walk(department.pk)

    walk(None)
    return ordered


def department_get(*, actor: Any, pk: Any) -> Department:
    try:
        return department_list(actor=actor).get(pk=_pk(pk))
    except Department.DoesNotExist as exc:
        raise NotFound() from exc


def role_list(*, actor: Any) -> QuerySet[Role]:
    require_admin(actor)
    return Role.objects.annotate(
        user_count=Count("users", filter=Q(users__is_active=True))
    ).order_by("id")


def role_get(*, actor: Any, pk: Any) -> Role:
    try:
        return role_list(actor=actor).get(pk=_pk(pk))
    except Role.DoesNotExist as exc:
        raise NotFound() from exc
