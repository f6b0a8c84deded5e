"""Every shipped role × the sales endpoints and pages × a record inside and outside its scope.

Expectations come from the role definitions (``accounts.default_roles``), as in the customers'
matrix: change a role and this follows. Deals, leads, quotes, orders and payments: lists show
exactly the scope, a record outside it answers 404 (never 403, which would say it exists), a
write without the right is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from guanxi.accounts import default_roles, policy
from guanxi.accounts.policy import Scope
from guanxi.sales import services
from guanxi.sales.models import Deal, Lead, Order, Quote
from guanxi.testing import factories

ROLES = [definition["code"] for definition in default_roles.definitions()] + ["no_role"]
PLACES = ("own", "department", "outside")


@dataclass(frozen=True)
class Expect:
    actions: frozenset[str]
    scope: Scope

    def sees(self, place: str) -> bool:
        if "view" not in self.actions:
            return False
        return {
            Scope.ALL: True,
            Scope.DEPARTMENT: place in ("own", "department"),
            Scope.OWN: place == "own",
        }.get(self.scope, False)

    def may(self, action: str, place: str) -> bool:
        return self.sees(place) and action in self.actions


def expectation(code: str) -> Expect:
    if code == "no_role":
        return Expect(frozenset(), Scope.NONE)
    definition = next(d for d in default_roles.definitions() if d["code"] == code)
    rule = definition["permissions"].get("sales")
    granted = policy.combine([rule] if rule else [], "sales")
    return Expect(granted.actions, granted.scope)


@dataclass
class World:
    user: Any
    deals: dict[str, Deal]
    leads: dict[str, Lead]
    quotes: dict[str, Quote]
    orders: dict[str, Order]
    expect: Expect


@pytest.fixture(params=ROLES)
def world(request: Any, department: Any, role: Any, rep: Any) -> World:
    code = request.param
    roles = [] if code == "no_role" else [role(code)]
    user = factories.UserFactory(username=f"u-{code}", department=department, roles=roles)
    outsider = factories.UserFactory(username="outsider", department=factories.DepartmentFactory())
    owners = {"own": user, "department": rep, "outside": outsider}
    root = factories.UserFactory(username="root", is_superuser=True)
    deals, leads, quotes, orders = {}, {}, {}, {}
    for place, owner in owners.items():
        customer = factories.CustomerFactory(owner=owner, name=f"客户-{place}")
        deal = services.deal_create(
            actor=root,
            data={
                "name": f"商机-{place}",
                "customer": customer,
                "owner": owner,
                "amount": Decimal("5000"),
            },
        )
        deals[place] = deal
        leads[place] = services.lead_create(
            actor=root, data={"name": f"线索-{place}", "company": f"公司-{place}", "owner": owner}
        )
        quoted = services.quote_create(actor=root, deal=deal)
        orders[place] = services.quote_accept(actor=root, quote=quoted)
        quotes[place] = services.quote_create(actor=root, deal=deal)
    return World(user, deals, leads, quotes, orders, expectation(code))


def api(world: World, api_client_for: Any) -> Any:
    return api_client_for(world.user)


def state() -> tuple[list[Any], ...]:
    return (
        sorted(Deal.all_objects.values_list("pk", "name", "owner_id", "deleted_at", "version")),
        sorted(Lead.all_objects.values_list("pk", "name", "owner_id", "deleted_at")),
        sorted(Quote.objects.values_list("pk", "status")),
        sorted(Order.objects.values_list("pk", "status")),
    )


def ids(response: Any, key: str = "id") -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


# --- reads ----------------------------------------------------------------------------------


def test_api_lists_show_exactly_the_scope(world: World, api_client_for: Any) -> None:
    client = api(world, api_client_for)
    seen = [place for place in PLACES if world.expect.sees(place)]
    if "view" not in world.expect.actions:
        # No right in sales at all: every list is refused as a whole.
        for url in ("deals", "leads", "quotes", "orders", "payments"):
            assert client.get(f"/api/v1/{url}/").status_code == 403, url
        return

    def expected(records: dict[str, Any]) -> list[int]:
        return sorted(records[place].pk for place in seen)

    assert ids(client.get("/api/v1/deals/", {"page_size": 100})) == expected(world.deals)
    assert ids(client.get("/api/v1/deals/", {"q": "商机", "page_size": 100})) == expected(
        world.deals
    )
    assert ids(client.get("/api/v1/leads/", {"page_size": 100})) == expected(world.leads)
    assert ids(client.get("/api/v1/quotes/", {"page_size": 100})) == sorted(
        quote.pk for place in seen for quote in Quote.objects.filter(deal=world.deals[place])
    )
    assert ids(client.get("/api/v1/orders/", {"page_size": 100})) == expected(world.orders)
    payments = client.get("/api/v1/payments/", {"page_size": 100})
    assert payments.status_code == 200
    assert payments.json()["results"] == []


def test_details_and_pages_are_404_outside_the_scope(world: World, api_client_for: Any) -> None:
    client = api(world, api_client_for)
    browser = Client()
    browser.force_login(world.user)
    # Without the view right at all a request may be refused before the record is looked up.
    outside = (404,) if "view" in world.expect.actions else (403, 404)
    for place in PLACES:
        urls = [
            (client, f"/api/v1/deals/{world.deals[place].pk}/"),
            (client, f"/api/v1/deals/{world.deals[place].pk}/history/"),
            (client, f"/api/v1/leads/{world.leads[place].pk}/"),
            (client, f"/api/v1/quotes/{world.quotes[place].pk}/"),
            (client, f"/api/v1/quotes/{world.quotes[place].pk}/pdf/"),
            (client, f"/api/v1/orders/{world.orders[place].pk}/"),
            (browser, f"/sales/deals/{world.deals[place].pk}/"),
            (browser, f"/sales/leads/{world.leads[place].pk}/"),
            (browser, f"/sales/quotes/{world.quotes[place].pk}/pdf/"),
        ]
        for user_agent, url in urls:
            status = user_agent.get(url).status_code
            if world.expect.sees(place):
                assert status == 200, url
            else:
                assert status in outside, url


def test_the_deal_list_page_and_board_show_only_the_scope(world: World) -> None:
    client = Client()
    client.force_login(world.user)
    pages = [client.get("/sales/deals/"), client.get("/sales/")]

    for response in pages:
        if "view" not in world.expect.actions:
            assert response.status_code in (403, 404)
            continue
        content = response.content.decode()
        for place, deal in world.deals.items():
            assert (deal.name in content) is world.expect.sees(place), (response, place)


# --- writes ---------------------------------------------------------------------------------


def test_editing_and_deleting_a_deal_need_the_right_and_the_scope(
    world: World, api_client_for: Any
) -> None:
    client = api(world, api_client_for)
    outside = (404,) if "view" in world.expect.actions else (403, 404)
    for place in PLACES:
        deal = world.deals[place]
        before = state()

        edited = client.patch(
            f"/api/v1/deals/{deal.pk}/", {"name": "改名", "version": deal.version}, format="json"
        )

        if world.expect.may("edit", place):
            assert edited.status_code == 200, edited.content
            assert Deal.objects.get(pk=deal.pk).name == "改名"
        else:
            assert edited.status_code in ((403,) if world.expect.sees(place) else outside)
            assert state() == before

        before = state()
        deleted = client.delete(f"/api/v1/deals/{deal.pk}/")

        if world.expect.may("delete", place):
            assert deleted.status_code == 204
            assert Deal.all_objects.get(pk=deal.pk).deleted_at is not None
        else:
            assert deleted.status_code in ((403,) if world.expect.sees(place) else outside)
            assert state() == before


def test_creating_a_deal_needs_the_create_right(world: World, api_client_for: Any) -> None:
    client = api(world, api_client_for)
    own_customer = world.deals["own"].customer
    before = Deal.all_objects.count()

    response = client.post(
        "/api/v1/deals/", {"name": "新商机", "customer": own_customer.pk}, format="json"
    )

    if "create" in world.expect.actions:
        assert response.status_code == 201, response.content
        assert Deal.all_objects.count() == before + 1
    else:
        assert response.status_code == 403
        assert Deal.all_objects.count() == before
