"""Every write of custom field definitions: create, change (checking stored values), archive."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction
from guanxi.customization import indexes
from guanxi.customization import values as custom_values
from guanxi.customization.models import FieldDefinition, FieldType, LookupTarget, TargetModel

ADMIN_MODULE = "accounts"
MAX_FIELDS_PER_MODEL = 500
MAX_OPTIONS = 500
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE}
COLOUR_PATTERN = re.compile(r"^(#[0-9a-fA-F]{6}|[a-z]{3,20})?$")
RESERVED_NAMES = {"id", "pk", "custom", "objects", "all_objects", "version", "tags"}
SQL_WORDS = {
    "add", "all", "alter", "and", "any", "as", "asc", "between", "by", "case", "cast", "check",
    "column", "constraint", "create", "cross", "current_date", "current_time", "current_timestamp",
    "current_user", "database", "default", "delete", "desc", "distinct", "drop", "else", "end",
    "except", "exec", "exists", "false", "fetch", "for", "foreign", "from", "full", "grant",
    "group", "having", "in", "index", "inner", "insert", "intersect", "into", "is", "join", "key",
    "left", "like", "limit", "not", "null", "offset", "on", "or", "order", "outer", "primary",
    "references", "right", "rowid", "select", "session_user", "set", "table", "then", "to",
    "true", "truncate", "union", "unique", "update", "user", "using", "values", "view", "when",
    "where", "with",
}  # fmt: skip
DEFINITION_FIELDS = (
    "model",
    "key",
    "label_zh",
    "label_en",
    "help_text",
    "field_type",
    "options",
    "lookup_target",
    "currency",
    "is_required",
    "is_unique",
    "default",
    "is_searchable",
    "is_filterable",
    "is_shown_in_list",
    "position",
    "section",
    "is_archived",
)
FLAGS = ("is_required", "is_unique", "is_searchable", "is_filterable", "is_shown_in_list")
REINDEX_BATCH = 500


@dataclass
class ChangeImpact:
    """What a change of type or options would do to the values already stored."""

    checked: int = 0
    converted: int = 0
    lost: list[dict[str, Any]] = field(default_factory=list)


def _require_admin(actor: Any) -> None:
    if actor is not None and not policy.can(actor, Action.ADMIN, ADMIN_MODULE):
        raise PermissionDenied(_("Only administrators may change custom fields."))


def builtin_names(model_label: str) -> set[str]:
    """Names a custom key may not take: the model's own fields (and their column names)."""
    names = set(RESERVED_NAMES)
    for model_field in apps.get_model(model_label)._meta.get_fields():
        names.add(model_field.name)
        attname = getattr(model_field, "attname", None)
        if attname:
            names.add(attname)
    return names


def _clean_key(model_label: str, raw: Any) -> str:
    key = str(raw or "").strip()
    if not KEY_PATTERN.match(key) or "__" in key or key.endswith("_"):
        raise ValidationError(
            _(
                "Use lower-case letters, digits and single underscores, starting with a letter "
                "(at most 63 characters)."
            ),
            field="key",
        )
    if key in SQL_WORDS:
        raise ValidationError(_("“%(key)s” is a reserved word.") % {"key": key}, field="key")
    if key in builtin_names(model_label):
        raise ValidationError(
            _("“%(key)s” is the name of a built-in field.") % {"key": key}, field="key"
        )
    if FieldDefinition.objects.filter(model=model_label, key=key).exists():
        raise ValidationError(
            _("This module already has a field with this key (perhaps archived)."), field="key"
        )
    return key


def _clean_label(data: Mapping[str, Any], name: str, *, required: bool) -> str:
    value = " ".join(str(data.get(name) or "").split())
    if required and not value:
        raise ValidationError(_("This field is required."), field=name)
    if len(value) > 100:
        raise ValidationError(
            _("Too long: at most %(limit)d characters.") % {"limit": 100}, field=name
        )
    return value


def _clean_options(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError(_("A choice field needs at least one option."), field="options")
    if len(raw) > MAX_OPTIONS:
        raise ValidationError(
            _("At most %(limit)d options.") % {"limit": MAX_OPTIONS}, field="options"
        )
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = {"value": item, "label": item} if isinstance(item, str) else item
        if not isinstance(entry, Mapping):
            raise ValidationError(_("Each option needs a value and a label."), field="options")
        value = " ".join(str(entry.get("value") or entry.get("label") or "").split())[:100]
        label = " ".join(str(entry.get("label") or value).split())[:100]
        colour = str(entry.get("colour") or "").strip()
        if not value:
            raise ValidationError(_("Each option needs a value and a label."), field="options")
        if value in seen:
            raise ValidationError(
                _("The option “%(value)s” is listed twice.") % {"value": value}, field="options"
            )
        if not COLOUR_PATTERN.match(colour):
            raise ValidationError(_("Enter a colour like #1E88E5."), field="options")
        seen.add(value)
        options.append({"value": value, "label": label, "colour": colour, "order": index})
    return options


def _bool(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if isinstance(value, str):
        return value.strip().lower() in custom_values.TRUE_WORDS
    return bool(value)


def _clean_common(definition: FieldDefinition, data: Mapping[str, Any], *, creating: bool) -> None:
    """Apply the given attributes of ``data`` to ``definition`` (key and module excepted)."""
    if "label_zh" in data or creating:
        definition.label_zh = _clean_label(data, "label_zh", required=True)
    if "label_en" in data:
        definition.label_en = _clean_label(data, "label_en", required=False)
    if "help_text" in data:
        definition.help_text = " ".join(str(data.get("help_text") or "").split())[:500]
    if "section" in data:
        definition.section = " ".join(str(data.get("section") or "").split())[:100]
    if "position" in data:
        try:
            definition.position = max(0, min(int(data.get("position") or 0), 100000))
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("Enter a whole number."), field="position") from exc
    for name in FLAGS:
        if name in data:
            setattr(definition, name, _bool(data, name))
    if "field_type" in data or creating:
        kind = data.get("field_type")
        if kind not in FieldType.values:
            raise ValidationError(
                _("“%(value)s” is not a valid choice.") % {"value": kind}, field="field_type"
            )
        definition.field_type = kind
    if definition.field_type in CHOICE_TYPES:
        if "options" in data or creating or not definition.options:
            definition.options = _clean_options(data.get("options"))
    else:
        definition.options = []
    if definition.field_type == FieldType.LOOKUP:
        if "lookup_target" in data or creating or not definition.lookup_target:
            target = data.get("lookup_target")
            if target not in LookupTarget.values:
                raise ValidationError(_("Choose what the field links to."), field="lookup_target")
            definition.lookup_target = target
    else:
        definition.lookup_target = ""
    if definition.field_type == FieldType.CURRENCY:
        code = str(data.get("currency") or definition.currency or "CNY").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValidationError(_("Enter a three-letter currency code."), field="currency")
        definition.currency = code
    else:
        definition.currency = ""
    if definition.is_unique and definition.field_type in {
        FieldType.BOOLEAN,
        FieldType.MULTI_CHOICE,
        FieldType.LONG_TEXT,
    }:
        raise ValidationError(_("A field of this type cannot be unique."), field="is_unique")
    if "default" in data or creating:
        default = data.get("default")
        if custom_values.is_empty(default):
            definition.default = None
        else:
            if definition.field_type == FieldType.LOOKUP or definition.is_unique:
                raise ValidationError(
                    _("A field of this type cannot have a default."), field="default"
                )
            try:
                definition.default = custom_values.clean_value(definition, default)
            except ValidationError as exc:
                raise ValidationError(exc.message, field="default") from exc


@transaction.atomic
def field_definition_create(*, actor: Any, data: Mapping[str, Any]) -> FieldDefinition:
    """Add a custom field to a module.

    Raises PermissionDenied for non-administrators, ValidationError naming the attribute for a
    bad key (clash with a built-in field or an SQL word), type, options or default.
    """
    _require_admin(actor)
    model_label = data.get("model")
    if model_label not in TargetModel.values:
        raise ValidationError(
            _("“%(value)s” is not a valid choice.") % {"value": model_label}, field="model"
        )
    if FieldDefinition.objects.filter(model=model_label).count() >= MAX_FIELDS_PER_MODEL:
        raise ValidationError(
            _("A module has at most %(limit)d custom fields.") % {"limit": MAX_FIELDS_PER_MODEL},
            field="model",
        )
    definition = FieldDefinition(
        model=model_label,
        key=_clean_key(model_label, data.get("key")),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if "position" not in data:
        definition.position = FieldDefinition.objects.filter(model=model_label).count() + 1
    _clean_common(definition, data, creating=True)
    definition.save()
    audit.record(
        actor,
        AuditAction.CREATE,
        definition,
        changes=audit.diff({}, audit.snapshot(definition, DEFINITION_FIELDS)),
    )
    events.publish("custom_field.created", definition_id=definition.pk)
    if definition.is_filterable:
        _schedule_index_sync(definition)
    return definition


def _records(definition: FieldDefinition) -> Any:
    model = apps.get_model(definition.model)
    manager = getattr(model, "all_objects", model._default_manager)
    return manager.filter(custom__has_key=definition.key).only("pk", "custom").order_by("pk")


def field_definition_impact(
    *, definition: FieldDefinition, candidate: FieldDefinition
) -> ChangeImpact:
    """Try every stored value of ``definition`` against ``candidate`` (its changed form)."""
    impact = ChangeImpact()
    for record in _records(definition).iterator(chunk_size=2000):
        value = record.custom.get(definition.key)
        if custom_values.is_empty(value):
            continue
        impact.checked += 1
        try:
            converted = custom_values.clean_value(candidate, value, check_lookup=False)
        except ValidationError:
            impact.lost.append({"id": record.pk, "value": value})
            continue
        if converted != value:
            impact.converted += 1
    return impact


@transaction.atomic
def field_definition_update(
    *,
    actor: Any,
    definition: FieldDefinition,
    data: Mapping[str, Any],
    version: int | None = None,
    accept_loss: bool = False,
) -> tuple[FieldDefinition, ChangeImpact]:
    """Change a custom field; its key and module never change.

    Labels, help text, flags and new options apply at once. A change of type or removed options
    is first tried on every stored value: if some would not fit, ValidationError (code
    ``values_lost``, ``extra`` listing them) is raised unless ``accept_loss``; then values that
    fit are converted and those that do not are moved to ``custom["_archived"][key]`` of their
    record, so nothing is erased.
    """
    _require_admin(actor)
    definition = FieldDefinition.objects.select_for_update().get(pk=definition.pk)
    if version is not None and int(version) != definition.version:
        raise Conflict(instance=definition)
    if "key" in data and data["key"] != definition.key:
        raise ValidationError(_("The key of a field cannot change."), field="key")
    if "model" in data and data["model"] != definition.model:
        raise ValidationError(_("The module of a field cannot change."), field="model")
    before = audit.snapshot(definition, DEFINITION_FIELDS)
    old_type, old_options = definition.field_type, list(definition.options or [])
    old_target = definition.lookup_target
    _clean_common(definition, data, creating=False)
    if definition.is_unique and not before["is_unique"]:
        _check_no_duplicates(definition)
    kept_values = {o["value"] for o in definition.options}
    removed = [o for o in old_options if o["value"] not in kept_values]
    impact = ChangeImpact()
    if old_type != definition.field_type or removed or old_target != definition.lookup_target:
        impact = field_definition_impact(definition=definition, candidate=definition)
        if impact.lost and not accept_loss:
            raise ValidationError(
                _("%(count)d stored values would not fit the changed field.")
                % {"count": len(impact.lost)},
                field="field_type" if old_type != definition.field_type else "options",
                code="values_lost",
                extra={"lost": impact.lost[:100], "lost_count": len(impact.lost)},
            )
        if old_type != definition.field_type:
            # An index casting to the old type would reject the converted values.
            indexes.drop_stale(definition)
        _convert_values(definition)
    changes = audit.diff(before, audit.snapshot(definition, DEFINITION_FIELDS))
    if not changes:
        return definition, impact
    definition.version += 1
    definition.updated_at = timezone.now()
    definition.save()
    audit.record(actor, AuditAction.UPDATE, definition, changes=changes)
    events.publish("custom_field.updated", definition_id=definition.pk)
    searched = before["is_searchable"] or definition.is_searchable
    if searched and set(changes) & {"is_searchable", "field_type", "options"}:
        _schedule_reindex(definition)
    filtered = before["is_filterable"] or definition.is_filterable
    if filtered and set(changes) & {"is_filterable", "field_type", "is_archived"}:
        _schedule_index_sync(definition)
    return definition, impact


def _check_no_duplicates(definition: FieldDefinition) -> None:
    seen: set[str] = set()
    for record in _records(definition).iterator(chunk_size=2000):
        marker = repr(record.custom.get(definition.key))
        if marker in seen:
            raise ValidationError(
                _("Some records share a value of this field; it cannot become unique."),
                field="is_unique",
            )
        seen.add(marker)


def _convert_values(definition: FieldDefinition) -> None:
    model = apps.get_model(definition.model)
    batch: list[Any] = []
    for record in _records(definition).iterator(chunk_size=2000):
        custom = dict(record.custom)
        value = custom.get(definition.key)
        try:
            converted = custom_values.clean_value(definition, value, check_lookup=False)
        except ValidationError:
            archived = dict(custom.get("_archived") or {})
            archived[definition.key] = value
            custom["_archived"] = archived
            custom.pop(definition.key, None)
        else:
            if converted == value:
                continue
            custom[definition.key] = converted
        record.custom = custom
        batch.append(record)
        if len(batch) >= 1000:
            model._base_manager.bulk_update(batch, ["custom"])
            batch = []
    if batch:
        model._base_manager.bulk_update(batch, ["custom"])


@transaction.atomic
def field_definition_archive(
    *, actor: Any, definition: FieldDefinition, archived: bool = True
) -> FieldDefinition:
    """Hide a field from forms, lists and the API (or bring it back); stored values stay."""
    _require_admin(actor)
    definition = FieldDefinition.objects.select_for_update().get(pk=definition.pk)
    if definition.is_archived == archived:
        return definition
    definition.is_archived = archived
    definition.archived_at = timezone.now() if archived else None
    definition.version += 1
    definition.updated_at = timezone.now()
    definition.save()
    audit.record(
        actor,
        AuditAction.UPDATE,
        definition,
        changes={"is_archived": [not archived, archived]},
    )
    events.publish("custom_field.updated", definition_id=definition.pk)
    if definition.is_searchable:
        _schedule_reindex(definition)
    if definition.is_filterable:
        _schedule_index_sync(definition)
    return definition


def _schedule_index_sync(definition: FieldDefinition) -> None:
    """Build (or drop) the expression indexes of a field that is, or was, filterable, after
    commit and in the background: on a large table the build takes seconds to minutes."""
    from guanxi.customization.tasks import field_definition_index_sync_task

    definition_id = definition.pk
    transaction.on_commit(lambda: field_definition_index_sync_task(definition_id))


def field_definition_index_sync(*, definition_id: int) -> tuple[list[str], list[str]]:
    """Create the expression indexes a filterable, active field needs and drop those it no
    longer needs (archived, no longer filterable, type changed); returns (created, dropped).
    Idempotent. Run outside a transaction on PostgreSQL, so that the indexes are built
    ``CONCURRENTLY``; raises the database error when a build fails (nothing is left behind)."""
    definition = FieldDefinition.objects.filter(pk=definition_id).first()
    if definition is None:
        return [], []
    return indexes.sync(definition)


def _schedule_reindex(definition: FieldDefinition) -> None:
    """Rebuild, after commit and in the background, the search entries of the records holding a
    value of a field whose values are (or were) searched."""
    if definition.model != TargetModel.CUSTOMER:
        return
    from guanxi.customization.tasks import field_definition_reindex_task

    definition_id = definition.pk
    transaction.on_commit(lambda: field_definition_reindex_task(definition_id))


def field_definition_reindex(*, definition_id: int) -> int:
    """Rebuild the search entries of the customers holding a value of this field, in batches
    (each in its own transaction). Returns how many customers were reindexed; idempotent."""
    from guanxi.customers.search import customers_reindex

    definition = FieldDefinition.objects.filter(pk=definition_id).first()
    if definition is None or definition.model != TargetModel.CUSTOMER:
        return 0
    ids = list(_records(definition).values_list("pk", flat=True))
    for start in range(0, len(ids), REINDEX_BATCH):
        with transaction.atomic():
            customers_reindex(ids[start : start + REINDEX_BATCH])
    return len(ids)


def field_definition_get_for_update(*, actor: Any, pk: Any) -> FieldDefinition:
    _require_admin(actor)
    try:
        return FieldDefinition.objects.get(pk=int(pk))
    except (FieldDefinition.DoesNotExist, TypeError, ValueError, OverflowError) as exc:
        raise NotFound() from exc
