"""Files attached to a customer: upload (checked by the service), list, download, delete."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.customers import services
from guanxi.customers.models import Attachment
from guanxi.customers.tests.api_support import error_field, stored_state, upload
from guanxi.testing import factories


def files_url(customer):
    return f"/api/v1/customers/{customer.pk}/attachments/"


def test_a_file_is_uploaded_listed_downloaded_and_deleted(rep_api, customer):
    # when the owner uploads a file
    uploaded = rep_api.post(
        files_url(customer), {"file": upload("报价单.pdf", b"%PDF-1.4 quote")}, format="multipart"
    )

    # then it is stored with its size and checksum
    assert uploaded.status_code == 201
    attachment = Attachment.objects.get()
    assert uploaded.json() == {
        "id": attachment.pk,
        "customer_id": customer.pk,
        "interaction_id": None,
        "name": "报价单.pdf",
        "content_type": "application/pdf",
        "size": 14,
        "sha256": attachment.sha256,
        "created_at": uploaded.json()["created_at"],
        "version": 1,
    }
    assert [a["id"] for a in rep_api.get(files_url(customer)).json()["results"]] == [attachment.pk]

    # when she downloads it
    downloaded = rep_api.get(f"/api/v1/attachments/{attachment.pk}/download/")

    # then she gets the bytes, as an attachment that no browser will render
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == b"%PDF-1.4 quote"
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded["Content-Disposition"].startswith("attachment;")
    assert downloaded["X-Content-Type-Options"] == "nosniff"

    # when she deletes it, it is gone
    assert rep_api.delete(f"/api/v1/attachments/{attachment.pk}/").status_code == 204
    assert not Attachment.objects.exists()
    assert rep_api.get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 404


def test_a_file_can_belong_to_an_interaction(rep_api, customer):
    call = factories.InteractionFactory(customer=customer)

    response = rep_api.post(
        files_url(customer), {"file": upload(), "interaction": call.pk}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["interaction_id"] == call.pk
    listed = rep_api.get(f"/api/v1/interactions/{call.pk}/").json()["attachments"]
    assert [a["name"] for a in listed] == ["报价单.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("empty.txt", b"", "file"),
        ("evil.exe", b"MZ", "file"),
        ("page.html", b"<script></script>", "file"),
        ("drawing.svg", b"<svg/>", "file"),
    ],
)
def test_unwanted_files_are_refused(rep_api, customer, name, content, field):
    before = stored_state()

    response = rep_api.post(
        files_url(customer), {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )

    assert response.status_code == 400
    assert error_field(response) == field
    assert stored_state() == before


def test_a_file_over_the_size_limit_is_refused(rep_api, customer, settings):
    settings.GUANXI_MAX_ATTACHMENT_BYTES = 10
    before = stored_state()

    response = rep_api.post(
        files_url(customer), {"file": upload(content=b"x" * 11)}, format="multipart"
    )

    assert response.status_code == 400
    assert error_field(response) == "file"
    assert stored_state() == before


def test_an_upload_without_a_file_or_as_json_is_refused(rep_api, customer):
    assert rep_api.post(files_url(customer), {}, format="multipart").status_code == 400
    as_json = rep_api.post(files_url(customer), {"file": "abc"}, format="json")
    assert as_json.status_code == 415


def test_an_interaction_of_another_customer_cannot_be_named(rep_api, rep, customer):
    elsewhere = factories.InteractionFactory(customer=factories.CustomerFactory(owner=rep))

    response = rep_api.post(
        files_url(customer), {"file": upload(), "interaction": elsewhere.pk}, format="multipart"
    )

    assert response.status_code == 400
    assert error_field(response) == "interaction"


def test_a_file_missing_from_storage_is_not_found(rep_api, rep, customer):
    attachment = services.attachment_create(actor=rep, customer=customer, upload=upload())
    attachment.file.storage.delete(attachment.file.name)

    response = rep_api.get(f"/api/v1/attachments/{attachment.pk}/download/")

    assert response.status_code == 404


def test_listing_files_costs_the_same_queries_for_one_or_many(
    rep_api, rep, customer, django_assert_num_queries
):
    services.attachment_create(actor=rep, customer=customer, upload=upload())
    rep_api.get(files_url(customer))

    # token + roles, the customer (with its tags and collaborators), the page
    with django_assert_num_queries(6):
        assert len(rep_api.get(files_url(customer)).json()["results"]) == 1
    for _ in range(5):
        services.attachment_create(actor=rep, customer=customer, upload=upload())
    with django_assert_num_queries(6):
        assert len(rep_api.get(files_url(customer)).json()["results"]) == 6
