#!/usr/bin/env python
"""Duplicate scan at scale: how long the blocked scan takes over N customers and what it finds.

    .venv/bin/python benchmarks/dedupe.py --rows 1000000 --db sqlite|postgres|both [--readme]

Loads N customers into a database of its own (``var/bench/dedupe.sqlite3`` or the PostgreSQL
database ``guanxi_bench_dedupe``) with encrypted phones and e-mails and their blind indexes, as
the application stores them. 3% of them get a planted twin: the same phone under another name,
the same e-mail, the name with another legal form or without its city, or the name with one
character changed. Then it runs the scan of the application (``duplicate_scan_run``) and prints
the time, the comparisons made (against the N²/2 of comparing all pairs), the pairs found, the
share of planted twins found (recall) and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "dedupe.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/guanxi_bench_dedupe"
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "重庆",
    "西安",
    "厦门",
]
BRAND = (
    "华星辰腾飞远达盛恒泰鑫源宏通金银海天龙凤瑞祥嘉美创新联信安康晨光明阳东方中博雅润德汇丰"
    "佳利隆兴旺荣昌永和合顺发宝富贵君豪锦绣鼎辉耀诚智慧优品尚卓越骏驰峰岭江河湖川云雷风雨松"
)
TRADES = [
    "科技",
    "贸易",
    "电子",
    "机械",
    "食品",
    "医药",
    "物流",
    "建筑工程",
    "文化传媒",
    "网络科技",
]
FORMS = ["有限公司", "股份有限公司", "有限责任公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕春菊凤洁梅琳云莲雪荣"


def _setup(db: str, url: str) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    sys.path.insert(0, str(ROOT))
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        import psycopg

        os.environ["DATABASE_URL"] = url
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _load(rows: int, seed: int) -> set[tuple[int, int]]:
    """N customers (3% of them planted twins); returns the planted pairs by id."""
    from django.db import transaction
    from django.utils import timezone

    from guanxi.core import crypto
    from guanxi.core.normalize import company_name_key
    from guanxi.customers.models import Customer
    from guanxi.dataio import fastsql

    r = random.Random(seed)
    now = timezone.now()
    planted: list[tuple[int, int]] = []
    originals: list[tuple[int, str, str, str, str]] = []
    batch: list[Customer] = []
    twins_of: list[int | None] = []
    next_id = 1

    def customer(name: str, city: str, phone: str, email: str, kind: str = "company") -> Customer:
        return Customer(
            name=name,
            name_key=company_name_key(name) if kind == "company" else "",
            kind=kind,
            city=city,
            phone=phone,
            phone_bidx=crypto.blind_index(phone, purpose="phone") if phone else "",
            email=email,
            email_bidx=crypto.blind_index(email, purpose="email") if email else "",
            created_at=now,
            updated_at=now,
            created_via="import",
        )

    def flush() -> None:
        nonlocal next_id
        with transaction.atomic():
            fastsql.insert(Customer, batch)
        for obj, twin in zip(batch, twins_of, strict=True):
            if twin is not None:
                planted.append((min(obj.pk, twin), max(obj.pk, twin)))
        batch.clear()
        twins_of.clear()

    for index in range(rows):
        if originals and r.random() < 0.03:
            pk, name, city, phone, email = r.choice(originals)
            how = r.random()
            if how < 0.25 and phone:
                twin = customer(f"{r.choice(BRAND)}{r.choice(BRAND)}集团", city, phone, "")
            elif how < 0.4 and email:
                twin = customer(name.replace("有限公司", "股份有限公司"), "", "", email)
            elif how < 0.6:
                twin = customer(name.replace(city, "", 1) or name, city, "", "")
            elif how < 0.8:
                base = name.replace("股份有限公司", "").replace("有限责任公司", "")
                twin = customer(
                    base.replace("有限公司", "") + "（" + city + "）有限公司", city, "", ""
                )
            else:
                position = r.randrange(len(city), len(city) + 3)
                chars = list(name)
                chars[position] = r.choice(BRAND)
                twin = customer("".join(chars), city, "", "")
            batch.append(twin)
            twins_of.append(pk)
        else:
            city = r.choice(CITIES)
            if r.random() < 0.1:
                name = r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(GIVEN)
                batch.append(customer(name, city, "", "", "person"))
                twins_of.append(None)
            else:
                brand = "".join(r.choice(BRAND) for _ in range(3))
                name = f"{city}{brand}{r.choice(TRADES)}{r.choice(FORMS)}"
                phone = (
                    f"+861{r.choice('3589')}{r.randrange(10**9):09d}" if r.random() < 0.7 else ""
                )
                email = f"info{index}@{brand}.cn" if r.random() < 0.3 else ""
                batch.append(customer(name, city, phone, email))
                twins_of.append(None)
                if len(originals) < 50_000:
                    originals.append((next_id + len(batch) - 1, name, city, phone, email))
        if len(batch) >= 5000:
            flush()
            next_id = Customer.all_objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    if batch:
        flush()
    return set(planted)


def child(db: str, url: str, rows: int, seed: int) -> dict[str, Any]:
    _setup(db, url)
    started = time.perf_counter()
    planted = _load(rows, seed)
    loaded = time.perf_counter() - started
    from guanxi.dataio.models import DuplicatePair, DuplicateScan
    from guanxi.dataio.services.duplicates import duplicate_scan_run

    scan = DuplicateScan.objects.create()
    started = time.perf_counter()
    scan = duplicate_scan_run(scan_id=scan.pk)
    seconds = time.perf_counter() - started
    found = set(DuplicatePair.objects.values_list("customer_a_id", "customer_b_id"))
    return {
        "rows": rows,
        "load_seconds": loaded,
        "seconds": seconds,
        "comparisons": scan.comparisons,
        "pairs": scan.pairs_found,
        "planted": len(planted),
        "recall": len(planted & found) / len(planted) if planted else 1.0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--readme", action="store_true", help="append figures to README.md")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.db, args.postgres_url, args.rows, args.seed)))
        return 0
    lines = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        command = [sys.executable, __file__, "--child", "--db", db, "--rows", str(args.rows),
                   "--seed", str(args.seed), "--postgres-url", args.postgres_url]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        all_pairs = args.rows * (args.rows - 1) / 2
        share = all_pairs / max(result["comparisons"], 1)
        recall = result["recall"] * 100
        line = (
            f"| {db} | {result['rows']:,} | {result['seconds']:.1f} s | "
            f"{result['comparisons']:,} (1/{share:,.0f} of all pairs) | {result['pairs']:,} | "
            f"{recall:.1f}% of {result['planted']:,} | {result['rss_mb']:.0f} MB |"
        )
        print(line, flush=True)
        lines.append(line)
    header = (
        "| database | customers | scan time | fuzzy comparisons | pairs queued | planted twins "
        "found | peak RSS |\n|---|---|---|---|---|---|---|"
    )
    print(header)
    print("\n".join(lines))
    if args.readme:
        readme = Path(__file__).with_name("README.md")
        text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
        if "\n## Import\n" not in text:
            text += "\n## Import\n"
        text += (
            f"\nDuplicate scan, {time.strftime('%Y-%m-%d')}, {args.rows:,} customers, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}:\n\n{header}\n"
            + "\n".join(lines)
            + "\n"
        )
        readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
