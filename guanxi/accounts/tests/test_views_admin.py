from __future__ import annotations

import pytest
from django.test import Client

from guanxi.accounts import default_roles
from guanxi.accounts.models import Department, Role, User
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers.models import Customer
from guanxi.testing import factories

PAGES = [
    "/settings/users/",
    "/settings/users/new/",
    "/settings/departments/",
    "/settings/roles/",
    "/settings/roles/new/",
    "/settings/transfer/",
]


@pytest.fixture
def sysadmin(db, role):
    return factories.UserFactory(
        username="sysadmin", roles=[role(default_roles.SYSTEM_ADMINISTRATOR)]
    )


@pytest.fixture
def sysadmin_client(sysadmin):
    client = Client()
    client.force_login(sysadmin)
    return client


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_every_settings_page_renders_for_an_administrator(sysadmin_client, url, rep):
    response = sysadmin_client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_settings_pages_are_closed_to_others(rep, manager, auditor, url):
    for user in (rep, manager, auditor):
        assert client_for(user).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_settings_home_sends_each_to_their_page(sysadmin_client, auditor, rep):
    assert sysadmin_client.get("/settings/")["Location"] == "/settings/users/"
    assert client_for(auditor).get("/settings/")["Location"] == "/settings/audit/"
    assert client_for(rep).get("/settings/")["Location"] == "/settings/security/"


def test_an_administrator_creates_a_user_with_roles(sysadmin_client, department, role):
    sales_rep = role(default_roles.SALES_REP)

    response = sysadmin_client.post(
        "/settings/users/new/",
        {
            "username": "wangwu",
            "display_name": "王五",
            "email": "wangwu@example.cn",
            "department": department.pk,
            "language": "zh-hans",
            "roles": [sales_rep.pk],
            "password": "Ein-gutes-Passwort-9",
        },
    )

    user = User.objects.get(username="wangwu")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/users/{user.pk}/"
    assert list(user.roles.all()) == [sales_rep]
    assert user.department == department
    assert user.check_password("Ein-gutes-Passwort-9")


def test_a_weak_password_is_refused_on_the_form(sysadmin_client):
    response = sysadmin_client.post(
        "/settings/users/new/", {"username": "weak", "language": "en", "password": "123"}
    )

    assert response.status_code == 200
    assert not User.objects.filter(username="weak").exists()
    assert "is-invalid" in response.content.decode()


def test_editing_roles_on_the_user_page_is_audited(sysadmin_client, rep, role):
    auditor_role = role(default_roles.AUDITOR)

    response = sysadmin_client.post(
        f"/settings/users/{rep.pk}/",
        {"display_name": "小王", "language": "zh-hans", "roles": [auditor_role.pk]},
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.display_name == "小王"
    assert list(rep.roles.all()) == [auditor_role]
    entry = AuditEntry.objects.filter(action=AuditAction.PERMISSION).latest("id")
    assert entry.changes["roles"][1] == [auditor_role.pk]


def test_deactivating_from_the_page_transfers_customers(sysadmin_client, rep, other_rep):
    factories.CustomerFactory(owner=rep)

    response = sysadmin_client.post(
        f"/settings/users/{rep.pk}/deactivate/", {"transfer_to": other_rep.pk}
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert not rep.is_active
    assert Customer.objects.filter(owner=other_rep).count() == 1


def test_the_role_grid_saves_actions_scope_and_field_rules(sysadmin_client):
    response = sysadmin_client.post(
        "/settings/roles/new/",
        {
            "name": "电话客服",
            "perm__customers__view": "on",
            "perm__customers__edit": "on",
            "scope__customers": "department",
            "field__customers__phone": "mask",
            "field__customers__address": "hide",
            "field__customers__email": "show",
            "field__customers__mobile": "show",
            "field__customers__wechat": "show",
        },
    )

    role = Role.objects.get(name="电话客服")
    assert response.status_code == 302
    assert role.permissions == {
        "customers": {
            "actions": ["view", "edit"],
            "scope": "department",
            "fields": {"hidden": ["address"], "masked": ["phone"]},
        }
    }


def test_the_role_page_shows_the_current_rights(sysadmin_client, role):
    marketing = role(default_roles.MARKETING)

    content = sysadmin_client.get(f"/settings/roles/{marketing.pk}/").content.decode()

    assert (
        'name="perm__customers__export" class="form-check-input" '
        'id="id_perm__customers__export" checked' in content
    )
    assert '<option value="hide" selected>' in content


def test_departments_are_created_moved_and_listed_as_a_tree(sysadmin_client):
    sysadmin_client.post("/settings/departments/", {"name": "总部"})
    head = Department.objects.get(name="总部")
    sysadmin_client.post("/settings/departments/", {"name": "华东", "parent": head.pk})
    sysadmin_client.post("/settings/departments/", {"name": "华南"})
    east = Department.objects.get(name="华东")
    south = Department.objects.get(name="华南")

    response = sysadmin_client.post(
        f"/settings/departments/{east.pk}/", {"name": "华东区", "parent": south.pk}
    )

    assert response.status_code == 302
    east.refresh_from_db()
    assert (east.name, east.path) == ("华东区", f"/{south.pk}/{east.pk}/")
    rows = sysadmin_client.get("/settings/departments/").content.decode()
    assert rows.index("华南") < rows.index("华东区") < rows.index("总部")


def test_transfer_page_moves_every_customer(sysadmin_client, rep, other_rep):
    for _ in range(3):
        factories.CustomerFactory(owner=rep)

    response = sysadmin_client.post(
        "/settings/transfer/", {"from_user": rep.pk, "to_user": other_rep.pk}
    )

    assert response.status_code == 302
    assert Customer.objects.filter(owner=other_rep).count() == 3


def test_admin_forms_need_the_csrf_token(sysadmin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sysadmin)

    response = client.post("/settings/roles/new/", {"name": "偷偷"})

    assert response.status_code == 403
    assert not Role.objects.filter(name="偷偷").exists()
