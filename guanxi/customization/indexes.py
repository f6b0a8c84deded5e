"""Expression indexes on the values of filterable custom fields.

A filter or sort on a custom field compares ``selectors.value_expression`` (the value under the
field's key of ``custom``, cast to its type). Without an index the database reads and parses the
JSON of every row; with an index on that very expression it reads a few index entries. The index
is built from the SQL Django compiles for the expression, so the two cannot drift apart:

- SQLite: one index on ``CAST(JSON_EXTRACT("custom", '$."key"') AS …)``; its rowid (the id)
  comes with it, so it also serves "equal to a value, newest first" and sorts in both directions
  (SQLite reads the empty values last from the same index).
- PostgreSQL: ``(expression, id)`` for filters and the ascending sort, and
  ``(expression DESC NULLS LAST, id DESC)`` for the descending one (one B-tree cannot give
  "empty values last" both ways). Built ``CONCURRENTLY`` when not inside a transaction, so
  writes to the table go on meanwhile.

Index names are ``cf<definition id>_<digest of the statement>_<key>``: a change of type changes
the expression and so the name, and the index of the old type is dropped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import DatabaseError, connection
from django.db.models.sql import Query

from guanxi.customization.models import FieldDefinition, FieldType
from guanxi.customization.selectors import value_expression

logger = logging.getLogger(__name__)

# Types whose filters and sorts compare ``value_expression`` (multiple choice and yes/no use
# JSON lookups, texts are searched for a part, which no B-tree serves).
INDEXED_TYPES = {
    FieldType.CHOICE,
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.CURRENCY,
    FieldType.DATE,
    FieldType.DATETIME,
    FieldType.LOOKUP,
}


@dataclass(frozen=True)
class IndexSpec:
    name: str
    table: str
    columns: str  # the indexed expressions, as written between the parentheses

    def create_sql(self, *, concurrently: bool) -> str:
        how = "CONCURRENTLY " if concurrently else ""
        return (
            f"CREATE INDEX {how}IF NOT EXISTS {connection.ops.quote_name(self.name)} "
            f"ON {connection.ops.quote_name(self.table)} ({self.columns})"
        )


def _table(definition: FieldDefinition) -> str:
    return str(apps.get_model(definition.model)._meta.db_table)


def expression_sql(definition: FieldDefinition) -> str:
    """The SQL of ``value_expression`` as the selectors send it, without the table name and
    with its parameters written in (an index definition takes no parameters)."""
    model = apps.get_model(definition.model)
    query = Query(model)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(value_expression(definition).resolve_expression(query))
    sql = sql.replace(f"{connection.ops.quote_name(model._meta.db_table)}.", "")
    if params:
        if connection.vendor != "postgresql":
            raise ValueError(f"unexpected parameters in an index expression: {params!r}")
        sql = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]  # PostgreSQL
    return str(sql)


def wanted(definition: FieldDefinition) -> list[IndexSpec]:
    """The indexes the field should have now (none unless it is filterable and not archived)."""
    if (
        definition.pk is None
        or not definition.is_filterable
        or definition.is_archived
        or definition.field_type not in INDEXED_TYPES
    ):
        return []
    expression = expression_sql(definition)
    pk = connection.ops.quote_name("id")
    if connection.vendor == "postgresql":
        variants = [f"({expression}), {pk}", f"({expression}) DESC NULLS LAST, {pk} DESC"]
    else:
        variants = [expression]
    table = _table(definition)
    specs = []
    for columns in variants:
        digest = hashlib.sha256(f"{table}\x00{columns}".encode()).hexdigest()[:8]
        name = f"{_prefix(definition)}{digest}_{definition.key}"[:63]
        specs.append(IndexSpec(name=name, table=table, columns=columns))
    return specs


def _prefix(definition: FieldDefinition) -> str:
    return f"cf{definition.pk}_"


def existing(definition: FieldDefinition) -> dict[str, bool]:
    """The field's indexes in the database, by name, and whether each is valid (a PostgreSQL
    index whose concurrent build failed stays behind, invalid)."""
    table = _table(definition)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, i.indisvalid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name, 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [table],
            )
        rows = cursor.fetchall()
    prefix = _prefix(definition)
    return {name: bool(valid) for name, valid in rows if name.startswith(prefix)}


def _drop(name: str, *, concurrently: bool) -> None:
    how = "CONCURRENTLY " if concurrently else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {how}IF EXISTS {connection.ops.quote_name(name)}")


def sync(definition: FieldDefinition, *, create: bool = True) -> tuple[list[str], list[str]]:
    """Create the indexes the field should have and drop the others; (created, dropped).

    On PostgreSQL outside a transaction the statements run ``CONCURRENTLY``; inside one (a
    change of type drops the index of the old type before the values are converted, as a value
    of the new type could not be cast to the old one) they take the table's lock. A concurrent
    build that fails leaves an invalid index: it is dropped and the error raised again.
    """
    concurrently = connection.vendor == "postgresql" and not connection.in_atomic_block
    specs = {spec.name: spec for spec in wanted(definition)} if create else {}
    present = existing(definition)
    dropped = []
    for name, valid in present.items():
        if name not in specs or not valid:
            _drop(name, concurrently=concurrently)
            dropped.append(name)
    created = []
    for name, spec in specs.items():
        if present.get(name):
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(spec.create_sql(concurrently=concurrently))
        except DatabaseError:
            logger.exception("custom field index %s could not be built", name)
            if concurrently:
                _drop(name, concurrently=True)
            raise
        created.append(name)
    return created, dropped


def drop_stale(definition: FieldDefinition) -> list[str]:
    """Drop the field's indexes that no longer fit it (kept: those it still wants)."""
    keep = {spec.name for spec in wanted(definition)}
    dropped = []
    for name in existing(definition):
        if name not in keep:
            _drop(name, concurrently=False)
            dropped.append(name)
    return dropped


def all_names() -> list[str]:
    """Names of every custom field index the definitions want (for checks and benchmarks)."""
    return [spec.name for d in FieldDefinition.objects.all() for spec in wanted(d)]
