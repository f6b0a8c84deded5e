from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from guanxi.core import crypto, keys
from guanxi.core.models import AuditEntry
from guanxi.customers import selectors
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer

PHONE = "13812345678"
EMAIL = "zhang.san@qq.com"


@pytest.fixture
def key_file(settings, tmp_path):
    settings.GUANXI_ENCRYPTION_KEYS = ""
    settings.GUANXI_KEY_FILE = tmp_path / "keys.json"
    crypto.reset_ring()
    yield Path(settings.GUANXI_KEY_FILE)
    crypto.reset_ring()


def raw_values(model, column):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} ORDER BY id"  # noqa: S608
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def people(key_file, rep):
    customer = customer_services.customer_create(
        actor=rep,
        data={"name": "星辰科技", "phone": PHONE, "email": EMAIL, "address": "深圳市南山区1号"},
    )
    customer_services.contact_create(
        actor=rep, customer=customer, data={"name": "张三", "mobile": "13900001111"}
    )
    return customer


def test_rotation_reencrypts_every_column_and_retires_the_old_key(people, key_file, rep):
    old_id = crypto.ring().current_id

    result = keys.rotate(settle_seconds=0)

    content = json.loads(key_file.read_text())
    assert list(content["keys"]) == [result.new_key_id]
    assert content["current"] == result.new_key_id != old_id
    assert result.retired == [old_id]
    assert result.reencrypted == 4
    for column in ("phone", "email", "address"):
        [value] = raw_values(Customer, column)
        assert crypto.key_id_of(value) == result.new_key_id
    customer = Customer.objects.get()
    assert (customer.phone, customer.email) == ("+86" + PHONE, EMAIL)
    assert Contact.objects.get().mobile == "+8613900001111"
    # exact search through the blind index still finds her
    assert list(selectors.customer_list(actor=rep, q=PHONE)) == [customer]
    entry = AuditEntry.objects.latest("id")
    assert entry.changes == {"current_key": [old_id, result.new_key_id], "reencrypted": [None, 4]}
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_values_written_under_the_old_key_meanwhile_are_caught(people, key_file):
    old_id, new_id = keys.add_current_key()
    # a process that has not seen the new key yet writes with the old one
    content = json.loads(key_file.read_text())
    stale_ring = crypto.KeyRing(
        old_id, {k: crypto._unb64(v) for k, v in content["keys"].items()}, b""
    )
    nonce = b"\x00" * 12
    stale = "gx1:{}:{}".format(
        old_id,
        crypto._b64(nonce + stale_ring.aead(old_id).encrypt(nonce, b"+8613700000000", b"gx1")),
    )
    Customer.objects.filter(pk=people.pk).update(phone_bidx="x")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} SET phone = %s",  # noqa: S608
            [stale],
        )
    assert keys.key_usage()[old_id] == 4

    assert keys.reencrypt() == 4
    assert keys.key_usage() == {new_id: 4}
    assert Customer.objects.get().phone == "+8613700000000"


def test_keep_old_and_status(people, key_file, capsys):
    call_command("keys", "rotate", "--settle", "0", "--keep-old")
    content = json.loads(key_file.read_text())
    assert len(content["keys"]) == 2

    call_command("keys", "status")
    out = capsys.readouterr().out
    assert f"{content['current']} (current): 4 values" in out

    call_command("keys", "retire")
    assert len(json.loads(key_file.read_text())["keys"]) == 1


def test_rotation_refuses_keys_from_the_environment(settings):
    settings.GUANXI_ENCRYPTION_KEYS = (
        "a:" + crypto._b64(b"k" * 32) + ",index:" + crypto._b64(b"i" * 32)
    )
    crypto.reset_ring()
    try:
        with pytest.raises(keys.KeyRotationError):
            keys.add_current_key()
    finally:
        settings.GUANXI_ENCRYPTION_KEYS = ""
        crypto.reset_ring()


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_phone_or_email_is_stored(key_file, rep):
    # given a customer and a contact with phones and e-mails, committed to the database
    customer = customer_services.customer_create(
        actor=rep, data={"name": "明文测试", "phone": PHONE, "email": EMAIL}
    )
    customer_services.contact_create(
        actor=rep,
        customer=customer,
        data={"name": "李四", "mobile": "13900002222", "email": "li.si@163.com"},
    )
    secrets = [PHONE, EMAIL, "13900002222", "li.si@163.com"]

    if connection.vendor == "sqlite":
        # then the raw database file (and its write-ahead log) holds none of them
        path = Path(connection.settings_dict["NAME"])
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        for secret in secrets:
            assert secret.encode() not in raw, secret
            assert secret.encode("utf-16-le") not in raw, secret
    else:
        # then no column of any table, read as text, holds them
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(
                    f"SELECT t::text FROM {connection.ops.quote_name(table)} AS t"  # noqa: S608
                )
                text = "\n".join(row[0] for row in cursor.fetchall())
                for secret in secrets:
                    assert secret not in text, (table, secret)
