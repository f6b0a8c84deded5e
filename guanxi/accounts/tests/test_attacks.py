"""Bad input and attacks: each is refused with a clear answer, nothing leaks, nothing changes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guanxi.customers.models import Attachment, Customer
from guanxi.testing import factories

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL_FRAGMENTS = [
    "' OR '1'='1",
    "1; DROP TABLE customers_customer; --",
    "name) UNION SELECT password FROM accounts_user --",
    "%' --",
    "\\x00",
]


@pytest.fixture
def mine_and_theirs(rep, other_rep):
    return (
        factories.CustomerFactory(owner=rep, name="我的客户"),
        factories.CustomerFactory(owner=other_rep, name="别人的客户"),
    )


def test_stored_script_is_shown_as_text_on_every_page(rep, rep_client):
    customer = factories.CustomerFactory(owner=rep, name=XSS, description=XSS)
    factories.ContactFactory(customer=customer, name=XSS, notes=XSS)

    for url in ("/customers/", f"/customers/{customer.pk}/", "/customers/?q=script"):
        content = rep_client.get(url).content.decode()
        assert "<script>alert" not in content, url
        assert "<img src=x onerror" not in content, url
    content = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


@pytest.mark.parametrize("fragment", SQL_FRAGMENTS)
def test_sql_fragments_in_search_filters_and_ordering_leak_nothing(
    mine_and_theirs, rep_api, fragment
):
    for params in (
        {"q": fragment},
        {"ordering": fragment},
        {"owner": fragment},
        {"tag": fragment},
        {"city": fragment},
        {"created_from": fragment},
    ):
        response = rep_api.get("/api/v1/customers/", params)
        assert response.status_code in (200, 400), params
        if response.status_code == 200:
            names = {c["name"] for c in response.json()["results"]}
            assert names <= {"我的客户"}, params
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("fragment", SQL_FRAGMENTS)
def test_sql_fragments_on_the_list_page_leak_nothing(mine_and_theirs, rep_client, fragment):
    for params in ({"q": fragment}, {"sort": fragment}, {"owner": fragment}):
        response = rep_client.get("/customers/", params)
        assert response.status_code in (200, 400), params
        assert "别人的客户" not in response.content.decode()


def test_forms_without_the_csrf_token_are_refused(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post("/customers/new/", {"name": "伪造的请求", "kind": "company"})

    assert response.status_code == 403
    assert not Customer.objects.filter(name="伪造的请求").exists()


def test_the_api_with_a_session_needs_the_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(
        "/api/v1/customers/", {"name": "伪造的请求"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not Customer.objects.filter(name="伪造的请求").exists()


def test_oversized_and_dangerous_files_are_refused(mine_and_theirs, rep_api, settings):
    settings.GUANXI_MAX_ATTACHMENT_BYTES = 1024
    customer = mine_and_theirs[0]
    url = f"/api/v1/customers/{customer.pk}/attachments/"

    big = rep_api.post(url, {"file": SimpleUploadedFile("big.pdf", b"x" * 2048, "application/pdf")})
    page = rep_api.post(
        url, {"file": SimpleUploadedFile("evil.html", b"<script></script>", "text/html")}
    )
    program = rep_api.post(
        url, {"file": SimpleUploadedFile("setup.exe", b"MZ", "application/octet-stream")}
    )

    for response in (big, page, program):
        assert response.status_code == 400
        assert response.json()["field"] == "file"
    assert not Attachment.objects.exists()


def test_another_users_ids_in_a_url_look_like_missing_records(mine_and_theirs, rep_api):
    theirs = mine_and_theirs[1]

    hidden = rep_api.get(f"/api/v1/customers/{theirs.pk}/")
    missing = rep_api.get("/api/v1/customers/987654321/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
