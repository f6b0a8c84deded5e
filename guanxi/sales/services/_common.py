"""Validation and locking helpers shared by the sales services."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from guanxi.core.errors import Conflict, NotFound, ValidationError
from guanxi.core.normalize import clean_text

MODULE = "sales"
CENT = Decimal("0.01")
# A single amount above a trillion is a typing error, not a deal.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_RATE = Decimal("100000")
MIN_RATE = Decimal("0.000001")
MAX_QUANTITY = Decimal("999999999.999")
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(9998, 12, 31)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def actor_or_none(actor: Any) -> Any:
    return actor if actor_id(actor) else None


def text(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    limit: int = 200,
    multiline: bool = False,
) -> str:
    raw = data.get(name)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationError(_("Expected text."), field=name)
    if "\x00" in raw:
        raise ValidationError(_("Text may not contain NUL characters."), field=name)
    value = raw.strip() if multiline else clean_text(raw)
    if required and not value:
        raise ValidationError(_("This field is required."), field=name)
    if len(value) > limit:
        raise ValidationError(
            _("Too long: at most %(limit)d characters.") % {"limit": limit}, field=name
        )
    return value


def decimal(
    value: Any,
    name: str,
    *,
    minimum: Decimal = Decimal("0"),
    maximum: Decimal = MAX_AMOUNT,
    places: Decimal = CENT,
    positive: bool = False,
) -> Decimal:
    """A decimal number within bounds, rounded to ``places``; floats go through their text."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError(_("Enter a number."), field=name)
    try:
        number = (
            Decimal(str(value).strip().replace(",", ""))
            if not isinstance(value, Decimal)
            else value
        )
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("Enter a number."), field=name) from exc
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), field=name)
    if number < minimum or (positive and number <= 0):
        if minimum >= 0:
            raise ValidationError(
                _("The value cannot be negative or zero.")
                if positive
                else _("The value cannot be negative."),
                field=name,
            )
        raise ValidationError(_("The value is too small."), field=name)
    if number > maximum:
        raise ValidationError(
            _("The value is too large: at most %(maximum)s.") % {"maximum": f"{maximum:,}"},
            field=name,
        )
    return number.quantize(places, rounding=ROUND_HALF_UP)


def money(value: Any, name: str) -> Decimal:
    return decimal(value, name)


def currency(value: Any, name: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ValidationError(_("Enter a three-letter currency code, e.g. CNY or USD."), field=name)
    return code


def date(data: Mapping[str, Any], name: str) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    elif not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."), field=name) from exc
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(_("Enter a date between 1900-01-01 and 9998-12-31."), field=name)
    return value


def custom(data: Mapping[str, Any], name: str = "custom") -> dict[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ValidationError(_("Custom fields must be an object."), field=name)
    return value


def check_version(obj: Any, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise Conflict(instance=obj)


def locked(model: type[Model], pk: Any) -> Any:
    obj = model._base_manager.select_for_update().filter(pk=pk).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound()
    return obj
