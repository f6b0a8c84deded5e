"""Backups, restores and moving house (SQLite to PostgreSQL).

A backup is one ``.tar.gz`` holding a manifest (row counts per table, SHA-256 of every file), the
database and the attachments:

- SQLite: a consistent copy of the whole file made with SQLite's online backup API while the
  application keeps running;
- PostgreSQL: every table as JSON lines, read in one REPEATABLE READ snapshot.

Encrypted columns stay encrypted in the backup: keep the key file (or ``GUANXI_ENCRYPTION_KEYS``)
in a separate, safe place, or the backup cannot be read.

A restore checks every checksum first, writes the rows (the target must be migrated to the same
state; a non-empty target needs ``force``), copies the attachments back, rebuilds the search
indexes when the rows came from another kind of database, and compares the row counts with the
manifest. Moving from SQLite to PostgreSQL is a backup of the SQLite file restored into
PostgreSQL (``guanxi movedb --to postgres://…``).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

import guanxi

FORMAT = "guanxi-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PREFIX = "guanxi-backup-"
SUFFIX = ".tar.gz"
Progress = Callable[[str], None]


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    removed: list[Path] = field(default_factory=list)


@dataclass
class RestoreResult:
    tables: dict[str, int]
    files: int
    reindexed: bool


# --- what is in the database ------------------------------------------------------------------


def model_tables() -> dict[str, Any]:
    """Every table that belongs to a model (many-to-many tables included), by name.

    Tables without a model (the migrations record, search indexes) are not copied: the target is
    migrated before a restore, and search indexes are rebuilt from the rows.
    """
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            tables[meta.db_table] = model
    return dict(sorted(tables.items()))


def applied_migrations(using: str = "default") -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[using])
    result: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        result.setdefault(app, []).append(name)
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict | list):
        return {"$json": value}
    return str(value)


def _from_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        if "$json" in value:
            return value["$json"]
    return value


# --- making a backup --------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(getattr(settings, "GUANXI_BACKUP_DIR", "") or settings.VAR_DIR / "backups")


def _sqlite_copy(using: str, target: Path) -> dict[str, int]:
    """Copy the live SQLite database with the online backup API; count rows in the copy."""
    source_path = connections[using].settings_dict["NAME"]
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        counts = {}
        existing = {
            row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        for table in model_tables():
            if table in existing:
                counts[table] = copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        return counts
    finally:
        copy.close()
        source.close()


def _table_dump(using: str, directory: Path) -> dict[str, int]:
    """Every model table as JSON lines (first line: the columns), in one consistent snapshot."""
    connection = connections[using]
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        existing = set(connection.introspection.table_names())
        for table in model_tables():
            if table not in existing:
                continue
            path = directory / f"{table}.jsonl"
            count = 0
            with connection.chunked_cursor() as cursor, path.open("w") as out:
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
                columns = [column[0] for column in cursor.description]
                out.write(json.dumps(columns) + "\n")
                while rows := cursor.fetchmany(2000):
                    for row in rows:
                        out.write(json.dumps([_json_value(v) for v in row], ensure_ascii=False))
                        out.write("\n")
                    count += len(rows)
            counts[table] = count
    return counts


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix()


def backup_create(
    *,
    output_dir: Path | None = None,
    keep: int | None = None,
    using: str = "default",
    progress: Progress | None = None,
) -> BackupResult:
    """Make a consistent backup while the application runs; keep only the newest ``keep``."""
    connection = connections[using]
    target_dir = Path(output_dir or backup_dir())
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    archive = target_dir / f"{PREFIX}{stamp}{SUFFIX}"
    with tempfile.TemporaryDirectory(prefix="guanxi-backup-") as work:
        root = Path(work)
        files: dict[str, str] = {}
        if connection.vendor == "sqlite":
            counts = _sqlite_copy(using, root / SQLITE_FILE)
            files[SQLITE_FILE] = _sha256(root / SQLITE_FILE)
            kind = "sqlite-file"
        elif connection.vendor == "postgresql":
            (root / "db").mkdir()
            counts = _table_dump(using, root / "db")
            for path in sorted((root / "db").iterdir()):
                files[f"db/{path.name}"] = _sha256(path)
            kind = "table-json"
        else:
            raise BackupError(f"backups of {connection.vendor} databases are not supported")
        if progress:
            progress(f"database: {sum(counts.values())} rows in {len(counts)} tables")
        media = list(_media_files())
        for path, name in media:
            files[f"media/{name}"] = _sha256(path)
        if progress:
            progress(f"attachments: {len(media)} files")
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "guanxi_version": guanxi.__version__,
            "database": {"vendor": connection.vendor, "kind": kind, "tables": counts},
            "migrations": applied_migrations(using),
            "files": files,
        }
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = archive.with_name(archive.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(root / MANIFEST, arcname=MANIFEST)
            for name in files:
                source = root / name if not name.startswith("media/") else None
                if source is None:
                    source = Path(settings.MEDIA_ROOT) / name.removeprefix("media/")
                tar.add(source, arcname=name)
        os.replace(partial, archive)
    removed = backup_prune(target_dir, keep) if keep else []
    return BackupResult(archive, manifest, removed)


def backup_prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``directory``."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    archives = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.name, reverse=True)
    removed = archives[keep:]
    for path in removed:
        path.unlink()
    return removed


# --- restoring --------------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    member = tar.extractfile(MANIFEST)
    if member is None:
        raise BackupError("this is not a Guanxi backup (no manifest)")
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def backup_verify(path: Path) -> dict[str, Any]:
    """Check every checksum of a backup; returns its manifest, raises BackupError if broken."""
    with tarfile.open(path, "r:gz") as tar:
        manifest = _read_manifest(tar)
        names = set(tar.getnames())
        for name, expected in manifest["files"].items():
            if name not in names:
                raise BackupError(f"{name} is missing from the backup")
            handle = tar.extractfile(name)
            if handle is None:
                raise BackupError(f"{name} is not a file")
            digest = hashlib.sha256()
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
            if digest.hexdigest() != expected:
                raise BackupError(f"{name} does not match its checksum: the backup is damaged")
    return manifest


def _table_rows_from_sqlite(path: Path, table: str) -> tuple[list[str], Iterator[tuple]]:
    source = sqlite3.connect(path)
    cursor = source.execute(f'SELECT * FROM "{table}"')  # noqa: S608
    columns = [column[0] for column in cursor.description]

    def rows() -> Iterator[tuple]:
        try:
            while batch := cursor.fetchmany(2000):
                yield from batch
        finally:
            source.close()

    return columns, rows()


def _table_rows_from_json(path: Path) -> tuple[list[str], Iterator[tuple]]:
    handle = path.open()
    columns = json.loads(handle.readline())

    def rows() -> Iterator[tuple]:
        with handle:
            for line in handle:
                yield tuple(_from_json_value(v) for v in json.loads(line))

    return columns, rows()


def _converters(connection: Any, table: str, columns: list[str]) -> list[Callable[[Any], Any]]:
    """Per column, how a copied value is written into the target database."""
    with connection.cursor() as cursor:
        description = {
            col.name: col for col in connection.introspection.get_table_description(cursor, table)
        }
    model = model_tables().get(table)
    fields = {f.column: f for f in model._meta.concrete_fields} if model is not None else {}
    result = []
    for name in columns:
        internal = fields[name].get_internal_type() if name in fields else ""
        type_code = getattr(description.get(name), "type_code", None)
        if internal == "BooleanField" or type_code == 16:
            result.append(lambda v: None if v is None else bool(v))
        elif internal == "JSONField" or type_code in (114, 3802):
            result.append(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
        elif connection.vendor == "sqlite" and internal in ("DateTimeField",):
            result.append(_sqlite_datetime)
        else:
            result.append(lambda v: v)
    return result


def _sqlite_datetime(value: Any) -> Any:
    if not isinstance(value, str) or "T" not in value:
        return value
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.isoformat(sep=" ")


def _target_is_empty(connection: Any) -> bool:
    """A freshly migrated database: its migrations may have seeded defaults, but nobody signs in
    to it yet."""
    from guanxi.accounts.models import User

    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608
        return cursor.fetchone() is None


def _empty_tables(connection: Any, tables: list[str]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY CASCADE"
            )
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608


def _load_rows(
    connection: Any,
    table: str,
    columns: list[str],
    rows: Iterator[tuple],
    batch_size: int = 1000,
) -> int:
    quote = connection.ops.quote_name
    convert = _converters(connection, table, columns)
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([conv(value) for conv, value in zip(convert, row, strict=True)])
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _count_rows(connection: Any, tables: list[str]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _restore_media(tar: tarfile.TarFile, manifest: dict[str, Any]) -> int:
    root = Path(settings.MEDIA_ROOT).resolve()
    restored = 0
    for name in manifest["files"]:
        if not name.startswith("media/"):
            continue
        target = (root / name.removeprefix("media/")).resolve()
        if not target.is_relative_to(root):
            raise BackupError(f"{name} points outside the attachments folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = tar.extractfile(name)
        if handle is None:
            raise BackupError(f"{name} is not a file")
        with target.open("wb") as out:
            shutil.copyfileobj(handle, out)
        restored += 1
    return restored


def backup_restore(
    path: Path,
    *,
    using: str = "default",
    force: bool = False,
    progress: Progress | None = None,
) -> RestoreResult:
    """Restore a backup into the database ``using`` and the attachments folder.

    SQLite into SQLite replaces the whole database file's content (schema included: run
    ``guanxi migrate`` afterwards when the backup is older). Otherwise the target must be
    migrated to the backup's state; it must be empty unless ``force`` (which empties it first).
    Raises BackupError, and changes nothing, if a checksum or the schema does not match.
    """
    manifest = backup_verify(path)
    connection = connections[using]
    source_kind = manifest["database"]["kind"]
    expected = manifest["database"]["tables"]
    with (
        tempfile.TemporaryDirectory(prefix="guanxi-restore-") as work,
        tarfile.open(path, "r:gz") as tar,
    ):
        root = Path(work)
        for name in manifest["files"]:
            if name.startswith("media/"):
                continue
            member = tar.getmember(name)
            if not member.isfile():
                raise BackupError(f"{name} is not a file")
            handle = tar.extractfile(member)
            if handle is None:
                raise BackupError(f"{name} is not a file")
            target = root / Path(name).name
            with target.open("wb") as out:
                shutil.copyfileobj(handle, out)
        if source_kind == "sqlite-file" and connection.vendor == "sqlite":
            _restore_sqlite_file(connection, root / SQLITE_FILE)
            reindex = False
        else:
            _restore_tables(connection, manifest, root, force=force, progress=progress)
            reindex = True
        files = _restore_media(tar, manifest)
    tables = sorted(expected)
    counts = _count_rows(connection, tables)
    if counts != expected:
        differ = [t for t in tables if counts.get(t) != expected.get(t)]
        raise BackupError(f"row counts differ after the restore: {', '.join(differ)}")
    if reindex:
        call_command("search_rebuild", stdout=io.StringIO())
    if progress:
        progress(f"restored {sum(counts.values())} rows in {len(counts)} tables, {files} files")
    return RestoreResult(counts, files, reindex)


def _restore_sqlite_file(connection: Any, source_file: Path) -> None:
    connection.close()
    target = sqlite3.connect(connection.settings_dict["NAME"])
    source = sqlite3.connect(source_file)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_tables(
    connection: Any,
    manifest: dict[str, Any],
    root: Path,
    *,
    force: bool,
    progress: Progress | None,
) -> None:
    ours = applied_migrations(connection.alias)
    if ours != manifest["migrations"]:
        raise BackupError(
            "the database schema differs from the backup's: run `guanxi migrate` so both are at "
            "the same version"
        )
    tables = sorted(manifest["database"]["tables"])
    existing = set(connection.introspection.table_names())
    missing = [t for t in tables if t not in existing]
    if missing:
        raise BackupError(f"tables missing in the target: {', '.join(missing)}")
    if not force and not _target_is_empty(connection):
        raise BackupError("the target database holds data: restore with --force to replace it")
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            # Rows go in table by table: foreign keys are checked once, at the commit.
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute("PRAGMA defer_foreign_keys = ON")
        _empty_tables(connection, tables)
        for table in tables:
            if manifest["database"]["kind"] == "sqlite-file":
                columns, rows = _table_rows_from_sqlite(root / SQLITE_FILE, table)
            else:
                columns, rows = _table_rows_from_json(root / f"{table}.jsonl")
            loaded = _load_rows(connection, table, columns, rows)
            if progress and loaded:
                progress(f"{table}: {loaded} rows")
        if connection.vendor == "postgresql":
            models = [m for t, m in model_tables().items() if t in tables]
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(statement)


# --- moving house -----------------------------------------------------------------------------


def _sqlite_migrations(path: Path) -> dict[str, list[str]]:
    source = sqlite3.connect(path)
    try:
        rows = source.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        result: dict[str, list[str]] = {}
        for app, name in rows:
            result.setdefault(app, []).append(name)
        return result
    finally:
        source.close()


def database_move_from_sqlite(
    source: Path, *, using: str = "default", force: bool = False, progress: Progress | None = None
) -> RestoreResult:
    """Copy every row of an SQLite database file into the database ``using`` (PostgreSQL).

    The file is first copied with the online backup API (the old installation may keep
    running), the target is migrated, the rows are written in one transaction, the search
    indexes are rebuilt, and the row counts of every table are compared with the source.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        raise BackupError("the target is SQLite: set DATABASE_URL to the new PostgreSQL database")
    if not Path(source).is_file():
        raise BackupError(f"{source} does not exist")
    call_command("migrate", database=using, interactive=False, verbosity=0)
    with tempfile.TemporaryDirectory(prefix="guanxi-move-") as work:
        copy = Path(work) / SQLITE_FILE
        origin = sqlite3.connect(source)
        target = sqlite3.connect(copy)
        try:
            origin.backup(target)
        finally:
            target.close()
            origin.close()
        existing = {
            row[0]
            for row in sqlite3.connect(copy).execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            )
        }
        tables = [t for t in model_tables() if t in existing]
        reader = sqlite3.connect(copy)
        try:
            counts = {
                t: reader.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in tables
            }
        finally:
            reader.close()
        manifest = {
            "format": FORMAT,
            "database": {"vendor": "sqlite", "kind": "sqlite-file", "tables": counts},
            "migrations": _sqlite_migrations(copy),
            "files": {},
        }
        _restore_tables(connection, manifest, Path(work), force=force, progress=progress)
    after = _count_rows(connection, sorted(counts))
    if after != counts:
        differ = [t for t in sorted(counts) if after.get(t) != counts[t]]
        raise BackupError(f"row counts differ after the copy: {', '.join(differ)}")
    call_command("search_rebuild", stdout=io.StringIO())
    if progress:
        progress(f"copied {sum(after.values())} rows in {len(after)} tables; counts match")
    return RestoreResult(after, 0, True)
