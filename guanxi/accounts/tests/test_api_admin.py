from __future__ import annotations

import pytest

from guanxi.accounts import default_roles
from guanxi.accounts.models import Department, Role, User
from guanxi.customers.models import Customer
from guanxi.testing import factories


@pytest.fixture
def sysadmin_api(db, role, api_client_for):
    sysadmin = factories.UserFactory(
        username="sysadmin", roles=[role(default_roles.SYSTEM_ADMINISTRATOR)]
    )
    return api_client_for(sysadmin)


ADMIN_ENDPOINTS = [
    ("post", "/api/v1/users/", {"username": "x"}),
    ("get", "/api/v1/users/{rep}/access/", None),
    ("patch", "/api/v1/users/{rep}/access/", {"roles": []}),
    ("post", "/api/v1/users/{rep}/password/", {"password": "Noch-ein-Passwort-1"}),
    ("post", "/api/v1/users/{rep}/logout/", None),
    ("post", "/api/v1/users/{rep}/deactivate/", {}),
    ("post", "/api/v1/users/{rep}/reactivate/", None),
    ("post", "/api/v1/users/{rep}/transfer-customers/", {"to_user": "{other}"}),
    ("get", "/api/v1/departments/", None),
    ("post", "/api/v1/departments/", {"name": "新部门"}),
    ("get", "/api/v1/roles/", None),
    ("post", "/api/v1/roles/", {"name": "新角色"}),
    ("patch", "/api/v1/roles/{role}/", {"name": "改名"}),
    ("delete", "/api/v1/roles/{role}/", None),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ENDPOINTS)
def test_admin_endpoints_refuse_everyone_but_administrators(
    method, url, body, rep, other_rep, manager, auditor, api_client_for, role
):
    # given a customer of the rep and the state of users and roles before
    factories.CustomerFactory(owner=rep)
    ids = {"rep": rep.pk, "other": other_rep.pk, "role": role(default_roles.MARKETING).pk}
    before = (
        list(User.objects.values_list("pk", "is_active", "password", "session_epoch")),
        list(Role.objects.values_list("pk", "name", "version")),
        list(Department.objects.values_list("pk", "name")),
        list(Customer.objects.values_list("pk", "owner")),
    )

    for user in (rep, manager, auditor):
        client = api_client_for(user)
        response = getattr(client, method)(_fill(url, ids), _fill(body, ids), format="json")
        assert response.status_code == 403, (user, response.content)

    after = (
        list(User.objects.values_list("pk", "is_active", "password", "session_epoch")),
        list(Role.objects.values_list("pk", "name", "version")),
        list(Department.objects.values_list("pk", "name")),
        list(Customer.objects.values_list("pk", "owner")),
    )
    assert after == before


def test_anonymous_gets_401(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/roles/").status_code == 401


def test_create_a_user_and_give_her_roles(sysadmin_api, department, role):
    rep_role = role(default_roles.SALES_REP)

    response = sysadmin_api.post(
        "/api/v1/users/",
        {"username": "zhaoliu", "department": department.pk, "roles": [rep_role.pk]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zhaoliu"
    assert body["department"] == {"id": department.pk, "name": department.name}
    assert body["roles"] == [{"id": rep_role.pk, "code": "sales_rep", "name": "销售代表"}]
    assert response["Location"] == f"/api/v1/users/{body['id']}/access/"


def test_patch_access_replaces_roles(sysadmin_api, rep, role):
    auditor_role = role(default_roles.AUDITOR)

    response = sysadmin_api.patch(
        f"/api/v1/users/{rep.pk}/access/", {"roles": [auditor_role.pk]}, format="json"
    )

    assert response.status_code == 200
    assert [r["code"] for r in response.json()["roles"]] == ["auditor"]


def test_unknown_role_ids_are_a_400_naming_the_field(sysadmin_api, rep):
    response = sysadmin_api.patch(
        f"/api/v1/users/{rep.pk}/access/", {"roles": [999999]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "roles"


def test_roles_are_created_with_validated_permissions(sysadmin_api):
    response = sysadmin_api.post(
        "/api/v1/roles/",
        {"name": "坏角色", "permissions": {"customers": {"actions": ["fly"]}}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "permissions"

    response = sysadmin_api.post(
        "/api/v1/roles/",
        {
            "name": "看客户",
            "permissions": {"customers": {"actions": ["view"], "scope": "all"}},
            "requires_2fa": True,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["permissions"] == {
        "customers": {"actions": ["view"], "scope": "all", "fields": {"hidden": [], "masked": []}}
    }
    assert response.json()["requires_2fa"] is True


def test_a_stale_role_version_is_a_409_with_the_current_role(sysadmin_api, role):
    marketing = role(default_roles.MARKETING)
    sysadmin_api.patch(f"/api/v1/roles/{marketing.pk}/", {"name": "市场部"}, format="json")

    response = sysadmin_api.patch(
        f"/api/v1/roles/{marketing.pk}/", {"name": "市场", "version": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["current"]["name"] == "市场部"


def test_departments_move_through_the_api(sysadmin_api):
    north = sysadmin_api.post("/api/v1/departments/", {"name": "华北"}, format="json").json()
    beijing = sysadmin_api.post(
        "/api/v1/departments/", {"name": "北京", "parent": north["id"]}, format="json"
    ).json()
    south = sysadmin_api.post("/api/v1/departments/", {"name": "华南"}, format="json").json()

    response = sysadmin_api.patch(
        f"/api/v1/departments/{north['id']}/", {"parent": south["id"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["path"] == f"/{south['id']}/{north['id']}/"
    moved = sysadmin_api.get(f"/api/v1/departments/{beijing['id']}/").json()
    assert moved["path"] == f"/{south['id']}/{north['id']}/{beijing['id']}/"


def test_deactivate_with_transfer(sysadmin_api, rep, other_rep):
    factories.CustomerFactory(owner=rep)

    response = sysadmin_api.post(
        f"/api/v1/users/{rep.pk}/deactivate/", {"transfer_to": other_rep.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert Customer.objects.get().owner == other_rep
