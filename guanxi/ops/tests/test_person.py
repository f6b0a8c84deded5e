from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import selectors
from guanxi.customers import services as customer_services
from guanxi.customers.models import Attachment, Contact, Customer, Interaction
from guanxi.ops import person


@pytest.fixture
def zhang(rep):
    customer = customer_services.customer_create(
        actor=rep,
        data={"kind": "person", "name": "张三", "phone": "13812345678", "email": "zs@qq.com"},
    )
    contact = customer_services.contact_create(
        actor=rep, customer=customer, data={"name": "张三本人", "mobile": "13900001111"}
    )
    customer_services.interaction_create(
        actor=rep, customer=customer, data={"subject": "电话回访", "contact": contact}
    )
    customer_services.attachment_create(
        actor=rep,
        customer=customer,
        upload=SimpleUploadedFile("身份证.jpg", b"\xff\xd8 photo", "image/jpeg"),
    )
    return customer


def test_export_holds_everything_about_the_person_in_plain_text(zhang, tmp_path):
    path = tmp_path / "zhang.json"

    call_command("person", "export", "--customer", str(zhang.pk), "--output", str(path))

    document = json.loads(path.read_text())
    assert document["record"]["name"] == "张三"
    assert document["record"]["phone"] == "+8613812345678"
    kinds = sorted(row["_type"] for row in document["related"])
    assert kinds == ["customers.attachment", "customers.contact", "customers.interaction"]
    contact = next(r for r in document["related"] if r["_type"] == "customers.contact")
    assert contact["mobile"] == "+8613900001111"
    assert [h["action"] for h in document["history"]] == ["create"]
    assert path.stat().st_mode & 0o777 == 0o600
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id) == (AuditAction.EXPORT, str(zhang.pk))


def test_purge_erases_the_person_her_files_and_search_entry(
    zhang, rep, django_capture_on_commit_callbacks
):
    stored_file = Path(settings.MEDIA_ROOT) / Attachment.objects.get().file.name
    assert stored_file.exists()

    with django_capture_on_commit_callbacks(execute=True):
        deleted = person.person_purge(customer_id=zhang.pk)

    assert deleted["customers.Customer"] == 1
    assert not Customer.all_objects.filter(pk=zhang.pk).exists()
    assert not Contact.all_objects.exists()
    assert not Interaction.all_objects.exists()
    assert not stored_file.exists()
    assert list(selectors.customer_list(actor=rep, q="13812345678")) == []
    purge = AuditEntry.objects.latest("id")
    assert (purge.action, purge.object_type, purge.object_id) == (
        AuditAction.PURGE,
        "customers.customer",
        str(zhang.pk),
    )
    assert (purge.object_repr, purge.changes) == ("", {})
    assert audit.verify().ok


def test_purging_one_contact_keeps_the_customer(zhang):
    contact = Contact.objects.get()

    person.person_purge(contact_id=contact.pk)

    assert Customer.objects.filter(pk=zhang.pk).exists()
    assert not Contact.all_objects.exists()
    assert Interaction.objects.get().contact is None


def test_purge_needs_yes_and_an_existing_record(zhang):
    with pytest.raises(CommandError, match="--yes"):
        call_command("person", "purge", "--customer", str(zhang.pk))
    with pytest.raises(CommandError, match="no customer with id 999999"):
        call_command("person", "purge", "--customer", "999999", "--yes")
    assert Customer.objects.filter(pk=zhang.pk).exists()
