"""Set-up of selling: pipelines and stages, won/lost reasons, exchange rates (administrators)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit
from guanxi.core.errors import ValidationError
from guanxi.core.models import AuditAction
from guanxi.sales.models import (
    BASE_CURRENCY,
    CloseReason,
    Deal,
    ExchangeRate,
    Pipeline,
    ReasonKind,
    RequiredField,
    Stage,
)
from guanxi.sales.services._common import (
    MAX_RATE,
    MIN_RATE,
    MODULE,
    actor_or_none,
    check_version,
    currency,
    decimal,
    locked,
    text,
)

STAGE_FIELDS = ("name", "name_en", "position", "probability", "colour", "required_fields")
COLOURS = {
    "blue",
    "azure",
    "indigo",
    "purple",
    "pink",
    "red",
    "orange",
    "yellow",
    "lime",
    "green",
    "teal",
    "cyan",
    "gray",
}


def _require_admin(actor: Any) -> None:
    policy.require(actor, Action.ADMIN, MODULE)


def _probability(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number from 0 to 100."), field="probability")
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("Enter a whole number from 0 to 100."), field="probability"
        ) from exc
    if not 0 <= number <= 100:
        raise ValidationError(_("Enter a whole number from 0 to 100."), field="probability")
    return number


def _required_fields(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Expected a list of field names."), field="required_fields")
    unknown = sorted(set(value) - set(RequiredField.values))
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            field="required_fields",
        )
    return [name for name in RequiredField.values if name in value]


def _clean_stage(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if not partial or "name" in data:
        cleaned["name"] = text(data, "name", required=True, limit=100)
    if "name_en" in data:
        cleaned["name_en"] = text(data, "name_en", limit=100)
    if "probability" in data:
        cleaned["probability"] = _probability(data["probability"])
    if "colour" in data:
        colour = text(data, "colour", limit=16) or "blue"
        if colour not in COLOURS:
            raise ValidationError(_("Choose one of the listed colours."), field="colour")
        cleaned["colour"] = colour
    if "required_fields" in data:
        cleaned["required_fields"] = _required_fields(data["required_fields"])
    return cleaned


@transaction.atomic
def pipeline_create(
    *, actor: Any, data: Mapping[str, Any], stages: Sequence[Mapping[str, Any]] = ()
) -> Pipeline:
    """Create a pipeline with its open stages (in order), followed by a won and a lost stage."""
    _require_admin(actor)
    name = text(data, "name", required=True, limit=100)
    if Pipeline.objects.filter(name=name).exists():
        raise ValidationError(_("A pipeline with this name already exists."), field="name")
    if not stages:
        raise ValidationError(_("Add at least one stage."), field="stages")
    is_default = bool(data.get("is_default")) or not Pipeline.objects.exists()
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline = Pipeline.objects.create(
        name=name,
        name_en=text(data, "name_en", limit=100),
        position=position,
        is_default=is_default,
        created_by=actor_or_none(actor),
    )
    names: set[str] = set()
    for index, raw in enumerate(stages):
        cleaned = _clean_stage(raw, partial=False)
        if cleaned["name"] in names:
            raise ValidationError(
                _("Two stages cannot have the same name."), field=f"stages[{index}].name"
            )
        names.add(cleaned["name"])
        Stage.objects.create(pipeline=pipeline, position=index, **cleaned)
    closing = [
        (_("Won"), "Won", 100, "green", True, False),
        (_("Lost"), "Lost", 0, "red", False, True),
    ]
    for offset, (label, label_en, probability, colour, won, lost) in enumerate(closing):
        Stage.objects.create(
            pipeline=pipeline,
            name=str(label) if str(label) not in names else label_en,
            name_en=label_en,
            position=len(stages) + offset,
            probability=probability,
            colour=colour,
            is_won=won,
            is_lost=lost,
        )
    audit.record(
        actor,
        AuditAction.CREATE,
        pipeline,
        changes={"name": [None, name], "stages": [None, [s.name for s in pipeline.stages.all()]]},
    )
    return pipeline


PIPELINE_FIELDS = ("name", "name_en", "is_default")


@transaction.atomic
def pipeline_update(
    *, actor: Any, pipeline: Pipeline, data: Mapping[str, Any], version: int | None = None
) -> Pipeline:
    """Rename a pipeline or make it the default (the previous default stops being one)."""
    _require_admin(actor)
    pipeline = locked(Pipeline, pipeline.pk)
    check_version(pipeline, version)
    before = audit.snapshot(pipeline, PIPELINE_FIELDS)
    if "name" in data:
        name = text(data, "name", required=True, limit=100)
        if Pipeline.objects.filter(name=name).exclude(pk=pipeline.pk).exists():
            raise ValidationError(_("A pipeline with this name already exists."), field="name")
        pipeline.name = name
    if "name_en" in data:
        pipeline.name_en = text(data, "name_en", limit=100)
    if data.get("is_default") and not pipeline.is_default:
        if not pipeline.is_active:
            raise ValidationError(
                _("Switch the pipeline on before making it the default."), field="is_default"
            )
        Pipeline.objects.filter(is_default=True).update(is_default=False)
        pipeline.is_default = True
    changes = audit.diff(before, audit.snapshot(pipeline, PIPELINE_FIELDS))
    if changes:
        pipeline.version += 1
        pipeline.updated_at = timezone.now()
        pipeline.save()
        audit.record(actor, AuditAction.UPDATE, pipeline, changes=changes)
    return pipeline


@transaction.atomic
def pipeline_set_active(*, actor: Any, pipeline: Pipeline, active: bool) -> Pipeline:
    """Switch a pipeline off (no new deals in it; its deals stay as they are) or on again.

    Raises ValidationError on ``is_active`` for the default pipeline.
    """
    _require_admin(actor)
    pipeline = locked(Pipeline, pipeline.pk)
    if pipeline.is_active == active:
        return pipeline
    if not active and pipeline.is_default:
        raise ValidationError(
            _("The default pipeline cannot be switched off: make another one the default."),
            field="is_active",
        )
    pipeline.is_active = active
    pipeline.version += 1
    pipeline.updated_at = timezone.now()
    pipeline.save(update_fields=["is_active", "version", "updated_at"])
    audit.record(actor, AuditAction.UPDATE, pipeline, changes={"is_active": [not active, active]})
    return pipeline


@transaction.atomic
def stage_create(*, actor: Any, pipeline: Pipeline, data: Mapping[str, Any]) -> Stage:
    """Add an open stage to a pipeline, before its won and lost stages."""
    _require_admin(actor)
    cleaned = _clean_stage(data, partial=False)
    if Stage.objects.filter(pipeline=pipeline, name=cleaned["name"]).exists():
        raise ValidationError(_("A stage with this name already exists."), field="name")
    open_last = (
        Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False).aggregate(
            m=Max("position")
        )["m"]
        or 0
    )
    # Closing stages move one step down so the new stage sits before them.
    for closing in Stage.objects.filter(pipeline=pipeline, position__gt=open_last).order_by(
        "-position"
    ):
        Stage.objects.filter(pk=closing.pk).update(position=closing.position + 1)
    stage = Stage.objects.create(pipeline=pipeline, position=open_last + 1, **cleaned)
    audit.record(actor, AuditAction.CREATE, stage, changes=audit.diff({}, cleaned))
    return stage


@transaction.atomic
def stage_update(
    *, actor: Any, stage: Stage, data: Mapping[str, Any], version: int | None = None
) -> Stage:
    """Rename a stage, change its probability, colour or required fields."""
    _require_admin(actor)
    stage = locked(Stage, stage.pk)
    check_version(stage, version)
    cleaned = _clean_stage(data, partial=True)
    if (
        "name" in cleaned
        and Stage.objects.filter(pipeline_id=stage.pipeline_id, name=cleaned["name"])
        .exclude(pk=stage.pk)
        .exists()
    ):
        raise ValidationError(_("A stage with this name already exists."), field="name")
    before = audit.snapshot(stage, STAGE_FIELDS)
    for name, value in cleaned.items():
        setattr(stage, name, value)
    changes = audit.diff(before, audit.snapshot(stage, STAGE_FIELDS))
    if changes:
        stage.version += 1
        stage.updated_at = timezone.now()
        stage.save()
        audit.record(actor, AuditAction.UPDATE, stage, changes=changes)
    return stage


@transaction.atomic
def stages_reorder(*, actor: Any, pipeline: Pipeline, stage_ids: Sequence[int]) -> None:
    """Put the open stages of a pipeline in the given order (won and lost stay last)."""
    _require_admin(actor)
    open_stages = {
        s.pk: s for s in Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False)
    }
    if sorted(stage_ids) != sorted(open_stages):
        raise ValidationError(_("List every open stage of the pipeline once."), field="stages")
    for position, pk in enumerate(stage_ids):
        Stage.objects.filter(pk=pk).update(position=position)
    for offset, stage in enumerate(
        Stage.objects.filter(pipeline=pipeline).exclude(pk__in=stage_ids).order_by("-is_won")
    ):
        Stage.objects.filter(pk=stage.pk).update(position=len(stage_ids) + offset)
    audit.record(actor, AuditAction.UPDATE, pipeline, changes={"stages": [None, list(stage_ids)]})


@transaction.atomic
def stage_delete(*, actor: Any, stage: Stage) -> None:
    """Remove an open stage that no deal is in (and none has passed through)."""
    _require_admin(actor)
    if not stage.is_open:
        raise ValidationError(_("The won and lost stages cannot be removed."), field="stage")
    if Deal.all_objects.filter(stage=stage).exists():
        raise ValidationError(
            _("Deals are in this stage: move them first, or switch the stage off."),
            field="stage",
        )
    if Stage.objects.filter(pipeline_id=stage.pipeline_id, is_won=False, is_lost=False).count() < 2:
        raise ValidationError(_("A pipeline needs at least one open stage."), field="stage")
    from guanxi.sales.models import DealStageChange

    if DealStageChange.objects.filter(from_stage=stage).exists() or (
        DealStageChange.objects.filter(to_stage=stage).exists()
    ):
        stage.is_active = False
        stage.save(update_fields=["is_active"])
    else:
        stage.delete()
    audit.record(
        actor,
        AuditAction.DELETE,
        object_type="sales.stage",
        object_id=stage.pk,
        object_repr=stage.name,
    )


@transaction.atomic
def stage_set_active(*, actor: Any, stage: Stage, active: bool) -> Stage:
    """Switch an open stage off or on again.

    A stage that is off takes no new deals; the deals in it stay there, keep their history and
    can be moved out (the board shows the stage as long as it holds deals). The won and lost
    stages, and the last open stage of a pipeline, cannot be switched off.
    """
    _require_admin(actor)
    stage = locked(Stage, stage.pk)
    if stage.is_active == active:
        return stage
    if not stage.is_open:
        raise ValidationError(
            _("The won and lost stages cannot be switched off."), field="is_active"
        )
    if (
        not active
        and not Stage.objects.filter(
            pipeline_id=stage.pipeline_id, is_won=False, is_lost=False, is_active=True
        )
        .exclude(pk=stage.pk)
        .exists()
    ):
        raise ValidationError(_("A pipeline needs at least one open stage."), field="is_active")
    stage.is_active = active
    stage.version += 1
    stage.updated_at = timezone.now()
    stage.save(update_fields=["is_active", "version", "updated_at"])
    audit.record(actor, AuditAction.UPDATE, stage, changes={"is_active": [not active, active]})
    return stage


@transaction.atomic
def close_reason_create(*, actor: Any, kind: str, data: Mapping[str, Any]) -> CloseReason:
    """Add a won or lost reason."""
    _require_admin(actor)
    if kind not in ReasonKind.values:
        raise ValidationError(_("Choose won or lost."), field="kind")
    name = text(data, "name", required=True, limit=100)
    if CloseReason.objects.filter(kind=kind, name=name).exists():
        raise ValidationError(_("This reason already exists."), field="name")
    position = (CloseReason.objects.filter(kind=kind).aggregate(m=Max("position"))["m"] or 0) + 1
    reason = CloseReason.objects.create(
        kind=kind, name=name, name_en=text(data, "name_en", limit=100), position=position
    )
    audit.record(actor, AuditAction.CREATE, reason, changes={"name": [None, name]})
    return reason


@transaction.atomic
def exchange_rate_set(
    *, actor: Any, currency_code: str, rate: Any, valid_on: dt.date | None = None
) -> ExchangeRate:
    """Record the rate to CNY of a currency from ``valid_on`` (today by default) on."""
    _require_admin(actor)
    code = currency(currency_code)
    if code == BASE_CURRENCY:
        raise ValidationError(
            _("CNY is the base currency; its rate is always 1."), field="currency"
        )
    value = decimal(
        rate, "rate", minimum=MIN_RATE, maximum=MAX_RATE, places=Decimal("0.000001"), positive=True
    )
    valid_on = valid_on or timezone.localdate()
    entry, created = ExchangeRate.objects.update_or_create(
        currency=code, valid_on=valid_on, defaults={"rate": value}
    )
    audit.record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        entry,
        changes={
            "currency": [None, code],
            "rate": [None, str(value)],
            "valid_on": [None, valid_on],
        },
    )
    return entry
