#!/usr/bin/env python
"""Customer import at scale: the real pipeline against a raw load of the same file, in one run.

    .venv/bin/python benchmarks/import.py --rows 1000000 --db sqlite|postgres|both [--readme]

Writes a messy CSV of N customers (UTF-8 with BOM, as Excel saves it: full-width digits, stray
spaces, phones in every format, dates as 2024/3/5, 2024年3月5日 or Excel serials, legal forms
written differently, 1% invalid phones or e-mails, 2% rows repeating an earlier customer) to
``var/bench/import-N.csv``. For each database, in a process of its own and in a database of its
own (``var/bench/import.sqlite3`` or the PostgreSQL database ``guanxi_bench_import``, created
afresh):

- **pipeline**: ``guanxi import customers FILE`` as the application runs it (the import job:
  detect, map, validate, normalise, dedupe against the file and the database, encrypt, blind
  indexes, search index, audit, checkpoints);
- **raw**: the same file parsed with ``csv`` and loaded as text into a bare table with one
  ``executemany`` in one transaction (SQLite), or with ``COPY … FROM STDIN`` (PostgreSQL).

Prints rows/s of both, their ratio and each process's peak memory (RSS); ``--readme`` appends the
figures to ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import csv
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
SQLITE_PATH = BENCH_DIR / "import.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/guanxi_bench_import"
HEADER = [
    "客户名称",
    "联系人",
    "手机",
    "电话",
    "邮箱",
    "省份",
    "城市",
    "地址",
    "标签",
    "下次跟进",
    "备注",
]

CITIES = [
    ("北京市", "北京"), ("上海市", "上海"), ("广东省", "广州"), ("广东省", "深圳"),
    ("浙江省", "杭州"), ("江苏省", "南京"), ("江苏省", "苏州"), ("四川省", "成都"),
    ("湖北省", "武汉"), ("重庆市", "重庆"), ("陕西省", "西安"), ("福建省", "厦门"),
    ("山东省", "青岛"), ("天津市", "天津"), ("湖南省", "长沙"), ("河南省", "郑州"),
]  # fmt: skip
BRAND = (
    "华星辰腾飞远达盛恒泰鑫源宏通金银海天龙凤瑞祥嘉美创新联信安康晨光明阳东方中博雅润德汇丰"
    "佳利隆兴旺荣昌永和合顺发宝富贵君豪锦绣鼎辉耀诚智慧优品尚卓越骏驰峰岭江河湖川云雷风雨松"
)
TRADES = ["科技", "贸易", "电子", "机械", "食品", "医药", "物流", "建筑工程", "文化传媒",
          "信息技术", "网络科技", "生物科技", "新能源", "实业", "餐饮管理"]  # fmt: skip
FORMS = ["有限公司"] * 6 + ["股份有限公司", "有限责任公司", " 有限公司", "（有限公司）"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕春菊凤洁梅琳云莲雪荣"
TAGS = ["重点客户", "VIP", "老客户", "展会", "转介绍", "华东区", "华南区", "待跟进", "高意向", ""]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --- the messy file -------------------------------------------------------------------------


def _mobile(r: random.Random) -> str:
    digits = f"1{r.choice('3456789')}{r.randrange(10**9):09d}"
    form = r.random()
    if form < 0.4:
        return digits
    if form < 0.6:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if form < 0.75:
        return f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if form < 0.85:
        return digits.translate(FULL_WIDTH)
    return f"+86 {digits}"


def _date(r: random.Random) -> str:
    year, month, day = r.randrange(2024, 2031), r.randrange(1, 13), r.randrange(1, 29)
    form = r.random()
    if form < 0.3:
        return ""
    if form < 0.5:
        return f"{year}-{month:02d}-{day:02d}"
    if form < 0.7:
        return f"{year}/{month}/{day}"
    if form < 0.85:
        return f"{year}年{month}月{day}日"
    return str((time.mktime((year, month, day, 12, 0, 0, 0, 0, 0)) // 86400) + 25569).split(".")[0]


def generate(path: Path, rows: int, seed: int) -> None:
    r = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    earlier: list[list[str]] = []
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            if earlier and r.random() < 0.02:
                # the same customer again, written a little differently
                row = list(r.choice(earlier))
                row[0] = row[0].replace("有限公司", "").strip() + " "
                writer.writerow(row)
                continue
            province, city = r.choice(CITIES)
            brand = r.choice(BRAND) + r.choice(BRAND) + r.choice(BRAND)
            prefix = city if r.random() < 0.5 else ""
            name = f" {prefix}{brand}{r.choice(TRADES)}{index}{r.choice(FORMS)}"
            person = (
                r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.6 else "")
            )
            mobile = _mobile(r) if r.random() < 0.9 else ""
            if r.random() < 0.005:
                mobile = "1234"
            landline = f"0{r.choice(['10', '21', '20', '755'])}-{r.randrange(2 * 10**7, 9 * 10**7)}"
            email = (
                f"{'ABCDEFGH'[index % 8]}user{index}@Example{index % 97}.com"
                if r.random() < 0.5
                else ""
            )
            if r.random() < 0.005:
                email = "broken@"
            row = [
                name,
                person,
                mobile,
                landline if r.random() < 0.3 else "",
                email,
                province,
                city,
                f"{city}市{brand}路{r.randrange(1, 999)}号" if r.random() < 0.6 else "",
                r.choice(TAGS),
                _date(r),
                "老客户转介绍，注意跟进" if r.random() < 0.2 else "",
            ]
            if len(earlier) < 10000:
                earlier.append(row)
            elif r.random() < 0.01:
                earlier[r.randrange(len(earlier))] = row
            writer.writerow(row)


# --- the children ---------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup_django(db: str, url: str) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["GUANXI_VAR_DIR"] = str(BENCH_DIR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guanxi.settings"
    os.environ["GUANXI_LOG_LEVEL"] = "WARNING"
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


def child_pipeline(db: str, url: str, path: Path, batch: int) -> dict[str, Any]:
    _setup_django(db, url)
    from django.contrib.auth import get_user_model

    from guanxi.dataio import services

    actor = get_user_model().objects.create_superuser("bench", "bench@example.com", "x" * 12)
    started = time.perf_counter()
    with open(path, "rb") as handle:
        job = services.import_job_create(
            actor=actor, kind="customers", upload=handle, name=path.name
        )
    job = services.import_job_configure(
        actor=actor, job=job, mapping=job.mapping, on_duplicate="skip"
    )
    services.import_job_start(actor=actor, job=job, enqueue=False)
    prepared = time.perf_counter() - started
    job = services.import_job_run(job_id=job.pk, batch_size=batch)
    seconds = time.perf_counter() - started
    return {
        "status": job.status,
        "rows": job.checkpoint,
        "seconds": seconds,
        "prepare_seconds": prepared,
        "created": job.created_count,
        "skipped": job.skipped_count,
        "invalid": job.error_count,
        "rss_mb": _peak_rss_mb(),
    }


def child_raw(db: str, url: str, path: Path) -> dict[str, Any]:
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    names = ", ".join(f"c{i}" for i in range(len(HEADER)))
    started = time.perf_counter()
    rows = 0
    if db == "sqlite":
        import sqlite3

        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}.raw{suffix}").unlink(missing_ok=True)
        connection = sqlite3.connect(f"{SQLITE_PATH}.raw")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"CREATE TABLE raw (id integer primary key, {columns})")
        started = time.perf_counter()
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            marks = ", ".join("?" * len(HEADER))
            with connection:
                cursor = connection.executemany(
                    f"INSERT INTO raw ({names}) VALUES ({marks})", reader
                )
                rows = cursor.rowcount
        connection.close()
    else:
        import psycopg

        name = url.rsplit("/", 1)[1] + "_raw"
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(url.rsplit("/", 1)[0] + "/" + name) as conn:
            conn.execute(f"CREATE TABLE raw (id bigserial primary key, {columns})")
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    f"COPY raw ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                open(path, "rb") as handle,
            ):
                handle.read(3)  # the BOM
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            rows = conn.execute("SELECT count(*) FROM raw").fetchone()[0]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "rss_mb": _peak_rss_mb()}


# --- the parent -----------------------------------------------------------------------------


def _child(kind: str, db: str, args: argparse.Namespace, path: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--db",
        db,
        "--file",
        str(path),
        "--batch",
        str(args.batch),
        "--postgres-url",
        args.postgres_url,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batch", type=int, default=1000, help="rows per committed batch")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--file", default="", help="use this CSV instead of generating one")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--readme", action="store_true", help="append figures to README.md")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
    )
    parser.add_argument("--child", choices=["pipeline", "raw"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = Path(args.file) if args.file else BENCH_DIR / f"import-{args.rows}.csv"
    if args.child:
        run = child_pipeline if args.child == "pipeline" else child_raw
        extra = (args.batch,) if args.child == "pipeline" else ()
        print(json.dumps(run(args.db, args.postgres_url, path, *extra)))  # type: ignore[operator]
        return 0
    if args.regenerate or not path.exists():
        started = time.perf_counter()
        generate(path, args.rows, args.seed)
        print(f"generated {path} ({path.stat().st_size / 1024**2:.0f} MB) "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    lines = []
    for db in databases:
        raw = _child("raw", db, args, path)
        pipeline = _child("pipeline", db, args, path)
        rate = pipeline["rows"] / pipeline["seconds"]
        raw_rate = raw["rows"] / raw["seconds"]
        baseline = "executemany" if db == "sqlite" else "COPY"
        line = (
            f"| {db} | {pipeline['rows']:,} | {pipeline['seconds']:.1f} s | {rate:,.0f} | "
            f"{baseline} {raw_rate:,.0f} | 1/{raw_rate / rate:.1f} | "
            f"{pipeline['rss_mb']:.0f} MB / {raw['rss_mb']:.0f} MB | "
            f"{pipeline['created']:,} / {pipeline['skipped']:,} / {pipeline['invalid']:,} |"
        )
        print(line, flush=True)
        lines.append(line)
    header = (
        "| database | rows | pipeline time | pipeline rows/s | raw rows/s | ratio | "
        "peak RSS pipeline / raw | created / skipped dup. / invalid |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    print(header)
    print("\n".join(lines))
    if args.readme:
        readme = Path(__file__).with_name("README.md")
        text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
        if "\n## Import\n" not in text:
            text += "\n## Import\n\n`.venv/bin/python benchmarks/import.py --rows N --db both`\n"
        stamp = time.strftime("%Y-%m-%d")
        text += (
            f"\n{stamp}, {args.rows:,} rows ({path.stat().st_size / 1024**2:.0f} MB CSV), "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, batch {args.batch}:\n\n"
            f"{header}\n" + "\n".join(lines) + "\n"
        )
        readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
