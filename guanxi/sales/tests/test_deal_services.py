from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from guanxi.core import events
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.sales import services
from guanxi.sales.models import Deal, DealStageChange, DealStatus, ExchangeRate
from guanxi.sales.tests.factories import ProductFactory
from guanxi.testing import factories


def _deal(actor, customer, **data):
    return services.deal_create(
        actor=actor, data={"name": "ERP 项目", "customer": customer, **data}
    )


def test_create_starts_in_first_open_stage_owned_by_actor_with_history_and_audit(
    rep, customer, stages
):
    # given a rep and her customer / when she creates a deal
    deal = _deal(rep, customer, amount="120000")

    # then it is hers, open, in the first stage, recorded in history and the audit log
    assert deal.owner == rep
    assert deal.department_id == rep.department_id
    assert deal.stage == stages[0]
    assert deal.status == DealStatus.OPEN
    assert deal.amount == Decimal("120000.00")
    assert deal.amount_cny == Decimal("120000.00")
    assert deal.currency == "CNY"
    history = list(DealStageChange.objects.filter(deal=deal))
    assert [(h.from_stage_id, h.to_stage_id, h.changed_by_id) for h in history] == [
        (None, stages[0].pk, rep.pk)
    ]
    entry = AuditEntry.objects.filter(object_type="sales.deal", object_id=str(deal.pk)).get()
    assert entry.action == AuditAction.CREATE
    assert entry.changes["amount"] == [None, "120000.00"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1000000000000"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"name": ""}, "name"),
        ({"currency": "US"}, "currency"),
        ({"currency": "USD"}, "exchange_rate"),
        ({"currency": "USD", "exchange_rate": "0"}, "exchange_rate"),
        ({"currency": "USD", "exchange_rate": "-7"}, "exchange_rate"),
        ({"expected_close_on": "2026-02-30"}, "expected_close_on"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(rep, customer, data, field):
    with pytest.raises(ValidationError) as caught:
        _deal(rep, customer, **data)
    assert caught.value.field == field
    assert Deal.all_objects.count() == 0


def test_currency_without_rate_is_a_clear_error(rep, customer):
    with pytest.raises(ValidationError) as caught:
        _deal(rep, customer, amount="100", currency="usd")
    assert caught.value.code == "no_exchange_rate"
    assert "USD" in str(caught.value.message)


def test_foreign_currency_uses_given_rate_or_the_latest_known_rate(rep, customer, admin):
    given = _deal(rep, customer, amount="100", currency="USD", exchange_rate="7.1")
    assert (given.exchange_rate, given.amount_cny) == (Decimal("7.100000"), Decimal("710.00"))

    services.exchange_rate_set(
        actor=admin, currency_code="EUR", rate="7.5", valid_on=dt.date(2020, 1, 1)
    )
    services.exchange_rate_set(actor=admin, currency_code="EUR", rate="7.8")
    known = _deal(rep, customer, amount="10", currency="EUR")
    assert (known.exchange_rate, known.amount_cny) == (Decimal("7.800000"), Decimal("78.00"))
    assert ExchangeRate.objects.count() == 2


def test_a_rep_cannot_set_exchange_rates(rep):
    with pytest.raises(PermissionDenied):
        services.exchange_rate_set(actor=rep, currency_code="USD", rate="7")


def test_absurd_amount_once_converted_is_refused(rep, customer):
    with pytest.raises(ValidationError) as caught:
        _deal(rep, customer, amount="900000000000", currency="XAU", exchange_rate="5000")
    assert caught.value.field == "amount"


def test_customer_outside_the_reps_scope_cannot_get_a_deal(rep, other_rep):
    foreign = factories.CustomerFactory(owner=other_rep)
    with pytest.raises(ValidationError) as caught:
        _deal(rep, foreign)
    assert caught.value.field == "customer"


def test_moving_into_a_stage_without_its_required_fields_is_refused_and_changes_nothing(
    rep, customer, stages
):
    deal = _deal(rep, customer)
    proposal = stages[2]

    with pytest.raises(ValidationError) as caught:
        services.deal_move_to_stage(actor=rep, deal=deal, stage=proposal)

    assert caught.value.code == "stage_requirements"
    assert caught.value.extra == {"missing": ["amount", "expected_close_on"]}
    assert "方案报价" in str(caught.value.message)
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages[0], 1)
    assert DealStageChange.objects.filter(deal=deal).count() == 1


def test_move_appends_history_with_time_spent_and_publishes_after_commit(
    rep, customer, stages, django_capture_on_commit_callbacks
):
    seen = []

    def handler(event):
        seen.append((event.name, event.payload["from_stage_id"], event.payload["to_stage_id"]))

    events.subscribe("deal.stage_changed")(handler)
    try:
        with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
            deal = _deal(rep, customer, amount="5000", expected_close_on="2026-06-30")
        with (
            time_machine.travel(dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            deal = services.deal_move_to_stage(actor=rep, deal=deal, stage=stages[2], version=1)
    finally:
        events.unsubscribe("deal.stage_changed", handler)

    assert seen == [("deal.stage_changed", stages[0].pk, stages[2].pk)]
    assert (deal.stage, deal.version, deal.furthest_position) == (stages[2], 2, 2)
    last = DealStageChange.objects.filter(deal=deal).order_by("-id").first()
    assert (last.from_stage, last.to_stage, last.changed_by) == (stages[0], stages[2], rep)
    assert last.seconds_in_from_stage == 3 * 86400


def test_lost_needs_a_reason_and_won_closes_with_cycle_length(
    rep, customer, stages, lost_reason, won_reason
):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        deal = _deal(rep, customer, amount="5000")
    with pytest.raises(ValidationError) as caught:
        services.deal_mark_lost(actor=rep, deal=deal, reason=None)
    assert caught.value.field == "reason"
    with pytest.raises(ValidationError):
        services.deal_mark_lost(actor=rep, deal=deal, reason=won_reason)

    with time_machine.travel(dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC), tick=False):
        won = services.deal_mark_won(actor=rep, deal=deal, reason=won_reason, note="签约")
    assert (won.status, won.stage, won.days_to_close) == (DealStatus.WON, stages[4], 10)
    assert (won.closed_on, won.close_reason, won.close_note) == (
        dt.date(2026, 3, 11),
        won_reason,
        "签约",
    )

    reopened = services.deal_move_to_stage(actor=rep, deal=won, stage=stages[1])
    assert (reopened.status, reopened.closed_on, reopened.close_reason) == (
        DealStatus.OPEN,
        None,
        None,
    )
    lost = services.deal_mark_lost(actor=rep, deal=reopened, reason=lost_reason)
    assert (lost.status, lost.stage, lost.furthest_position) == (DealStatus.LOST, stages[5], 4)


def test_won_stage_requires_an_amount(rep, customer):
    deal = _deal(rep, customer)
    with pytest.raises(ValidationError) as caught:
        services.deal_mark_won(actor=rep, deal=deal)
    assert caught.value.extra == {"missing": ["amount"]}


def test_stale_version_is_a_conflict_and_changes_nothing(rep, customer, stages):
    deal = _deal(rep, customer, amount="100")
    services.deal_update(actor=rep, deal=deal, data={"amount": "200"}, version=1)

    with pytest.raises(Conflict) as caught:
        services.deal_update(actor=rep, deal=deal, data={"amount": "300"}, version=1)
    with pytest.raises(Conflict):
        services.deal_move_to_stage(actor=rep, deal=deal, stage=stages[1], version=1)

    assert caught.value.instance.amount == Decimal("200.00")
    deal.refresh_from_db()
    assert (deal.amount, deal.version, deal.stage) == (Decimal("200.00"), 2, stages[0])


def test_update_audits_a_field_diff_and_unchanged_update_writes_nothing(rep, customer):
    deal = _deal(rep, customer, amount="100")
    services.deal_update(actor=rep, deal=deal, data={"amount": "100"}, version=1)
    deal.refresh_from_db()
    assert deal.version == 1

    services.deal_update(actor=rep, deal=deal, data={"amount": "150", "name": "新名称"})
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(deal.pk)).get()
    assert entry.changes == {
        "amount": ["100.00", "150.00"],
        "amount_cny": ["100.00", "150.00"],
        "name": ["ERP 项目", "新名称"],
    }


def test_line_items_in_a_foreign_currency_convert_with_the_deals_rate(rep, customer):
    deal = _deal(rep, customer, amount="1", currency="USD", exchange_rate="7")

    deal = services.deal_set_line_items(
        actor=rep, deal=deal, items=[{"name": "License", "quantity": "2", "unit_price": "150"}]
    )

    assert (deal.amount, deal.currency, deal.amount_cny) == (
        Decimal("300.00"),
        "USD",
        Decimal("2100.00"),
    )


def test_line_items_in_the_deals_currency(rep, customer):
    product = ProductFactory(price=Decimal("1999.00"))
    deal = _deal(rep, customer, amount="1")

    deal = services.deal_set_line_items(
        actor=rep,
        deal=deal,
        items=[
            {"product": product, "quantity": "3", "discount_percent": "10"},
            {"name": "实施服务", "quantity": "1.5", "unit_price": "800"},
        ],
    )

    assert [(i.name, i.total) for i in deal.line_items.order_by("position")] == [
        (product.name, Decimal("5397.30")),
        ("实施服务", Decimal("1200.00")),
    ]
    assert (deal.amount, deal.amount_cny, deal.version) == (
        Decimal("6597.30"),
        Decimal("6597.30"),
        2,
    )
    with pytest.raises(ValidationError) as caught:
        services.deal_update(actor=rep, deal=deal, data={"amount": "1"})
    assert caught.value.field == "amount"


def test_foreign_priced_product_needs_a_unit_price(rep, customer):
    product = ProductFactory(price=Decimal("10"), currency="USD")
    deal = _deal(rep, customer)
    with pytest.raises(ValidationError) as caught:
        services.deal_set_line_items(actor=rep, deal=deal, items=[{"product": product}])
    assert caught.value.field == "line_items[0].unit_price"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"name": "x", "quantity": "0", "unit_price": "1"}, "line_items[0].quantity"),
        ({"name": "x", "quantity": "-2", "unit_price": "1"}, "line_items[0].quantity"),
        ({"name": "x", "quantity": "1", "unit_price": "-1"}, "line_items[0].unit_price"),
        (
            {"name": "x", "quantity": "1", "unit_price": "1", "discount_percent": "101"},
            "line_items[0].discount_percent",
        ),
        (
            {"name": "x", "quantity": "999999999", "unit_price": "999999999"},
            "line_items[0].quantity",
        ),
        ({"quantity": "1", "unit_price": "1"}, "line_items[0].name"),
    ],
)
def test_bad_line_items_are_refused_and_keep_the_old_ones(rep, customer, item, field):
    deal = _deal(rep, customer, amount="50")
    with pytest.raises(ValidationError) as caught:
        services.deal_set_line_items(actor=rep, deal=deal, items=[item])
    assert caught.value.field == field
    deal.refresh_from_db()
    assert (deal.amount, deal.line_items.count()) == (Decimal("50.00"), 0)


def test_a_rep_cannot_touch_another_reps_deal_and_a_read_collaborator_cannot_edit(
    rep, other_rep, customer, stages
):
    deal = _deal(rep, customer, amount="10")
    with pytest.raises(NotFound):
        services.deal_update(actor=other_rep, deal=deal, data={"amount": "1"})
    with pytest.raises(NotFound):
        services.deal_move_to_stage(actor=other_rep, deal=deal, stage=stages[1])
    with pytest.raises(NotFound):
        services.deal_delete(actor=other_rep, deal=deal)

    services.deal_collaborator_set(actor=rep, deal=deal, user=other_rep, access="read")
    with pytest.raises(PermissionDenied):
        services.deal_update(actor=other_rep, deal=deal, data={"amount": "1"})
    services.deal_collaborator_set(actor=rep, deal=deal, user=other_rep, access="edit")
    services.deal_update(actor=other_rep, deal=deal, data={"amount": "11"})
    deal.refresh_from_db()
    assert deal.amount == Decimal("11.00")


def test_contacts_must_belong_to_the_deals_customer(rep, customer):
    mine = factories.ContactFactory(customer=customer)
    elsewhere = factories.ContactFactory(customer=factories.CustomerFactory(owner=rep))
    deal = _deal(rep, customer, contacts=[mine])
    assert list(deal.contacts.all()) == [mine]
    with pytest.raises(ValidationError) as caught:
        services.deal_update(actor=rep, deal=deal, data={"contacts": [elsewhere]})
    assert caught.value.field == "contacts"


def test_delete_and_restore(rep, customer):
    deal = _deal(rep, customer)
    services.deal_delete(actor=rep, deal=deal)
    assert not Deal.objects.filter(pk=deal.pk).exists()
    services.deal_restore(actor=rep, deal=Deal.all_objects.get(pk=deal.pk))
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_user_without_a_role_can_do_nothing(customer):
    nobody = factories.UserFactory(username="nobody", roles=[])
    with pytest.raises(PermissionDenied):
        _deal(nobody, customer)


def test_pipeline_change_moves_to_the_new_pipelines_first_stage(rep, customer, admin):
    other = services.pipeline_create(
        actor=admin, data={"name": "续约"}, stages=[{"name": "续约沟通", "probability": 60}]
    )
    deal = _deal(rep, customer)
    deal = services.deal_update(actor=rep, deal=deal, data={"pipeline": other})
    assert (deal.pipeline, deal.stage.name, deal.stage.probability) == (other, "续约沟通", 60)
    assert [(s.is_won, s.is_lost) for s in other.stages.order_by("position")] == [
        (False, False),
        (True, False),
        (False, True),
    ]
