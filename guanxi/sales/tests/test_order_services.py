from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from guanxi.core import events
from guanxi.core.errors import NotFound, ValidationError
from guanxi.sales import selectors, services
from guanxi.sales.models import Order, OrderStatus, Payment, QuoteStatus
from guanxi.sales.pdf import quote_pdf
from guanxi.sales.tests.factories import DealFactory, ProductFactory


@pytest.fixture
def deal(rep):
    deal = DealFactory(owner=rep, amount=Decimal("0"), amount_cny=Decimal("0"))
    product = ProductFactory(name="智能门禁系统", price=Decimal("2500"))
    return services.deal_set_line_items(
        actor=rep, deal=deal, items=[{"product": product, "quantity": "4"}]
    )


def test_quote_copies_the_deals_products_and_acceptance_makes_an_order(rep, deal):
    quote = services.quote_create(actor=rep, deal=deal, notes="含安装")
    assert quote.number.startswith("Q")
    assert (quote.amount, quote.status) == (Decimal("10000.00"), QuoteStatus.DRAFT)
    assert [(line.name, line.total) for line in quote.line_items.all()] == [
        ("智能门禁系统", Decimal("10000.00"))
    ]
    services.quote_send(actor=rep, quote=quote)

    order = services.quote_accept(actor=rep, quote=quote)

    assert order.number.startswith("SO")
    assert (order.amount, order.customer_id, order.owner, order.status) == (
        Decimal("10000.00"),
        deal.customer_id,
        rep,
        OrderStatus.ACTIVE,
    )
    with pytest.raises(ValidationError) as caught:
        services.quote_accept(actor=rep, quote=quote)
    assert caught.value.code == "quote_status"


def test_expired_quote_cannot_be_accepted(rep, deal):
    quote = services.quote_create(actor=rep, deal=deal)
    quote.valid_until = dt.date(2020, 1, 1)
    quote.save()
    with pytest.raises(ValidationError) as caught:
        services.quote_accept(actor=rep, quote=quote)
    assert caught.value.code == "expired"
    assert not Order.objects.exists()


def test_plan_must_add_up_and_payments_cannot_exceed_the_balance(rep, deal):
    order = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    with pytest.raises(ValidationError) as caught:
        services.order_set_payment_plan(
            actor=rep, order=order, instalments=[{"due_on": "2026-01-31", "amount": "9000"}]
        )
    assert caught.value.code == "plan_total"
    services.order_set_payment_plan(
        actor=rep,
        order=order,
        instalments=[
            {"due_on": "2026-01-31", "amount": "3000", "note": "预付款"},
            {"due_on": "2026-03-31", "amount": "7000"},
        ],
    )
    services.payment_record(actor=rep, order=order, amount="3000", received_on="2026-01-20")

    with pytest.raises(ValidationError) as caught:
        services.payment_record(actor=rep, order=order, amount="7000.01")
    assert caught.value.code == "exceeds_balance"
    assert "7,000.00" in str(caught.value.message)
    for bad in ("0", "-5", "abc"):
        with pytest.raises(ValidationError):
            services.payment_record(actor=rep, order=order, amount=bad)
    order.refresh_from_db()
    assert (order.received, order.balance, Payment.objects.count()) == (
        Decimal("3000.00"),
        Decimal("7000.00"),
        1,
    )

    assert services.overdue_amount(order, today=dt.date(2026, 4, 1)) == Decimal("7000.00")
    services.payment_record(actor=rep, order=order, amount="7000")
    order.refresh_from_db()
    assert (order.status, order.balance) == (OrderStatus.COMPLETED, Decimal("0.00"))


def test_overdue_instalments_are_reminded_once(rep, deal, django_capture_on_commit_callbacks):
    order = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    services.order_set_payment_plan(
        actor=rep,
        order=order,
        instalments=[
            {"due_on": "2026-01-31", "amount": "4000"},
            {"due_on": "2026-02-28", "amount": "6000"},
        ],
    )
    services.payment_record(actor=rep, order=order, amount="4000", received_on="2026-01-30")
    seen = []

    def handler(event):
        seen.append(event.payload["due_on"])

    events.subscribe("payment.overdue")(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = services.payments_remind_overdue(today=dt.date(2026, 3, 5))
        with django_capture_on_commit_callbacks(execute=True):
            second = services.payments_remind_overdue(today=dt.date(2026, 3, 6))
    finally:
        events.unsubscribe("payment.overdue", handler)
    assert (first, second, seen) == (1, 0, ["2026-02-28"])


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_never_exceed_the_amount(rep):
    from guanxi.sales import defaults
    from guanxi.sales.models import CloseReason, Pipeline, Stage

    defaults.seed(Pipeline, Stage, CloseReason)
    deal = DealFactory(owner=rep, amount=Decimal("100"), amount_cny=Decimal("100"))
    order = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay():
        try:
            barrier.wait(timeout=10)
            services.payment_record(actor=rep, order=order, amount="60")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["exceeds_balance", "ok"]
    assert Order.objects.get(pk=order.pk).received == Decimal("60.00")


def test_orders_of_another_rep_are_not_found(rep, other_rep, deal):
    order = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    with pytest.raises(NotFound):
        selectors.order_get(actor=other_rep, pk=order.pk)
    with pytest.raises(NotFound):
        services.payment_record(actor=other_rep, order=order, amount="1")


def test_customer_transactions_and_lifetime_value(rep, deal):
    order = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    services.payment_record(actor=rep, order=order, amount="2500")
    result = selectors.customer_transactions(actor=rep, customer=deal.customer)
    assert ([o.pk for o in result.orders], result.lifetime_value, result.outstanding) == (
        [order.pk],
        Decimal("2500.00"),
        Decimal("7500.00"),
    )


def test_quote_pdf_renders_chinese(rep, deal):
    quote = services.quote_create(actor=rep, deal=deal, notes="付款方式：<预付30%>")
    pdf = quote_pdf(selectors.quote_get(actor=rep, pk=quote.pk))
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000
