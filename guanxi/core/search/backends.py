# Table names in SQL are constants of the code; every value goes in as a parameter.
# ruff: noqa: S608, S611
"""Where documents are kept and how a query becomes SQL, per database.

Each kind of record has a full-text table keyed by the record's id, holding its plain tokens:

- SQLite: an FTS5 table (rowid = record id) with ``detail=none`` (no positions: tokens are
  looked up one by one, never as phrases), prefix indexes for 1-6 characters (else ``z*`` merges
  every token that starts with z), and the ``ascii`` tokenizer with ``tokenchars '@._-+'`` so
  that ``huawei.com`` and ``li_na`` stay one token; every non-ASCII character is a token
  character, so the tokens produced in Python are kept exactly as they are.
- PostgreSQL: a table (id, tsvector) with a GIN index. The vector is built with
  ``array_to_tsvector`` and the query as a ``tsquery`` of quoted lexemes, so the text parser
  never re-splits a token. The column's statistics target is raised to 1000: with the default, a
  rare term is estimated at thousands of rows and the planner walks the primary key instead.

Exact keys (``Document.keys``) go to ``core.SearchKey`` (btree), shared by every kind of record.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Q, sql
from django.db.models.expressions import Expression, RawSQL
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.where import WhereNode

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


@dataclass(frozen=True)
class PreparedRows:
    """Documents as index rows: (id, tokens as text) and (scope, key, id), without duplicates."""

    texts: list[tuple[int, str]]
    keys: list[tuple[int, int, int]]
    count: int


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
        column = "rowid" if vendor == SQLITE else "id"
        with connection.cursor() as cursor:
            for chunk in _chunks(sorted(documents)):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {self.table} WHERE {column} IN ({marks})", chunk)
                cursor.execute(
                    f"DELETE FROM {SearchKey._meta.db_table} "
                    f"WHERE scope = %s AND object_id IN ({marks})",
                    [self.scope.value, *chunk],
                )
        present = [(pk, doc) for pk, doc in documents.items() if doc is not None]
        self.write(self.prepare(present, vendor), using=using)

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

    def prepare(self, documents: Iterable[tuple[int, Document]], vendor: str) -> PreparedRows:
        """Documents as rows ready for :meth:`write` (pure Python: runs in any process)."""
        texts: list[tuple[int, str]] = []
        keys: set[tuple[int, int, int]] = set()
        scope = self.scope.value
        count = 0
        for pk, doc in documents:
            tokens = doc.unique_tokens()
            if tokens:
                texts.append((pk, " ".join(tokens) if vendor == SQLITE else tsvector_text(tokens)))
            keys.update((scope, key, pk) for key in doc.keys)
            count += 1
        return PreparedRows(texts, sorted(keys), count)

    def write(self, rows: PreparedRows, *, using: str = "default") -> int:
        """Insert prepared rows of ids that are not indexed yet; returns how many documents."""
        connection = connections[using]
        if _vendor(connection) == SQLITE:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {self.table} (rowid, tokens) VALUES (%s, %s)", rows.texts
                )
                cursor.executemany(
                    f"INSERT INTO {SearchKey._meta.db_table} (scope, key, object_id) "
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    rows.keys,
                )
            return rows.count
        connection.ensure_connection()
        keys_copy = f"COPY {SearchKey._meta.db_table} (scope, key, object_id) FROM STDIN"
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {self.table} (id, tsv) FROM STDIN") as copy:
                for text_row in rows.texts:
                    copy.write_row(text_row)
            with cursor.copy(keys_copy) as copy:
                for key_row in rows.keys:
                    copy.write_row(key_row)
        return rows.count

    def append(self, documents: Iterable[tuple[int, Document]], *, using: str = "default") -> int:
        """Add documents of ids that are not indexed yet (a rebuild, after :meth:`clear`).

        Returns how many documents were written.
        """
        vendor = _vendor(connections[using])
        return self.write(self.prepare(documents, vendor), using=using)

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

    def _lookup_keys(self, keys: Sequence[int], using: str) -> list[int] | None:
        """Ids of the records holding one of ``keys`` (None when there are too many to list)."""
        sql, params = self._keys_sql(keys)
        with connections[using].cursor() as cursor:
            cursor.execute(f"{sql} LIMIT {KEY_HITS_LISTED + 1}", params)
            ids = sorted({row[0] for row in cursor.fetchall()})
        return None if len(ids) > KEY_HITS_LISTED else ids

    def _keys_sql(self, keys: Sequence[int]) -> tuple[str, list[Any]]:
        marks = ", ".join(["%s"] * len(keys))
        sql = (
            f"SELECT object_id FROM {SearchKey._meta.db_table} "
            f"WHERE scope = %s AND key IN ({marks})"
        )
        return sql, [self.scope.value, *keys]

    def condition(self, query: Query, *, using: str = "default") -> Q:
        """A filter on the records' primary key that keeps those matching ``query``.

        Exact keys are looked up at once (a btree probe): a clause whose key matches nothing is
        left to its text alternative, which keeps the full-text part a single condition that
        SQLite can drive the query from (see ``TextMatch``).
        """
        vendor = _vendor(connections[using])
        if not query:
            return Q(pk__in=[])
        terms: list[Term] = []
        condition = Q()
        for clause in query.clauses:
            if not clause.keys:
                terms.extend(clause.terms)
                continue
            ids = self._lookup_keys(clause.keys, using)
            if ids == [] and clause.terms:
                terms.extend(clause.terms)
                continue
            if ids == []:
                return Q(pk__in=[])
            if ids is None:
                also = self._keys_sql(clause.keys)
            elif vendor == SQLITE:
                also = ("SELECT value FROM json_each(%s)", [json.dumps(ids)])
            else:
                also = ("SELECT unnest(%s::bigint[])", [ids])
            if clause.terms:
                # One IN over a UNION, not an OR of two INs: PostgreSQL plans an OR of sublinks
                # as a filter on every row of the table.
                condition &= Q(TextMatch(self.table, vendor, clause.terms, also=also))
            else:
                condition &= Q(pk__in=RawSQL(*also))
        if terms:
            condition &= Q(TextMatch(self.table, vendor, terms))
        return condition


KEY_HITS_LISTED = 5000
DRIVER_ALIAS = "gx_search"
_match_keys = itertools.count(1)


class TextMatch(Expression):
    """ "The record's id is in the full-text index with all of ``terms``", as a filter.

    Written as ``id IN (SELECT rowid FROM <fts> WHERE <fts> MATCH …)``, which is right in every
    query. On SQLite, a large match set makes that slow: the IN list is built in full (every
    customer whose name holds 公司) before the first row is returned. So a SELECT whose
    filter has this condition at its top level is compiled by ``SearchDrivenCompiler`` instead:
    ``FROM <fts> CROSS JOIN <table> ON <table>.id = <fts>.rowid``, ordered by the index's rowid
    when the query is ordered by id. FTS5 then hands out matches newest first and the query stops
    at the page size, whatever the size of the match set.
    """

    conditional = True

    def __init__(
        self,
        table: str,
        vendor: str,
        terms: Sequence[Term],
        *,
        also: tuple[str, list[Any]] | None = None,
        pk: Any = None,
    ) -> None:
        super().__init__(output_field=BooleanField())
        self.table = table
        self.vendor = vendor
        self.terms = tuple(terms)
        # ``also``: a subquery of further ids that match (records found by an exact key).
        self.also = also
        self.drives = also is None and vendor == SQLITE
        self.key = next(_match_keys)
        self.pk = pk if pk is not None else F("pk")

    def get_source_expressions(self) -> list[Any]:
        return [self.pk]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.pk,) = exprs

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        resolved = super().resolve_expression(query, *args, **kwargs)
        if self.drives and query is not None and type(query) is sql.Query:
            query.__class__ = SearchDrivenQuery
        return resolved

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if getattr(compiler, "search_driver", None) == self.key:
            return f'"{DRIVER_ALIAS}"."{self.table}" MATCH %s', [fts5_expression(self.terms)]
        pk_sql, pk_params = compiler.compile(self.pk)
        if self.vendor == SQLITE:
            sql = f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s"
            params = [fts5_expression(self.terms)]
        else:
            sql = f"SELECT id FROM {self.table} WHERE tsv @@ %s::tsquery"
            params = [tsquery_text(self.terms)]
        if self.also is not None:
            sql, params = f"{sql} UNION ALL {self.also[0]}", [*params, *self.also[1]]
        return f"{pk_sql} IN ({sql})", [*pk_params, *params]


def _driving_match(where: Any, base_alias: str) -> TextMatch | None:
    """The first drivable ``TextMatch`` AND-ed at the top of ``where`` on the base table."""
    if where is None or where.negated or where.connector != "AND":
        return None
    for child in where.children:
        if isinstance(child, WhereNode):
            found = _driving_match(child, base_alias)
            if found is not None:
                return found
            continue
        match = getattr(child, "lhs", None)
        if (
            isinstance(match, TextMatch)
            and match.drives
            and getattr(child, "rhs", None) is True
            and getattr(match.pk, "alias", None) == base_alias
        ):
            return match
    return None


class SearchDrivenCompiler(SQLCompiler):
    """A SELECT that reads the full-text index first (SQLite; see ``TextMatch``)."""

    search_driver: int | None = None

    def pre_sql_setup(self, with_col_aliases: bool = False) -> Any:
        self.search_driver = None
        self._search_match = None
        base = self.query.base_table
        if base is not None and self.query.alias_refcount.get(base):
            match = _driving_match(self.query.where, base)
            if match is not None:
                self.search_driver = match.key
                self._search_match = match
        return super().pre_sql_setup(with_col_aliases=with_col_aliases)

    def _pk_sql(self) -> str:
        alias = self.query.base_table
        column = str(self.query.get_meta().pk.column)
        return f"{self.quote_name_unless_alias(alias)}.{self.connection.ops.quote_name(column)}"

    def get_order_by(self) -> list[Any]:
        result = super().get_order_by()
        if self.search_driver is None:
            return result
        pk_sql = self._pk_sql()
        rowid = f'"{DRIVER_ALIAS}"."rowid"'
        ordered = []
        for expression, (sql_text, params, is_ref) in result:
            if sql_text.startswith(f"{pk_sql} "):
                sql_text = rowid + sql_text[len(pk_sql) :]
            ordered.append((expression, (sql_text, params, is_ref)))
        return ordered

    def get_from_clause(self) -> tuple[list[str], Any]:
        result, params = super().get_from_clause()
        match = self._search_match
        if match is None or not result:
            return result, params
        base_table: Any = self.query.alias_map[self.query.base_table]
        base = self.compile(base_table)[0]
        if result[0] != base:
            return result, params
        result[0] = (
            f'"{match.table}" AS "{DRIVER_ALIAS}" CROSS JOIN {base} '
            f'ON {self._pk_sql()} = "{DRIVER_ALIAS}"."rowid"'
        )
        return result, params


class SearchDrivenQuery(sql.Query):
    """A query whose SELECTs may read the full-text index first (see ``TextMatch``)."""

    def get_compiler(
        self, using: str | None = None, connection: Any = None, elide_empty: bool = True
    ) -> Any:
        compiler = super().get_compiler(using, connection, elide_empty)
        if type(compiler) is SQLCompiler and compiler.connection.vendor == SQLITE:
            compiler.__class__ = SearchDrivenCompiler
        return compiler
