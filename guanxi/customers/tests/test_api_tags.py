"""The tags API, and the read-only lookups (industries, sources, levels) and users."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Industry, Level, Source, Tag
from guanxi.customers.tests.api_support import error_field, stored_state
from guanxi.testing import factories

URL = "/api/v1/tags/"


def test_tags_are_created_listed_changed_and_deleted(rep_api, customer):
    created = rep_api.post(URL, {"name": "VIP", "colour": "red", "group": "价值"}, format="json")
    assert created.status_code == 201
    tag = Tag.objects.get()
    assert created.json() == {
        "id": tag.pk,
        "name": "VIP",
        "colour": "red",
        "group": "价值",
        "created_at": created.json()["created_at"],
        "updated_at": created.json()["updated_at"],
        "version": 1,
    }
    customer.tags.set([tag])

    listed = rep_api.get(URL).json()["results"]
    assert [t["name"] for t in listed] == ["VIP"]

    changed = rep_api.patch(f"{URL}{tag.pk}/", {"colour": "gold", "version": 1}, format="json")
    assert changed.status_code == 200
    assert changed.json()["colour"] == "gold"
    assert changed["ETag"] == '"2"'

    assert rep_api.delete(f"{URL}{tag.pk}/").status_code == 204
    assert not Tag.objects.exists()
    assert list(customer.tags.all()) == []


def test_tags_are_listed_by_group_and_name(rep_api):
    for group, name in [("b", "乙"), ("a", "z"), ("a", "m"), ("", "无组")]:
        factories.TagFactory(name=name, group=group)

    body = rep_api.get(URL, {"page_size": 2}).json()
    second = rep_api.get(body["next"]).json()

    assert [t["name"] for t in body["results"] + second["results"]] == ["无组", "m", "z", "乙"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "VIP"}, "name"),
        ({"colour": "x" * 17}, "colour"),
    ],
)
def test_bad_tag_input_is_a_400_naming_the_field(rep_api, body, field):
    factories.TagFactory(name="VIP")
    before = stored_state()

    response = rep_api.post(URL, {"name": "新标签", **body}, format="json")

    assert response.status_code == 400
    assert error_field(response) == field
    assert stored_state() == before


def test_a_stale_tag_version_is_a_409(rep_api):
    tag = factories.TagFactory(name="VIP")
    rep_api.patch(f"{URL}{tag.pk}/", {"colour": "red"}, format="json")

    response = rep_api.put(f"{URL}{tag.pk}/", {"name": "VIP2", "version": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["current"]["colour"] == "red"
    tag.refresh_from_db()
    assert tag.name == "VIP"


@pytest.mark.parametrize(
    ("path", "model"),
    [("industries", Industry), ("sources", Source), ("levels", Level)],
)
def test_lookups_are_listed_in_their_order(rep_api, path, model, django_assert_num_queries):
    model.objects.create(name="乙", name_en="B", position=2)
    model.objects.create(name="甲", name_en="A", position=1, is_active=False)
    rep_api.get(f"/api/v1/{path}/")

    with django_assert_num_queries(3):
        response = rep_api.get(f"/api/v1/{path}/")

    assert response.status_code == 200
    assert [(i["name"], i["name_en"], i["is_active"]) for i in response.json()["results"]] == [
        ("甲", "A", False),
        ("乙", "B", True),
    ]
    assert rep_api.post(f"/api/v1/{path}/", {"name": "x"}, format="json").status_code == 405


def test_lookup_names_follow_the_language(rep_api):
    Industry.objects.create(name="制造业", name_en="Manufacturing")

    english = rep_api.get("/api/v1/industries/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    chinese = rep_api.get("/api/v1/industries/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]

    assert english[0]["name"] == "Manufacturing"
    assert chinese[0]["name"] == "制造业"


def test_tags_are_listed_in_one_query_after_authentication(rep_api, django_assert_num_queries):
    for i in range(5):
        factories.TagFactory(name=f"标签{i}")
    rep_api.get(URL)

    with django_assert_num_queries(3):
        assert len(rep_api.get(URL).json()["results"]) == 5


def test_active_users_are_listed_as_owner_choices(rep_api, rep, other_rep):
    factories.UserFactory(username="gone", is_active=False)

    response = rep_api.get("/api/v1/users/")

    assert response.status_code == 200
    usernames = [u["username"] for u in response.json()["results"]]
    assert "rep" in usernames
    assert "other" in usernames
    assert "gone" not in usernames


def test_listing_users_costs_the_same_queries_for_one_or_many(
    rep_api, rep, django_assert_num_queries
):
    rep_api.get("/api/v1/users/")

    # the token that authenticates, the page (with departments)
    with django_assert_num_queries(2):
        first = len(rep_api.get("/api/v1/users/").json()["results"])
    for i in range(5):
        factories.UserFactory(username=f"colleague{i}", department=rep.department)
    with django_assert_num_queries(2):
        assert len(rep_api.get("/api/v1/users/").json()["results"]) == first + 5
