from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.testing import factories

PASSWORD = "correct-horse-battery"
LOGIN = "/accounts/login/"


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- lock-out -------------------------------------------------------------------------------


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(rep):
    client = Client()
    statuses = [sign_in(client, "rep", "wrong").status_code for _ in range(5)]

    response = sign_in(client, "rep", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # from another address the account stays locked
    assert sign_in(Client(), "rep", PASSWORD, ip="10.9.9.9").status_code == 429


def test_an_address_is_locked_after_five_failures_on_any_accounts(rep, other_rep):
    client = Client()
    for name in ("a", "b", "c", "d", "e"):
        sign_in(client, name, "wrong", ip="10.0.0.7")

    assert sign_in(client, "other", PASSWORD, ip="10.0.0.7").status_code == 429
    assert sign_in(Client(), "other", PASSWORD, ip="10.0.0.8").status_code == 302


def test_a_success_resets_the_count(rep):
    client = Client()
    for _ in range(4):
        sign_in(client, "rep", "wrong")
    assert sign_in(client, "rep", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        sign_in(client, "rep", "wrong")

    assert sign_in(client, "rep", PASSWORD).status_code == 302


def test_failed_sign_ins_are_audited(rep):
    sign_in(Client(), "rep", "wrong")

    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (entry.object_repr, entry.ip) == ("rep", "10.0.0.1")


def test_the_lock_is_lifted_after_the_cool_off(rep):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            sign_in(client, "rep", "wrong")
        assert sign_in(client, "rep", PASSWORD).status_code == 429
        traveller.shift(dt.timedelta(minutes=16))
        assert sign_in(client, "rep", PASSWORD).status_code == 302


# --- two-factor authentication --------------------------------------------------------------


@pytest.fixture
def guarded(db, role):
    """A user whose only role requires 2FA."""
    account_services.role_update(
        actor=None, role=role(default_roles.SALES_DIRECTOR), data={"requires_2fa": True}
    )
    return factories.UserFactory(username="director", roles=[role(default_roles.SALES_DIRECTOR)])


def code_for(device, at=None):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def test_a_role_requiring_2fa_sends_the_user_to_enrol_then_lets_her_in(guarded):
    client = Client()
    assert sign_in(client, "director", PASSWORD).status_code == 302

    # every page sends her to enrol first, and the API answers 403
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/settings/2fa/setup/?next=")
    assert client.get("/api/v1/customers/").json()["code"] == "two_factor_required"

    # she scans the QR code and types the code
    page = client.get("/settings/2fa/setup/?next=/customers/")
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=guarded, confirmed=False)
    response = client.post(
        "/settings/2fa/setup/", {"token": code_for(device), "next": "/customers/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION, changes={"two_factor": [None, "enrolled"]}
    ).exists()


def test_a_wrong_code_keeps_her_out(guarded):
    client = Client()
    sign_in(client, "director", PASSWORD)
    client.get("/settings/2fa/setup/")

    response = client.post("/settings/2fa/setup/", {"token": "000000"})

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=guarded, confirmed=True).exists()
    assert client.get("/customers/").status_code == 302


def test_at_the_next_sign_in_she_confirms_with_a_code(guarded):
    device = account_services.totp_device_start(actor=guarded)
    now = timezone.now()
    account_services.totp_device_confirm(
        actor=guarded, device_id=device.pk, token=code_for(device, now)
    )
    device.refresh_from_db()
    client = Client()
    sign_in(client, "director", PASSWORD)

    response = client.get("/customers/")
    assert response["Location"].startswith("/settings/2fa/verify/")
    later = now + dt.timedelta(seconds=60)
    with time_machine.travel(later, tick=False) as traveller:
        wrong = client.post("/settings/2fa/verify/", {"token": "123456", "next": "/customers/"})
        # after a wrong code the device waits a moment before it accepts another try
        traveller.shift(dt.timedelta(seconds=3))
        right = client.post(
            "/settings/2fa/verify/",
            {"token": code_for(device, later + dt.timedelta(seconds=3)), "next": "/customers/"},
        )

    assert wrong.status_code == 200
    assert right["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).get()
    assert failed.changes == {"second_factor": [None, "wrong code"]}


def test_users_without_a_2fa_role_are_not_asked(rep_client):
    assert rep_client.get("/customers/").status_code == 200


def test_bearer_tokens_are_not_asked_for_a_code(guarded, api_client_for):
    assert api_client_for(guarded).get("/api/v1/customers/").status_code == 200


def test_an_administrator_removes_a_lost_authenticator(guarded, admin_client_logged_in):
    device = account_services.totp_device_start(actor=guarded)
    account_services.totp_device_confirm(actor=guarded, device_id=device.pk, token=code_for(device))

    response = admin_client_logged_in.post(f"/settings/users/{guarded.pk}/2fa-reset/")

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=guarded).exists()


def test_the_security_page_and_signing_out_elsewhere(rep):
    here, elsewhere = Client(), Client()
    here.force_login(rep)
    elsewhere.force_login(rep)

    assert here.get("/settings/security/").status_code == 200
    here.post("/settings/security/logout-others/")

    here.get("/healthz")
    elsewhere.get("/healthz")
    assert "_auth_user_id" in here.session
    assert "_auth_user_id" not in elsewhere.session


# --- API tokens -----------------------------------------------------------------------------


def test_an_expired_token_is_refused(rep):
    issued = account_services.token_create(
        actor=rep, user=rep, name="short", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get("/api/v1/customers/").status_code == 200

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        assert client.get("/api/v1/customers/").status_code == 401


def test_a_revoked_or_forged_token_is_refused(rep):
    issued = account_services.token_create(actor=rep, user=rep, name="t")
    account_services.token_revoke(actor=rep, token_id=issued.token.pk)
    for secret in (issued.secret, issued.secret[:-2] + "xx", "gx_forged", "not-even-a-token"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert client.get("/api/v1/customers/").status_code == 401


def test_a_token_scoped_to_read_customers_cannot_write(rep):
    customer = factories.CustomerFactory(owner=rep, name="旧名")
    issued = account_services.token_create(
        actor=rep, user=rep, name="crm", scopes={"customers": "read"}
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    response = client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "新名"}, format="json")
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "旧名"


def test_a_token_scoped_to_another_module_sees_no_customers(rep):
    factories.CustomerFactory(owner=rep)
    issued = account_services.token_create(
        actor=rep, user=rep, name="sales", scopes={"sales": "write"}
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    assert client.get("/api/v1/customers/").json()["results"] == []


def test_token_scopes_are_created_through_the_api(rep_api):
    response = rep_api.post(
        "/api/v1/tokens/", {"name": "bi", "scopes": {"customers": "read"}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["scopes"] == {"customers": "read"}

    bad = rep_api.post("/api/v1/tokens/", {"name": "x", "scopes": {"nope": "read"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["field"] == "scopes"


def test_only_a_hash_of_the_token_is_stored(rep):
    issued = account_services.token_create(actor=rep, user=rep, name="t")
    issued.token.refresh_from_db()

    stored = [str(v) for v in issued.token.__dict__.values()]
    assert issued.secret not in stored
    assert all(issued.secret not in value for value in stored)


# --- rate limits ----------------------------------------------------------------------------


def test_too_many_requests_per_token_get_429(rep, settings):
    settings.GUANXI_API_RATE_TOKEN = "3/minute"
    issued = account_services.token_create(actor=rep, user=rep, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    statuses = [client.get("/api/v1/customers/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v1/customers/")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # another token of the same user has its own budget
    other = account_services.token_create(actor=rep, user=rep, name="t2")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other.secret}")
    assert client.get("/api/v1/customers/").status_code == 200


def test_too_many_requests_per_address_get_429(rep, other_rep, api_client_for, settings):
    settings.GUANXI_API_RATE_ADDRESS = "3/minute"
    clients = [api_client_for(rep), api_client_for(other_rep)]

    statuses = [
        clients[i % 2].get("/api/v1/customers/", REMOTE_ADDR="10.1.1.1").status_code
        for i in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    assert clients[0].get("/api/v1/customers/", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_guessing_tokens_from_one_address_gets_429(rep, settings):
    settings.GUANXI_API_RATE_ADDRESS = "3/minute"
    issued = account_services.token_create(actor=rep, user=rep, name="t")
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Bearer gx_" + "A" * 40)

    statuses = [
        guesser.get("/api/v1/customers/", REMOTE_ADDR="10.3.3.3").status_code for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]
    # even the right token from that address waits; another address is not held up
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert guesser.get("/api/v1/customers/", REMOTE_ADDR="10.3.3.3").status_code == 429
    assert guesser.get("/api/v1/customers/", REMOTE_ADDR="10.3.3.4").status_code == 200
