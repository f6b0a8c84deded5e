#!/usr/bin/env python
"""Sales dashboards at scale: kanban totals, funnel and forecast beside the raw SQL they run.

    .venv/bin/python benchmarks/sales.py --deals 1000000 --db sqlite|postgres|both

Builds its own database (``var/bench/sales.sqlite3``, or the PostgreSQL database
``guanxi_bench_sales``, dropped and created), migrates it, and loads N deals straight into the
tables (spread over 40 owners in 8 departments, 2,000 customers, the default pipeline's six
stages, amounts from 1,000 to 2,000,000 CNY, expected close dates over two years, closed deals
with their close dates), with their stage history (one row per move, ~2.6 per deal). Then, for
the administrator (scope: all) and for a sales manager (scope: her department and below), it
times each selector as a view calls it (``stage_totals``, ``deal_funnel``, ``deal_forecast``:
policy, query building, SQL, Python objects) beside the same SQL statements sent straight to the
database cursor, and prints the medians and their ratio. ``--reuse`` keeps a database loaded by
an earlier run with the same ``--deals``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "sales.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/guanxi_bench_sales"
BATCH = 50_000
OWNERS = 40
DEPARTMENTS = 8
CUSTOMERS = 2_000
TODAY = dt.date(2026, 11, 26)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals to generate")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each measurement")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
    )
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    if args.db == "both":
        status = 0
        for db in ("sqlite", "postgres"):
            argv = [arg for arg in sys.argv[1:] if arg not in ("both", "--db")]
            status |= subprocess.call([sys.executable, __file__, *argv, "--db", db])
        return status
    return run(args)


def _prepare_environment(args: argparse.Namespace) -> bool:
    """Point Django at the benchmark's own database; True when a loaded one can be reused."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    sys.path.insert(0, str(ROOT))
    marker = BENCH_DIR / f"sales-{args.db}.json"
    loaded = marker.exists() and json.loads(marker.read_text()).get("deals") == args.deals
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
        if args.reuse and loaded and SQLITE_PATH.exists():
            return True
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return False
    import psycopg

    os.environ["DATABASE_URL"] = args.postgres_url
    name = args.postgres_url.rsplit("/", 1)[1]
    admin_url = args.postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if args.reuse and exists and loaded:
            return True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


# --- data -----------------------------------------------------------------------------------


def _people() -> tuple[Any, Any, list[Any]]:
    """An administrator, a sales manager over half the departments, and the owners."""
    from guanxi.accounts import default_roles
    from guanxi.accounts.models import Department, User
    from guanxi.accounts.services import role_by_code

    head = Department.objects.create(name="销售中心")
    head.path = f"/{head.pk}/"
    head.save()
    region = Department.objects.create(name="华东大区", parent=head)
    region.path = f"{head.path}{region.pk}/"
    region.save()
    departments = []
    for i in range(DEPARTMENTS):
        parent = region if i < DEPARTMENTS // 2 else head
        department = Department.objects.create(name=f"销售{i + 1}部", parent=parent)
        department.path = f"{parent.path}{department.pk}/"
        department.save()
        departments.append(department)
    admin = User.objects.create(username="bench-admin", is_superuser=True, is_staff=True)
    manager = User.objects.create(username="bench-manager", department=region)
    manager.roles.set([role_by_code(default_roles.SALES_MANAGER)])
    rep_role = role_by_code(default_roles.SALES_REP)
    owners = []
    for i in range(OWNERS):
        owner = User.objects.create(
            username=f"bench-rep{i}", department=departments[i % DEPARTMENTS]
        )
        owner.roles.set([rep_role])
        owners.append(owner)
    return admin, manager, owners


def _customers(owners: list[Any]) -> list[int]:
    from django.utils import timezone

    from guanxi.customers.models import Customer

    now = timezone.now()
    rows = [
        Customer(
            name=f"基准客户{i}有限公司",
            owner=owners[i % len(owners)],
            department_id=owners[i % len(owners)].department_id,
            created_at=now,
            updated_at=now,
        )
        for i in range(CUSTOMERS)
    ]
    Customer.objects.bulk_create(rows, batch_size=1000)
    return list(Customer.objects.order_by("id").values_list("id", flat=True))


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def load(deals: int, seed: int) -> dict[str, Any]:
    """Write ``deals`` deals and their stage history in batches, straight into the tables."""
    from django.db import connection, transaction

    from guanxi.sales.models import Deal, DealStageChange, Pipeline, Stage

    rng = random.Random(seed)
    admin, manager, owners = _people()
    customer_ids = _customers(owners)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    open_stages = [s for s in stages if s.is_open]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_lost)
    deal_columns = _columns(Deal)
    change_columns = _columns(DealStageChange)
    start = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    span = int((dt.datetime(2026, 11, 25, tzinfo=dt.UTC) - start).total_seconds())
    next_id = 1
    started = time.perf_counter()
    for offset in range(0, deals, BATCH):
        deal_rows: list[dict[str, Any]] = []
        change_rows: list[dict[str, Any]] = []
        for _i in range(min(BATCH, deals - offset)):
            owner = owners[rng.randrange(len(owners))]
            created = start + dt.timedelta(seconds=rng.randrange(span))
            roll = rng.random()
            reached = rng.randrange(len(open_stages))
            path = open_stages[: reached + 1]
            if roll < 0.2:
                final, status, furthest = won, "won", won.position
                path = [*open_stages[: rng.randrange(len(open_stages)) + 1], won]
            elif roll < 0.45:
                final, status, furthest = lost, "lost", path[-1].position
                path = [*path, lost]
            else:
                final, status, furthest = path[-1], "open", path[-1].position
            moment = created
            previous = None
            for stage in path:
                seconds = None
                if previous is not None:
                    seconds = rng.randrange(3600, 40 * 86400)
                    moment = moment + dt.timedelta(seconds=seconds)
                change_rows.append(
                    {
                        "deal_id": next_id,
                        "from_stage_id": previous.pk if previous else None,
                        "to_stage_id": stage.pk,
                        "changed_at": moment,
                        "changed_by_id": owner.pk,
                        "seconds_in_from_stage": seconds,
                    }
                )
                previous = stage
            amount = rng.randrange(1_000, 2_000_000)
            expected = TODAY + dt.timedelta(days=rng.randrange(-240, 480))
            closed = status != "open"
            deal_rows.append(
                {
                    "id": next_id,
                    "created_at": created,
                    "updated_at": moment,
                    "created_by_id": owner.pk,
                    "created_via": "import",
                    "version": len(path),
                    "deleted_at": None,
                    "deleted_by_id": None,
                    "name": f"商机{next_id}",
                    "customer_id": customer_ids[rng.randrange(len(customer_ids))],
                    "pipeline_id": pipeline.pk,
                    "stage_id": final.pk,
                    "status": status,
                    "amount": f"{amount}.00",
                    "currency": "CNY",
                    "exchange_rate": "1.000000",
                    "amount_cny": f"{amount}.00",
                    "expected_close_on": expected,
                    "source_id": None,
                    "description": "",
                    "owner_id": owner.pk,
                    "department_id": owner.department_id,
                    "stage_entered_at": moment,
                    "furthest_position": furthest,
                    "closed_at": moment if closed else None,
                    "closed_on": moment.date() if closed else None,
                    "days_to_close": (moment - created).days if closed else None,
                    "close_reason_id": None,
                    "close_note": "",
                    "custom": "{}",
                }
            )
            next_id += 1
        with transaction.atomic():
            _write(connection, Deal._meta.db_table, ["id", *deal_columns], deal_rows)
            _write(connection, DealStageChange._meta.db_table, change_columns, change_rows)
        done = offset + len(deal_rows)
        print(
            f"  loaded {done:,} deals ({done / (time.perf_counter() - started):,.0f}/s)",
            end="\r",
            flush=True,
        )
    print()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('sales_deal', 'id'), %s)", [next_id]
            )
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return {"admin": admin.pk, "manager": manager.pk, "pipeline": pipeline.pk}


def _write(connection: Any, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for row in rows:
            buffer.write(
                "\t".join("\\N" if row[c] is None else str(row[c]) for c in columns) + "\n"
            )
        buffer.seek(0)
        raw = connection.connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            copy.write(buffer.read())
        return
    placeholders = ", ".join(["?"] * len(columns))
    values = [
        tuple(
            (v.isoformat(" ") if isinstance(v, dt.datetime) else v.isoformat())
            if isinstance(v, dt.date)
            else v
            for v in (row[c] for c in columns)
        )
        for row in rows
    ]
    connection.connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values
    )


# --- measuring ------------------------------------------------------------------------------


def _medians_ms(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Median times of two calls, run alternately so that a busy machine weighs on both alike."""
    first()  # warm the caches once, as a running server has them warm
    second()
    times: tuple[list[float], list[float]] = ([], [])
    for _i in range(repeat):
        for index, call in enumerate((first, second)):
            started = time.perf_counter()
            call()
            times[index].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def _raw(querysets: list[Any]) -> Callable[[], Any]:
    """The SQL of ``querysets`` compiled once, then sent straight to the cursor each time."""
    from django.db import connection

    statements = [qs.query.sql_with_params() for qs in querysets]

    def run() -> list[Any]:
        results = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results

    return run


def measure(ids: dict[str, Any], repeat: int) -> list[tuple[str, str, float, float]]:
    from guanxi.accounts import policy
    from guanxi.accounts.models import User
    from guanxi.sales import selectors
    from guanxi.sales.models import Pipeline
    from guanxi.sales.selectors import analytics

    pipeline = Pipeline.objects.get(pk=ids["pipeline"])
    start = TODAY.replace(day=1)
    _keys, first, last = analytics.month_range(start, 12)
    results = []
    for who in ("admin", "manager"):
        probe = User.objects.get(pk=ids[who])

        def actor(user: Any = probe) -> Any:
            # A request loads the user's roles once: forget them so each call pays for it.
            policy.forget(user)
            return user

        cases: list[tuple[str, Callable[[], Any], list[Any]]] = [
            (
                "kanban totals",
                lambda: selectors.stage_totals(actor=actor(), pipeline=pipeline),
                [analytics.stage_totals_query(probe, pipeline)],
            ),
            (
                "funnel",
                lambda: selectors.deal_funnel(actor=actor(), pipeline=pipeline),
                [
                    analytics.funnel_query(probe, pipeline, None),
                    analytics.stage_time_query(probe, pipeline, None),
                ],
            ),
            (
                "forecast (12 months, by owner)",
                lambda: selectors.deal_forecast(
                    actor=actor(), start=start, months=12, group_by="owner"
                ),
                [
                    analytics.forecast_open_query(probe, first, last, "owner", None),
                    analytics.forecast_won_query(probe, first, last, "owner", None),
                ],
            ),
        ]
        for name, selector, querysets in cases:
            selector_ms, raw_ms = _medians_ms(selector, _raw(querysets), repeat)
            results.append((who, name, selector_ms, raw_ms))
            print(
                f"  {who:8} {name:32} selector {selector_ms:9.1f} ms   raw SQL {raw_ms:9.1f} ms"
                f"   ratio {selector_ms / raw_ms:5.2f}",
                flush=True,
            )
    return results


def run(args: argparse.Namespace) -> int:
    reuse = _prepare_environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    marker = BENCH_DIR / f"sales-{args.db}.json"
    if reuse:
        ids = json.loads(marker.read_text())
        print(f"{args.db}: reusing {args.deals:,} deals")
        call_command("migrate", verbosity=0)
    else:
        print(f"{args.db}: migrating and loading {args.deals:,} deals")
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        ids = load(args.deals, args.seed)
        ids["deals"] = args.deals
        marker.write_text(json.dumps(ids))
        print(f"  loaded in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sales_deal")
        deals = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM sales_dealstagechange")
        changes = cursor.fetchone()[0]
    version = (
        connection.cursor().connection.execute("select sqlite_version()").fetchone()[0]
        if connection.vendor == "sqlite"
        else connection.pg_version
    )
    print(f"  {deals:,} deals, {changes:,} stage changes ({connection.vendor} {version})")
    results = measure(ids, args.repeat)
    worst = max(selector / raw for _who, _name, selector, raw in results)
    print(f"  worst ratio {worst:.2f} (target <= 1.5)")
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
