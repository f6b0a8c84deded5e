from __future__ import annotations

import pytest

from guanxi.accounts import default_roles, policy
from guanxi.accounts import services as account_services
from guanxi.accounts.policy import Action, FieldRule, Scope
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.customers import services as customer_services
from guanxi.customers.models import CollaboratorAccess, Customer
from guanxi.testing import factories


def visible_names(user):
    return sorted(policy.visible(user, Customer.objects.all()).values_list("name", flat=True))


@pytest.fixture
def outsider(db):
    """A rep in another branch of the company tree."""
    return factories.UserFactory(username="outsider", department=factories.DepartmentFactory())


@pytest.fixture
def book(rep, other_rep, outsider):
    return {
        "rep": factories.CustomerFactory(owner=rep, name="甲-rep"),
        "other": factories.CustomerFactory(owner=other_rep, name="乙-other"),
        "outsider": factories.CustomerFactory(owner=outsider, name="丙-outsider"),
    }


def test_a_user_without_a_role_sees_and_may_do_nothing(book, rep):
    # given a user who was created without roles
    nobody = account_services.user_create(actor=None, username="newbie", password=None)

    # then she sees no customer, may create none, and a known record is "not found"
    assert visible_names(nobody) == []
    assert not policy.can(nobody, Action.VIEW, "customers")
    assert not policy.has_any_access(nobody)
    with pytest.raises(PermissionDenied):
        policy.require(nobody, Action.CREATE, "customers")
    with pytest.raises(NotFound):
        policy.require(nobody, Action.VIEW, "customers", book["rep"])


def test_scopes_own_department_and_all(book, rep, manager, role):
    director = factories.UserFactory(
        username="director", roles=[role(default_roles.SALES_DIRECTOR)]
    )

    assert visible_names(rep) == ["甲-rep"]
    assert visible_names(manager) == ["乙-other", "甲-rep"]
    assert visible_names(director) == ["丙-outsider", "乙-other", "甲-rep"]
    assert policy.grant(rep, "customers").scope == Scope.OWN
    assert policy.grant(manager, "customers").scope == Scope.DEPARTMENT


def test_a_record_outside_the_scope_is_not_found_and_inside_may_be_edited(book, rep):
    with pytest.raises(NotFound):
        policy.require(rep, Action.EDIT, "customers", book["other"])
    policy.require(rep, Action.EDIT, "customers", book["rep"])
    assert policy.can(rep, Action.EDIT, "customers", book["rep"])
    assert not policy.can(rep, Action.EDIT, "customers", book["other"])


def test_several_roles_give_the_union_of_actions_and_the_widest_scope(book, rep, role):
    # given a rep who is also made auditor (view all, no export of her own... but view everything)
    account_services.user_set_roles(
        actor=None, user=rep, roles=[role(default_roles.SALES_REP), role(default_roles.AUDITOR)]
    )
    policy.forget(rep)

    granted = policy.grant(rep, "customers")
    assert granted.scope == Scope.ALL
    assert {"view", "create", "edit", "delete", "export"} <= granted.actions
    assert visible_names(rep) == ["丙-outsider", "乙-other", "甲-rep"]
    # the sales-rep role shows phones plainly, so the most open rule wins
    assert policy.field_rule(rep, "customers", "phone") == FieldRule.SHOW


def test_a_read_collaborator_may_view_but_not_edit(book, rep, other_rep):
    customer_services.collaborator_set(
        actor=rep, customer=book["rep"], user=other_rep, access=CollaboratorAccess.READ
    )

    assert "甲-rep" in visible_names(other_rep)
    assert not policy.can(other_rep, Action.EDIT, "customers", book["rep"])
    with pytest.raises(PermissionDenied):
        customer_services.customer_update(
            actor=other_rep, customer=book["rep"], data={"name": "改名"}
        )
    book["rep"].refresh_from_db()
    assert book["rep"].name == "甲-rep"


def test_an_edit_collaborator_may_edit_but_not_delete(book, rep, other_rep):
    customer_services.collaborator_set(
        actor=rep, customer=book["rep"], user=other_rep, access=CollaboratorAccess.EDIT
    )

    customer_services.customer_update(actor=other_rep, customer=book["rep"], data={"name": "改名"})
    with pytest.raises(PermissionDenied):
        customer_services.customer_delete(actor=other_rep, customer=book["rep"])
    book["rep"].refresh_from_db()
    assert book["rep"].name == "改名"
    assert not book["rep"].is_deleted


def test_superuser_sees_everything_without_roles(book, admin):
    assert visible_names(admin) == ["丙-outsider", "乙-other", "甲-rep"]
    assert policy.can(admin, Action.ADMIN, "accounts")


def test_an_inactive_user_has_no_rights(book, rep):
    rep.is_active = False
    assert visible_names(rep) == []


def test_the_grant_is_computed_once_per_actor(book, rep, django_assert_num_queries):
    policy.forget(rep)
    with django_assert_num_queries(1):
        policy.grant(rep, "customers")
        policy.grant(rep, "sales")
        policy.can(rep, Action.CREATE, "customers")
        policy.field_rule(rep, "customers", "phone")
        policy.requires_2fa(rep)


def test_field_rules_mask_and_hide_per_role(db, auditor, role, rep):
    marketer = factories.UserFactory(username="mkt", roles=[role(default_roles.MARKETING)])

    assert policy.field_rule(auditor, "customers", "phone") == FieldRule.MASK
    assert policy.field_rule(marketer, "customers", "address") == FieldRule.HIDE
    assert policy.field_rule(marketer, "customers", "name") == FieldRule.SHOW
    assert policy.field_rule(rep, "customers", "phone") == FieldRule.SHOW


def test_apply_field_rules_masks_nested_output(db, auditor, role):
    marketer = factories.UserFactory(username="mkt", roles=[role(default_roles.MARKETING)])
    data = {
        "name": "星辰科技",
        "phone": "+8613812345678",
        "email": "zhang@qq.com",
        "address": "深圳市南山区科技园1号",
        "contacts": [{"name": "张三", "mobile": "+8613912345678", "wechat": "zs_wx"}],
    }

    assert policy.apply_field_rules(auditor, "customers", data) == {
        "name": "星辰科技",
        "phone": "138****5678",
        "email": "z***@qq.com",
        "address": "深圳****",
        "contacts": [{"name": "张三", "mobile": "139****5678", "wechat": "zs****"}],
    }
    assert policy.apply_field_rules(marketer, "customers", data)["address"] == ""
    assert policy.apply_field_rules(marketer, "customers", data)["contacts"][0]["wechat"] == ""


def test_a_read_only_token_narrows_the_rights(book, rep):
    issued = account_services.token_create(actor=rep, user=rep, name="ro", is_read_only=True)
    rep.api_token = issued.token

    assert policy.grant(rep, "customers").actions == frozenset({"view"})


def test_token_scopes_limit_modules(book, rep):
    issued = account_services.token_create(
        actor=rep, user=rep, name="crm-read", scopes={"customers": "read"}
    )
    rep.api_token = issued.token

    assert policy.grant(rep, "customers").actions == frozenset({"view", "export"})
    assert policy.grant(rep, "sales").actions == frozenset()
    assert visible_names(rep) == ["甲-rep"]


def test_a_token_never_widens_the_rights(book, rep):
    issued = account_services.token_create(actor=rep, user=rep, name="all", scopes={"*": "write"})
    rep.api_token = issued.token

    assert policy.grant(rep, "customers").scope == Scope.OWN
    assert "admin" not in policy.grant(rep, "customers").actions


def test_moving_a_department_moves_the_scope_with_it(book, rep, manager, department, outsider):
    # given the manager's sales centre, and the outsider's department outside it
    assert "丙-outsider" not in visible_names(manager)

    # when the outsider's department moves under the sales centre
    account_services.department_move(
        actor=None, department=outsider.department, parent=manager.department
    )
    policy.forget(manager)

    # then the manager sees its customers too
    assert "丙-outsider" in visible_names(manager)
