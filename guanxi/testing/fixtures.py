"""Fixtures shared by every app's tests (factories live in ``guanxi.testing.factories``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.testing import factories


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters (and anything else cached) start from zero in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def role(db: Any) -> Any:
    """``role(code)`` gives a shipped role, e.g. ``role(default_roles.AUDITOR)``."""
    return account_services.role_by_code


@pytest.fixture
def head_department(db: Any) -> Any:
    """The sales centre: ``department`` is one of its sub-departments."""
    return factories.DepartmentFactory(name="销售中心")


@pytest.fixture
def department(db: Any, head_department: Any) -> Any:
    return factories.DepartmentFactory(parent=head_department)


@pytest.fixture
def admin(db: Any) -> Any:
    """The system administrator (sees and may do everything)."""
    return factories.UserFactory(username="boss", is_superuser=True, is_staff=True)


@pytest.fixture
def rep(db: Any, department: Any) -> Any:
    """A sales rep in ``department`` (sales-rep role: her own customers)."""
    return factories.UserFactory(
        username="rep",
        department=department,
        roles=[account_services.role_by_code(default_roles.SALES_REP)],
    )


@pytest.fixture
def other_rep(db: Any, department: Any) -> Any:
    """Another sales rep in the same department."""
    return factories.UserFactory(
        username="other",
        department=department,
        roles=[account_services.role_by_code(default_roles.SALES_REP)],
    )


@pytest.fixture
def manager(db: Any, head_department: Any) -> Any:
    """The sales manager of the sales centre: sees every customer of it and its departments."""
    return factories.UserFactory(
        username="manager",
        department=head_department,
        roles=[account_services.role_by_code(default_roles.SALES_MANAGER)],
    )


@pytest.fixture
def auditor(db: Any) -> Any:
    """A read-only auditor: reads everything (contact data masked) and the audit log."""
    return factories.UserFactory(
        username="auditor", roles=[account_services.role_by_code(default_roles.AUDITOR)]
    )


@pytest.fixture
def customer(db: Any, rep: Any) -> Any:
    return factories.CustomerFactory(owner=rep)


def _api_client_for(user: Any) -> APIClient:
    issued = account_services.token_create(actor=user, user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


@pytest.fixture
def api_client_for() -> Any:
    """``api_client_for(user)`` gives an API client authenticated with a bearer token."""
    return _api_client_for


@pytest.fixture
def rep_api(rep: Any) -> APIClient:
    return _api_client_for(rep)


@pytest.fixture
def admin_api(admin: Any) -> APIClient:
    return _api_client_for(admin)


@pytest.fixture
def rep_client(rep: Any) -> Client:
    client = Client()
    client.force_login(rep)
    return client


@pytest.fixture
def admin_client_logged_in(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client
