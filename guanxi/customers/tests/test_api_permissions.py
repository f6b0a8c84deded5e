"""Who may call which endpoint of the customers API.

For every endpoint: an anonymous client gets 401; a rep whose scope excludes the record gets 404
(or a 400 naming the field, when the record is named in the body) and nothing leaks or changes;
the owner may; a read-only token and a user without the right may read but never write (403).
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from guanxi.customers import services
from guanxi.customers.tests.api_support import call, client_for, stored_state, upload
from guanxi.testing import factories

API = "/api/v1"

# name: (method, url, body, status for the owner, status when the record is out of scope)
ENDPOINTS: dict[str, tuple[str, str, Any, int, int]] = {
    "customer-retrieve": ("get", "/customers/{customer}/", None, 200, 404),
    "customer-put": ("put", "/customers/{customer}/", {"name": "改名"}, 200, 404),
    "customer-patch": ("patch", "/customers/{customer}/", {"city": "杭州"}, 200, 404),
    "customer-delete": ("delete", "/customers/{customer}/", None, 204, 404),
    "customer-restore": ("post", "/customers/{deleted}/restore/", None, 200, 404),
    "customer-bulk": (
        "post",
        "/customers/bulk/",
        {"ids": ["{customer}"], "add_tags": ["{tag}"]},
        200,
        400,
    ),
    "collaborator-list": ("get", "/customers/{customer}/collaborators/", None, 200, 404),
    "collaborator-set": (
        "post",
        "/customers/{customer}/collaborators/",
        {"user": "{helper}", "access": "read"},
        200,
        404,
    ),
    "collaborator-remove": (
        "delete",
        "/customers/{customer}/collaborators/{helper}/",
        None,
        204,
        404,
    ),
    "attachment-list": ("get", "/customers/{customer}/attachments/", None, 200, 404),
    "attachment-upload": ("post", "/customers/{customer}/attachments/", "file", 201, 404),
    "attachment-retrieve": ("get", "/attachments/{attachment}/", None, 200, 404),
    "attachment-download": ("get", "/attachments/{attachment}/download/", None, 200, 404),
    "attachment-delete": ("delete", "/attachments/{attachment}/", None, 204, 404),
    "contact-create": (
        "post",
        "/contacts/",
        {"customer": "{customer}", "name": "新联系人"},
        201,
        400,
    ),
    "contact-retrieve": ("get", "/contacts/{contact}/", None, 200, 404),
    "contact-put": ("put", "/contacts/{contact}/", {"name": "改名"}, 200, 404),
    "contact-patch": ("patch", "/contacts/{contact}/", {"title": "经理"}, 200, 404),
    "contact-delete": ("delete", "/contacts/{contact}/", None, 204, 404),
    "interaction-create": (
        "post",
        "/interactions/",
        {"customer": "{customer}", "kind": "visit", "subject": "拜访"},
        201,
        400,
    ),
    "interaction-retrieve": ("get", "/interactions/{interaction}/", None, 200, 404),
    "interaction-put": ("put", "/interactions/{interaction}/", {"subject": "改"}, 200, 404),
    "interaction-patch": ("patch", "/interactions/{interaction}/", {"content": "内容"}, 200, 404),
    "interaction-delete": ("delete", "/interactions/{interaction}/", None, 204, 404),
}
# Shared records (no owner, so no scope) and lists: name: (method, url, body, status)
UNSCOPED: dict[str, tuple[str, str, Any, int]] = {
    "customer-list": ("get", "/customers/", None, 200),
    "customer-create": ("post", "/customers/", {"name": "新客户"}, 201),
    "contact-list": ("get", "/contacts/", None, 200),
    "interaction-list": ("get", "/interactions/", None, 200),
    "tag-list": ("get", "/tags/", None, 200),
    "tag-create": ("post", "/tags/", {"name": "新标签"}, 201),
    "tag-retrieve": ("get", "/tags/{tag}/", None, 200),
    "tag-put": ("put", "/tags/{tag}/", {"name": "改名"}, 200),
    "tag-patch": ("patch", "/tags/{tag}/", {"colour": "red"}, 200),
    "tag-delete": ("delete", "/tags/{tag}/", None, 204),
    "industry-list": ("get", "/industries/", None, 200),
    "source-list": ("get", "/sources/", None, 200),
    "level-list": ("get", "/levels/", None, 200),
    "user-list": ("get", "/users/", None, 200),
    "user-retrieve": ("get", "/users/{helper}/", None, 200),
}
SCOPED_WRITES = [name for name, spec in ENDPOINTS.items() if spec[0] != "get"]
SCOPED_READS = [name for name, spec in ENDPOINTS.items() if spec[0] == "get"]
UNSCOPED_WRITES = [name for name, spec in UNSCOPED.items() if spec[0] != "get"]
UNSCOPED_READS = [name for name, spec in UNSCOPED.items() if spec[0] == "get"]


@pytest.fixture
def world(rep, other_rep):
    """The same set of records for the rep and for a colleague; a third user collaborates on
    both customers."""
    helper = factories.UserFactory(username="helper", department=rep.department)
    tag = factories.TagFactory(name="标签")

    def records_of(owner):
        customer = factories.CustomerFactory(owner=owner, name=f"{owner.username}的客户")
        deleted = factories.CustomerFactory(owner=owner, name=f"{owner.username}删掉的客户")
        services.customer_delete(actor=owner, customer=deleted)
        contact = factories.ContactFactory(customer=customer)
        interaction = factories.InteractionFactory(customer=customer)
        attachment = services.attachment_create(actor=owner, customer=customer, upload=upload())
        services.collaborator_set(actor=owner, customer=customer, user=helper)
        return {
            "customer": customer.pk,
            "deleted": deleted.pk,
            "contact": contact.pk,
            "interaction": interaction.pk,
            "attachment": attachment.pk,
            "tag": tag.pk,
            "helper": helper.pk,
        }

    return {"mine": records_of(rep), "theirs": records_of(other_rep)}


def request(client: APIClient, spec: tuple, ids: dict[str, int]) -> Any:
    method, path, body = spec[0], spec[1], spec[2]
    url = API + path.format(**ids)
    if body == "file":
        body = {"file": upload()}
    elif isinstance(body, dict):
        body = {
            key: [int(v.format(**ids)) for v in value]
            if isinstance(value, list)
            else int(value.format(**ids))
            if isinstance(value, str) and value.startswith("{")
            else value
            for key, value in body.items()
        }
    return call(client, method, url, body)


@pytest.mark.parametrize("name", [*ENDPOINTS, *UNSCOPED])
def test_anonymous_clients_get_401_and_change_nothing(world, name):
    spec = ENDPOINTS.get(name) or UNSCOPED[name]
    before = stored_state()

    response = request(APIClient(), spec, world["mine"])

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"
    assert stored_state() == before


def test_a_revoked_or_made_up_token_is_401(world, rep):
    from guanxi.accounts import services as account_services

    client = client_for(rep)
    token = rep.api_tokens.get()
    account_services.token_revoke(actor=rep, token_id=token.pk)
    made_up = APIClient()
    made_up.credentials(HTTP_AUTHORIZATION="Bearer gx_made-up")

    for anybody in (client, made_up):
        response = anybody.get(f"{API}/customers/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_a_rep_outside_the_scope_gets_not_found_and_nothing_changes(world, rep, name):
    client = client_for(rep)
    spec = ENDPOINTS[name]
    before = stored_state()

    response = request(client, spec, world["theirs"])

    assert response.status_code == spec[4]
    body = response.json()
    if spec[4] == 404:
        assert body["code"] == "not_found"
    else:
        assert body["field"] in ("customer", "ids")
    assert "other的客户" not in response.content.decode()
    assert stored_state() == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_the_owner_may(world, rep, name):
    spec = ENDPOINTS[name]

    response = request(client_for(rep), spec, world["mine"])

    assert response.status_code == spec[3], response.content


@pytest.mark.parametrize("name", list(UNSCOPED))
def test_a_rep_may_use_the_shared_endpoints(world, rep, name):
    spec = UNSCOPED[name]

    response = request(client_for(rep), spec, world["mine"])

    assert response.status_code == spec[3], response.content


@pytest.mark.parametrize("name", SCOPED_WRITES + UNSCOPED_WRITES)
def test_a_read_only_token_may_not_write(world, rep, name):
    client = client_for(rep, read_only=True)
    spec = ENDPOINTS.get(name) or UNSCOPED[name]
    before = stored_state()

    response = request(client, spec, world["mine"])

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert stored_state() == before


@pytest.mark.parametrize("name", SCOPED_READS + UNSCOPED_READS)
def test_a_read_only_token_may_read(world, rep, name):
    spec = ENDPOINTS.get(name) or UNSCOPED[name]

    response = request(client_for(rep, read_only=True), spec, world["mine"])

    assert response.status_code == 200


@pytest.mark.parametrize("name", SCOPED_WRITES + UNSCOPED_WRITES)
def test_a_user_without_the_right_may_not_write(world, auditor, name):
    # the auditor sees every customer but may change none
    client = client_for(auditor)
    spec = ENDPOINTS.get(name) or UNSCOPED[name]
    before = stored_state()

    response = request(client, spec, world["mine"])

    assert response.status_code == 403
    assert stored_state() == before


def test_a_user_without_any_role_sees_nothing(world):
    nobody = factories.UserFactory(username="nobody", roles=[])
    client = client_for(nobody)

    assert client.get(f"{API}/customers/").json()["results"] == []
    assert client.get(f"{API}/customers/{world['mine']['customer']}/").status_code == 404
    assert client.post(f"{API}/customers/", {"name": "x"}, format="json").status_code == 403


def test_a_collaborator_may_see_the_customer_she_works_on(world, rep, other_rep):
    # given the rep collaborates on a colleague's customer
    theirs = world["theirs"]["customer"]
    from guanxi.customers.models import Customer

    services.collaborator_set(actor=other_rep, customer=Customer.objects.get(pk=theirs), user=rep)

    response = client_for(rep).get(f"{API}/customers/{theirs}/")

    assert response.status_code == 200
