"""Validation of custom field values against their definitions.

Values are stored JSON-safe and in a form that sorts and compares the same on SQLite and
PostgreSQL: dates and date-times as ISO text (date-times in UTC), decimals and amounts as text
(compared through a cast), choices as option values, lookups as record ids.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationError
from guanxi.core.normalize import NormalizeError, clean_text, normalize_email, normalize_phone
from guanxi.customization.models import FieldDefinition, FieldType, LookupTarget

TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20000
INTEGER_LIMIT = 2**53 - 1
DECIMAL_MAX_DIGITS = 18
DECIMAL_PLACES = 6
CURRENCY_PLACES = 2
TRUE_WORDS = {"true", "1", "yes", "on", "y"}
FALSE_WORDS = {"false", "0", "no", "off", "n"}


def active_definitions(model_label: str) -> list[FieldDefinition]:
    """The definitions of a module that are not archived, in their order."""
    return list(
        FieldDefinition.objects.filter(model=model_label, is_archived=False).order_by(
            "position", "id"
        )
    )


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _error(definition: FieldDefinition, message: str) -> ValidationError:
    return ValidationError(message, field=f"custom.{definition.key}")


def _text(definition: FieldDefinition, value: Any, limit: int, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise _error(definition, _("Expected text."))
    text = value.strip() if multiline else clean_text(value)
    if len(text) > limit:
        raise _error(definition, _("Too long: at most %(limit)d characters.") % {"limit": limit})
    return text


def _integer(definition: FieldDefinition, value: Any) -> int:
    if isinstance(value, bool):
        raise _error(definition, _("Enter a whole number."))
    try:
        number = decimal.Decimal(str(value).strip().replace(",", ""))
    except (decimal.InvalidOperation, ValueError) as exc:
        raise _error(definition, _("Enter a whole number.")) from exc
    if not number.is_finite() or number != number.to_integral_value():
        raise _error(definition, _("Enter a whole number."))
    if abs(number) > INTEGER_LIMIT:
        raise _error(definition, _("This number is too large."))
    return int(number)


def _decimal(definition: FieldDefinition, value: Any, places: int) -> str:
    if isinstance(value, bool | list | dict):
        raise _error(definition, _("Enter a number."))
    try:
        number = decimal.Decimal(str(value).strip().replace(",", ""))
    except (decimal.InvalidOperation, ValueError) as exc:
        raise _error(definition, _("Enter a number.")) from exc
    if not number.is_finite():
        raise _error(definition, _("Enter a number."))
    number = number.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    if len(number.as_tuple().digits) > DECIMAL_MAX_DIGITS:
        raise _error(definition, _("This number is too large."))
    text = format(number, "f")
    if places != CURRENCY_PLACES and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _date(definition: FieldDefinition, value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise _error(definition, _("Enter a valid date (YYYY-MM-DD).")) from exc


def _datetime(definition: FieldDefinition, value: Any) -> str:
    moment = value
    if not isinstance(moment, dt.datetime):
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise _error(definition, _("Enter a valid date and time.")) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _boolean(definition: FieldDefinition, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _error(definition, _("Enter yes or no."))


def _option_values(definition: FieldDefinition) -> list[str]:
    return [str(option.get("value")) for option in definition.options or []]


def _choice(definition: FieldDefinition, value: Any) -> str:
    allowed = _option_values(definition)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) not in allowed:
        raise _error(definition, _("“%(value)s” is not a valid choice.") % {"value": value})
    return str(value)


def _multi_choice(definition: FieldDefinition, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise _error(definition, _("Expected a list of choices."))
    chosen = {_choice(definition, item) for item in value}
    return [option for option in _option_values(definition) if option in chosen]


def _email(definition: FieldDefinition, value: Any) -> str:
    try:
        return normalize_email(str(value))
    except NormalizeError as exc:
        raise _error(definition, str(exc)) from exc


def _phone(definition: FieldDefinition, value: Any) -> str:
    try:
        return normalize_phone(str(value))
    except NormalizeError as exc:
        raise _error(definition, str(exc)) from exc


def _url(definition: FieldDefinition, value: Any) -> str:
    text = _text(definition, value, TEXT_LIMIT, multiline=False)
    if text and "://" not in text:
        text = "https://" + text
    try:
        URLValidator(schemes=["http", "https"])(text)
    except DjangoValidationError as exc:
        raise _error(definition, _("Enter a valid web address.")) from exc
    return text


def lookup_queryset(definition: FieldDefinition, actor: Any) -> Any:
    """The records a lookup field may point at: those ``actor`` may see (all for the system)."""
    from guanxi.accounts.models import User
    from guanxi.accounts.selectors import user_list
    from guanxi.customers import selectors
    from guanxi.customers.models import Contact, Customer

    target = definition.lookup_target
    if target == LookupTarget.USER:
        return User.objects.filter(is_active=True) if actor is None else user_list(actor=actor)
    if target == LookupTarget.CONTACT:
        if actor is None:
            return Contact.objects.filter(customer__deleted_at__isnull=True)
        return selectors.contact_list(actor=actor)
    if actor is None:
        return Customer.objects.all()
    return selectors.customer_list(actor=actor)


def _lookup(definition: FieldDefinition, value: Any, actor: Any, check: bool) -> int:
    if isinstance(value, dict):
        value = value.get("id")
    pk = _integer(definition, value)
    if check and not lookup_queryset(definition, actor).filter(pk=pk).exists():
        raise _error(definition, _("This record does not exist or you may not see it."))
    return pk


def clean_value(
    definition: FieldDefinition, value: Any, *, actor: Any = None, check_lookup: bool = True
) -> Any:
    """One value in its stored form; ValidationError naming ``custom.<key>`` when it is wrong."""
    kind = definition.field_type
    if kind == FieldType.TEXT:
        return _text(definition, value, TEXT_LIMIT, multiline=False)
    if kind == FieldType.LONG_TEXT:
        return _text(definition, value, LONG_TEXT_LIMIT, multiline=True)
    if kind == FieldType.INTEGER:
        return _integer(definition, value)
    if kind == FieldType.DECIMAL:
        return _decimal(definition, value, DECIMAL_PLACES)
    if kind == FieldType.CURRENCY:
        return _decimal(definition, value, CURRENCY_PLACES)
    if kind == FieldType.DATE:
        return _date(definition, value)
    if kind == FieldType.DATETIME:
        return _datetime(definition, value)
    if kind == FieldType.BOOLEAN:
        return _boolean(definition, value)
    if kind == FieldType.CHOICE:
        return _choice(definition, value)
    if kind == FieldType.MULTI_CHOICE:
        return _multi_choice(definition, value)
    if kind == FieldType.EMAIL:
        return _email(definition, value)
    if kind == FieldType.PHONE:
        return _phone(definition, value)
    if kind == FieldType.URL:
        return _url(definition, value)
    if kind == FieldType.LOOKUP:
        return _lookup(definition, value, actor, check_lookup)
    raise _error(definition, _("Unknown field type."))


def _check_unique(definition: FieldDefinition, model_label: str, value: Any, instance: Any) -> None:
    model = apps.get_model(model_label)
    manager = getattr(model, "all_objects", model._default_manager)
    others = manager.filter(**{f"custom__{definition.key}": value})
    if instance is not None and instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise _error(definition, _("Another record already has this value."))


def custom_values_clean(
    model_label: str,
    values: Any,
    partial: bool,
    *,
    actor: Any = None,
    instance: Any = None,
) -> dict[str, Any]:
    """Validate and normalise the custom values of one record of ``model_label``.

    With ``partial`` only the given keys change and the record's other stored values (also those of
    archived fields) are kept; without it, required fields must be given and defaults fill the
    missing ones. An empty value removes the key. Unique fields are checked against the other
    records. Raises ValidationError naming ``custom.<key>``; nothing is written here.
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationError(_("Custom fields must be an object."), field="custom")
    definitions = {d.key: d for d in active_definitions(model_label)}
    for key in values:
        if key not in definitions:
            raise ValidationError(_("There is no such custom field."), field=f"custom.{key}")
    stored = dict(getattr(instance, "custom", None) or {}) if instance is not None else {}
    result = dict(stored) if partial else {}
    if not partial:
        for key, value in stored.items():
            if key not in definitions:
                result[key] = value
    for key, definition in definitions.items():
        if key in values:
            raw = values[key]
        elif partial:
            continue
        else:
            raw = stored.get(key, definition.default)
        if is_empty(raw) or (definition.field_type != FieldType.BOOLEAN and raw is False):
            if definition.is_required:
                raise _error(definition, _("This field is required."))
            result.pop(key, None)
            continue
        value = clean_value(
            definition, raw, actor=actor, check_lookup=stored.get(key) != raw or key in values
        )
        if definition.is_unique and stored.get(key) != value:
            _check_unique(definition, model_label, value, instance)
        result[key] = value
    return result
