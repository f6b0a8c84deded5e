"""Signing in and out, the profile page, the language switch and API tokens, through the web UI."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.accounts import registry, services
from guanxi.accounts.models import ApiToken
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.testing import factories

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
PASSWORD = "correct-horse-battery"


@pytest.fixture
def english_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def page_language(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


# --- signing in and out --------------------------------------------------------------------


def test_sign_in_page_is_in_chinese_by_default(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert page_language(response) == "zh-hans"
    assert "用户名" in response.content.decode()


def test_sign_in_with_the_right_password_opens_the_customer_list_and_is_audited(client, rep):
    rep.language = "en"
    rep.save(update_fields=["language"])

    response = client.post(LOGIN, {"username": "rep", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer-list")
    assert client.session["language"] == "en"
    assert int(client.session["_auth_user_id"]) == rep.pk
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.actor_id, entry.ip) == (rep.pk, "10.1.2.3")


def test_sign_in_with_a_wrong_password_fails_and_the_failure_is_audited(english_client, rep):
    response = english_client.post(
        LOGIN, {"username": "rep", "password": "wrong-password"}, REMOTE_ADDR="10.9.8.7"
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in english_client.session
    assert 'data-testid="login-error"' in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_id, entry.object_repr, entry.ip) == (
        AuditAction.LOGIN_FAILED,
        None,
        "rep",
        "10.9.8.7",
    )


def test_sign_in_follows_next_only_within_the_site(client, rep):
    inside = client.post(
        LOGIN, {"username": "rep", "password": PASSWORD, "next": "/customers/recycle-bin/"}
    )
    client.logout()
    outside = client.post(
        LOGIN, {"username": "rep", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert inside["Location"] == "/customers/recycle-bin/"
    assert outside["Location"] == reverse("customers:customer-list")


def test_sign_out_needs_a_post(rep_client):
    assert rep_client.get(reverse("accounts:logout")).status_code == 405

    response = rep_client.post(reverse("accounts:logout"))

    assert response["Location"] == LOGIN
    assert rep_client.get(PROFILE).status_code == 302


# --- profile and language ------------------------------------------------------------------


def test_profile_needs_sign_in(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_profile_shows_display_name_and_department(rep_client, rep):
    rep.display_name = "王<b>小明</b>"
    rep.save(update_fields=["display_name"])

    response = rep_client.get(PROFILE)

    body = response.content.decode()
    assert 'data-testid="display-name">王&lt;b&gt;小明&lt;/b&gt;<' in body
    assert f'data-testid="department">{rep.department.name}<' in body


def test_language_switch_changes_the_page_language(rep_client, rep):
    # Given a token, so that the profile shows a date
    token = services.token_create(actor=rep, user=rep, name="ERP").token
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=dt.datetime(2026, 11, 26, 4, tzinfo=dt.UTC)
    )
    assert page_language(rep_client.get(PROFILE)) == "zh-hans"
    assert "2026年11月26日" in rep_client.get(PROFILE).content.decode()

    # When she switches to English
    response = rep_client.post(reverse("accounts:language"), {"language": "en"})

    # Then her choice is stored and every page speaks English, dates included
    assert response["Location"] == PROFILE
    rep.refresh_from_db()
    assert rep.language == "en"
    english = rep_client.get(PROFILE)
    assert page_language(english) == "en"
    assert english["Content-Language"] == "en"
    assert "Nov. 26, 2026" in english.content.decode()
    assert page_language(rep_client.get(reverse("customers:customer-list"))) == "en"

    # And back
    rep_client.post(reverse("accounts:language"), {"language": "zh-hans"})
    assert page_language(rep_client.get(PROFILE)) == "zh-hans"


def test_an_unknown_language_is_refused(rep_client, rep):
    rep_client.post(reverse("accounts:language"), {"language": "klingon"})

    rep.refresh_from_db()
    assert rep.language == "zh-hans"


# --- API tokens ----------------------------------------------------------------------------


def test_a_new_token_shows_its_secret_once(rep_client, rep):
    created = rep_client.post(
        reverse("accounts:token-create"),
        {"name": "ERP sync", "is_read_only": "on", "expires_on": "2099-12-31"},
    )
    assert created["Location"] == PROFILE
    response = rep_client.get(PROFILE)

    token = ApiToken.objects.get(user=rep)
    match = re.search(r'data-testid="token-secret" aria-label="[^"]*"', response.content.decode())
    secret = re.search(r'id="gx-token-secret" value="([^"]+)"', response.content.decode())
    assert match
    assert secret
    assert services.token_authenticate(secret=html.unescape(secret.group(1))) == token
    assert (token.name, token.is_read_only) == ("ERP sync", True)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert token.expires_at == dt.datetime(2100, 1, 1, tzinfo=shanghai)
    assert response["Cache-Control"] == "no-store"
    assert secret.group(1) not in rep_client.get(PROFILE).content.decode()


def test_a_token_from_the_profile_can_be_limited_to_some_modules(rep_client, rep, customer):
    rep_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    levels = {f"scope_{info.name}": "none" for info in registry.modules()}
    levels.update(scope_customers="read", scope_sales="write")

    rep_client.post(reverse("accounts:token-create"), {"name": "ERP", **levels})

    token = ApiToken.objects.get(user=rep)
    assert token.scopes == {"customers": "read", "sales": "write"}
    page = rep_client.get(PROFILE).content.decode()
    assert "Customers: read only" in page
    assert "Sales: read and write" in page
    secret = re.search(r'id="gx-token-secret" value="([^"]+)"', page)
    assert secret
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {html.unescape(secret.group(1))}")
    url = f"/api/v1/customers/{customer.pk}/"
    assert api.get(url).status_code == 200
    assert api.patch(url, {"name": "改名"}, format="json").status_code == 403


def test_a_token_left_at_every_module_carries_all_rights_and_none_at_all_is_refused(
    rep_client, rep
):
    rep_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    rep_client.post(reverse("accounts:token-create"), {"name": "all"})
    nothing = rep_client.post(
        reverse("accounts:token-create"),
        {"name": "nothing", **{f"scope_{info.name}": "none" for info in registry.modules()}},
    )

    assert list(ApiToken.objects.values_list("name", "scopes")) == [("all", {})]
    assert "Choose at least one module the token may use." in nothing.content.decode()


def test_a_token_without_a_name_or_with_a_past_expiry_shows_the_field_message(rep_client, rep):
    rep_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    nameless = rep_client.post(reverse("accounts:token-create"), {"name": ""})
    expired = rep_client.post(
        reverse("accounts:token-create"), {"name": "old", "expires_on": "2001-01-01"}
    )

    assert 'data-testid="error-name">Name is required.<' in nameless.content.decode()
    assert (
        'data-testid="error-expires_on">The expiry must be in the future.<'
        in expired.content.decode()
    )
    assert ApiToken.objects.count() == 0


def test_revoking_a_token(rep_client, rep):
    token = services.token_create(actor=rep, user=rep, name="ERP").token

    response = rep_client.post(reverse("accounts:token-revoke", kwargs={"pk": token.pk}))

    token.refresh_from_db()
    assert response["Location"] == PROFILE
    assert token.revoked_at is not None


def test_nobody_revokes_someone_elses_token_from_her_profile(rep_client, other_rep, admin):
    theirs = services.token_create(actor=other_rep, user=other_rep, name="theirs").token
    admin_client = Client()
    admin_client.force_login(admin)

    response = rep_client.post(reverse("accounts:token-revoke", kwargs={"pk": theirs.pk}))
    by_admin = admin_client.post(reverse("accounts:token-revoke", kwargs={"pk": theirs.pk}))

    theirs.refresh_from_db()
    assert (response.status_code, by_admin.status_code) == (404, 404)
    assert theirs.revoked_at is None


def test_the_profile_lists_only_the_users_own_tokens(rep_client, rep, other_rep):
    services.token_create(actor=rep, user=rep, name="mine")
    services.token_create(actor=other_rep, user=other_rep, name="theirs")
    factories.UserFactory(username="third")

    body = rep_client.get(PROFILE).content.decode()

    assert re.findall(r'<div class="fw-bold">([^<]*)</div>', body) == ["mine"]
