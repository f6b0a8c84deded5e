from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from guanxi.sales.models import Deal, DealStageChange
from guanxi.sales.tests.factories import DealFactory, ProductFactory
from guanxi.testing import factories

DEALS = "/api/v1/deals/"


def _url(deal, suffix=""):
    return f"{DEALS}{deal.pk}/{suffix}"


@pytest.fixture
def other_api(api_client_for, other_rep):
    return api_client_for(other_rep)


@pytest.fixture
def nobody_api(db, api_client_for):
    return api_client_for(factories.UserFactory(username="nobody", roles=[]))


def test_anonymous_gets_401_everywhere(db):
    client = APIClient()
    for url in (DEALS, "/api/v1/pipelines/", "/api/v1/products/", "/api/v1/sales/funnel/"):
        assert client.get(url).status_code == 401
    assert client.post(DEALS, {}, format="json").status_code == 401


def test_a_user_without_a_role_is_refused(nobody_api):
    response = nobody_api.get(DEALS)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_create_read_and_list_a_deal(rep_api, rep, customer, stages):
    response = rep_api.post(
        DEALS,
        {"name": "智慧园区", "customer": customer.pk, "amount": "250000.5", "currency": "CNY"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "250000.50"
    assert body["stage"]["id"] == stages[0].pk
    assert body["owner"]["id"] == rep.pk
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/api/v1/deals/{body['id']}/")

    listed = rep_api.get(DEALS).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    assert rep_api.get(f"{DEALS}{body['id']}/").json()["customer"]["name"] == customer.name


def test_matrix_a_rep_outside_the_scope_gets_404_and_changes_nothing(
    rep, other_api, stages, lost_reason
):
    deal = DealFactory(owner=rep, name="保密项目")
    before = Deal.objects.filter(pk=deal.pk).values().get()

    calls = [
        ("get", _url(deal), None),
        ("patch", _url(deal), {"name": "偷改"}),
        ("put", _url(deal), {"name": "偷改", "customer": deal.customer_id}),
        ("delete", _url(deal), None),
        ("post", _url(deal, "move/"), {"stage": stages[1].pk}),
        ("post", _url(deal, "won/"), {}),
        ("post", _url(deal, "lost/"), {"reason": lost_reason.pk}),
        ("put", _url(deal, "line-items/"), {"items": []}),
        ("get", _url(deal, "history/"), None),
    ]
    for method, url, data in calls:
        response = getattr(other_api, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["code"] == "not_found"
        assert "保密项目" not in response.content.decode()

    assert Deal.objects.filter(pk=deal.pk).values().get() == before
    assert other_api.get(DEALS).json()["results"] == []


def test_owner_may_change_move_and_delete(rep_api, rep, stages):
    deal = DealFactory(owner=rep)
    assert rep_api.patch(_url(deal), {"amount": "10"}, format="json").status_code == 200
    moved = rep_api.post(_url(deal, "move/"), {"stage": stages[1].pk}, format="json")
    assert moved.status_code == 200
    assert moved.json()["stage"]["id"] == stages[1].pk
    history = rep_api.get(_url(deal, "history/")).json()
    assert [(h["from_stage"]["id"], h["to_stage"]["id"]) for h in history] == [
        (stages[0].pk, stages[1].pk)
    ]
    assert rep_api.delete(_url(deal)).status_code == 204
    assert rep_api.post(_url(deal, "restore/")).status_code == 200


def test_stale_version_is_409_with_the_current_record(rep_api, rep):
    deal = DealFactory(owner=rep, version=4, amount=Decimal("5"), amount_cny=Decimal("5"))

    response = rep_api.patch(_url(deal), {"amount": "6", "version": 3}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["current"]["version"] == 4
    assert body["current"]["amount"] == "5.00"
    header = rep_api.patch(_url(deal), {"amount": "6"}, format="json", HTTP_IF_MATCH='"3"')
    assert header.status_code == 409
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("5.00")


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"amount": "-5"}, "amount", "invalid"),
        ({"amount": "1e15"}, "amount", "invalid"),
        ({"currency": "USD"}, "exchange_rate", "no_exchange_rate"),
        ({"currency": "USD", "exchange_rate": "-1"}, "exchange_rate", "invalid"),
        ({"customer": 999999}, "customer", "does_not_exist"),
        ({"name": ""}, "name", "blank"),
    ],
)
def test_bad_input_is_400_naming_the_field(rep_api, customer, data, field, code):
    response = rep_api.post(DEALS, {"name": "x", "customer": customer.pk, **data}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert code in (body["code"], body["errors"][0]["code"])
    assert Deal.objects.count() == 0


def test_stage_without_required_fields_is_400_listing_them(rep_api, rep, stages):
    deal = DealFactory(owner=rep, amount=Decimal("0"), amount_cny=Decimal("0"))
    response = rep_api.post(_url(deal, "move/"), {"stage": stages[3].pk}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "stage_requirements"
    assert body["missing"] == ["amount", "expected_close_on", "contacts"]
    assert DealStageChange.objects.filter(deal=deal).count() == 0


def test_line_items_and_products(rep_api, admin_api, rep):
    created = admin_api.post(
        "/api/v1/products/", {"code": "ERP-1", "name": "ERP 标准版", "price": "1000"}, format="json"
    )
    assert created.status_code == 201
    assert (
        rep_api.post("/api/v1/products/", {"code": "X", "name": "X"}, format="json").status_code
        == 403
    )
    product_id = created.json()["id"]
    deal = DealFactory(owner=rep)

    response = rep_api.put(
        _url(deal, "line-items/"),
        {
            "items": [{"product": product_id, "quantity": "2", "discount_percent": "5"}],
            "version": 1,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "1900.00"
    assert response.json()["line_items"][0]["product"]["id"] == product_id
    assert [p["code"] for p in rep_api.get("/api/v1/products/?q=ERP").json()["results"]] == [
        "ERP-1"
    ]


def test_list_filters_ordering_and_cursor(rep_api, rep, stages):
    deals = [
        DealFactory(owner=rep, amount_cny=Decimal(str(n)), expected_close_on=dt.date(2026, 1, n))
        for n in range(1, 6)
    ]
    page = rep_api.get(DEALS, {"ordering": "amount_cny", "page_size": 2}).json()
    assert [d["id"] for d in page["results"]] == [deals[0].pk, deals[1].pk]
    second = rep_api.get(page["next"]).json()
    assert [d["id"] for d in second["results"]] == [deals[2].pk, deals[3].pk]
    filtered = rep_api.get(DEALS, {"expected_close_to": "2026-01-02"}).json()
    assert {d["id"] for d in filtered["results"]} == {deals[0].pk, deals[1].pk}
    assert rep_api.get(DEALS, {"ordering": "bogus"}).status_code == 400
    assert rep_api.get(DEALS, {"stage": "x"}).status_code == 400


def test_list_query_count_is_constant(rep_api, rep):
    DealFactory.create_batch(2, owner=rep)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert rep_api.get(DEALS).status_code == 200
        return len(captured)

    queries()  # the token's last use is recorded once
    few = queries()
    DealFactory.create_batch(10, owner=rep)
    assert queries() == few


def test_funnel_forecast_and_board_endpoints(rep_api, rep, stages):
    DealFactory(owner=rep, stage=stages[4], amount_cny=Decimal("100"), days_to_close=4)
    DealFactory(
        owner=rep, stage=stages[2], amount_cny=Decimal("200"), expected_close_on=dt.date(2026, 5, 1)
    )

    funnel = rep_api.get("/api/v1/sales/funnel/").json()
    assert (funnel["won_count"], funnel["win_rate"], funnel["cycle_days"]) == (1, 1.0, 4.0)
    board = rep_api.get("/api/v1/sales/board/").json()
    assert [c["count"] for c in board] == [0, 0, 1, 0, 1, 0]
    assert board[2]["weighted"] == "100.00"
    forecast = rep_api.get(
        "/api/v1/sales/forecast/", {"start": "2026-05-01", "months": 2, "group_by": "owner"}
    ).json()
    assert forecast["months"] == ["2026-05", "2026-06"]
    assert [(r["month"], r["weighted"], r["target"]) for r in forecast["rows"]] == [
        ("2026-05", "100.00", None)
    ]
    assert rep_api.get("/api/v1/sales/forecast/", {"start": "9998-01-01"}).status_code == 400
    assert rep_api.get("/api/v1/sales/funnel/", {"pipeline": 99999}).status_code == 404


def test_pipelines_stages_and_reasons(rep_api, pipeline):
    pipelines = rep_api.get("/api/v1/pipelines/").json()
    assert [p["id"] for p in pipelines] == [pipeline.pk]
    assert [s["probability"] for s in pipelines[0]["stages"]] == [10, 25, 50, 75, 100, 0]
    assert pipelines[0]["stages"][2]["required_fields"] == ["amount", "expected_close_on"]
    assert len(rep_api.get("/api/v1/stages/", {"pipeline": pipeline.pk}).json()) == 6
    lost = rep_api.get("/api/v1/close-reasons/", {"kind": "lost"}).json()
    assert {r["kind"] for r in lost} == {"lost"}


def test_product_in_the_recycle_bin_cannot_be_sold(rep_api, admin_api, rep):
    product = ProductFactory()
    assert admin_api.delete(f"/api/v1/products/{product.pk}/").status_code == 204
    deal = DealFactory(owner=rep)
    response = rep_api.put(
        _url(deal, "line-items/"), {"items": [{"product": product.pk}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"].startswith("items")
    assert response.json()["field"].endswith("product")


# --- leads and pools -----------------------------------------------------------------------


def _pool():
    from guanxi.sales import defaults
    from guanxi.sales.models import PublicPool

    defaults.seed_pool(PublicPool)
    return PublicPool.objects.get(is_default=True)


def test_pool_leads_are_masked_until_claimed(rep_api, admin_api, other_api):
    pool = _pool()
    created = admin_api.post(
        "/api/v1/leads/",
        {"name": "孙丽", "company": "云帆物流", "mobile": "13812345678", "pool": pool.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    lead_id = created.json()["id"]

    listed = rep_api.get(f"/api/v1/pools/{pool.pk}/leads/").json()["results"]
    assert [(row["id"], row["mobile"]) for row in listed] == [(lead_id, "138****5678")]

    claimed = rep_api.post(f"/api/v1/leads/{lead_id}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["mobile"] == "+8613812345678"
    # Once claimed it has left the pool: for another rep it is simply not there any more.
    assert other_api.post(f"/api/v1/leads/{lead_id}/claim/").status_code == 404
    assert other_api.get(f"/api/v1/leads/{lead_id}/").status_code == 404


def test_convert_answers_duplicates_then_converts(rep_api, rep):
    existing = factories.CustomerFactory(owner=rep, name="云帆物流")
    lead_id = rep_api.post(
        "/api/v1/leads/", {"name": "孙丽", "company": "云帆物流"}, format="json"
    ).json()["id"]

    refused = rep_api.post(f"/api/v1/leads/{lead_id}/convert/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["duplicates"] == [{"id": existing.pk, "name": "云帆物流"}]

    converted = rep_api.post(
        f"/api/v1/leads/{lead_id}/convert/",
        {"customer": existing.pk, "deal": {"amount": "300"}},
        format="json",
    )
    assert converted.status_code == 200, converted.content
    body = converted.json()
    assert body["customer"]["id"] == existing.pk
    assert body["lead"]["status"] == "converted"
    assert Deal.objects.get(pk=body["deal_id"]).amount == Decimal("300.00")
