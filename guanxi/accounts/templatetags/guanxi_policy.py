"""Template helpers of the access policy: ``{% load guanxi_policy %}``.

- ``{% field customer "phone" %}``: the value as the signed-in user may see it (plain, 138****5678,
  or nothing); ``{% field customer "phone" as phone %}`` stores it.
- ``{% field_rule customer "address" as rule %}``: ``show``, ``mask`` or ``hide``.
- ``{{ customer.phone|is_masked }}``: whether a value is a masked stand-in (no ``tel:`` link then).
- ``{% can "edit" customer as may_edit %}`` / ``{% can "create" "customers" as may_create %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model

from guanxi.accounts import policy

register = template.Library()


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def _module(obj: Any) -> str:
    model = obj if isinstance(obj, type) else obj.__class__
    return getattr(model, "policy_module", model._meta.app_label)


@register.simple_tag(takes_context=True)
def field(context: template.Context, obj: Any, name: str) -> Any:
    if obj is None or obj == "":
        return ""
    value = getattr(obj, name, "")
    if getattr(value, "is_masked", False):
        return value
    return policy.protected_value(_user(context), _module(obj), name, value)


@register.simple_tag(takes_context=True)
def field_rule(context: template.Context, obj: Any, name: str) -> str:
    module = obj if isinstance(obj, str) else _module(obj)
    return policy.field_rule(_user(context), module, name).value


@register.filter
def is_masked(value: Any) -> bool:
    return bool(getattr(value, "is_masked", False))


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, target: Any) -> bool:
    """``target`` is a record (its module and scope are checked) or a module name."""
    user = _user(context)
    if isinstance(target, Model):
        return policy.can(user, action, _module(target), target)
    return policy.can(user, action, str(target))
