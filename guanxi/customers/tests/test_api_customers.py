"""The customers API: create, read, change, delete, restore, bulk changes, collaborators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.core.models import AuditAction, AuditEntry, CreatedVia
from guanxi.customers import services
from guanxi.customers.models import (
    Customer,
    CustomerCollaborator,
    Industry,
    Level,
    Source,
)
from guanxi.customers.tests.api_support import error_field, stored_state
from guanxi.customization.models import FieldDefinition
from guanxi.testing import factories

URL = "/api/v1/customers/"


def detail_url(customer: Customer) -> str:
    return f"{URL}{customer.pk}/"


@pytest.fixture
def lookups(db):
    return {
        "industry": Industry.objects.create(name="制造业", name_en="Manufacturing"),
        "level": Level.objects.create(name="A 类"),
        "source": Source.objects.create(name="展会"),
    }


def test_create_stores_the_customer_and_answers_with_it(rep_api, rep, lookups):
    # given two tags
    vip, north = factories.TagFactory(name="VIP"), factories.TagFactory(name="华北")
    FieldDefinition.objects.create(
        model="customers.customer", key="erp_id", label_zh="ERP", field_type="text"
    )

    # when the rep creates a customer with every kind of field
    response = rep_api.post(
        URL,
        {
            "kind": "company",
            "name": "  北京星辰科技有限公司 ",
            "short_name": "星辰",
            "industry": lookups["industry"].pk,
            "size": "50-199",
            "level": lookups["level"].pk,
            "source": lookups["source"].pk,
            "lifecycle_stage": "prospect",
            "province": "北京",
            "city": "北京",
            "district": "海淀区",
            "address": "中关村大街 1 号",
            "website": "xingchen.example.com",
            "phone": "138 1234 5678",
            "email": "Li.Na@Example.COM",
            "description": "第一行\n第二行",
            "next_follow_up_on": "2026-12-01",
            "custom": {"erp_id": "C-001"},
            "tags": [vip.pk, north.pk],
        },
        format="json",
    )

    # then it is created, owned by her, normalised, and returned with version 1
    assert response.status_code == 201
    customer = Customer.objects.get()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"/api/v1/customers/{customer.pk}/"
    assert body == {
        "id": customer.pk,
        "kind": "company",
        "name": "北京星辰科技有限公司",
        "short_name": "星辰",
        "industry": {"id": lookups["industry"].pk, "name": "制造业"},
        "size": "50-199",
        "level": {"id": lookups["level"].pk, "name": "A 类"},
        "source": {"id": lookups["source"].pk, "name": "展会"},
        "lifecycle_stage": "prospect",
        "province": "北京",
        "city": "北京",
        "district": "海淀区",
        "address": "中关村大街 1 号",
        "website": "https://xingchen.example.com",
        "phone": "+8613812345678",
        "email": "li.na@example.com",
        "description": "第一行\n第二行",
        "owner": {"id": rep.pk, "username": "rep", "name": "rep"},
        "department_id": rep.department_id,
        "tags": [
            {"id": vip.pk, "name": "VIP", "colour": "blue"},
            {"id": north.pk, "name": "华北", "colour": "blue"},
        ],
        "last_contacted_at": None,
        "next_follow_up_on": "2026-12-01",
        "custom": {"erp_id": "C-001"},
        "created_via": "api",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "deleted_at": None,
        "version": 1,
        "collaborators": [],
    }
    assert customer.owner == rep
    assert customer.created_via == CreatedVia.API
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "华北"]
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(customer.pk)).count()


def test_html_and_script_are_stored_as_typed_and_returned_as_json_data(rep_api):
    # when a name and a description hold markup
    response = rep_api.post(
        URL,
        {"name": '<script>alert("x")</script>', "description": "<b>bold</b> & <i>"},
        format="json",
    )

    # then they come back exactly as typed, as JSON strings (escaping is the UI's job)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == '<script>alert("x")</script>'
    assert response.json()["description"] == "<b>bold</b> & <i>"
    assert Customer.objects.get().name == '<script>alert("x")</script>'


def test_retrieve_shows_the_record_with_collaborators_and_etag(rep_api, rep, customer, other_rep):
    # given a collaborator
    services.collaborator_set(actor=rep, customer=customer, user=other_rep, access="read")
    customer.refresh_from_db()

    # when the owner reads the customer
    response = rep_api.get(detail_url(customer))

    # then she sees it with its version as the ETag
    assert response.status_code == 200
    assert response["ETag"] == f'"{customer.version}"'
    body = response.json()
    assert body["id"] == customer.pk
    assert body["name"] == customer.name
    assert body["collaborators"] == [
        {
            "user": {"id": other_rep.pk, "username": "other", "name": "other"},
            "access": "read",
            "added_at": body["collaborators"][0]["added_at"],
        }
    ]


def test_patch_changes_only_the_given_fields_and_bumps_the_version(rep_api, rep, customer):
    # given a customer with a city
    services.customer_update(actor=rep, customer=customer, data={"city": "上海"})
    customer.refresh_from_db()
    assert customer.version == 2

    # when the owner changes only the province, quoting the version she read
    response = rep_api.patch(
        detail_url(customer), {"province": "浙江", "version": 2}, format="json"
    )

    # then only that changed, and the version moved on
    assert response.status_code == 200
    assert response.json()["province"] == "浙江"
    assert response.json()["city"] == "上海"
    assert response.json()["version"] == 3
    assert response["ETag"] == '"3"'
    customer.refresh_from_db()
    assert (customer.province, customer.city, customer.version) == ("浙江", "上海", 3)


def test_put_requires_the_name_and_keeps_fields_left_out(rep_api, rep, customer):
    # given a customer in 上海
    services.customer_update(actor=rep, customer=customer, data={"city": "上海"})

    # when the owner sends a PUT without a name
    missing = rep_api.put(detail_url(customer), {"province": "浙江"}, format="json")
    # and then one with a name
    response = rep_api.put(detail_url(customer), {"name": "新名字"}, format="json")

    # then the first is refused naming the field, the second changes the name only
    assert missing.status_code == 400
    assert error_field(missing) == "name"
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.province) == ("新名字", "上海", "")


def test_tags_can_be_replaced_and_cleared(rep_api, customer):
    old, new = factories.TagFactory(name="旧"), factories.TagFactory(name="新")
    customer.tags.set([old])

    replaced = rep_api.patch(detail_url(customer), {"tags": [new.pk, new.pk]}, format="json")
    assert replaced.status_code == 200
    assert [t["name"] for t in replaced.json()["tags"]] == ["新"]

    cleared = rep_api.patch(detail_url(customer), {"tags": []}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["tags"] == []
    assert list(customer.tags.all()) == []


def test_delete_moves_to_the_recycle_bin_and_restore_brings_it_back(rep_api, customer):
    # when the owner deletes the customer
    deleted = rep_api.delete(detail_url(customer))

    # then it is in the recycle bin: gone from the list and the detail, listed in the bin
    assert deleted.status_code == 204
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert rep_api.get(detail_url(customer)).status_code == 404
    assert rep_api.get(URL).json()["results"] == []
    in_bin = rep_api.get(URL, {"in_recycle_bin": "true"}).json()["results"]
    assert [c["id"] for c in in_bin] == [customer.pk]
    assert in_bin[0]["deleted_at"] is not None

    # when she restores it
    restored = rep_api.post(f"{detail_url(customer)}restore/")

    # then it is back
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert restored.json()["version"] == 3
    assert [c["id"] for c in rep_api.get(URL).json()["results"]] == [customer.pk]


def test_restoring_a_customer_that_is_not_in_the_bin_is_not_found(rep_api, customer):
    response = rep_api.post(f"{detail_url(customer)}restore/")

    assert response.status_code == 404
    customer.refresh_from_db()
    assert customer.version == 1


def test_a_malformed_or_unknown_id_is_a_json_404(rep_api):
    for path in ("abc", "0", "-1", "99999999999999999999999", "1.5"):
        response = rep_api.get(f"{URL}{path}/")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_bulk_assigns_an_owner_and_changes_tags_all_at_once(rep_api, rep, other_rep):
    # given three customers of the rep, two of them tagged
    a, b, c = (factories.CustomerFactory(owner=rep, name=n) for n in ("甲", "乙", "丙"))
    old, new = factories.TagFactory(name="旧"), factories.TagFactory(name="新")
    a.tags.set([old])
    b.tags.set([old])

    # when she moves the tag on a and b, then gives a and c to a colleague
    tagged = rep_api.post(
        f"{URL}bulk/",
        {"ids": [a.pk, b.pk], "add_tags": [new.pk], "remove_tags": [old.pk]},
        format="json",
    )
    assigned = rep_api.post(
        f"{URL}bulk/", {"ids": [a.pk, c.pk], "owner": other_rep.pk}, format="json"
    )

    # then both changes are made and counted
    assert tagged.status_code == 200
    assert tagged.json() == {"owner_changed": 0, "tags_changed": 2}
    assert assigned.status_code == 200
    assert assigned.json() == {"owner_changed": 2, "tags_changed": 0}
    assert list(a.tags.values_list("name", flat=True)) == ["新"]
    assert list(b.tags.values_list("name", flat=True)) == ["新"]
    assert sorted(Customer.objects.filter(owner=other_rep).values_list("name", flat=True)) == [
        "丙",
        "甲",
    ]


def test_bulk_with_an_id_out_of_scope_changes_nothing(rep_api, rep, other_rep):
    # given one customer of hers and one of a colleague
    mine = factories.CustomerFactory(owner=rep)
    theirs = factories.CustomerFactory(owner=other_rep)
    tag = factories.TagFactory(name="新")
    before = stored_state()

    # when she tags both
    response = rep_api.post(
        f"{URL}bulk/", {"ids": [mine.pk, theirs.pk], "add_tags": [tag.pk]}, format="json"
    )

    # then the request is refused naming the ids, and nothing changed
    assert response.status_code == 400
    assert error_field(response) == "ids"
    assert str(theirs.pk) in response.json()["message"]
    assert stored_state() == before


def test_bulk_needs_something_to_do(rep_api, customer):
    response = rep_api.post(f"{URL}bulk/", {"ids": [customer.pk]}, format="json")

    assert response.status_code == 400
    assert error_field(response) == "owner"


def test_collaborators_can_be_listed_added_and_removed(rep_api, customer, other_rep):
    # when the owner adds a colleague with read access
    added = rep_api.post(
        f"{detail_url(customer)}collaborators/",
        {"user": other_rep.pk, "access": "read"},
        format="json",
    )

    # then the colleague is listed
    assert added.status_code == 200
    assert added.json()["user"]["id"] == other_rep.pk
    assert added.json()["access"] == "read"
    listed = rep_api.get(f"{detail_url(customer)}collaborators/").json()
    assert [(c["user"]["username"], c["access"]) for c in listed] == [("other", "read")]

    # when she removes the colleague
    removed = rep_api.delete(f"{detail_url(customer)}collaborators/{other_rep.pk}/")

    # then nobody is left; removing again is not found
    assert removed.status_code == 204
    assert not CustomerCollaborator.objects.filter(customer=customer).exists()
    again = rep_api.delete(f"{detail_url(customer)}collaborators/{other_rep.pk}/")
    assert again.status_code == 404


def test_the_owner_cannot_be_added_as_a_collaborator(rep_api, customer, rep):
    response = rep_api.post(
        f"{detail_url(customer)}collaborators/", {"user": rep.pk}, format="json"
    )

    assert response.status_code == 400
    assert error_field(response) == "user"


def test_an_owner_who_gives_a_customer_away_still_gets_the_answer(rep_api, customer, other_rep):
    # when the rep gives her customer to a colleague
    response = rep_api.patch(detail_url(customer), {"owner": other_rep.pk}, format="json")

    # then the change is made and shown, though she no longer sees the customer
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == other_rep.pk
    assert rep_api.get(detail_url(customer)).status_code == 404


def test_session_users_may_use_the_api(rep_client, customer):
    response = rep_client.get(URL)

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [customer.pk]


def test_last_contacted_comes_from_the_timeline(rep_api, rep, customer):
    # given a call yesterday
    yesterday = timezone.now() - dt.timedelta(days=1)
    services.interaction_create(
        actor=rep,
        customer=customer,
        data={"kind": "call", "subject": "电话", "occurred_at": yesterday},
    )

    # then the customer shows when it was last contacted
    body = rep_api.get(detail_url(customer)).json()
    assert dt.datetime.fromisoformat(body["last_contacted_at"]) == yesterday


def test_listing_collaborators_costs_the_same_queries_for_one_or_many(
    rep_api, rep, customer, django_assert_num_queries
):
    url = f"{detail_url(customer)}collaborators/"
    services.collaborator_set(actor=rep, customer=customer, user=factories.UserFactory())
    rep_api.get(url)

    # token + roles, the customer with its tags and its collaborators (with their users)
    with django_assert_num_queries(5):
        assert len(rep_api.get(url).json()) == 1
    for _ in range(4):
        services.collaborator_set(actor=rep, customer=customer, user=factories.UserFactory())
    with django_assert_num_queries(5):
        assert len(rep_api.get(url).json()) == 5
