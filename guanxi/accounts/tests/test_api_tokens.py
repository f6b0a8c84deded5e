"""``/api/v1/tokens/``: a user lists, creates and revokes her own API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from guanxi.accounts import services
from guanxi.accounts.models import ApiToken

URL = "/api/v1/tokens/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_created_token_shows_its_secret_once_and_works(rep_api, rep):
    # when the rep creates a token
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    response = rep_api.post(
        URL, {"name": "ERP 同步", "expires_at": expires.isoformat()}, format="json"
    )

    # then the answer holds the secret, which authenticates her
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(name="ERP 同步")
    assert body["secret"].startswith("gx_")
    assert body["id"] == token.pk
    assert body["prefix"] == body["secret"][: len(body["prefix"])]
    assert body["is_read_only"] is False
    assert body["is_active"] is True
    assert dt.datetime.fromisoformat(body["expires_at"]) == expires
    assert token.token_hash != body["secret"]
    assert bearer(body["secret"]).get("/api/v1/customers/").status_code == 200

    # and the list never shows a secret again
    listed = rep_api.get(URL).json()["results"]
    assert {t["name"] for t in listed} == {"tests", "ERP 同步"}
    assert all("secret" not in t for t in listed)


def test_only_her_own_tokens_are_listed(rep_api, other_rep):
    services.token_create(actor=other_rep, user=other_rep, name="别人的")

    listed = rep_api.get(URL).json()["results"]

    assert [t["name"] for t in listed] == ["tests"]


def test_a_revoked_token_stops_working_and_stays_listed(rep_api, rep):
    issued = services.token_create(actor=rep, user=rep, name="旧的")

    response = rep_api.delete(f"{URL}{issued.token.pk}/")

    assert response.status_code == 204
    assert bearer(issued.secret).get("/api/v1/customers/").status_code == 401
    listed = {t["name"]: t for t in rep_api.get(URL).json()["results"]}
    assert listed["旧的"]["is_active"] is False
    assert listed["旧的"]["revoked_at"] is not None


def test_another_users_token_cannot_be_revoked(rep_api, other_rep):
    issued = services.token_create(actor=other_rep, user=other_rep, name="别人的")

    response = rep_api.delete(f"{URL}{issued.token.pk}/")

    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
    assert rep_api.delete(f"{URL}abc/").status_code == 404


def test_a_read_only_token_reads_but_never_writes(rep, customer):
    issued = services.token_create(actor=rep, user=rep, name="只读", is_read_only=True)
    client = bearer(issued.secret)

    assert client.get("/api/v1/customers/").status_code == 200
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    refused = [
        client.post("/api/v1/customers/", {"name": "新"}, format="json"),
        client.patch(f"/api/v1/customers/{customer.pk}/", {"city": "杭州"}, format="json"),
        client.delete(f"/api/v1/customers/{customer.pk}/"),
        client.post(URL, {"name": "更大的权限"}, format="json"),
        client.delete(f"{URL}{issued.token.pk}/"),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert all(r.json()["code"] == "permission_denied" for r in refused)
    customer.refresh_from_db()
    assert (customer.city, customer.deleted_at, customer.version) == ("", None, 1)
    assert ApiToken.objects.filter(user=rep).count() == 1
    assert ApiToken.objects.get().revoked_at is None


def test_a_read_only_token_can_be_created(rep_api, rep):
    response = rep_api.post(URL, {"name": "报表", "is_read_only": True}, format="json")

    assert response.status_code == 201
    assert response.json()["is_read_only"] is True
    assert (
        bearer(response.json()["secret"])
        .post("/api/v1/tags/", {"name": "x"}, format="json")
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "limits",
    [{"is_read_only": True}, {"scopes": {"customers": "write"}}, {"scopes": {"*": "read"}}],
)
def test_a_limited_token_cannot_mint_or_revoke_tokens(rep, limits):
    limited = services.token_create(actor=rep, user=rep, name="limited", **limits)
    other = services.token_create(actor=rep, user=rep, name="other").token
    client = bearer(limited.secret)

    minted = client.post(URL, {"name": "wider"}, format="json")
    revoked = client.delete(f"{URL}{other.pk}/")

    assert (minted.status_code, revoked.status_code) == (403, 403)
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["limited", "other"]
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_token_with_every_right_can_mint_tokens(rep):
    full = services.token_create(actor=rep, user=rep, name="full", scopes={"*": "write"})

    assert bearer(full.secret).post(URL, {"name": "more"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "过期", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "坏日期", "expires_at": "next week"}, "expires_at"),
        ({"name": "坏类型", "is_read_only": "perhaps"}, "is_read_only"),
    ],
)
def test_bad_token_input_is_a_400_naming_the_field(rep_api, rep, body, field):
    response = rep_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert ApiToken.objects.filter(user=rep).count() == 1


def test_anonymous_clients_get_401(db):
    client = APIClient()

    assert client.get(URL).status_code == 401
    assert client.post(URL, {"name": "x"}, format="json").status_code == 401
    assert client.delete(f"{URL}1/").status_code == 401


def test_listing_tokens_costs_the_same_queries_for_one_or_many(
    rep_api, rep, django_assert_num_queries
):
    rep_api.get(URL)

    # the token that authenticates, the page
    with django_assert_num_queries(2):
        assert len(rep_api.get(URL).json()["results"]) == 1
    for i in range(5):
        services.token_create(actor=rep, user=rep, name=f"令牌{i}")
    with django_assert_num_queries(2):
        assert len(rep_api.get(URL).json()["results"]) == 6
