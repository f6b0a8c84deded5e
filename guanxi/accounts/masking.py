"""Sensitive fields as a user may see them: plain, masked (138****5678) or hidden.

``policy.visible()`` hands out querysets that mask while they load: every record (and every
record loaded with it through ``select_related``/``prefetch_related``), every ``values()`` row and
every ``values_list()`` tuple carries the masked value instead of the plain one. Pages, fragments,
API responses and exports built from a selector therefore never hold the plain value.

A masked value is a :class:`MaskedValue` (a ``str``); the encrypted fields refuse to store one, so
a masked record written back by mistake fails loudly instead of destroying the real value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
)

from guanxi.core.normalize import mask_email, mask_phone

MASK = "mask"
HIDE = "hide"

RulesFor = Callable[[str], Mapping[str, str]]


class MaskedValue(str):
    """A value that stands for a sensitive one the user may not see (masked or blanked)."""

    __slots__ = ()

    @property
    def is_masked(self) -> bool:
        return True


def mask_value(field: str, value: Any) -> str:
    """The masked form of a sensitive value: 138****5678, z***@qq.com, 深圳****."""
    if value in (None, ""):
        return ""
    text = str(value)
    if "@" in text:
        return mask_email(text)
    if field in ("phone", "mobile") or field.endswith(("_phone", "_mobile")):
        return mask_phone(text)
    return f"{text[:2]}****" if len(text) > 4 else "****"


def protect(rule: str, field: str, value: Any) -> Any:
    """``value`` under ``rule`` (``mask`` or ``hide``), as a MaskedValue."""
    if isinstance(value, MaskedValue):
        return value
    if rule == MASK:
        return MaskedValue(mask_value(field, value)) if value not in (None, "") else value
    if rule == HIDE:
        return MaskedValue("") if isinstance(value, str) or value is None else None
    return value


def _module_of(model: Any) -> str:
    return getattr(model, "policy_module", model._meta.app_label)


def protect_instance(obj: Model, rules_for: RulesFor, _seen: set[int] | None = None) -> Model:
    """Mask the sensitive attributes of ``obj`` and of the records loaded with it, in place."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return obj
    seen.add(id(obj))
    rules = rules_for(_module_of(obj.__class__))
    if rules:
        names = {f.attname for f in obj._meta.concrete_fields}
        for name, rule in rules.items():
            if name not in names:
                continue
            if name in obj.__dict__:
                obj.__dict__[name] = protect(rule, name, obj.__dict__[name])
            else:
                # A deferred field would load its plain value on first access: stand in for it.
                obj.__dict__[name] = MaskedValue("****" if rule == MASK else "")
    for related in list(obj._state.fields_cache.values()):
        if isinstance(related, Model):
            protect_instance(related, rules_for, seen)
    for cached in list(getattr(obj, "_prefetched_objects_cache", {}).values()):
        for related in getattr(cached, "_result_cache", None) or []:
            if isinstance(related, Model):
                protect_instance(related, rules_for, seen)
    return obj


def _leaf(name: str) -> str:
    return name.rsplit("__", 1)[-1]


class ProtectedQuerySetMixin:
    """Masks rows as they load, according to ``_guanxi_rules_for`` (kept across clones)."""

    _guanxi_rules_for: RulesFor | None = None

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone._guanxi_rules_for = self._guanxi_rules_for
        return clone

    def _guanxi_value_names(self) -> list[str]:
        fields = list(self._fields or ())  # type: ignore[attr-defined]
        if fields:
            return fields
        query = self.query  # type: ignore[attr-defined]
        names = list(query.values_select) or [
            f.attname
            for f in self.model._meta.concrete_fields  # type: ignore[attr-defined]
        ]
        return [*names, *query.annotation_select]

    def _guanxi_protect(self, row: Any) -> Any:
        rules_for = self._guanxi_rules_for
        if rules_for is None:
            return row
        iterable = self._iterable_class  # type: ignore[attr-defined]
        if issubclass(iterable, ModelIterable) and isinstance(row, Model):
            return protect_instance(row, rules_for)
        rules = rules_for(_module_of(self.model))  # type: ignore[attr-defined]
        if not rules:
            return row
        if iterable is ValuesIterable and isinstance(row, dict):
            return {
                key: protect(rules[_leaf(key)], _leaf(key), value) if _leaf(key) in rules else value
                for key, value in row.items()
            }
        names = [_leaf(name) for name in self._guanxi_value_names()]
        if iterable is FlatValuesListIterable:
            return protect(rules[names[0]], names[0], row) if names and names[0] in rules else row
        if iterable in (ValuesListIterable, NamedValuesListIterable):
            values = [
                protect(rules[name], name, value) if name in rules else value
                for name, value in zip(names, row, strict=False)
            ]
            return row._make(values) if hasattr(row, "_make") else tuple(values)
        return row

    def _fetch_all(self) -> None:
        super()._fetch_all()  # type: ignore[misc]
        cache = self._result_cache  # type: ignore[has-type]
        if cache and self._guanxi_rules_for is not None:
            self._result_cache = [self._guanxi_protect(row) for row in cache]

    def _iterator(self, use_chunked_fetch: bool, chunk_size: int | None) -> Iterator[Any]:
        for row in super()._iterator(use_chunked_fetch, chunk_size):  # type: ignore[misc]
            yield self._guanxi_protect(row)


_protected_classes: dict[type, type] = {}


def protected_queryset(queryset: QuerySet, rules_for: RulesFor) -> QuerySet:
    """A clone of ``queryset`` that masks sensitive fields as its rows load."""
    clone = queryset._clone()  # type: ignore[attr-defined]
    cls = clone.__class__
    if not issubclass(cls, ProtectedQuerySetMixin):
        protected = _protected_classes.get(cls)
        if protected is None:
            protected = type(f"Protected{cls.__name__}", (ProtectedQuerySetMixin, cls), {})
            _protected_classes[cls] = protected
        clone.__class__ = protected
    clone._guanxi_rules_for = rules_for
    return clone
