from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.errors import NotFound
from guanxi.sales import selectors, services
from guanxi.sales.models import DealStageChange
from guanxi.sales.selectors import GroupBy
from guanxi.sales.tests.factories import DealFactory
from guanxi.testing import factories


def test_a_rep_sees_her_deals_and_those_she_collaborates_on(rep, other_rep, manager, auditor):
    mine = DealFactory(owner=rep)
    theirs = DealFactory(owner=other_rep)
    shared = DealFactory(owner=other_rep)
    services.deal_collaborator_set(actor=other_rep, deal=shared, user=rep, access="read")
    outsider = DealFactory(owner=factories.UserFactory(username="outsider"))

    assert set(selectors.deal_list(actor=rep)) == {mine, shared}
    assert set(selectors.deal_list(actor=manager)) == {mine, theirs, shared}
    assert set(selectors.deal_list(actor=auditor)) == {mine, theirs, shared, outsider}
    with pytest.raises(NotFound):
        selectors.deal_get(actor=rep, pk=theirs.pk)
    with pytest.raises(NotFound):
        selectors.deal_get(actor=rep, pk="x")
    nobody = factories.UserFactory(username="nobody", roles=[])
    assert list(selectors.deal_list(actor=nobody)) == []


def test_list_filters_and_ordering(rep, stages):
    small = DealFactory(
        owner=rep,
        amount=Decimal("10"),
        amount_cny=Decimal("10"),
        expected_close_on=dt.date(2026, 1, 5),
    )
    big = DealFactory(
        owner=rep,
        stage=stages[2],
        amount=Decimal("900"),
        amount_cny=Decimal("900"),
        expected_close_on=dt.date(2026, 2, 5),
    )

    def ids(**kwargs):
        return [d.pk for d in selectors.deal_list(actor=rep, **kwargs)]

    assert ids(ordering="amount_cny") == [small.pk, big.pk]
    assert ids(ordering="-amount_cny") == [big.pk, small.pk]
    assert ids(filters={"stage": stages[2]}) == [big.pk]
    assert ids(filters={"amount_min": 100}) == [big.pk]
    assert ids(filters={"expected_close_to": dt.date(2026, 1, 31)}) == [small.pk]
    assert ids(filters={"department": rep.department}) == [big.pk, small.pk]
    assert ids(q=big.name) == [big.pk]
    assert ids(q=small.customer.name) == [small.pk]


def test_list_query_count_does_not_grow_with_rows(rep):
    DealFactory.create_batch(2, owner=rep)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = list(selectors.deal_list(actor=rep))
            for deal in rows:
                assert all((deal.customer.name, deal.owner, deal.stage.name, deal.pipeline.name))
        return len(captured)

    count_queries()  # the actor's roles are loaded once, then cached on her
    assert count_queries() == 1
    DealFactory.create_batch(8, owner=rep)
    assert count_queries() == 1


def _funnel_data(rep, stages):
    won, lost = stages[4], stages[5]
    rows = [
        (stages[0], 0, "100", None),
        (stages[1], 1, "200", None),
        (stages[2], 2, "300", None),
        (won, 4, "400", 10),
        (lost, 1, "500", 3),
        (lost, 3, "600", 20),
    ]
    deals = []
    for stage, furthest, amount, days in rows:
        deals.append(
            DealFactory(
                owner=rep,
                stage=stage,
                furthest_position=furthest,
                amount=Decimal(amount),
                amount_cny=Decimal(amount),
                days_to_close=days,
            )
        )
    for seconds in (86400, 3 * 86400):
        DealStageChange.objects.create(
            deal=deals[1], from_stage=stages[0], to_stage=stages[1], seconds_in_from_stage=seconds
        )
    return deals


def test_funnel_counts_conversion_time_win_rate_and_cycle(rep, other_rep, pipeline, stages):
    _funnel_data(rep, stages)
    DealFactory(owner=other_rep, amount=Decimal("7"), amount_cny=Decimal("7"))

    funnel = selectors.deal_funnel(actor=rep, pipeline=pipeline)

    assert [(s.stage.pk, s.count, s.amount, s.reached) for s in funnel.stages] == [
        (stages[0].pk, 1, Decimal("100"), 6),
        (stages[1].pk, 1, Decimal("200"), 5),
        (stages[2].pk, 1, Decimal("300"), 3),
        (stages[3].pk, 0, Decimal("0"), 2),
        (stages[4].pk, 1, Decimal("400"), 1),
        (stages[5].pk, 2, Decimal("1100"), 2),
    ]
    assert [
        round(s.conversion, 4) if s.conversion is not None else None for s in funnel.stages
    ] == [
        round(5 / 6, 4),
        0.6,
        round(2 / 3, 4),
        0.5,
        None,
        None,
    ]
    assert funnel.stages[0].average_days == 2.0
    assert funnel.stages[1].average_days is None
    assert (funnel.total, funnel.open_count, funnel.won_count, funnel.lost_count) == (6, 3, 1, 2)
    assert funnel.open_amount == Decimal("600")
    # 100 x 10% + 200 x 25% + 300 x 50%
    assert funnel.weighted == Decimal("210.00")
    assert funnel.win_rate == pytest.approx(1 / 3)
    assert funnel.cycle_days == 10


def test_funnel_of_another_owner_is_empty_for_a_rep(rep, other_rep, pipeline, stages):
    _funnel_data(other_rep, stages)
    funnel = selectors.deal_funnel(actor=rep, pipeline=pipeline)
    assert (funnel.total, funnel.win_rate, funnel.cycle_days) == (0, None, None)


def test_board_columns_total_every_deal_and_show_the_newest(rep, pipeline, stages):
    for amount in ("10", "20", "30"):
        DealFactory(owner=rep, amount=Decimal(amount), amount_cny=Decimal(amount))
    DealFactory(owner=rep, stage=stages[3], amount=Decimal("1000"), amount_cny=Decimal("1000"))

    columns = selectors.deal_board(actor=rep, pipeline=pipeline, per_stage=2)

    assert [(c.stage.pk, c.count, c.amount, len(c.deals), c.more) for c in columns] == [
        (stages[0].pk, 3, Decimal("60"), 2, 1),
        (stages[1].pk, 0, Decimal("0"), 0, 0),
        (stages[2].pk, 0, Decimal("0"), 0, 0),
        (stages[3].pk, 1, Decimal("1000"), 1, 0),
        (stages[4].pk, 0, Decimal("0"), 0, 0),
        (stages[5].pk, 0, Decimal("0"), 0, 0),
    ]
    assert columns[3].weighted == Decimal("750.00")
    filtered = selectors.deal_board(actor=rep, pipeline=pipeline, filters={"amount_min": 15})
    assert [c.count for c in filtered][:4] == [2, 0, 0, 1]


def test_forecast_weighs_open_deals_by_month_against_targets(admin, rep, other_rep, stages):
    DealFactory(
        owner=rep,
        stage=stages[2],
        amount_cny=Decimal("1000"),
        expected_close_on=dt.date(2026, 1, 15),
    )
    DealFactory(
        owner=other_rep,
        stage=stages[3],
        amount_cny=Decimal("2000"),
        expected_close_on=dt.date(2026, 2, 10),
    )
    DealFactory(
        owner=rep,
        stage=stages[4],
        amount_cny=Decimal("3000"),
        closed_on=dt.date(2026, 1, 20),
        expected_close_on=dt.date(2026, 3, 1),
    )
    DealFactory(
        owner=rep, stage=stages[1], amount_cny=Decimal("99"), expected_close_on=dt.date(2026, 5, 1)
    )
    services.target_set(
        actor=admin,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        amount="9000",
    )
    services.target_set(
        actor=admin,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        amount="5000",
        owner=rep,
    )

    overall = selectors.deal_forecast(actor=admin, start=dt.date(2026, 1, 9), months=3)
    assert overall.months == ["2026-01", "2026-02", "2026-03"]
    assert [
        (r.month, r.open_count, r.pipeline, r.weighted, r.won, r.target) for r in overall.rows
    ] == [
        ("2026-01", 1, Decimal("1000"), Decimal("500.00"), Decimal("3000"), Decimal("3100.00")),
        ("2026-02", 1, Decimal("2000"), Decimal("1500.00"), Decimal("0"), Decimal("2800.00")),
        ("2026-03", 0, Decimal("0"), Decimal("0"), Decimal("0"), Decimal("3100.00")),
    ]

    by_owner = selectors.deal_forecast(
        actor=admin, start=dt.date(2026, 1, 1), months=3, group_by=GroupBy.OWNER
    )
    assert [(r.month, r.label, r.weighted, r.won, r.target) for r in by_owner.rows] == [
        ("2026-01", "rep", Decimal("500.00"), Decimal("3000"), Decimal("5000.00")),
        ("2026-02", "other", Decimal("1500.00"), Decimal("0"), None),
    ]
    assert by_owner.rows[0].attainment == 0.6
    assert [t.weighted for t in by_owner.totals()] == [
        Decimal("500.00"),
        Decimal("1500.00"),
        Decimal("0"),
    ]

    mine = selectors.deal_forecast(actor=rep, start=dt.date(2026, 1, 1), months=3)
    assert [(r.month, r.weighted) for r in mine.rows if r.open_count] == [
        ("2026-01", Decimal("500.00"))
    ]
