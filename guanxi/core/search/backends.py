# Table names in SQL are constants of the code; every value goes in as a parameter.
# ruff: noqa: S608, S611
"""Where documents are kept and how a query becomes SQL, per database.

Each kind of record has a full-text table keyed by the record's id, holding its plain tokens:

- SQLite: an FTS5 table (rowid = record id) with ``detail=none`` (no positions: a third of the
  size), prefix indexes for 1-6 characters (else ``z*`` walks every token that starts with z),
  and the ``ascii`` tokenizer with ``tokenchars '@._-+'`` so that ``huawei.com`` and ``li_na``
  stay one token; every non-ASCII character is a token character, so the tokens produced in
  Python are kept exactly as they are.
- PostgreSQL: a table (id, tsvector) with a GIN index. The vector is built with
  ``array_to_tsvector`` and the query as a ``tsquery`` of quoted lexemes, so the text parser
  never re-splits a token. The column's statistics target is raised to 1000: with the default, a
  rare term is estimated at thousands of rows and the planner walks the primary key instead.

Exact keys (``Document.keys``) go to ``core.SearchKey`` (btree), shared by every kind of record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.db.models.expressions import RawSQL

from guanxi.core.models import SearchKey, SearchScope
from guanxi.core.search.tokens import Document, Query, Term

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SQLITE_TOKENIZER = "ascii tokenchars '@._-+'"
SQLITE_PREFIXES = "1 2 3 4 5 6"
BATCH = 1000


class UnsupportedDatabase(RuntimeError):
    """Search needs SQLite (with FTS5) or PostgreSQL."""


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in (SQLITE, POSTGRESQL):
        raise UnsupportedDatabase(connection.vendor)
    return str(connection.vendor)


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fts5_expression(terms: Iterable[Term]) -> str:
    """An FTS5 MATCH expression: every term, AND-ed (tokens never hold a double quote)."""
    return " AND ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)


def tsquery_text(terms: Iterable[Term]) -> str:
    """A PostgreSQL ``tsquery`` literal of quoted lexemes, AND-ed."""
    parts = []
    for term in terms:
        lexeme = term.text.replace("\\", "\\\\").replace("'", "''")
        parts.append(f"'{lexeme}'" + (":*" if term.prefix else ""))
    return " & ".join(parts)


def tsvector_text(tokens: Iterable[str]) -> str:
    """A ``tsvector`` literal (for COPY): quoted lexemes, taken as they are."""
    return " ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens)


def create_table_sql(table: str, vendor: str) -> list[str]:
    """The statements that create the full-text table ``table`` on this database."""
    if vendor == SQLITE:
        return [
            f"CREATE VIRTUAL TABLE {table} USING fts5(tokens, "
            f'tokenize="{SQLITE_TOKENIZER}", detail=none, columnsize=0, '
            f"prefix='{SQLITE_PREFIXES}')"
        ]
    if vendor == POSTGRESQL:
        return [
            f"CREATE TABLE {table} (id bigint PRIMARY KEY, tsv tsvector NOT NULL)",
            f"ALTER TABLE {table} ALTER COLUMN tsv SET STATISTICS 1000",
            _pg_index_sql(table),
        ]
    raise UnsupportedDatabase(vendor)


def drop_table_sql(table: str, vendor: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {table}"]


def _pg_index_sql(table: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {table}_tsv ON {table} USING gin (tsv)"


class SearchIndex:
    """The search index of one kind of record: a full-text table plus its exact keys."""

    def __init__(self, table: str, scope: SearchScope) -> None:
        self.table = table
        self.scope = scope

    # --- writing --------------------------------------------------------------------------

    def replace(self, documents: Mapping[int, Document | None], *, using: str = "default") -> None:
        """Make the index hold exactly these documents for these ids (None: drop the id)."""
        if not documents:
            return
        connection = connections[using]
        vendor = _vendor(connection)
        ids = sorted(documents)
        rows = [(pk, doc.unique_tokens()) for pk, doc in documents.items() if doc is not None]
        rows = [(pk, tokens) for pk, tokens in rows if tokens]
        keys = [
            (self.scope.value, key, pk)
            for pk, doc in documents.items()
            if doc is not None
            for key in doc.keys
        ]
        with connection.cursor() as cursor:
            for chunk in _chunks(ids):
                marks = ", ".join(["%s"] * len(chunk))
                column = "rowid" if vendor == SQLITE else "id"
                cursor.execute(f"DELETE FROM {self.table} WHERE {column} IN ({marks})", chunk)
                cursor.execute(
                    f"DELETE FROM {SearchKey._meta.db_table} "
                    f"WHERE scope = %s AND object_id IN ({marks})",
                    [self.scope.value, *chunk],
                )
            if vendor == SQLITE:
                cursor.executemany(
                    f"INSERT INTO {self.table} (rowid, tokens) VALUES (%s, %s)",
                    [(pk, " ".join(tokens)) for pk, tokens in rows],
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {self.table} (id, tsv) VALUES (%s, array_to_tsvector(%s))",
                    rows,
                )
            cursor.executemany(
                f"INSERT INTO {SearchKey._meta.db_table} (scope, key, object_id) "
                "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                keys,
            )

    def clear(self, *, using: str = "default") -> None:
        """Empty the index (before a rebuild)."""
        connection = connections[using]
        vendor = _vendor(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")
            cursor.execute(
                f"DELETE FROM {SearchKey._meta.db_table} WHERE scope = %s", [self.scope.value]
            )
            if vendor == POSTGRESQL:
                # Loading into an unindexed table and building the index once is ~5x faster.
                cursor.execute(f"DROP INDEX IF EXISTS {self.table}_tsv")

    def append(self, documents: Iterable[tuple[int, Document]], *, using: str = "default") -> int:
        """Add documents of ids that are not indexed yet (a rebuild after :meth:`clear`).

        Returns how many documents were written.
        """
        connection = connections[using]
        vendor = _vendor(connection)
        count = 0
        texts: list[tuple[int, str]] = []
        keys: list[tuple[int, int, int]] = []
        scope = self.scope.value
        for pk, doc in documents:
            tokens = doc.unique_tokens()
            if tokens:
                texts.append((pk, " ".join(tokens) if vendor == SQLITE else tsvector_text(tokens)))
            keys.extend((scope, key, pk) for key in doc.keys)
            count += 1
        keys.sort()
        if vendor == SQLITE:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {self.table} (rowid, tokens) VALUES (%s, %s)", texts
                )
                cursor.executemany(
                    f"INSERT INTO {SearchKey._meta.db_table} (scope, key, object_id) "
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    keys,
                )
            return count
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {self.table} (id, tsv) FROM STDIN") as copy:
                for row in texts:
                    copy.write_row(row)
            # Duplicates (two contacts with one phone) are dropped before COPY, which has no
            # ON CONFLICT.
            with cursor.copy(
                f"COPY {SearchKey._meta.db_table} (scope, key, object_id) FROM STDIN"
            ) as copy:
                previous = None
                for row in keys:
                    if row != previous:
                        copy.write_row(row)
                    previous = row
        return count

    def finish(self, *, using: str = "default") -> None:
        """After a rebuild: build what :meth:`clear` dropped and refresh the statistics."""
        connection = connections[using]
        vendor = _vendor(connection)
        with connection.cursor() as cursor:
            if vendor == POSTGRESQL:
                cursor.execute(_pg_index_sql(self.table))
                cursor.execute(f"ANALYZE {self.table}")
                cursor.execute(f"ANALYZE {SearchKey._meta.db_table}")
            else:
                cursor.execute(f"INSERT INTO {self.table} ({self.table}) VALUES ('optimize')")
                cursor.execute(f"ANALYZE {SearchKey._meta.db_table}")

    # --- reading --------------------------------------------------------------------------

    def _text_sql(self, terms: Sequence[Term], vendor: str) -> tuple[str, list[Any]]:
        if vendor == SQLITE:
            sql = f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s"
            return sql, [fts5_expression(terms)]
        return f"SELECT id FROM {self.table} WHERE tsv @@ %s::tsquery", [tsquery_text(terms)]

    def _keys_sql(self, keys: Sequence[int]) -> tuple[str, list[Any]]:
        marks = ", ".join(["%s"] * len(keys))
        sql = (
            f"SELECT object_id FROM {SearchKey._meta.db_table} "
            f"WHERE scope = %s AND key IN ({marks})"
        )
        return sql, [self.scope.value, *keys]

    def condition(self, query: Query, *, using: str = "default", field: str = "pk") -> Q:
        """A filter on ``field`` (the record's id) that keeps the records matching ``query``."""
        vendor = _vendor(connections[using])
        if not query:
            return Q(**{f"{field}__in": []})
        condition = Q()
        plain = [t for c in query.clauses if not c.keys for t in c.terms]
        if plain:
            sql, params = self._text_sql(plain, vendor)
            condition &= Q(**{f"{field}__in": RawSQL(sql, params)})
        for clause in query.clauses:
            if not clause.keys:
                continue
            sql, params = self._keys_sql(clause.keys)
            if clause.terms:
                text_sql, text_params = self._text_sql(clause.terms, vendor)
                sql, params = f"{text_sql} UNION ALL {sql}", [*text_params, *params]
            condition &= Q(**{f"{field}__in": RawSQL(sql, params)})
        return condition
