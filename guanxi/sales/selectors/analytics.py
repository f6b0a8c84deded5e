"""Kanban totals, the funnel and the forecast: SQL aggregates over the deals the actor may see.

Each is a handful of GROUP BY queries whose cost does not depend on how the rows are turned into
Python objects: the database sums, Python only arranges a few dozen result rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
)

from guanxi.accounts.models import Department, User
from guanxi.sales.models import Deal, DealStageChange, DealStatus, Pipeline, SalesTarget, Stage
from guanxi.sales.selectors.deals import deal_filter, deals_visible

ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONEY_FIELD = DecimalField(max_digits=24, decimal_places=2)


class MonthOf(Func):
    """The ``YYYY-MM`` of a date column, computed by the database (native on both)."""

    output_field = CharField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="strftime('%%%%Y-%%%%m', %(expressions)s)", **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')", **extra
        )


def _scoped(actor: Any, pipeline: Pipeline | None, filters: Mapping[str, Any] | None) -> QuerySet:
    qs = deal_filter(deals_visible(actor), filters)
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    return qs.order_by()


# --- kanban ---------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = ZERO
    deals: list[Deal] = field(default_factory=list)

    @property
    def weighted(self) -> Decimal:
        return (self.amount * self.stage.probability / HUNDRED).quantize(Decimal("0.01"))

    @property
    def more(self) -> int:
        return max(self.count - len(self.deals), 0)


def stage_totals_query(
    actor: Any, pipeline: Pipeline, filters: Mapping[str, Any] | None = None
) -> QuerySet:
    """The GROUP BY behind the board's column totals (exposed for the benchmark)."""
    return (
        _scoped(actor, pipeline, filters)
        .values("stage_id")
        .annotate(count=Count("id"), amount=Sum("amount_cny"))
    )


def stage_totals(
    *, actor: Any, pipeline: Pipeline, filters: Mapping[str, Any] | None = None
) -> dict[int, tuple[int, Decimal]]:
    """Per stage of ``pipeline``: how many deals the actor may see and their amount in CNY."""
    return {
        row["stage_id"]: (row["count"], row["amount"] or ZERO)
        for row in stage_totals_query(actor, pipeline, filters)
    }


def shown_stages(pipeline: Pipeline) -> list[Stage]:
    """The stages of a pipeline in order: those in use, and those switched off that still hold
    deals (so no deal disappears from the board)."""
    holding = Deal.all_objects.filter(pipeline=pipeline, deleted_at__isnull=True).values("stage_id")
    return list(
        Stage.objects.filter(pipeline=pipeline)
        .filter(Q(is_active=True) | Q(pk__in=holding))
        .order_by("position", "id")
    )


def deal_board(
    *,
    actor: Any,
    pipeline: Pipeline,
    filters: Mapping[str, Any] | None = None,
    per_stage: int = 50,
) -> list[Column]:
    """The kanban of a pipeline: one column per stage with its totals and its newest deals."""
    stages = shown_stages(pipeline)
    totals = stage_totals(actor=actor, pipeline=pipeline, filters=filters)
    qs = _scoped(actor, pipeline, filters).select_related("customer", "owner")
    columns = []
    for stage in stages:
        count, amount = totals.get(stage.pk, (0, ZERO))
        deals = (
            list(qs.filter(stage=stage).order_by("-id")[:per_stage]) if count and per_stage else []
        )
        for deal in deals:
            deal.stage = stage
        columns.append(Column(stage=stage, count=count, amount=amount, deals=deals))
    return columns


# --- funnel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStage:
    stage: Stage
    count: int
    amount: Decimal
    reached: int
    conversion: float | None
    average_days: float | None


@dataclass(frozen=True)
class Funnel:
    pipeline: Pipeline
    stages: list[FunnelStage]
    total: int
    total_amount: Decimal
    open_count: int
    open_amount: Decimal
    weighted: Decimal
    won_count: int
    won_amount: Decimal
    lost_count: int
    win_rate: float | None
    cycle_days: float | None


def funnel_query(actor: Any, pipeline: Pipeline, filters: Mapping[str, Any] | None) -> QuerySet:
    """One GROUP BY (stage, furthest stage reached): counts, amounts and days to close."""
    return (
        _scoped(actor, pipeline, filters)
        .values("stage_id", "furthest_position")
        .annotate(count=Count("id"), amount=Sum("amount_cny"), days=Sum("days_to_close"))
    )


def stage_time_query(actor: Any, pipeline: Pipeline, filters: Mapping[str, Any] | None) -> QuerySet:
    """Average seconds spent in each stage by the deals that have left it."""
    deals = _scoped(actor, pipeline, filters).values("pk")
    return (
        DealStageChange.objects.filter(deal__in=deals, from_stage__isnull=False)
        .order_by()
        .values("from_stage_id")
        .annotate(seconds=Avg("seconds_in_from_stage"))
    )


def deal_funnel(
    *, actor: Any, pipeline: Pipeline, filters: Mapping[str, Any] | None = None
) -> Funnel:
    """The funnel of ``pipeline`` over the deals the actor may see (``filters`` as ``deal_list``;
    a period is usually given as created_from/created_to).

    Per stage: deals in it now and their amount, deals that reached it or went further,
    conversion to the next stage, average days spent in it. Overall: win rate (won among closed)
    and the average days from creation to a win.
    """
    stages = shown_stages(pipeline)
    rows = list(funnel_query(actor, pipeline, filters))
    seconds = {
        row["from_stage_id"]: row["seconds"] for row in stage_time_query(actor, pipeline, filters)
    }
    counts: dict[int, int] = defaultdict(int)
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_furthest: dict[int, int] = defaultdict(int)
    won_ids = {s.pk for s in stages if s.is_won}
    won_days = 0
    for row in rows:
        counts[row["stage_id"]] += row["count"]
        amounts[row["stage_id"]] += row["amount"] or ZERO
        by_furthest[row["furthest_position"]] += row["count"]
        if row["stage_id"] in won_ids:
            won_days += row["days"] or 0
    progress = [s for s in stages if not s.is_lost]

    def reached(position: int) -> int:
        return sum(count for furthest, count in by_furthest.items() if furthest >= position)

    result = []
    for stage in stages:
        conversion = None
        if stage.is_lost:
            stage_reached = counts[stage.pk]
        else:
            stage_reached = reached(stage.position)
            index = progress.index(stage)
            if index + 1 < len(progress) and stage_reached:
                conversion = reached(progress[index + 1].position) / stage_reached
        average = seconds.get(stage.pk)
        result.append(
            FunnelStage(
                stage=stage,
                count=counts[stage.pk],
                amount=amounts[stage.pk],
                reached=stage_reached,
                conversion=conversion,
                average_days=float(average) / 86400 if average is not None else None,
            )
        )
    open_items = [item for item in result if item.stage.is_open]
    won = next((item for item in result if item.stage.is_won), None)
    lost = next((item for item in result if item.stage.is_lost), None)
    won_count = won.count if won else 0
    lost_count = lost.count if lost else 0
    closed = won_count + lost_count
    return Funnel(
        pipeline=pipeline,
        stages=result,
        total=sum(item.count for item in result),
        total_amount=sum((item.amount for item in result), ZERO),
        open_count=sum(item.count for item in open_items),
        open_amount=sum((item.amount for item in open_items), ZERO),
        weighted=sum(
            (item.amount * item.stage.probability / HUNDRED for item in open_items), ZERO
        ).quantize(Decimal("0.01")),
        won_count=won_count,
        won_amount=won.amount if won else ZERO,
        lost_count=lost_count,
        win_rate=won_count / closed if closed else None,
        cycle_days=won_days / won_count if won_count else None,
    )


# --- forecast -------------------------------------------------------------------------------


class GroupBy:
    NONE = ""
    OWNER = "owner"
    DEPARTMENT = "department"
    CHOICES = (NONE, OWNER, DEPARTMENT)


@dataclass
class ForecastRow:
    month: str
    key: int | None
    label: str
    open_count: int = 0
    pipeline: Decimal = ZERO
    weighted: Decimal = ZERO
    won: Decimal = ZERO
    target: Decimal | None = None

    @property
    def projected(self) -> Decimal:
        return self.won + self.weighted

    @property
    def attainment(self) -> float | None:
        """Won as a share of the target (None without a target)."""
        return float(self.won / self.target) if self.target else None


@dataclass(frozen=True)
class Forecast:
    months: list[str]
    group_by: str
    rows: list[ForecastRow]

    def totals(self) -> list[ForecastRow]:
        """One row per month, summing every group."""
        result = {month: ForecastRow(month=month, key=None, label="") for month in self.months}
        for row in self.rows:
            total = result[row.month]
            total.open_count += row.open_count
            total.pipeline += row.pipeline
            total.weighted += row.weighted
            total.won += row.won
            if row.target is not None:
                total.target = (total.target or ZERO) + row.target
        return list(result.values())


def month_range(start: dt.date, months: int) -> tuple[list[str], dt.date, dt.date]:
    """``months`` month keys from ``start``'s month, with the first and last day covered."""
    year, month = start.year, start.month
    keys = []
    for _step in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    first = dt.date(start.year, start.month, 1)
    last_year, last_month = int(keys[-1][:4]), int(keys[-1][5:])
    last = dt.date(last_year, last_month, calendar.monthrange(last_year, last_month)[1])
    return keys, first, last


def _key_field(group_by: str) -> str | None:
    return {GroupBy.OWNER: "owner_id", GroupBy.DEPARTMENT: "department_id"}.get(group_by)


def forecast_open_query(
    actor: Any, first: dt.date, last: dt.date, group_by: str, filters: Mapping[str, Any] | None
) -> QuerySet:
    """Open deals expected to close in [first, last], by month (and owner or department)."""
    key = _key_field(group_by)
    weighted = ExpressionWrapper(
        F("amount_cny") * F("stage__probability"), output_field=MONEY_FIELD
    )
    return (
        _scoped(actor, None, filters)
        .filter(status=DealStatus.OPEN, expected_close_on__gte=first, expected_close_on__lte=last)
        .annotate(month=MonthOf("expected_close_on"))
        .values("month", *([key] if key else []))
        .annotate(count=Count("id"), amount=Sum("amount_cny"), weighted=Sum(weighted))
    )


def forecast_won_query(
    actor: Any, first: dt.date, last: dt.date, group_by: str, filters: Mapping[str, Any] | None
) -> QuerySet:
    """Deals won in [first, last], by month (and owner or department)."""
    key = _key_field(group_by)
    return (
        _scoped(actor, None, filters)
        .filter(status=DealStatus.WON, closed_on__gte=first, closed_on__lte=last)
        .annotate(month=MonthOf("closed_on"))
        .values("month", *([key] if key else []))
        .annotate(amount=Sum("amount_cny"))
    )


def _month_days(key: str) -> tuple[dt.date, dt.date]:
    year, month = int(key[:4]), int(key[5:])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _targets(
    months: list[str], first: dt.date, last: dt.date, group_by: str, filters: Mapping[str, Any]
) -> dict[tuple[str, int | None], Decimal]:
    """Targets per month and group; a target spanning several months is spread by days."""
    qs = SalesTarget.objects.filter(period_end__gte=first, period_start__lte=last)
    owner, department = filters.get("owner"), filters.get("department")
    if group_by == GroupBy.OWNER or owner not in (None, ""):
        qs = qs.filter(owner__isnull=False)
        if owner not in (None, ""):
            qs = qs.filter(owner=getattr(owner, "pk", owner))
    elif group_by == GroupBy.DEPARTMENT or department not in (None, ""):
        qs = qs.filter(department__isnull=False)
        if department not in (None, ""):
            qs = qs.filter(department=getattr(department, "pk", department))
    else:
        qs = qs.filter(owner__isnull=True, department__isnull=True)
    result: dict[tuple[str, int | None], Decimal] = defaultdict(lambda: ZERO)
    for target in qs:
        span = (target.period_end - target.period_start).days + 1
        group = {GroupBy.OWNER: target.owner_id, GroupBy.DEPARTMENT: target.department_id}.get(
            group_by
        )
        for key in months:
            month_first, month_last = _month_days(key)
            overlap = (
                min(month_last, target.period_end) - max(month_first, target.period_start)
            ).days + 1
            if overlap > 0:
                result[(key, group)] += (target.amount * overlap / span).quantize(Decimal("0.01"))
    return result


def deal_forecast(
    *,
    actor: Any,
    start: dt.date,
    months: int = 6,
    group_by: str = GroupBy.NONE,
    filters: Mapping[str, Any] | None = None,
) -> Forecast:
    """The weighted pipeline per month (open deals by expected close date × the stage's
    probability), the amount won per month, and the targets of the same months.

    ``group_by``: "" (everyone together), "owner" or "department". ``filters`` as ``deal_list``.
    """
    months = max(1, min(int(months), 36))
    if group_by not in GroupBy.CHOICES:
        group_by = GroupBy.NONE
    keys, first, last = month_range(start, months)
    f = dict(filters or {})
    key_field = _key_field(group_by)
    rows: dict[tuple[str, int | None], ForecastRow] = {}

    def row_for(month: str, key: int | None) -> ForecastRow:
        if (month, key) not in rows:
            rows[(month, key)] = ForecastRow(month=month, key=key, label="")
        return rows[(month, key)]

    for item in forecast_open_query(actor, first, last, group_by, f):
        row = row_for(item["month"], item.get(key_field) if key_field else None)
        row.open_count = item["count"]
        row.pipeline = item["amount"] or ZERO
        row.weighted = ((item["weighted"] or ZERO) / HUNDRED).quantize(Decimal("0.01"))
    for item in forecast_won_query(actor, first, last, group_by, f):
        row_for(item["month"], item.get(key_field) if key_field else None).won = (
            item["amount"] or ZERO
        )
    for (month, key), amount in _targets(keys, first, last, group_by, f).items():
        if group_by == GroupBy.NONE or key is not None:
            row_for(month, key).target = amount
    labels: dict[int | None, str] = {None: ""}
    ids = {key for _month, key in rows if key is not None}
    if group_by == GroupBy.OWNER and ids:
        labels.update({user.pk: str(user) for user in User.objects.filter(pk__in=ids)})
    elif group_by == GroupBy.DEPARTMENT and ids:
        labels.update({d.pk: str(d) for d in Department.objects.filter(pk__in=ids)})
    ordered = sorted(rows.values(), key=lambda r: (r.month, labels.get(r.key, ""), r.key or 0))
    for row in ordered:
        row.label = labels.get(row.key, "") or ("—" if group_by else "")
    return Forecast(months=keys, group_by=group_by, rows=ordered)
