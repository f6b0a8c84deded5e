"""Expression indexes of filterable custom fields: built, dropped, and used by the planner
(SQLite by default, PostgreSQL with ``DATABASE_URL``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from guanxi.customers import selectors
from guanxi.customization import indexes, services
from guanxi.customization.models import FieldDefinition
from guanxi.testing import factories

CUSTOMER = "customers.customer"


def _create(admin: Any, key: str, field_type: str, **extra: Any) -> FieldDefinition:
    return services.field_definition_create(
        actor=admin,
        data={"model": CUSTOMER, "key": key, "label_zh": key, "field_type": field_type, **extra},
    )


@contextmanager
def _planner_prefers_indexes() -> Iterator[None]:
    """A handful of rows is cheaper to scan than to look up: tell PostgreSQL's planner
    otherwise, so that the test shows whether the index *can* serve the query. SQLite gets
    statistics from ``ANALYZE``: without them it guesses ``deleted_at IS NULL`` to be
    selective and walks that index instead."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        try:
            yield
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


def _check_constraints_now() -> None:
    """PostgreSQL will not change a table's indexes in a transaction that still owes checks of
    deferred foreign keys on it (as a test's transaction does after creating customers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_index_is_built_when_a_field_becomes_filterable(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        definition = _create(admin, "grade", "choice", options=["A", "B"])
    assert indexes.existing(definition) == {}
    with django_capture_on_commit_callbacks(execute=True):
        definition, _impact = services.field_definition_update(
            actor=admin, definition=definition, data={"is_filterable": True}
        )
    names = {spec.name for spec in indexes.wanted(definition)}
    assert names
    assert set(indexes.existing(definition)) == names
    assert all(name.startswith(f"cf{definition.pk}_") for name in names)


@pytest.mark.django_db
def test_index_is_dropped_when_the_field_is_archived_or_no_longer_filterable(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        archived = _create(admin, "renewal_on", "date", is_filterable=True)
        plain = _create(admin, "capacity", "integer", is_filterable=True)
    assert indexes.existing(archived)
    assert indexes.existing(plain)
    with django_capture_on_commit_callbacks(execute=True):
        archived = services.field_definition_archive(actor=admin, definition=archived)
        plain, _impact = services.field_definition_update(
            actor=admin, definition=plain, data={"is_filterable": False}
        )
    assert indexes.existing(archived) == {}
    assert indexes.existing(plain) == {}
    with django_capture_on_commit_callbacks(execute=True):
        archived = services.field_definition_archive(
            actor=admin, definition=archived, archived=False
        )
    assert set(indexes.existing(archived)) == {s.name for s in indexes.wanted(archived)}


@pytest.mark.django_db
def test_change_of_type_replaces_the_index(
    admin: Any, rep: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        definition = _create(admin, "capacity", "integer", is_filterable=True)
    factories.CustomerFactory(owner=rep, custom={"capacity": 12})
    _check_constraints_now()
    before = set(indexes.existing(definition))
    with django_capture_on_commit_callbacks(execute=True):
        definition, _impact = services.field_definition_update(
            actor=admin, definition=definition, data={"field_type": "decimal"}
        )
    after = set(indexes.existing(definition))
    assert after
    assert not after & before
    assert after == {spec.name for spec in indexes.wanted(definition)}


@pytest.mark.django_db
def test_texts_and_multiple_choices_get_no_index(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        text = _create(admin, "memo", "text", is_filterable=True)
        brands = _create(admin, "brands", "multi_choice", is_filterable=True, options=["华为"])
    assert indexes.existing(text) == {}
    assert indexes.existing(brands) == {}


@pytest.mark.django_db
def test_index_expression_is_the_selectors_sql() -> None:
    """The index is built on the same text the selector sends (the path is a literal)."""
    definition = FieldDefinition(pk=7, model=CUSTOMER, key="capacity", field_type="integer")
    sql = indexes.expression_sql(definition)
    if connection.vendor == "postgresql":
        assert sql.replace(" ", "") == """(("custom"->>'capacity'))::bigint"""
    else:
        assert sql == """CAST(JSON_EXTRACT("custom", '$."capacity"') AS bigint)"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "ordering"),
    [
        ({"custom": {"grade": "A"}}, "-id"),
        ({"custom": {"renewal_on": {"gte": "2026-03-01", "lte": "2026-03-31"}}}, "-id"),
        ({"custom": {"capacity": {"gte": 100, "lte": 500}}}, "-id"),
        ({"custom": {"budget": {"gte": "10.5"}}}, "-id"),
        ({}, "-custom.renewal_on"),
        ({}, "custom.capacity"),
        ({}, "-custom.budget"),
        ({"custom": {"grade": "B"}}, "custom.renewal_on"),
    ],
)
def test_planner_uses_the_index(
    admin: Any,
    rep: Any,
    django_capture_on_commit_callbacks: Any,
    filters: dict[str, Any],
    ordering: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _create(admin, "grade", "choice", is_filterable=True, options=["A", "B", "C"])
        _create(admin, "renewal_on", "date", is_filterable=True)
        _create(admin, "capacity", "integer", is_filterable=True)
        _create(admin, "budget", "currency", is_filterable=True)
    for n in range(30):
        custom = {"grade": "ABC"[n % 3], "capacity": n * 20, "budget": f"{n}.50"}
        if n % 4:
            custom["renewal_on"] = f"2026-0{1 + n % 5}-{1 + n % 28:02d}"
        factories.CustomerFactory(owner=rep, custom=custom)
    names = set(indexes.all_names())
    qs = selectors.customer_list(actor=admin, filters=filters, ordering=ordering)
    # Newest first, a small table is best read backwards along the primary key: the filter
    # alone shows whether its condition matches the index.
    explained = qs.order_by() if ordering == "-id" else qs[:20]
    with _planner_prefers_indexes():
        plan = explained.explain()
        rows = list(qs[:20])
    assert rows
    assert any(name in plan for name in names), plan


@pytest.mark.django_db(transaction=True)
def test_index_is_built_after_commit_outside_a_transaction(admin: Any, rep: Any) -> None:
    """As in production: the task runs once the field is committed (on PostgreSQL the build is
    ``CONCURRENTLY``, which a transaction would refuse)."""
    factories.CustomerFactory(owner=rep, custom={"capacity": 5})
    definition = _create(admin, "capacity", "integer", is_filterable=True)
    present = indexes.existing(definition)
    assert set(present) == {spec.name for spec in indexes.wanted(definition)}
    assert all(present.values())
    archived = services.field_definition_archive(actor=admin, definition=definition)
    assert indexes.existing(archived) == {}
