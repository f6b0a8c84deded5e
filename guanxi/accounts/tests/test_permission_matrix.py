"""Every shipped role × every customer endpoint and page × a record inside and outside its scope.

The expectations are computed from the role definitions themselves: change a default role and
this matrix follows. For each case the test asserts what the user gets (200/201/204, 403 or
404), that nothing out of scope leaks into lists, searches or pages, that masked fields never
arrive in plain text, and that refused writes change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guanxi.accounts import default_roles, policy
from guanxi.accounts.policy import Scope
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.testing import factories

ROLES = [definition["code"] for definition in default_roles.definitions()] + ["no_role"]
PLACES = ("own", "department", "outside")
PHONE = "13812345678"


@dataclass(frozen=True)
class Expect:
    actions: frozenset[str]
    scope: Scope
    masked_phone: bool
    masked_email: bool

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
        return Expect(frozenset(), Scope.NONE, False, False)
    definition = next(d for d in default_roles.definitions() if d["code"] == code)
    rule = definition["permissions"].get("customers")
    granted = policy.combine([rule] if rule else [], "customers")
    return Expect(
        granted.actions,
        granted.scope,
        granted.field_rule("phone") != policy.FieldRule.SHOW,
        granted.field_rule("email") != policy.FieldRule.SHOW,
    )


@dataclass
class World:
    user: object
    customers: dict
    contacts: dict
    interactions: dict
    attachments: dict
    expect: Expect


@pytest.fixture(params=ROLES)
def world(request, department, role, rep):
    code = request.param
    roles = [] if code == "no_role" else [role(code)]
    user = factories.UserFactory(username=f"u-{code}", department=department, roles=roles)
    colleague = rep  # same department
    outsider = factories.UserFactory(username="outsider", department=factories.DepartmentFactory())
    owners = {"own": user, "department": colleague, "outside": outsider}
    root = factories.UserFactory(username="root", is_superuser=True)
    customers, contacts, interactions, attachments = {}, {}, {}, {}
    for place, owner in owners.items():
        customer = factories.CustomerFactory(
            owner=owner, name=f"客户-{place}", phone=f"+86{PHONE}", email=f"{place}@qq.com"
        )
        customers[place] = customer
        contacts[place] = factories.ContactFactory(
            customer=customer, name=f"联系人-{place}", mobile=f"+86{PHONE}"
        )
        interactions[place] = factories.InteractionFactory(
            customer=customer, subject=f"拜访-{place}"
        )
        attachments[place] = customer_services.attachment_create(
            actor=root,
            customer=customer,
            upload=SimpleUploadedFile(f"{place}.txt", b"secret " + place.encode(), "text/plain"),
        )
    return World(user, customers, contacts, interactions, attachments, expectation(code))


def api(world, api_client_for):
    return api_client_for(world.user)


def page(world):
    client = Client()
    client.force_login(world.user)
    return client


def state():
    return (
        sorted(Customer.all_objects.values_list("pk", "name", "deleted_at", "version")),
        sorted(Contact.all_objects.values_list("pk", "name", "deleted_at")),
        sorted(Interaction.all_objects.values_list("pk", "subject", "deleted_at")),
    )


MISSING = 987654321


def refused(action: str, place: str, world: World) -> tuple[int, ...]:
    """A record outside the scope is not found; in scope without the right it is forbidden.

    A user who lacks the action altogether may be refused before any record is looked up (403
    for every id, which says nothing about the record either).
    """
    if world.expect.sees(place):
        return (403,)
    if action not in world.expect.actions:
        return (403, 404)
    return (404,)


# --- reads ----------------------------------------------------------------------------------


def test_api_lists_and_search_show_exactly_the_scope(world, api_client_for):
    client = api(world, api_client_for)
    expected = sorted(c.pk for p, c in world.customers.items() if world.expect.sees(p))

    listed = client.get("/api/v1/customers/", {"page_size": 100})
    searched = client.get("/api/v1/customers/", {"q": "客户", "page_size": 100})
    by_phone = client.get("/api/v1/customers/", {"q": PHONE, "page_size": 100})
    contacts = client.get("/api/v1/contacts/", {"page_size": 100})
    interactions = client.get("/api/v1/interactions/", {"page_size": 100})

    assert sorted(c["id"] for c in listed.json()["results"]) == expected
    assert sorted(c["id"] for c in searched.json()["results"]) == expected
    assert sorted(c["id"] for c in by_phone.json()["results"]) == expected
    assert sorted(c["customer"]["id"] for c in contacts.json()["results"]) == expected
    assert sorted(i["customer"]["id"] for i in interactions.json()["results"]) == expected


@pytest.mark.parametrize("place", PLACES)
def test_api_detail_is_404_outside_the_scope(world, api_client_for, place):
    client = api(world, api_client_for)
    urls = [
        f"/api/v1/customers/{world.customers[place].pk}/",
        f"/api/v1/contacts/{world.contacts[place].pk}/",
        f"/api/v1/interactions/{world.interactions[place].pk}/",
        f"/api/v1/attachments/{world.attachments[place].pk}/download/",
        f"/api/v1/customers/{world.customers[place].pk}/attachments/",
        f"/api/v1/customers/{world.customers[place].pk}/collaborators/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == (200 if world.expect.sees(place) else 404), url
    if world.expect.sees(place):
        body = client.get(urls[0]).json()
        assert (body["phone"] == f"+86{PHONE}") is not world.expect.masked_phone
        assert PHONE not in str(body) or not world.expect.masked_phone
        contact = client.get(urls[1]).json()
        assert (PHONE in contact["mobile"]) is not world.expect.masked_phone


@pytest.mark.parametrize("place", PLACES)
def test_pages_are_404_outside_the_scope_and_masked_inside(world, place):
    client = page(world)
    customer = world.customers[place]

    detail = client.get(f"/customers/{customer.pk}/")
    download = client.get(f"/customers/attachments/{world.attachments[place].pk}/")

    expected = 200 if world.expect.sees(place) else 404
    assert detail.status_code == expected
    assert download.status_code == expected
    if world.expect.sees(place):
        content = detail.content.decode()
        assert customer.name in content
        for plain in (PHONE, "138 1234 5678"):
            assert (plain in content) is not world.expect.masked_phone, plain
        assert (f"{place}@qq.com" in content) is not world.expect.masked_email


def test_the_list_page_shows_only_the_scope(world):
    content = page(world).get("/customers/", {"q": "客户"}).content.decode()

    for place, customer in world.customers.items():
        assert (customer.name in content) is world.expect.sees(place), place
    if world.expect.masked_phone:
        assert PHONE not in content


# --- writes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_api_edit_and_delete_follow_actions_and_scope(world, api_client_for, place):
    client = api(world, api_client_for)
    customer = world.customers[place]
    before = state()

    edit = client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "改名"}, format="json")
    delete_contact = client.delete(f"/api/v1/contacts/{world.contacts[place].pk}/")

    if world.expect.may("edit", place):
        assert edit.status_code == 200
        assert delete_contact.status_code == 204
    else:
        assert edit.status_code in refused("edit", place, world)
        assert delete_contact.status_code in refused("edit", place, world)
        assert state() == before
        # and the answer is the same as for a record that does not exist
        missing = client.patch(f"/api/v1/customers/{MISSING}/", {"name": "x"}, format="json")
        if not world.expect.sees(place):
            assert missing.status_code == edit.status_code

    before = state()
    delete = client.delete(f"/api/v1/customers/{customer.pk}/")
    if world.expect.may("delete", place):
        assert delete.status_code == 204
    else:
        assert delete.status_code in refused("delete", place, world)
        assert state() == before


def test_api_create_follows_the_create_right(world, api_client_for):
    client = api(world, api_client_for)

    response = client.post("/api/v1/customers/", {"name": "新客户"}, format="json")

    if "create" in world.expect.actions:
        assert response.status_code == 201
        assert Customer.objects.get(name="新客户").owner == world.user
    else:
        assert response.status_code == 403
        assert not Customer.objects.filter(name="新客户").exists()


@pytest.mark.parametrize("place", PLACES)
def test_ids_in_bodies_cannot_reach_records_outside_the_scope(world, api_client_for, place):
    client = api(world, api_client_for)
    before = state()

    response = client.post(
        "/api/v1/contacts/",
        {"customer": world.customers[place].pk, "name": "偷偷加的"},
        format="json",
    )

    if world.expect.may("edit", place):
        assert response.status_code == 201
    else:
        if "edit" not in world.expect.actions:
            assert response.status_code == 403
        elif not world.expect.sees(place):
            assert response.status_code == 400
            assert response.json()["field"] == "customer"
        else:
            assert response.status_code == 403
        assert state() == before


@pytest.mark.parametrize("place", PLACES)
def test_page_delete_follows_the_scope(world, place):
    customer = world.customers[place]
    before = state()

    response = page(world).post(f"/customers/{customer.pk}/delete/")

    if world.expect.may("delete", place):
        assert response.status_code == 302
        assert Customer.all_objects.get(pk=customer.pk).is_deleted
    else:
        assert response.status_code in refused("delete", place, world)
        assert state() == before
