"""The modules a role can grant rights in, their actions and their sensitive fields.

A role's ``permissions`` are validated against this registry, and the settings pages draw their
grid from it. An app adds its module (or more sensitive fields) with ``register_module``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

ACTIONS = ("view", "create", "edit", "delete", "export", "import", "admin")
SCOPES = ("own", "department", "all")
FIELD_RULES = ("show", "mask", "hide")


@dataclass
class ModuleInfo:
    """One module: the actions that make sense in it and its sensitive fields (name -> label)."""

    name: str
    label: Any
    actions: tuple[str, ...] = ACTIONS
    fields: dict[str, Any] = field(default_factory=dict)
    scoped: bool = True


_modules: dict[str, ModuleInfo] = {}


def register_module(
    name: str,
    label: Any,
    *,
    actions: tuple[str, ...] = ACTIONS,
    fields: dict[str, Any] | None = None,
    scoped: bool = True,
) -> ModuleInfo:
    """Add a module (or extend a registered one with more sensitive fields)."""
    info = _modules.get(name)
    if info is None:
        info = ModuleInfo(name=name, label=label, actions=actions, scoped=scoped)
        _modules[name] = info
    info.fields.update(fields or {})
    return info


@dataclass(frozen=True)
class OwnedRecords:
    """A kind of record users own, and how all of one user's records of it move to another
    (``transfer(actor=…, from_user=…, to_user=…) -> int``, inside the caller's transaction)."""

    name: str
    label: Any
    transfer: Callable[..., int]


_owned: dict[str, OwnedRecords] = {}


def register_owned_records(name: str, label: Any, transfer: Callable[..., int]) -> None:
    """Make a kind of record part of a leaver's hand-over (``user_deactivate(transfer_to=…)``)."""
    _owned[name] = OwnedRecords(name=name, label=label, transfer=transfer)


def owned_records() -> list[OwnedRecords]:
    return list(_owned.values())


def modules() -> list[ModuleInfo]:
    return list(_modules.values())


def module(name: str) -> ModuleInfo | None:
    return _modules.get(name)


# Masking a field means the user sees 138****5678 or z***@qq.com; hiding means she sees nothing.
register_module(
    "customers",
    _("Customers"),
    fields={
        "phone": _("Phone"),
        "mobile": _("Mobile"),
        "email": _("E-mail"),
        "wechat": _("WeChat ID"),
        "address": _("Street address"),
    },
)
register_module("sales", _("Sales"))
register_module("service", _("Service"))
register_module("marketing", _("Marketing"))
register_module("analytics", _("Reports and dashboards"), actions=("view", "export", "admin"))
register_module("dataio", _("Import and export"), actions=("view", "import", "export", "admin"))
register_module(
    "automation", _("Automation"), actions=("view", "create", "edit", "delete", "admin")
)
register_module("audit", _("Audit log"), actions=("view", "export"), scoped=False)
register_module(
    "accounts", _("Users, departments and roles"), actions=("view", "admin"), scoped=False
)


def validate_permissions(permissions: Any) -> dict[str, dict[str, Any]]:
    """Check a role's ``permissions`` against the registry; returns the cleaned form.

    Shape: ``{module: {"actions": [...], "scope": "own|department|all",
    "fields": {"hidden": [...], "masked": [...]}}}``. Raises ValueError naming what is wrong.
    """
    if not isinstance(permissions, dict):
        raise ValueError("permissions must be an object")
    cleaned: dict[str, dict[str, Any]] = {}
    for name, rule in permissions.items():
        info = _modules.get(name)
        if info is None:
            raise ValueError(f"unknown module {name!r}")
        if not isinstance(rule, dict):
            raise ValueError(f"{name}: the rule must be an object")
        unknown_keys = set(rule) - {"actions", "scope", "fields"}
        if unknown_keys:
            raise ValueError(f"{name}: unknown keys {sorted(unknown_keys)}")
        actions = rule.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise ValueError(f"{name}: actions must be a list of names")
        bad = sorted(set(actions) - set(info.actions))
        if bad:
            raise ValueError(f"{name}: unknown actions {bad}")
        scope = rule.get("scope", "own" if info.scoped else "all")
        if scope not in SCOPES:
            raise ValueError(f"{name}: unknown scope {scope!r}")
        if not info.scoped:
            scope = "all"
        fields = rule.get("fields", {}) or {}
        if not isinstance(fields, dict) or set(fields) - {"hidden", "masked"}:
            raise ValueError(f"{name}: fields must be an object with 'hidden' and 'masked'")
        hidden = fields.get("hidden", []) or []
        masked = fields.get("masked", []) or []
        for kind, names in (("hidden", hidden), ("masked", masked)):
            if not isinstance(names, list):
                raise ValueError(f"{name}: fields.{kind} must be a list")
            unknown = sorted(set(names) - set(info.fields))
            if unknown:
                raise ValueError(f"{name}: unknown sensitive fields {unknown}")
        if set(hidden) & set(masked):
            raise ValueError(f"{name}: a field cannot be both hidden and masked")
        cleaned[name] = {
            "actions": [a for a in ACTIONS if a in actions],
            "scope": scope,
            "fields": {"hidden": sorted(set(hidden)), "masked": sorted(set(masked))},
        }
    return cleaned
