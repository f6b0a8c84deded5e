"""Reads of users and API tokens, narrowed to what the actor may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanxi.accounts.models import ApiToken, User
from guanxi.core.errors import NotFound


def user_list(*, actor: Any) -> QuerySet[User]:
    """Active colleagues, as choices of owner or collaborator; nobody for an anonymous actor."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return User.objects.none()
    return User.objects.filter(is_active=True).select_related("department").order_by("username")


def user_get(*, actor: Any, pk: Any) -> User:
    try:
        return user_list(actor=actor).get(pk=int(pk))
    except (User.DoesNotExist, TypeError, ValueError, OverflowError) as exc:
        raise NotFound() from exc


def token_list(*, actor: Any) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first (revoked ones included)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor.pk).order_by("-created_at", "-id")
