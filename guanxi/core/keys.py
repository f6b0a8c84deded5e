"""Rotation of the data-encryption keys: new current key, every encrypted column re-encrypted.

Rotation runs while the application is in use. The new key becomes current in the key file; old
keys stay in the file until no row uses them any more, so every value stays readable throughout.
Rows are re-encrypted in batches, each row only if it was not changed meanwhile (compare and
swap), and passes repeat until one finds nothing left under an old key. Only then are the old
keys removed from the file (``retire``).

With keys from the environment (``GUANXI_ENCRYPTION_KEYS``) the operator puts the new key first
in the variable, restarts, and runs ``guanxi keys reencrypt`` and then drops the old key.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from guanxi.core import audit, crypto
from guanxi.core.models import AuditAction

Progress = Callable[[str], None]


class KeyRotationError(Exception):
    """Rotation cannot run as configured (e.g. keys come from the environment)."""


@dataclass(frozen=True)
class EncryptedTable:
    table: str
    pk_column: str
    columns: tuple[str, ...]
    label: str


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with at least one encrypted column (concrete models only)."""
    tables = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = tuple(
            field.column
            for field in meta.local_concrete_fields
            if isinstance(field, crypto.EncryptedTextField)
        )
        if columns:
            tables.append(
                EncryptedTable(
                    meta.db_table,
                    str(meta.pk.column),
                    tuple(str(column) for column in columns),
                    meta.label_lower,
                )
            )
    return tables


def _rows(table: EncryptedTable, batch_size: int) -> Iterator[list[tuple[Any, ...]]]:
    quote = connection.ops.quote_name
    select = ", ".join(quote(c) for c in (table.pk_column, *table.columns))
    sql = (
        f"SELECT {select} FROM {quote(table.table)} "  # noqa: S608 - names from the models
        f"WHERE {quote(table.pk_column)} > %s ORDER BY {quote(table.pk_column)} LIMIT %s"
    )
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last if last is not None else -(2**63), batch_size])
            batch = cursor.fetchall()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def key_usage(batch_size: int = 1000) -> Counter[str]:
    """How many encrypted values each key id protects, over every encrypted column."""
    usage: Counter[str] = Counter()
    for table in encrypted_tables():
        for batch in _rows(table, batch_size):
            for row in batch:
                for value in row[1:]:
                    if value:
                        usage[crypto.key_id_of(value)] += 1
    return usage


def reencrypt(*, batch_size: int = 500, progress: Progress | None = None) -> int:
    """Re-encrypt under the current key every value written under another; returns how many.

    Passes repeat until one finds nothing to do (values written meanwhile by a process that had
    not yet seen the new key are caught by the next pass).
    """
    total = 0
    for _ in range(10):
        changed = _reencrypt_pass(batch_size=batch_size, progress=progress)
        total += changed
        if not changed:
            return total
    return total


def _reencrypt_pass(*, batch_size: int, progress: Progress | None) -> int:
    quote = connection.ops.quote_name
    current = crypto.ring().current_id
    changed = 0
    for table in encrypted_tables():
        table_changed = 0
        for batch in _rows(table, batch_size):
            updates = []
            for row in batch:
                pk, values = row[0], row[1:]
                for column, value in zip(table.columns, values, strict=True):
                    if value and crypto.key_id_of(value) != current:
                        updates.append((column, crypto.encrypt(crypto.decrypt(value)), pk, value))
            if not updates:
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                for column, new_value, pk, old_value in updates:
                    cursor.execute(
                        f"UPDATE {quote(table.table)} SET {quote(column)} = %s "  # noqa: S608
                        f"WHERE {quote(table.pk_column)} = %s AND {quote(column)} = %s",
                        [new_value, pk, old_value],
                    )
                    table_changed += cursor.rowcount
        if progress and table_changed:
            progress(f"{table.label}: {table_changed} values re-encrypted")
        changed += table_changed
    return changed


def _read_key_file(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _key_file() -> Path:
    if getattr(settings, "GUANXI_ENCRYPTION_KEYS", ""):
        raise KeyRotationError(
            "The keys come from GUANXI_ENCRYPTION_KEYS: put the new key first in it, restart, "
            "then run `guanxi keys reencrypt`."
        )
    crypto.ring()  # creates the key file on first use
    return Path(settings.GUANXI_KEY_FILE)


def add_current_key() -> tuple[str, str]:
    """Write a new key into the key file and make it current; returns (old id, new id)."""
    path = _key_file()
    content = _read_key_file(path)
    old_id = content["current"]
    new_id = crypto.new_key_file_content()["current"]
    while new_id in content["keys"]:
        new_id = crypto.new_key_file_content()["current"]
    content["keys"][new_id] = crypto._b64(AESGCM.generate_key(bit_length=256))
    content["current"] = new_id
    crypto.write_key_file(path, content)
    crypto.reset_ring()
    return old_id, new_id


def retire_unused_keys() -> list[str]:
    """Remove from the key file every non-current key that no value uses; returns their ids."""
    path = _key_file()
    usage = key_usage()
    content = _read_key_file(path)
    retired = [
        key_id
        for key_id in content["keys"]
        if key_id != content["current"] and usage.get(key_id, 0) == 0
    ]
    if retired:
        for key_id in retired:
            del content["keys"][key_id]
        crypto.write_key_file(path, content)
        crypto.reset_ring()
    return retired


@dataclass(frozen=True)
class RotationResult:
    old_key_id: str
    new_key_id: str
    reencrypted: int
    retired: list[str]


def rotate(
    *,
    settle_seconds: float | None = None,
    batch_size: int = 500,
    retire: bool = True,
    progress: Progress | None = None,
) -> RotationResult:
    """Rotate the data key: new current key, re-encrypt everything, then drop unused old keys.

    ``settle_seconds`` (default: how often running processes re-read the key file) is waited
    after the new key is written, so that no process still encrypts with the old one.
    """
    old_id, new_id = add_current_key()
    if progress:
        progress(f"new current key {new_id} (old key {old_id} kept until done)")
    wait = crypto.RELOAD_SECONDS + 1 if settle_seconds is None else settle_seconds
    if wait > 0:
        time.sleep(wait)
    changed = reencrypt(batch_size=batch_size, progress=progress)
    retired = retire_unused_keys() if retire else []
    audit.record(
        None,
        AuditAction.OTHER,
        object_type="core.encryptionkey",
        object_id=new_id,
        object_repr="encryption key rotated",
        changes={"current_key": [old_id, new_id], "reencrypted": [None, changed]},
    )
    return RotationResult(old_id, new_id, changed, retired)
