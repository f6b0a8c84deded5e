"""A migration operation that creates (or drops, when reversed) a search index table."""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation

from guanxi.core.search.backends import create_table_sql, drop_table_sql


class CreateSearchIndex(Operation):
    """Create the full-text table ``table`` in the form the database needs (FTS5 or GIN).

    Usage in a migration: ``CreateSearchIndex("customers_customer_search")``. The table is not a
    model: no state changes, only the schema.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        self.table = table

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        for sql in create_table_sql(self.table, schema_editor.connection.vendor):
            schema_editor.execute(sql)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        for sql in drop_table_sql(self.table, schema_editor.connection.vendor):
            schema_editor.execute(sql)

    def describe(self) -> str:
        return f"Create search index table {self.table}"

    @property
    def migration_name_fragment(self) -> str:
        return f"create_search_{self.table}"
