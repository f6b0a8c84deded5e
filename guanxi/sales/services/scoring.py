"""Lead scoring: administrators keep the rules; every lead's score is the sum of the points of the
active rules it meets, stored on the lead (``Lead.score``) so lists filter and sort by it.

A lead is rescored in the transaction that changes it (create, update, follow-up). A change of the
rules schedules a full recompute after commit (``leads_rescore_task``); since engagement counts
the follow-ups of the last 30 days, the full recompute also runs every night.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.customers.models import CompanySize, Industry, Source
from guanxi.sales.models import Lead, LeadScoringRule, ScoringField, ScoringOperator
from guanxi.sales.services._common import MODULE, actor_or_none, check_version, locked

ENGAGEMENT_DAYS = 30
MAX_POINTS = 1000
MAX_ENGAGEMENT = 10000
MAX_RULES = 200
BATCH = 1000
RULE_FIELDS = ("field", "operator", "value", "points", "position", "is_active")
OPERATORS = {
    ScoringField.SOURCE: (ScoringOperator.IS, ScoringOperator.IS_NOT),
    ScoringField.INDUSTRY: (ScoringOperator.IS, ScoringOperator.IS_NOT),
    ScoringField.COMPANY_SIZE: (ScoringOperator.IS, ScoringOperator.IS_NOT),
    ScoringField.ENGAGEMENT: (ScoringOperator.AT_LEAST, ScoringOperator.AT_MOST),
}


@dataclass(frozen=True)
class Facts:
    """What the rules look at for one lead."""

    source_id: int | None
    industry_id: int | None
    company_size: str
    engagement: int


def _whole(value: Any, name: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."), field=name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Enter a whole number."), field=name) from exc
    if not minimum <= number <= maximum:
        raise ValidationError(
            _("Enter a whole number between %(minimum)d and %(maximum)d.")
            % {"minimum": minimum, "maximum": maximum},
            field=name,
        )
    return number


def _clean_rule(data: Mapping[str, Any]) -> dict[str, Any]:
    field = data.get("field")
    if field not in ScoringField.values:
        raise ValidationError(_("Choose one of the listed fields."), field="field")
    operator = data.get("operator")
    allowed = OPERATORS[ScoringField(field)]
    if operator not in allowed:
        raise ValidationError(
            _("This condition does not apply to this field: choose %(choices)s.")
            % {"choices": " / ".join(str(ScoringOperator(o).label) for o in allowed)},
            field="operator",
        )
    raw = data.get("value")
    raw = getattr(raw, "pk", raw)
    if raw in (None, ""):
        raise ValidationError(_("This field is required."), field="value")
    if field == ScoringField.ENGAGEMENT:
        value = str(_whole(raw, "value", 0, MAX_ENGAGEMENT))
    elif field == ScoringField.COMPANY_SIZE:
        if raw not in CompanySize.values or raw == "":
            raise ValidationError(_("Choose one of the listed company sizes."), field="value")
        value = str(raw)
    else:
        model = Source if field == ScoringField.SOURCE else Industry
        if not str(raw).isdigit() or not model.objects.filter(pk=int(raw)).exists():
            raise ValidationError(
                _("Choose an existing source.")
                if model is Source
                else _("Choose an existing industry."),
                field="value",
            )
        value = str(int(raw))
    points = _whole(data.get("points"), "points", -MAX_POINTS, MAX_POINTS)
    if points == 0:
        raise ValidationError(_("Points cannot be zero."), field="points")
    cleaned: dict[str, Any] = {
        "field": field,
        "operator": operator,
        "value": value,
        "points": points,
    }
    if data.get("position") not in (None, ""):
        cleaned["position"] = _whole(data.get("position"), "position", 0, 100000)
    if "is_active" in data:
        cleaned["is_active"] = bool(data.get("is_active"))
    return cleaned


def _schedule_full_rescore() -> None:
    def enqueue() -> None:
        from guanxi.sales.tasks import leads_rescore_task

        leads_rescore_task()

    transaction.on_commit(enqueue)


@transaction.atomic
def scoring_rule_create(
    *, actor: Any, data: Mapping[str, Any], created_via: str = CreatedVia.UI
) -> LeadScoringRule:
    """Add a scoring rule (admin right in sales); every lead is rescored after commit.

    Raises ValidationError naming the field: unknown field, a condition that does not fit the
    field (is / is not for source, industry, company size; at least / at most for engagement),
    a value that is not an existing source or industry, a listed size or a whole number 0-10,000,
    points outside -1,000..1,000 or zero.
    """
    policy.require(actor, Action.ADMIN, MODULE)
    if LeadScoringRule.objects.count() >= MAX_RULES:
        raise ValidationError(_("At most 200 scoring rules."), field="field")
    rule = LeadScoringRule(created_by=actor_or_none(actor), created_via=created_via)
    for name, value in _clean_rule(data).items():
        setattr(rule, name, value)
    if "position" not in data or data.get("position") in (None, ""):
        rule.position = LeadScoringRule.objects.count()
    rule.save()
    audit.record(
        actor, AuditAction.CREATE, rule, changes=audit.diff({}, audit.snapshot(rule, RULE_FIELDS))
    )
    _schedule_full_rescore()
    return rule


@transaction.atomic
def scoring_rule_update(
    *, actor: Any, rule: LeadScoringRule, data: Mapping[str, Any], version: int | None = None
) -> LeadScoringRule:
    """Change a scoring rule (same checks as creating one); every lead is rescored after commit."""
    policy.require(actor, Action.ADMIN, MODULE)
    rule = locked(LeadScoringRule, rule.pk)
    check_version(rule, version)
    before = audit.snapshot(rule, RULE_FIELDS)
    merged = {name: getattr(rule, name) for name in RULE_FIELDS} | dict(data)
    for name, value in _clean_rule(merged).items():
        setattr(rule, name, value)
    changes = audit.diff(before, audit.snapshot(rule, RULE_FIELDS))
    if not changes:
        return rule
    rule.version += 1
    rule.updated_at = timezone.now()
    rule.save()
    audit.record(actor, AuditAction.UPDATE, rule, changes=changes)
    _schedule_full_rescore()
    return rule


@transaction.atomic
def scoring_rule_delete(*, actor: Any, rule: LeadScoringRule) -> None:
    """Remove a scoring rule; every lead is rescored after commit."""
    policy.require(actor, Action.ADMIN, MODULE)
    rule = LeadScoringRule.objects.select_for_update().filter(pk=rule.pk).first()
    if rule is None:
        raise NotFound()
    audit.record(
        actor, AuditAction.DELETE, rule, changes=audit.diff(audit.snapshot(rule, RULE_FIELDS), {})
    )
    rule.delete()
    _schedule_full_rescore()


# --- computing scores -----------------------------------------------------------------------


def active_rules() -> list[LeadScoringRule]:
    return list(LeadScoringRule.objects.filter(is_active=True).order_by("position", "id"))


def rule_matches(rule: LeadScoringRule, facts: Facts) -> bool:
    if rule.field == ScoringField.ENGAGEMENT:
        threshold = int(rule.value)
        if rule.operator == ScoringOperator.AT_LEAST:
            return facts.engagement >= threshold
        return facts.engagement <= threshold
    actual = {
        ScoringField.SOURCE: facts.source_id,
        ScoringField.INDUSTRY: facts.industry_id,
        ScoringField.COMPANY_SIZE: facts.company_size,
    }[ScoringField(rule.field)]
    equal = str(actual if actual is not None else "") == rule.value
    return equal if rule.operator == ScoringOperator.IS else not equal


def score_of(facts: Facts, rules: Iterable[LeadScoringRule]) -> int:
    """The sum of the points of the rules ``facts`` meet."""
    return sum(rule.points for rule in rules if rule_matches(rule, facts))


def _with_engagement(qs: Any, now: dt.datetime) -> Any:
    since = now - dt.timedelta(days=ENGAGEMENT_DAYS)
    return qs.annotate(
        engagement=Count("follow_ups", filter=Q(follow_ups__followed_up_at__gte=since))
    )


def _facts(lead: Any) -> Facts:
    return Facts(lead.source_id, lead.industry_id, lead.company_size, lead.engagement)


def lead_rescore(*, lead_id: int, rules: list[LeadScoringRule] | None = None) -> int:
    """Recompute and store one lead's score (no audit: the score is derived, never typed)."""
    row = (
        _with_engagement(Lead.objects.filter(pk=lead_id), timezone.now())
        .only("id", "source_id", "industry_id", "company_size", "score")
        .first()
    )
    if row is None:
        return 0
    score = score_of(_facts(row), active_rules() if rules is None else rules)
    if score != row.score:
        Lead._base_manager.filter(pk=lead_id).update(score=score)
    return score


def leads_rescore() -> int:
    """Recompute every lead's score in batches of 1,000; returns how many scores changed."""
    rules = active_rules()
    now = timezone.now()
    changed = 0
    last_id = 0
    while True:
        batch = list(
            _with_engagement(Lead._base_manager.filter(pk__gt=last_id).order_by("pk"), now).only(
                "id", "source_id", "industry_id", "company_size", "score"
            )[:BATCH]
        )
        if not batch:
            return changed
        last_id = batch[-1].pk
        stale = []
        for lead in batch:
            score = score_of(_facts(lead), rules)
            if score != lead.score:
                lead.score = score
                stale.append(lead)
        if stale:
            with transaction.atomic():
                Lead._base_manager.bulk_update(stale, ["score"])
            changed += len(stale)
