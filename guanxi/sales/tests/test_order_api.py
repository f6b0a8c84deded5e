"""The REST API of quotes, orders, payment plans and payments received."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from guanxi.core.models import AuditEntry
from guanxi.sales import services
from guanxi.sales.models import Order, OrderStatus, Payment, PaymentPlanItem, Quote, QuoteStatus
from guanxi.sales.tests.factories import DealFactory, ProductFactory
from guanxi.testing import factories

QUOTES = "/api/v1/quotes/"
ORDERS = "/api/v1/orders/"
PAYMENTS = "/api/v1/payments/"


@pytest.fixture
def deal(rep):
    deal = DealFactory(owner=rep, name="门禁改造", amount=Decimal("0"), amount_cny=Decimal("0"))
    product = ProductFactory(name="智能门禁系统", price=Decimal("2500"))
    return services.deal_set_line_items(
        actor=rep, deal=deal, items=[{"product": product, "quantity": "4"}]
    )


@pytest.fixture
def order(rep, deal):
    quote = services.quote_create(actor=rep, deal=deal)
    return services.quote_accept(actor=rep, quote=quote)


@pytest.fixture
def other_api(api_client_for, other_rep):
    return api_client_for(other_rep)


@pytest.fixture
def nobody_api(db, api_client_for):
    return api_client_for(factories.UserFactory(username="nobody", roles=[]))


def test_quote_is_made_from_the_deal_sent_accepted_and_becomes_an_order(rep_api, deal):
    created = rep_api.post(
        QUOTES, {"deal": deal.pk, "notes": "含安装", "valid_until": None}, format="json"
    )

    assert created.status_code == 201, created.json()
    quote = created.json()
    assert (quote["status"], quote["amount"], quote["created_via"]) == ("draft", "10000.00", "api")
    assert [(line["name"], line["quantity"], line["total"]) for line in quote["line_items"]] == [
        ("智能门禁系统", "4.000", "10000.00")
    ]
    assert quote["customer"]["id"] == deal.customer_id
    assert quote["order_id"] is None
    assert created["Location"].endswith(f"{QUOTES}{quote['id']}/")

    sent = rep_api.post(f"{QUOTES}{quote['id']}/send/")
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    again = rep_api.post(f"{QUOTES}{quote['id']}/send/")
    assert (again.status_code, again.json()["code"], again.json()["field"]) == (
        400,
        "quote_status",
        "status",
    )

    accepted = rep_api.post(
        f"{QUOTES}{quote['id']}/accept/", {"signed_on": "2026-03-01"}, format="json"
    )
    assert accepted.status_code == 201, accepted.json()
    order = accepted.json()
    assert (order["amount"], order["balance"], order["status"], order["signed_on"]) == (
        "10000.00",
        "10000.00",
        "active",
        "2026-03-01",
    )
    assert (order["quote_id"], order["customer"]["id"]) == (quote["id"], deal.customer_id)
    assert rep_api.get(f"{QUOTES}{quote['id']}/").json()["order_id"] == order["id"]
    assert AuditEntry.objects.filter(object_type__icontains="quote").count() >= 3


def test_order_from_a_quote_and_rejecting(rep_api, rep, deal):
    first = services.quote_create(actor=rep, deal=deal)
    second = services.quote_create(actor=rep, deal=deal)

    created = rep_api.post(ORDERS, {"quote": first.pk}, format="json")
    rejected = rep_api.post(f"{QUOTES}{second.pk}/reject/")

    assert created.status_code == 201, created.json()
    assert created.json()["signed_on"] == timezone.localdate().isoformat()
    assert rejected.json()["status"] == "rejected"
    refused = rep_api.post(ORDERS, {"quote": second.pk}, format="json")
    assert (refused.status_code, refused.json()["field"]) == (400, "status")
    assert Order.objects.count() == 1


def test_expired_quote_answers_400_naming_the_date(rep_api, rep, deal):
    quote = services.quote_create(actor=rep, deal=deal)
    Quote.objects.filter(pk=quote.pk).update(valid_until=dt.date(2020, 1, 1))

    response = rep_api.post(f"{QUOTES}{quote.pk}/accept/", {}, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("expired", "valid_until")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "deal"),
        ({"deal": "abc"}, "deal"),
        ({"deal": 999999}, "deal"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"valid_until": "31.12.2026"}, "valid_until"),
        ({"notes": "x" * 5001}, "notes"),
    ],
)
def test_bad_quote_input_is_400_naming_the_field(rep_api, deal, data, field):
    body = data if "deal" in data or not data else {"deal": deal.pk, **data}
    response = rep_api.post(QUOTES, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Quote.objects.exists()


def test_a_deal_without_products_or_amount_cannot_be_quoted(rep_api, rep):
    empty = DealFactory(owner=rep, amount=Decimal("0"), amount_cny=Decimal("0"))
    response = rep_api.post(QUOTES, {"deal": empty.pk}, format="json")
    assert (response.status_code, response.json()["field"]) == (400, "deal")


def test_payment_plan_and_payments(rep_api, order):
    url = f"{ORDERS}{order.pk}/"
    short = rep_api.put(
        f"{url}payment-plan/",
        {"instalments": [{"due_on": "2026-01-31", "amount": "9000"}]},
        format="json",
    )
    assert (short.status_code, short.json()["code"], short.json()["field"]) == (
        400,
        "plan_total",
        "instalments",
    )
    negative = rep_api.put(
        f"{url}payment-plan/",
        {"instalments": [{"due_on": "2026-01-31", "amount": "-1"}]},
        format="json",
    )
    assert negative.json()["field"] == "instalments[0].amount"
    missing = rep_api.put(f"{url}payment-plan/", {"instalments": [{"amount": "1"}]}, format="json")
    assert missing.status_code == 400
    assert "due_on" in missing.json()["field"]

    plan = rep_api.put(
        f"{url}payment-plan/",
        {
            "instalments": [
                {"due_on": "2026-01-31", "amount": "3000", "note": "预付款"},
                {"due_on": "2026-03-31", "amount": "7000"},
            ]
        },
        format="json",
    )
    assert plan.status_code == 200, plan.json()
    assert [(i["due_on"], i["amount"], i["note"]) for i in plan.json()["plan"]] == [
        ("2026-01-31", "3000.00", "预付款"),
        ("2026-03-31", "7000.00", ""),
    ]

    paid = rep_api.post(
        f"{url}payments/",
        {"amount": "3000", "received_on": "2026-01-20", "method": "银行转账", "reference": "B-1"},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["amount"], paid.json()["order_id"]) == ("3000.00", order.pk)
    too_much = rep_api.post(f"{url}payments/", {"amount": "7000.01"}, format="json")
    assert (too_much.json()["code"], too_much.json()["field"]) == ("exceeds_balance", "amount")
    future = rep_api.post(
        f"{url}payments/",
        {"amount": "1", "received_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()},
        format="json",
    )
    assert (future.status_code, future.json()["field"]) == (400, "received_on")
    assert rep_api.post(f"{url}payments/", {}, format="json").json()["field"] == "amount"

    rep_api.post(f"{url}payments/", {"amount": "7000"}, format="json")
    detail = rep_api.get(url).json()
    assert (detail["status"], detail["received"], detail["balance"]) == (
        "completed",
        "10000.00",
        "0.00",
    )
    assert len(detail["payments"]) == 2
    assert Payment.objects.count() == 2


def test_cancel_an_order(rep_api, rep, order, deal):
    stale = rep_api.post(f"{ORDERS}{order.pk}/cancel/", {"version": 99}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["status"] == "active"

    cancelled = rep_api.post(f"{ORDERS}{order.pk}/cancel/", {}, format="json")

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    again = rep_api.post(f"{ORDERS}{order.pk}/cancel/", {}, format="json")
    assert (again.json()["code"], again.json()["field"]) == ("order_status", "status")
    payment = rep_api.post(f"{ORDERS}{order.pk}/payments/", {"amount": "1"}, format="json")
    assert payment.status_code == 400

    paid = services.quote_accept(actor=rep, quote=services.quote_create(actor=rep, deal=deal))
    services.payment_record(actor=rep, order=paid, amount="1")
    refused = rep_api.post(f"{ORDERS}{paid.pk}/cancel/", {}, format="json")
    assert (refused.json()["code"], refused.json()["field"]) == ("has_payments", "status")
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.ACTIVE


def test_quote_pdf_download(rep_api, rep, deal):
    quote = services.quote_create(actor=rep, deal=deal)

    response = rep_api.get(f"{QUOTES}{quote.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}.pdf"'
    assert response.content[:5] == b"%PDF-"


def test_lists_filter_by_deal_customer_status_and_dates(rep_api, rep, deal, order):
    other_deal = DealFactory(owner=rep, amount=Decimal("500"), amount_cny=Decimal("500"))
    draft = services.quote_create(actor=rep, deal=other_deal)
    Order.objects.filter(pk=order.pk).update(signed_on=dt.date(2026, 2, 1))
    services.payment_record(actor=rep, order=order, amount="100", received_on="2026-02-03")
    today = timezone.localdate().isoformat()

    def ids(url, **params):
        response = rep_api.get(url, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(QUOTES, deal=other_deal.pk) == [draft.pk]
    assert ids(QUOTES, customer=deal.customer_id) == [order.quote_id]
    assert ids(QUOTES, status="accepted") == [order.quote_id]
    assert ids(QUOTES, created_from=today, created_to=today) == [draft.pk, order.quote_id]
    assert ids(QUOTES, created_to="2020-01-01") == []
    assert ids(ORDERS, customer=deal.customer_id, status="active") == [order.pk]
    assert ids(ORDERS, signed_from="2026-02-01", signed_to="2026-02-01") == [order.pk]
    assert ids(ORDERS, signed_from="2026-02-02") == []
    assert ids(ORDERS, outstanding="true") == [order.pk]
    assert ids(ORDERS, deal=other_deal.pk) == []
    assert len(ids(PAYMENTS, order=order.pk, received_from="2026-02-03")) == 1
    assert ids(PAYMENTS, received_to="2026-02-02") == []
    assert len(ids(PAYMENTS, customer=deal.customer_id)) == 1
    for url, params in (
        (QUOTES, {"status": "bogus"}),
        (ORDERS, {"signed_from": "yesterday"}),
        (PAYMENTS, {"order": "x"}),
    ):
        response = rep_api.get(url, params)
        assert response.status_code == 400
        assert response.json()["field"] == next(iter(params))


def test_lists_walk_cursor_pages_with_a_constant_query_count(rep_api, rep, deal):
    for _ in range(3):
        services.quote_create(actor=rep, deal=deal)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert rep_api.get(url).status_code == 200
        return len(captured)

    first = rep_api.get(QUOTES, {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    rest = rep_api.get(first["next"]).json()
    assert len(rest["results"]) == 1

    for url in (QUOTES, ORDERS, PAYMENTS):
        queries(url)
        few = queries(url)
        for _ in range(3):
            order = services.quote_accept(
                actor=rep, quote=services.quote_create(actor=rep, deal=deal)
            )
            services.payment_record(actor=rep, order=order, amount="10")
        assert queries(url) == few, url


def test_matrix_other_reps_records_are_404_and_nothing_changes(
    rep, other_api, nobody_api, order, deal
):
    quote = services.quote_create(actor=rep, deal=deal)
    before = (
        list(Quote.objects.values()),
        list(Order.objects.values()),
        PaymentPlanItem.objects.count(),
        Payment.objects.count(),
    )
    calls = [
        ("get", f"{QUOTES}{quote.pk}/", None),
        ("post", f"{QUOTES}{quote.pk}/send/", None),
        ("post", f"{QUOTES}{quote.pk}/accept/", {}),
        ("post", f"{QUOTES}{quote.pk}/reject/", None),
        ("get", f"{QUOTES}{quote.pk}/pdf/", None),
        ("get", f"{ORDERS}{order.pk}/", None),
        ("post", f"{ORDERS}{order.pk}/cancel/", {}),
        (
            "put",
            f"{ORDERS}{order.pk}/payment-plan/",
            {"instalments": [{"due_on": "2026-01-31", "amount": "10000"}]},
        ),
        ("post", f"{ORDERS}{order.pk}/payments/", {"amount": "1"}),
    ]
    for method, url, data in calls:
        response = getattr(other_api, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["code"] == "not_found"
        assert "门禁" not in response.content.decode()
        assert getattr(nobody_api, method)(url, data, format="json").status_code == 403
        assert getattr(APIClient(), method)(url, data, format="json").status_code == 401

    for url in (QUOTES, ORDERS, PAYMENTS):
        assert other_api.get(url).json()["results"] == []
        assert nobody_api.get(url).status_code == 403
    created = other_api.post(QUOTES, {"deal": deal.pk}, format="json")
    assert (created.status_code, created.json()["field"]) == (400, "deal")
    ordered = other_api.post(ORDERS, {"quote": quote.pk}, format="json")
    assert (ordered.status_code, ordered.json()["field"]) == (400, "quote")
    assert before == (
        list(Quote.objects.values()),
        list(Order.objects.values()),
        PaymentPlanItem.objects.count(),
        Payment.objects.count(),
    )
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_a_manager_sees_and_handles_her_departments_orders(api_client_for, manager, order):
    manager_api = api_client_for(manager)
    assert [o["id"] for o in manager_api.get(ORDERS).json()["results"]] == [order.pk]
    paid = manager_api.post(f"{ORDERS}{order.pk}/payments/", {"amount": "50"}, format="json")
    assert paid.status_code == 201, paid.json()
