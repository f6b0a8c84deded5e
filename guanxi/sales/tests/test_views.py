from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.sales import services
from guanxi.sales.models import Deal, DealStageChange, DealStatus
from guanxi.sales.tests.factories import DealFactory

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def other_client(other_rep) -> Client:
    client = Client()
    client.force_login(other_rep)
    return client


def test_pages_need_a_login(client):
    response = client.get(reverse("sales:board"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.post(reverse("sales:deal-move", args=[1]), {"stage": 1}, **JSON)
    assert response.status_code == 401


def test_board_shows_columns_with_totals_and_cards(rep_client, rep, stages):
    DealFactory(owner=rep, name="大单", amount_cny=Decimal("1200.50"))
    DealFactory(owner=rep, stage=stages[2], amount_cny=Decimal("99"))

    response = rep_client.get(reverse("sales:board"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="count-0">1<' in html
    assert "1,200.50" in html
    assert "大单" in html
    assert [c.count for c in response.context["columns"]] == [1, 0, 1, 0, 0, 0]


def test_drop_on_the_board_moves_the_deal(rep_client, rep, stages):
    deal = DealFactory(owner=rep)

    response = rep_client.post(
        reverse("sales:deal-move", args=[deal.pk]), {"stage": stages[1].pk, "version": 1}, **JSON
    )

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["version"] == 2
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    assert DealStageChange.objects.filter(deal=deal, to_stage=stages[1]).count() == 1


def test_refused_drop_answers_with_the_message_and_changes_nothing(rep_client, rep, stages):
    deal = DealFactory(owner=rep, amount=Decimal("0"), amount_cny=Decimal("0"))

    response = rep_client.post(
        reverse("sales:deal-move", args=[deal.pk]), {"stage": stages[2].pk, "version": 1}, **JSON
    )

    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["code"] == "stage_requirements"
    assert body["missing"] == ["amount", "expected_close_on"]
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages[0], 1)


def test_drop_on_lost_needs_a_reason(rep_client, rep, stages, lost_reason):
    deal = DealFactory(owner=rep)
    url = reverse("sales:deal-move", args=[deal.pk])
    assert rep_client.post(url, {"stage": stages[5].pk}, **JSON).status_code == 400

    response = rep_client.post(url, {"stage": stages[5].pk, "reason": lost_reason.pk}, **JSON)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == (DealStatus.LOST, lost_reason)


def test_stale_drop_is_a_conflict(rep_client, rep, stages):
    deal = DealFactory(owner=rep, version=3)
    response = rep_client.post(
        reverse("sales:deal-move", args=[deal.pk]), {"stage": stages[1].pk, "version": 2}, **JSON
    )
    assert response.status_code == 409
    assert Deal.objects.get(pk=deal.pk).stage == stages[0]


def test_another_reps_deal_is_not_found_and_unchanged(other_client, rep, stages):
    deal = DealFactory(owner=rep)
    assert other_client.get(reverse("sales:deal-detail", args=[deal.pk])).status_code == 404
    response = other_client.post(
        reverse("sales:deal-move", args=[deal.pk]), {"stage": stages[1].pk}, **JSON
    )
    assert response.status_code == 404
    assert other_client.post(reverse("sales:deal-delete", args=[deal.pk])).status_code == 404
    deal.refresh_from_db()
    assert (deal.stage, deal.deleted_at) == (stages[0], None)


def test_move_without_javascript_redirects_with_a_message(rep_client, rep, stages):
    deal = DealFactory(owner=rep)
    response = rep_client.post(
        reverse("sales:deal-move", args=[deal.pk]),
        {"stage": stages[1].pk, "next": reverse("sales:board")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("sales:board")
    assert "需求确认" in response.content.decode()


def test_list_query_count_is_constant(rep_client, rep):
    DealFactory.create_batch(2, owner=rep)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(reverse("sales:deal-list")).status_code == 200
        return len(captured)

    few = queries()
    DealFactory.create_batch(10, owner=rep)
    assert queries() == few


def test_create_and_edit_a_deal_through_the_forms(rep_client, rep, customer):
    response = rep_client.post(
        reverse("sales:deal-create"),
        {"name": "年度采购", "customer": customer.pk, "amount": "8000", "currency": "CNY"},
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:deal-detail", args=[deal.pk])
    assert (deal.owner, deal.amount) == (rep, Decimal("8000.00"))

    stale = rep_client.post(
        reverse("sales:deal-edit", args=[deal.pk]),
        {"name": "改名", "customer": customer.pk, "currency": "CNY", "version": 1},
    )
    assert stale.status_code == 302
    conflict = rep_client.post(
        reverse("sales:deal-edit", args=[deal.pk]),
        {"name": "再改", "customer": customer.pk, "currency": "CNY", "version": 1},
    )
    assert conflict.status_code == 409
    assert Deal.objects.get().name == "改名"


def test_bad_currency_shows_the_error_on_the_form(rep_client, customer):
    response = rep_client.post(
        reverse("sales:deal-create"),
        {"name": "出口单", "customer": customer.pk, "amount": "10", "currency": "USD"},
    )
    assert response.status_code == 422
    assert "USD" in response.content.decode()
    assert Deal.objects.count() == 0


def test_detail_products_and_close(rep_client, rep, stages, won_reason):
    deal = DealFactory(owner=rep)
    response = rep_client.post(
        reverse("sales:deal-line-items", args=[deal.pk]),
        {
            "version": "1",
            "item_product": ["", ""],
            "item_name": ["咨询", ""],
            "item_quantity": ["2", ""],
            "item_unit_price": ["300", ""],
            "item_discount": ["", ""],
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("600.00")

    rep_client.post(
        reverse("sales:deal-won", args=[deal.pk]), {"reason": won_reason.pk, "version": 2}
    )
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    page = rep_client.get(reverse("sales:deal-detail", args=[deal.pk]))
    assert page.status_code == 200
    assert "咨询" in page.content.decode()


def test_funnel_and_forecast_pages(rep_client, rep, stages):
    DealFactory(owner=rep, stage=stages[4], amount_cny=Decimal("10"))
    funnel = rep_client.get(reverse("sales:funnel"))
    assert funnel.status_code == 200
    assert 'data-testid="win-rate">100.0%<' in funnel.content.decode()
    forecast = rep_client.get(reverse("sales:forecast"), {"group_by": "owner", "months": "3"})
    assert forecast.status_code == 200
    assert len(forecast.context["forecast"].months) == 3


def test_customer_deals_fragment(rep_client, rep, customer):
    services.deal_create(actor=rep, data={"name": "续费", "customer": customer})
    response = rep_client.get(reverse("sales:customer-deals", args=[customer.pk]))
    assert response.status_code == 200
    assert "续费" in response.content.decode()


def test_leads_pages_claim_follow_up_and_convert(rep_client, rep, admin):
    from guanxi.sales import defaults
    from guanxi.sales.models import Lead, LeadStatus, PublicPool

    defaults.seed_pool(PublicPool)
    lead = services.lead_create(
        actor=admin,
        data={
            "name": "周杰",
            "company": "蓝海贸易",
            "mobile": "13800001111",
            "pool": PublicPool.objects.get(is_default=True),
        },
    )
    pool_page = rep_client.get(reverse("sales:lead-list"), {"tab": "pool"})
    assert pool_page.status_code == 200
    assert "蓝海贸易" in pool_page.content.decode()
    detail = rep_client.get(reverse("sales:lead-detail", args=[lead.pk])).content.decode()
    assert "138****1111" in detail
    assert "13800001111" not in detail

    rep_client.post(reverse("sales:lead-claim", args=[lead.pk]))
    assert Lead.objects.get(pk=lead.pk).owner == rep
    rep_client.post(reverse("sales:lead-follow-up", args=[lead.pk]), {"note": "已电话沟通"})
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED

    response = rep_client.post(
        reverse("sales:lead-convert", args=[lead.pk]), {"with_deal": "1", "amount": "900"}
    )
    converted = Lead.objects.get(pk=lead.pk)
    assert converted.status == LeadStatus.CONVERTED
    assert response["Location"] == reverse("sales:deal-detail", args=[converted.deal_id])
    assert converted.deal.amount == Decimal("900.00")


def test_quote_order_and_payment_from_the_deal_page(rep_client, rep, other_rep):
    from guanxi.sales.models import Order, Quote

    deal = DealFactory(owner=rep, amount=Decimal("800"), amount_cny=Decimal("800"))
    rep_client.post(reverse("sales:quote-create", args=[deal.pk]), {"notes": "含税"})
    quote = Quote.objects.get(deal=deal)
    pdf = rep_client.get(reverse("sales:quote-pdf", args=[quote.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")

    rep_client.post(reverse("sales:quote-accept", args=[quote.pk]))
    order = Order.objects.get(quote=quote)
    page = rep_client.post(
        reverse("sales:payment-create", args=[order.pk]), {"amount": "900"}, follow=True
    )
    assert "800.00" in page.content.decode()
    order.refresh_from_db()
    assert order.received == Decimal("0.00")
    rep_client.post(reverse("sales:payment-create", args=[order.pk]), {"amount": "300"})
    order.refresh_from_db()
    assert order.received == Decimal("300.00")

    fragment = rep_client.get(reverse("sales:customer-transactions", args=[deal.customer_id]))
    assert 'data-testid="lifetime-value">300.00<' in fragment.content.decode()

    other = Client()
    other.force_login(other_rep)
    assert other.get(reverse("sales:quote-pdf", args=[quote.pk])).status_code == 404
