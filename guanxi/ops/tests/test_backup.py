from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from guanxi.customers import selectors
from guanxi.customers import services as customer_services
from guanxi.customers.models import Attachment, Customer
from guanxi.ops import backup
from guanxi.testing import factories

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every model table, as stored."""
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in backup.model_tables():
            if table == "django_session":
                continue
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


@pytest.fixture
def data(rep, other_rep):
    customer = customer_services.customer_create(
        actor=rep, data={"name": "星辰科技", "phone": "13812345678", "email": "a@qq.com"}
    )
    customer_services.contact_create(
        actor=rep, customer=customer, data={"name": "张三", "mobile": "13900001111"}
    )
    customer_services.interaction_create(
        actor=rep, customer=customer, data={"subject": "首次拜访", "kind": "visit"}
    )
    customer_services.attachment_create(
        actor=rep,
        customer=customer,
        upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 contract", "application/pdf"),
    )
    factories.CustomerFactory(owner=other_rep, name="月亮贸易")
    return customer


def attachment_bytes() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {a.file.name: (root / a.file.name).read_bytes() for a in Attachment.objects.all()}


def test_a_backup_and_restore_round_trip_loses_nothing(data, rep, tmp_path):
    # given a backup of the data and its attachments
    before, files_before = snapshot(), attachment_bytes()
    result = backup.backup_create(output_dir=tmp_path)
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert result.manifest["database"]["tables"]["customers_customer"] == 2

    # when everything changes afterwards: a customer and an attachment gone, another added
    attachment = Attachment.objects.get()
    customer_services.attachment_delete(actor=rep, attachment=attachment)
    Customer.all_objects.filter(name="月亮贸易").delete()
    factories.CustomerFactory(owner=rep, name="新来的")

    # and the backup is restored
    restored = backup.backup_restore(result.path, force=True)

    # then every row and every file is back as it was
    assert snapshot() == before
    assert attachment_bytes() == files_before
    assert restored.files == 1
    # and search works on the restored data
    assert [c.name for c in selectors.customer_list(actor=rep, q="13812345678")] == ["星辰科技"]


def test_keep_only_the_newest_backups(db, tmp_path):
    paths = [backup.backup_create(output_dir=tmp_path).path for _ in range(3)]

    result = backup.backup_create(output_dir=tmp_path, keep=2)

    assert sorted(tmp_path.glob("guanxi-backup-*.tar.gz")) == sorted([paths[2], result.path])
    assert result.removed == [paths[1], paths[0]]


def test_a_damaged_backup_is_refused_and_nothing_changes(data, tmp_path):
    path = backup.backup_create(output_dir=tmp_path).path
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(path, "r:gz") as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name.startswith("media/"):
                content = content.replace(b"contract", b"forgery!")
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    before = snapshot()

    with pytest.raises(backup.BackupError, match="does not match its checksum"):
        backup.backup_restore(damaged, force=True)
    assert snapshot() == before


def test_the_commands(data, tmp_path, capsys):
    call_command("backup", "--output", str(tmp_path), "--keep", "1")
    [path] = tmp_path.glob("guanxi-backup-*.tar.gz")
    call_command("restore", str(path), "--verify-only")
    assert "backup intact" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.tar.gz"))


def test_a_restore_into_a_database_with_data_needs_force(data, tmp_path):
    if connection.vendor == "sqlite":
        pytest.skip("an SQLite backup replaces the SQLite file as a whole")
    path = backup.backup_create(output_dir=tmp_path).path

    with pytest.raises(backup.BackupError, match="--force"):
        backup.backup_restore(path)


def test_moving_from_sqlite_to_postgresql_keeps_every_row(db, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL as the target (DATABASE_URL)")
    # given an SQLite installation with some customers, made by the command line
    source = tmp_path / "old.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{source}",
        "GUANXI_VAR_DIR": str(tmp_path / "var"),
        "GUANXI_KEY_FILE": str(settings.GUANXI_KEY_FILE),
    }
    manage = [sys.executable, str(Path(settings.PROJECT_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    script = (
        "from guanxi.accounts.services import user_create\n"
        "from guanxi.customers import services as s\n"
        "root = user_create(actor=None, username='root', is_superuser=True)\n"
        "for i in range(5):\n"
        "    data = {'name': f'老客户{i}', 'phone': f'1380000000{i}'}\n"
        "    s.customer_create(actor=root, data=data)\n"
    )
    subprocess.run([*manage, "shell", "-c", script], env=env, check=True)

    # when it moves into this PostgreSQL database
    call_command("movedb", "--from", str(source))

    # then everything is there, readable and searchable
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        f"老客户{i}" for i in range(5)
    ]
    assert Customer.objects.get(name="老客户3").phone == "+8613800000003"
    assert (
        selectors.customer_list(
            actor=factories.UserFactory(is_superuser=True), q="13800000003"
        ).count()
        == 1
    )


def test_the_nightly_task_keeps_the_newest_backups(db, tmp_path, settings):
    from guanxi.ops.tasks import backup_create_task

    settings.GUANXI_BACKUP_DIR = str(tmp_path)
    settings.GUANXI_BACKUP_KEEP = 2
    for _ in range(3):
        backup_create_task.call_local()

    assert len(list(tmp_path.glob("guanxi-backup-*.tar.gz"))) == 2

    settings.GUANXI_BACKUP_KEEP = 0
    backup_create_task.call_local()
    assert len(list(tmp_path.glob("guanxi-backup-*.tar.gz"))) == 2
