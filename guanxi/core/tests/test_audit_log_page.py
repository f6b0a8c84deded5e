from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from guanxi.core import audit_selectors
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import services


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def history(rep, other_rep):
    for index in range(3):
        services.customer_create(actor=rep, data={"name": f"甲{index}"})
    services.customer_create(actor=other_rep, data={"name": "乙"})


def test_an_auditor_filters_the_log_by_who(history, auditor, rep):
    response = client_for(auditor).get("/settings/audit/", {"actor": rep.pk})

    assert response.status_code == 200
    assert [e.object_repr for e in response.context["page"].entries] == ["甲2", "甲1", "甲0"]


def test_the_log_is_closed_to_reps_and_managers(history, rep, manager):
    assert client_for(rep).get("/settings/audit/").status_code == 403
    assert client_for(manager).get("/settings/audit/export/").status_code == 403


def test_keyset_pages_follow_the_before_id(history, auditor):
    first = audit_selectors.audit_entry_page(actor=auditor, size=3)
    second = audit_selectors.audit_entry_page(actor=auditor, size=3, before=first.next_before)

    ids = [e.pk for e in first.entries] + [e.pk for e in second.entries]
    assert ids == list(AuditEntry.objects.order_by("-id").values_list("pk", flat=True))
    assert second.next_before is None


def test_filter_by_action_record_type_and_dates(history, auditor):
    page = audit_selectors.audit_entry_page(
        actor=auditor,
        filters={"action": AuditAction.CREATE, "object_type": "customers.customer"},
    )
    assert len(page.entries) == 4

    none = audit_selectors.audit_entry_page(actor=auditor, filters={"action": AuditAction.DELETE})
    assert none.entries == []


def test_export_is_a_csv_and_is_itself_audited(history, auditor, rep):
    response = client_for(auditor).get("/settings/audit/export/", {"actor": rep.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[7] for row in rows[1:]] == ["甲2", "甲1", "甲0"]
    export = AuditEntry.objects.latest("id")
    assert export.action == AuditAction.EXPORT
    assert export.actor_name == "auditor"
    assert export.changes == {"filters": {"actor": str(rep.pk)}, "rows": [None, 3]}


def test_export_cells_cannot_become_formulas(auditor, rep):
    services.customer_create(actor=rep, data={"name": "=HYPERLINK(1)"})

    response = client_for(auditor).get("/settings/audit/export/")

    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_audit_verify_command_passes_and_names_a_broken_entry(history, capsys):
    call_command("audit", "verify")
    assert "audit log intact: 4 entries verified" in capsys.readouterr().out

    target = AuditEntry.objects.order_by("id")[2]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET changes = %s WHERE id = %s",  # noqa: S608
            ['{"name": [null, "forged"]}', target.pk],
        )

    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    assert error.value.returncode == 1
    assert f"entry #{target.pk}" in str(error.value)
