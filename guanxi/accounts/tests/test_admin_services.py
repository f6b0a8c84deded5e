from __future__ import annotations

import pytest
from django.test import Client

from guanxi.accounts import default_roles, policy
from guanxi.accounts import services as account_services
from guanxi.accounts.models import ApiToken, Department, Role
from guanxi.core import audit
from guanxi.core.errors import PermissionDenied, ValidationError
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers.models import Customer
from guanxi.testing import factories

PERMISSIONS = {
    "customers": {
        "actions": ["view", "edit"],
        "scope": "department",
        "fields": {"hidden": [], "masked": ["phone"]},
    }
}


def test_the_shipped_roles_exist_and_are_valid(db):
    roles = {role.code: role for role in Role.objects.all()}

    assert set(roles) >= {
        default_roles.SYSTEM_ADMINISTRATOR,
        default_roles.SALES_DIRECTOR,
        default_roles.SALES_MANAGER,
        default_roles.SALES_REP,
        default_roles.SERVICE_AGENT,
        default_roles.MARKETING,
        default_roles.AUDITOR,
    }
    assert roles[default_roles.SALES_REP].name == "销售代表"
    assert roles[default_roles.AUDITOR].permissions["audit"] == {
        "actions": ["view", "export"],
        "scope": "all",
        "fields": {"hidden": [], "masked": []},
    }


def test_role_create_validates_and_audits(admin):
    role = account_services.role_create(
        actor=admin, data={"name": "区域经理", "permissions": PERMISSIONS}
    )

    assert role.permissions["customers"]["scope"] == "department"
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION, object_id=str(role.pk))
    assert entry.changes["name"] == [None, "区域经理"]


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        ({"nosuch": {"actions": ["view"]}}, "unknown module 'nosuch'"),
        ({"customers": {"actions": ["fly"]}}, "customers: unknown actions ['fly']"),
        ({"customers": {"scope": "galaxy"}}, "customers: unknown scope 'galaxy'"),
        (
            {"customers": {"fields": {"masked": ["name"]}}},
            "customers: unknown sensitive fields ['name']",
        ),
        ("all", "permissions must be an object"),
    ],
)
def test_role_create_refuses_bad_permissions(admin, permissions, message):
    with pytest.raises(ValidationError) as error:
        account_services.role_create(actor=admin, data={"name": "坏", "permissions": permissions})

    assert error.value.field == "permissions"
    assert str(error.value) == message
    assert not Role.objects.filter(name="坏").exists()


def test_only_administrators_manage_roles_and_users(rep, manager):
    with pytest.raises(PermissionDenied):
        account_services.role_create(actor=rep, data={"name": "x", "permissions": {}})
    with pytest.raises(PermissionDenied):
        account_services.user_create(actor=manager, username="newbie")
    with pytest.raises(PermissionDenied):
        account_services.user_set_roles(actor=rep, user=rep, roles=[])


def test_a_system_administrator_role_may_administer(db, role):
    sysadmin = factories.UserFactory(
        username="sysadmin", roles=[role(default_roles.SYSTEM_ADMINISTRATOR)]
    )

    user = account_services.user_create(
        actor=sysadmin, username="newbie", roles=[role(default_roles.SALES_REP)]
    )

    assert list(user.roles.values_list("code", flat=True)) == [default_roles.SALES_REP]
    with pytest.raises(PermissionDenied):
        account_services.user_create(actor=sysadmin, username="root2", is_superuser=True)


def test_role_update_changes_rights_and_is_audited(admin, rep, role):
    sales_rep = role(default_roles.SALES_REP)
    factories.CustomerFactory(owner=factories.UserFactory(username="x"), name="别人的")

    account_services.role_update(
        actor=admin,
        role=sales_rep,
        data={"permissions": {"customers": {"actions": ["view"], "scope": "all"}}},
    )
    policy.forget(rep)

    assert policy.grant(rep, "customers").actions == frozenset({"view"})
    assert "别人的" in policy.visible(rep, Customer.objects.all()).values_list("name", flat=True)
    entry = AuditEntry.objects.filter(action=AuditAction.PERMISSION).latest("id")
    assert entry.object_id == str(sales_rep.pk)
    assert list(entry.changes) == ["permissions"]


def test_a_role_in_use_cannot_be_deleted(admin, rep, role):
    with pytest.raises(ValidationError):
        account_services.role_delete(actor=admin, role=role(default_roles.SALES_REP))

    spare = account_services.role_create(actor=admin, data={"name": "空角色"})
    account_services.role_delete(actor=admin, role=spare)
    assert not Role.objects.filter(name="空角色").exists()


def test_role_assignment_is_audited_with_before_and_after(admin, rep, role):
    before = sorted(rep.roles.values_list("pk", flat=True))
    auditor_role = role(default_roles.AUDITOR)

    account_services.user_set_roles(actor=admin, user=rep, roles=[auditor_role])

    entry = AuditEntry.objects.filter(action=AuditAction.PERMISSION).latest("id")
    assert entry.changes == {"roles": [before, [auditor_role.pk]]}
    assert entry.actor_name == "boss"
    assert audit.verify().ok


def test_deactivating_a_leaver_transfers_customers_and_revokes_tokens(admin, rep, other_rep):
    # given a rep with three customers (one in the recycle bin) and an API token
    names = ["甲", "乙", "丙"]
    customers = [factories.CustomerFactory(owner=rep, name=name) for name in names]
    customers[2].deleted_at = customers[2].created_at
    customers[2].save()
    account_services.token_create(actor=rep, user=rep, name="phone")

    # when the administrator closes her account, handing her customers to a colleague
    account_services.user_deactivate(actor=admin, user=rep, transfer_to=other_rep)

    # then the colleague owns all of them, the rep cannot act and her token is revoked
    owners = set(Customer.all_objects.filter(name__in=names).values_list("owner", flat=True))
    assert owners == {other_rep.pk}
    rep.refresh_from_db()
    assert not rep.is_active
    assert ApiToken.objects.get(user=rep).revoked_at is not None
    transfers = AuditEntry.objects.filter(action=AuditAction.TRANSFER)
    assert transfers.filter(object_type="customers.customer").count() == 3
    summary = transfers.get(object_type="accounts.user")
    assert summary.changes["records"] == [rep.pk, other_rep.pk]
    assert summary.changes["moved"][1]["customers"] == 3


def test_a_leaver_hands_over_her_deals_leads_and_orders_too(admin, rep, other_rep):
    from guanxi.sales import services as sales
    from guanxi.sales.models import Deal, Lead

    customer = factories.CustomerFactory(owner=rep, name="甲")
    deal = sales.deal_create(actor=rep, data={"name": "续费", "customer": customer})
    lead = sales.lead_create(actor=rep, data={"name": "王先生", "company": "乙公司"})
    untouched = sales.lead_create(actor=other_rep, data={"name": "李女士"})

    moved = account_services.records_transfer_all(actor=admin, from_user=rep, to_user=other_rep)

    assert moved["customers"] == 1
    assert (moved["deals"], moved["leads"], moved["orders"]) == (1, 1, 0)
    assert Deal.all_objects.get(pk=deal.pk).owner_id == other_rep.pk
    assert Lead.all_objects.get(pk=lead.pk).owner_id == other_rep.pk
    assert Deal.all_objects.get(pk=deal.pk).version == deal.version + 1
    assert Lead.all_objects.get(pk=untouched.pk).owner_id == other_rep.pk
    entries = AuditEntry.objects.filter(action=AuditAction.TRANSFER, object_type="sales.deal")
    assert list(entries.values_list("object_id", flat=True)) == [str(deal.pk)]


def test_transfer_all_needs_an_administrator(rep, other_rep, manager):
    factories.CustomerFactory(owner=rep)
    with pytest.raises(PermissionDenied):
        account_services.records_transfer_all(actor=manager, from_user=rep, to_user=other_rep)
    assert Customer.objects.filter(owner=rep).count() == 1


def test_nobody_deactivates_herself(admin):
    with pytest.raises(ValidationError):
        account_services.user_deactivate(actor=admin, user=admin)


def test_department_move_rewrites_the_subtree_paths(admin):
    root = account_services.department_create(actor=admin, name="总部")
    sales = account_services.department_create(actor=admin, name="销售", parent=root)
    east = account_services.department_create(actor=admin, name="华东", parent=sales)
    shanghai = account_services.department_create(actor=admin, name="上海", parent=east)
    other = account_services.department_create(actor=admin, name="华南")

    account_services.department_move(actor=admin, department=east, parent=other)

    paths = dict(Department.objects.values_list("name", "path"))
    assert paths["华东"] == f"/{other.pk}/{east.pk}/"
    assert paths["上海"] == f"/{other.pk}/{east.pk}/{shanghai.pk}/"
    assert paths["销售"] == f"/{root.pk}/{sales.pk}/"


def test_a_department_cannot_move_below_itself(admin):
    root = account_services.department_create(actor=admin, name="总部")
    child = account_services.department_create(actor=admin, name="销售", parent=root)

    with pytest.raises(ValidationError):
        account_services.department_move(actor=admin, department=root, parent=child)
    root.refresh_from_db()
    assert root.parent_id is None


def test_department_rename_and_delete(admin):
    root = account_services.department_create(actor=admin, name="总部")
    child = account_services.department_create(actor=admin, name="销售", parent=root)

    account_services.department_rename(actor=admin, department=child, name="销售一部")
    with pytest.raises(ValidationError):
        account_services.department_delete(actor=admin, department=root)
    account_services.department_delete(actor=admin, department=child)

    assert list(Department.objects.values_list("name", flat=True)) == ["总部"]


def test_logout_everywhere_ends_every_session(admin, rep):
    # given the rep signed in on two devices
    laptop, phone = Client(), Client()
    laptop.force_login(rep)
    phone.force_login(rep)
    assert "_auth_user_id" in laptop.session

    # when an administrator logs her out everywhere
    account_services.user_logout_everywhere(actor=admin, user=rep)

    # then both sessions are gone: the next request is anonymous
    for client in (laptop, phone):
        client.get("/healthz")
        assert "_auth_user_id" not in client.session


def test_password_reset_ends_sessions_and_never_logs_the_password(admin, rep):
    client = Client()
    client.force_login(rep)

    account_services.user_set_password(actor=admin, user=rep, password="Ganz-neues-Passwort-7")

    client.get("/healthz")
    assert "_auth_user_id" not in client.session
    assert "Ganz-neues" not in str(AuditEntry.objects.values_list("changes", flat=True))
    rep.refresh_from_db()
    assert rep.check_password("Ganz-neues-Passwort-7")
