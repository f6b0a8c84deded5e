from __future__ import annotations

import pytest
from django.db import connection

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import services


@pytest.mark.django_db
def test_every_write_leaves_a_chained_entry_and_verify_passes(rep):
    # given a rep who creates and then renames a customer
    customer = services.customer_create(actor=rep, data={"name": "华为技术有限公司"})
    services.customer_update(actor=rep, customer=customer, data={"name": "华为"}, version=1)

    # then the log holds both, linked, with the field-level diff of the rename
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert entries[1].prev_hash == entries[0].hash
    assert entries[1].changes == {"name": ["华为技术有限公司", "华为"]}
    assert entries[1].actor_name == "rep"
    assert audit.verify().ok
    assert audit.verify().checked == 2


@pytest.mark.django_db
def test_verify_names_the_entry_altered_directly_in_the_database(rep):
    for index in range(3):
        services.customer_create(actor=rep, data={"name": f"客户{index}"})
    target = AuditEntry.objects.order_by("id")[1]

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET object_repr = %s WHERE id = %s",  # noqa: S608
            ["改过的", target.pk],
        )

    result = audit.verify()
    assert not result.ok
    assert result.broken_entry_id == target.pk


@pytest.mark.django_db
def test_verify_detects_a_deleted_last_entry(rep):
    services.customer_create(actor=rep, data={"name": "甲"})
    services.customer_create(actor=rep, data={"name": "乙"})
    AuditEntry.objects.order_by("-id")[0].delete()

    result = audit.verify()
    assert not result.ok
    assert result.reason == "entries missing at the end"


@pytest.mark.django_db
def test_sensitive_values_are_masked_in_the_log(rep):
    customer = services.customer_create(actor=rep, data={"name": "乙", "phone": "13812345678"})
    services.customer_update(actor=rep, customer=customer, data={"phone": "13900001111"})

    update = AuditEntry.objects.filter(action=AuditAction.UPDATE).get()
    assert update.changes == {"phone": [audit.MASK, audit.MASK]}
    assert "13900001111" not in str(AuditEntry.objects.values_list("changes", flat=True))
