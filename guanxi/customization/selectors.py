"""Reads of custom field definitions, and filters and orderings on custom values."""

from __future__ import annotations

import decimal
import json
from collections.abc import Mapping
from typing import Any

from django.db.models import BigIntegerField, DecimalField, Field, Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.core.errors import NotFound, ValidationError
from guanxi.customization import values as custom_values
from guanxi.customization.models import FieldDefinition, FieldType

NUMBER_TYPES = {FieldType.INTEGER, FieldType.LOOKUP}
DECIMAL_TYPES = {FieldType.DECIMAL, FieldType.CURRENCY}
RANGE_TYPES = NUMBER_TYPES | DECIMAL_TYPES | {FieldType.DATE, FieldType.DATETIME}
RANGE_BOUNDS = {"gte": "gte", "lte": "lte", "from": "gte", "to": "lte"}
TEXT_TYPES = {
    FieldType.TEXT,
    FieldType.LONG_TEXT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
}
CONTAINS = "contains"
SORT_PREFIX = "custom."


def field_definition_list(
    *, actor: Any, model: str | None = None, archived: bool | None = False
) -> QuerySet[FieldDefinition]:
    """Definitions every user who may view customers sees (the form and list need them)."""
    if not policy.can(actor, "view", "customers"):
        return FieldDefinition.objects.none()
    qs = FieldDefinition.objects.all()
    if model:
        qs = qs.filter(model=model)
    if archived is not None:
        qs = qs.filter(is_archived=archived)
    return qs.order_by("model", "position", "id")


def field_definition_get(*, actor: Any, pk: Any) -> FieldDefinition:
    try:
        return field_definition_list(actor=actor, archived=None).get(pk=int(pk))
    except (FieldDefinition.DoesNotExist, TypeError, ValueError, OverflowError) as exc:
        raise NotFound() from exc


def _output_field(definition: FieldDefinition) -> Field[Any, Any]:
    if definition.field_type in NUMBER_TYPES:
        return BigIntegerField(null=True)
    if definition.field_type in DECIMAL_TYPES:
        return DecimalField(max_digits=30, decimal_places=6, null=True)
    return TextField(null=True)


class CustomValue(KeyTextTransform):
    """The value under a key of ``custom`` as SQL, like ``KeyTextTransform``, but written so
    that an expression index can serve it.

    On SQLite Django binds the JSON path as a parameter and wraps it in a ``CASE`` over
    ``JSON_TYPE``; the planner matches an index only against the same expression with the path
    as a literal. So the path is written into the SQL (keys are checked against
    ``[a-z][a-z0-9_]*`` when a field is created), and plain ``JSON_EXTRACT`` is used: the
    ``CASE`` only changes JSON booleans and nulls, which no filterable number, date or choice
    holds (a JSON null becomes SQL NULL, sorted with the empty values). PostgreSQL keeps
    Django's ``("custom" ->> 'key')``, whose key psycopg already writes as a literal.
    """

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, params, key_transforms = self.preprocess_lhs(compiler, connection)
        # As Django's ``compile_json_path`` spells it (keys never are array indexes here).
        path = ("$" + "".join(f".{json.dumps(key)}" for key in key_transforms)).replace("'", "''")
        return f"JSON_EXTRACT({lhs}, '{path}')", tuple(params)


def value_expression(definition: FieldDefinition) -> Any:
    """What filters and sorts on a field compare: also the expression its index is built on
    (``guanxi.customization.indexes``), so both must stay this one function."""
    return Cast(CustomValue(definition.key, "custom"), _output_field(definition))


def _filterable(model_label: str) -> dict[str, FieldDefinition]:
    return {d.key: d for d in custom_values.active_definitions(model_label) if d.is_filterable}


def _comparable(definition: FieldDefinition, value: Any) -> Any:
    cleaned = custom_values.clean_value(definition, value, check_lookup=False)
    if definition.field_type in DECIMAL_TYPES:
        return decimal.Decimal(cleaned)
    return cleaned


def custom_filter(
    queryset: QuerySet[Any], model_label: str, filters: Mapping[str, Any]
) -> QuerySet[Any]:
    """Narrow ``queryset`` by custom values: ``{key: value}`` for equality (a multiple-choice
    field matches records holding that option), ``{key: {"gte": a, "lte": b}}`` for a range of
    numbers, amounts, dates and times, ``{key: {"contains": text}}`` for text, e-mail, phone and
    web address fields (ignoring case). Only filterable, not archived fields; ValidationError
    naming ``custom.<key>`` otherwise or for a value of the wrong type."""
    definitions = _filterable(model_label)
    for key, wanted in filters.items():
        definition = definitions.get(key)
        if definition is None:
            raise ValidationError(
                _("There is no filterable custom field with this key."), field=f"custom.{key}"
            )
        if custom_values.is_empty(wanted):
            continue
        if isinstance(wanted, Mapping) and CONTAINS in wanted:
            if definition.field_type not in TEXT_TYPES or set(wanted) != {CONTAINS}:
                raise ValidationError(
                    _("This field cannot be searched for a part of its text."),
                    field=f"custom.{key}",
                )
            text = str(wanted[CONTAINS] or "").strip()[: custom_values.TEXT_LIMIT]
            if text:
                alias = f"_cf_{key}"
                queryset = queryset.alias(**{alias: KeyTextTransform(key, "custom")}).filter(
                    **{f"{alias}__icontains": text}
                )
            continue
        if isinstance(wanted, Mapping):
            if definition.field_type not in RANGE_TYPES or not set(wanted) <= set(RANGE_BOUNDS):
                raise ValidationError(
                    _("This field cannot be filtered by a range."), field=f"custom.{key}"
                )
            alias = f"_cf_{key}"
            queryset = queryset.alias(**{alias: value_expression(definition)})
            for bound, raw in wanted.items():
                if custom_values.is_empty(raw):
                    continue
                lookup = f"{alias}__{RANGE_BOUNDS[bound]}"
                queryset = queryset.filter(**{lookup: _comparable(definition, raw)})
            continue
        if definition.field_type == FieldType.MULTI_CHOICE:
            option = custom_values.clean_value(definition, wanted)[0]
            condition = Q()
            for index in range(len(definition.options)):
                condition |= Q(**{f"custom__{key}__{index}": option})
            queryset = queryset.filter(condition)
        elif definition.field_type == FieldType.BOOLEAN:
            queryset = queryset.filter(**{f"custom__{key}": _comparable(definition, wanted)})
        else:
            alias = f"_cf_{key}"
            queryset = queryset.alias(**{alias: value_expression(definition)}).filter(
                **{alias: _comparable(definition, wanted)}
            )
    return queryset


def custom_sort_key(model_label: str, ordering: str) -> Any | None:
    """The expression to order by for ``custom.<key>`` / ``-custom.<key>`` (None otherwise).

    Records without a value come last in both directions."""
    name = ordering.lstrip("-")
    if not name.startswith(SORT_PREFIX):
        return None
    key = name.removeprefix(SORT_PREFIX)
    definition = _filterable(model_label).get(key)
    if definition is None:
        return None
    expression = value_expression(definition)
    if ordering.startswith("-"):
        return expression.desc(nulls_last=True)
    return expression.asc(nulls_last=True)


def custom_sort_annotation(model_label: str, ordering: str) -> tuple[Any, Field[Any, Any]] | None:
    """For ``custom.<key>`` / ``-custom.<key>``: the value to annotate each row with and its
    field (nullable), so that a list can page by it (None for other orderings)."""
    name = ordering.lstrip("-")
    if not name.startswith(SORT_PREFIX):
        return None
    definition = _filterable(model_label).get(name.removeprefix(SORT_PREFIX))
    if definition is None:
        return None
    return value_expression(definition), _output_field(definition)


def custom_sort_choices(model_label: str) -> list[str]:
    """The orderings by custom fields a list accepts (filterable fields)."""
    keys = sorted(_filterable(model_label))
    return [f"{SORT_PREFIX}{k}" for k in keys] + [f"-{SORT_PREFIX}{k}" for k in keys]


def custom_filters_from_query(params: Mapping[str, Any]) -> dict[str, Any]:
    """``?cf_<key>=value``, ``?cf_<key>__gte=a``, ``?cf_<key>__lte=b`` and
    ``?cf_<key>__contains=text`` as a ``custom`` filter."""
    custom: dict[str, Any] = {}
    for name in params:
        if not name.startswith("cf_"):
            continue
        key, _sep, bound = name.removeprefix("cf_").partition("__")
        value = params.get(name)
        if bound:
            if bound not in RANGE_BOUNDS and bound != CONTAINS:
                raise ValidationError(_("Unknown filter."), field=name)
            existing = custom.get(key)
            custom[key] = {**(existing if isinstance(existing, dict) else {}), bound: value}
        else:
            custom[key] = value
    return custom
