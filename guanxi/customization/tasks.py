"""Background work of custom fields (run by the Huey consumer)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from guanxi.customization import services


@db_task()
def field_definition_reindex_task(definition_id: int) -> int:
    """Rebuild the search entries of the records holding a value of a field whose values became
    (or stopped being) searchable, or whose type or options changed."""
    return services.field_definition_reindex(definition_id=definition_id)


@db_task()
def field_definition_index_sync_task(definition_id: int) -> tuple[list[str], list[str]]:
    """Build or drop the expression indexes of a field that became (or stopped being)
    filterable, was archived or changed type."""
    return services.field_definition_index_sync(definition_id=definition_id)
