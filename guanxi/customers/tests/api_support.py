"""Helpers shared by the API tests of customers (clients, calls, snapshots of stored state)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from guanxi.accounts import services as account_services
from guanxi.core.models import AuditEntry
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    Tag,
)


def client_for(user: Any, *, read_only: bool = False) -> APIClient:
    issued = account_services.token_create(
        actor=user, user=user, name="tests", is_read_only=read_only
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def call(client: APIClient, method: str, url: str, body: Any = None) -> Any:
    """Send ``body`` as JSON, or as multipart when it holds a file."""
    if isinstance(body, dict) and any(isinstance(v, SimpleUploadedFile) for v in body.values()):
        for value in body.values():
            if isinstance(value, SimpleUploadedFile):
                value.seek(0)
        return getattr(client, method)(url, body, format="multipart")
    return getattr(client, method)(url, body, format="json")


def stored_state() -> dict[str, Any]:
    """Everything the customers API can change, to prove that a refused request changed nothing.

    The audit log is included: every write leaves an entry."""
    return {
        "customers": list(Customer.all_objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "customer_tags": sorted(Customer.tags.through.objects.values_list("customer_id", "tag_id")),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "interactions": list(Interaction.all_objects.order_by("pk").values()),
        "collaborators": list(CustomerCollaborator.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "audit_entries": AuditEntry.objects.count(),
    }


def upload(name: str = "报价单.pdf", content: bytes = b"%PDF-1.4 quote") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def error_field(response: Any) -> Any:
    body = response.json()
    assert set(body) >= {"code", "message", "field", "errors"}, body
    return body["field"]
