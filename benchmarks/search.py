#!/usr/bin/env python
"""Customer search at scale: our index against a plain ``LIKE '%…%'`` scan, in the same run.

    .venv/bin/python benchmarks/search.py --rows 1000000 --db sqlite|postgres|both

Builds its own database (``var/bench/search.sqlite3``, or the PostgreSQL database
``guanxi_bench``, dropped and created), loads N realistic customers straight into the tables
(Chinese company and person names, contacts, phones, e-mails, tags, websites; phones and e-mails
encrypted as the application stores them) and builds the search index with the bulk builder of
``guanxi search_rebuild``; the indexes the load does not need are dropped meanwhile and re-created
after (``DeferredIndexes``). Then it times every kind of search through the selector, as the
application runs it (``customer_list(actor=…, q=…)``, first page of 20 with its related rows),
beside the ``LIKE`` scan of the same data where one is possible, and the first customer-list page.
``--reuse`` keeps a database loaded by an earlier run with the same ``--rows``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SQLITE_PATH = BENCH_DIR / "search.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/guanxi_bench"
BATCH = 10_000
PAGE = 20
REPEAT = 3
SLOW_SAMPLES = 10  # the rep and LIKE columns take the first ten queries of each kind

CITIES = [
    ("北京市", "北京"), ("上海市", "上海"), ("广东省", "广州"), ("广东省", "深圳"),
    ("广东省", "东莞"), ("广东省", "佛山"), ("浙江省", "杭州"), ("浙江省", "宁波"),
    ("浙江省", "温州"), ("江苏省", "南京"), ("江苏省", "苏州"), ("江苏省", "无锡"),
    ("四川省", "成都"), ("湖北省", "武汉"), ("重庆市", "重庆"), ("陕西省", "西安"),
    ("福建省", "厦门"), ("福建省", "福州"), ("山东省", "青岛"), ("山东省", "济南"),
    ("天津市", "天津"), ("湖南省", "长沙"), ("河南省", "郑州"), ("安徽省", "合肥"),
    ("辽宁省", "大连"), ("辽宁省", "沈阳"), ("云南省", "昆明"), ("广西壮族自治区", "南宁"),
    ("江西省", "南昌"), ("河北省", "石家庄"), ("山西省", "太原"), ("吉林省", "长春"),
    ("黑龙江省", "哈尔滨"), ("贵州省", "贵阳"), ("海南省", "海口"), ("甘肃省", "兰州"),
]  # fmt: skip
BRAND_CHARS = (
    "华星辰腾飞远达盛恒泰鑫源宏通金银海天龙凤瑞祥嘉美创新联信安康晨光明阳东方中博雅润德汇丰"
    "佳利隆兴旺荣昌永和合顺发宝富贵君豪锦绣鼎辉耀诚智慧优品尚卓越骏驰峰岭江河湖川云雷风雨松"
    "柏竹梅兰晶晟弘广大长青行重乐朝都蓝图灵动力启航万象森林水木清泉石磊鹏程宇宙恒基伟业精工"
)
INDUSTRIES = [
    "科技", "贸易", "电子", "机械", "食品", "医药", "物流", "建筑工程", "文化传媒", "信息技术",
    "网络科技", "生物科技", "新能源", "实业", "投资", "餐饮管理", "服装", "家具", "化工",
    "汽车销售", "电气", "环保科技", "教育咨询", "房地产开发", "农业发展", "供应链管理", "软件",
    "通信设备", "包装材料", "光电", "银行", "商贸", "酒店管理", "广告", "印刷", "五金",
]  # fmt: skip
FORMS = ["有限公司"] * 12 + ["股份有限公司"] * 3 + ["集团有限公司", "有限责任公司", "商行"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤单解仇查朴"
)
COMPOUND_SURNAMES = ["欧阳", "诸葛", "司马", "上官", "长孙"]
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真"
    "环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡"
    "婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢"
    "馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽峰志国建文辉力明永健世广义兴良海山仁波宁"
    "贵福生龙元全胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬"
)
TITLES = ["总经理", "采购经理", "销售总监", "财务经理", "技术总监", "行政主管", "董事长",
          "项目经理", "总经理助理", "采购专员", "CEO", "CTO", "市场部经理", "法务"]  # fmt: skip
TAGS = ["重点客户", "VIP", "老客户", "展会", "转介绍", "华东区", "华南区", "华北区", "待跟进",
        "高意向", "政府", "国企", "外企", "上市公司", "渠道商", "代理商", "终端客户", "战略合作",
        "年度框架", "价格敏感", "已签约", "流失风险", "新客户", "大客户", "中小企业", "海外",
        "线上来源", "电话营销", "合作伙伴", "供应商"]  # fmt: skip
PUBLIC_MAIL = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "foxmail.com"]
TLDS = [".com", ".cn", ".com.cn", ".net"]
STAGES = ["lead", "prospect", "customer", "loyal", "churned"]
AREA_CODES = ["10", "21", "20", "755", "571", "25", "28", "27", "23", "29"]
LIKE_KINDS = {"name", "contact", "tag", "website"}


# --- the parent process ---------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="customers to generate")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--samples", type=int, default=60, help="queries per search kind")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
    )
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workers", type=int, default=2, help="processes generating data")
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
    os.environ.pop("GUANXI_ENCRYPTION_KEYS", None)
    sys.path.insert(0, str(ROOT))
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
        if args.reuse and SQLITE_PATH.exists():
            return True
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return False
    import psycopg

    os.environ["DATABASE_URL"] = args.postgres_url
    name = args.postgres_url.rsplit("/", 1)[1]
    admin_url = args.postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if args.reuse and exists:
            return True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


# --- data -----------------------------------------------------------------------------------


@dataclass
class Sample:
    """What a user would type to find one generated customer."""

    queries: dict[str, str] = field(default_factory=dict)


class Generator:
    """Realistic Chinese customers, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        from guanxi.core.search.pinyin import person_syllables, syllables

        self.random = random.Random(seed)
        self._syllables = syllables
        self._person_syllables = person_syllables

    def pinyin(self, text: str, *, person: bool = False) -> list[str]:
        return self._person_syllables(text) if person else self._syllables(text)

    def person_name(self) -> str:
        r = self.random
        surname = r.choice(COMPOUND_SURNAMES) if r.random() < 0.01 else r.choice(SURNAMES)
        given = "".join(r.choice(GIVEN) for _ in range(1 if r.random() < 0.35 else 2))
        return surname + given

    def mobile(self) -> str:
        r = self.random
        return f"+861{r.choice('3456789')}{r.randrange(10**9):09d}"

    def landline(self) -> str:
        r = self.random
        return f"+86{r.choice(AREA_CODES)}{r.randrange(2 * 10**7, 9 * 10**7):08d}"

    def email(self, local: str, domain: str) -> str:
        return f"{local}@{domain}"

    def customer(self, pk: int) -> dict[str, Any]:
        r = self.random
        province, city = r.choice(CITIES)
        brand = r.choice(BRAND_CHARS) + r.choice(BRAND_CHARS)
        industry = r.choice(INDUSTRIES)
        person = r.random() < 0.15
        if person:
            name = self.person_name()
            domain = ""
        else:
            prefix = r.choice(["", city, city + "市"]) if r.random() < 0.7 else ""
            name = f"{prefix}{brand}{industry}{r.choice(FORMS)}"
            domain = "".join(self.pinyin(brand)) + r.choice(TLDS)
        website = f"https://www.{domain}" if domain and r.random() < 0.4 else ""
        phone = ""
        if r.random() < 0.6:
            phone = self.mobile() if r.random() < 0.7 else self.landline()
        email = ""
        if r.random() < 0.4:
            if domain:
                email = self.email(r.choice(["sales", "info", "service", "hr", "contact"]), domain)
            else:
                email = self.email(f"{r.randrange(10**5, 10**10)}", r.choice(PUBLIC_MAIL))
        contacts = []
        for index in range(r.choice([0, 1, 1, 1, 2, 2, 3])):
            contact_name = self.person_name()
            syllables = self.pinyin(contact_name, person=True)
            local = r.choice(
                [
                    "".join(syllables),
                    f"{syllables[0]}.{''.join(syllables[1:])}",
                    "".join(s[0] for s in syllables) + str(r.randrange(1970, 2005)),
                ]
            )
            contacts.append(
                {
                    "name": contact_name,
                    "title": r.choice(TITLES),
                    "mobile": self.mobile() if r.random() < 0.8 else "",
                    "email": (
                        self.email(local, domain or r.choice(PUBLIC_MAIL))
                        if r.random() < 0.5
                        else ""
                    ),
                    "is_primary": index == 0,
                }
            )
        return {
            "pk": pk,
            "kind": "person" if person else "company",
            "name": name,
            "short_name": brand if not person and r.random() < 0.2 else "",
            "province": province,
            "city": city,
            "website": website,
            "phone": phone,
            "email": email,
            "stage": r.choice(STAGES),
            "deleted": r.random() < 0.02,
            "tags": r.sample(range(len(TAGS)), r.choice([0, 0, 1, 1, 2, 3])),
            "contacts": contacts,
            "brand": brand,
            "industry": industry,
            "domain": domain,
        }

    def sample(self, c: dict[str, Any]) -> Sample:
        """Queries that find customer ``c`` (it is alive and owned by anyone)."""
        r = self.random
        sample = Sample()
        q = sample.queries
        if c["kind"] == "company":
            q["name, 2 Chinese characters"] = c["brand"]
            q["name, 4 Chinese characters"] = c["brand"] + c["industry"][:2]
            q["name, pinyin of the brand"] = "".join(self.pinyin(c["brand"]))
            q["name, initials"] = "".join(s[0] for s in self.pinyin(c["brand"] + c["industry"][:2]))
        if c["contacts"]:
            contact = r.choice(c["contacts"])
            q["contact name"] = contact["name"]
            q["contact, full pinyin"] = "".join(self.pinyin(contact["name"], person=True))
            if contact["mobile"]:
                national = contact["mobile"][3:]
                q["phone 138 1234 5678"] = f"{national[:3]} {national[3:7]} {national[7:]}"
                q["phone +86-138-1234-5678"] = f"+86-{national[:3]}-{national[3:7]}-{national[7:]}"
                q["phone, last 4 digits"] = national[-4:]
            if contact["email"]:
                q["e-mail address"] = contact["email"]
        addresses = [c["website"], c["email"], *(k["email"] for k in c["contacts"])]
        if c["domain"] and any(a.endswith(c["domain"]) for a in addresses):
            q["e-mail or web domain"] = c["domain"]
        if c["tags"]:
            q["tag"] = TAGS[r.choice(c["tags"])]
        return sample


FIXED_QUERIES = {
    "one letter (z)": "z",
    "common word (公司)": "公司",
    "two words (科技 sz)": "科技 sz",
    "absent (不存在xyz)": "不存在xyz",
}


# --- loading --------------------------------------------------------------------------------


class Loader:
    """Writes generated customers straight into the tables, as the application stores them."""

    def __init__(self, owners: list[tuple[int, int]], tag_ids: list[int]) -> None:
        from django.db import connection

        from guanxi.core import crypto
        from guanxi.customers.models import Contact, Customer

        self.connection = connection
        self.vendor = connection.vendor
        self.owners = owners
        self.tag_ids = tag_ids
        self.crypto = crypto
        self._bidx = {
            purpose: hmac.new(crypto.ring().index_key, f"{purpose}\x00".encode(), hashlib.sha256)
            for purpose in ("phone", "email")
        }
        self.customer_table = Customer._meta.db_table
        self.contact_table = Contact._meta.db_table
        self.tag_through = Customer.tags.through
        self.customer_fields = self._existing(Customer)
        self.contact_fields = self._existing(Contact)
        self.customer_defaults = self._defaults(self.customer_fields)
        self.contact_defaults = self._defaults(self.contact_fields)

    def _existing(self, model: Any) -> list[Any]:
        """The model's fields that its table has (the rest keep their database defaults)."""
        with self.connection.cursor() as cursor:
            columns = {
                c.name
                for c in self.connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            }
        return [f for f in model._meta.concrete_fields if f.column in columns]

    def _defaults(self, fields: list[Any]) -> dict[str, Any]:
        defaults = {}
        for f in fields:
            value = f.get_default()
            if isinstance(value, dict | list):
                value = json.dumps(value)
            else:
                value = f.get_db_prep_save(value, self.connection)
            defaults[f.attname] = value
        return defaults

    def bidx(self, value: str, purpose: str) -> str:
        if not value:
            return ""
        digest = self._bidx[purpose].copy()
        digest.update(value.encode())
        return digest.hexdigest()[:32]

    def encrypt(self, value: str) -> str:
        return self.crypto.encrypt(value) if value else ""

    def rows(self, customers: list[dict[str, Any]], now: Any) -> tuple[list, list, list]:
        customer_rows, contact_rows, link_rows = [], [], []
        deleted_at = now
        for c in customers:
            owner_id, department_id = self.owners[c["pk"] % len(self.owners)]
            values = {
                "id": c["pk"],
                "kind": c["kind"],
                "name": c["name"],
                "short_name": c["short_name"],
                "province": c["province"],
                "city": c["city"],
                "website": c["website"],
                "phone": self.encrypt(c["phone"]),
                "phone_bidx": self.bidx(c["phone"], "phone"),
                "email": self.encrypt(c["email"]),
                "email_bidx": self.bidx(c["email"], "email"),
                "lifecycle_stage": c["stage"],
                "owner_id": owner_id,
                "department_id": department_id,
                "created_by_id": owner_id,
                "created_at": now,
                "updated_at": now,
                "deleted_at": deleted_at if c["deleted"] else None,
            }
            customer_rows.append(
                tuple(
                    values.get(f.attname, self.customer_defaults[f.attname])
                    for f in self.customer_fields
                )
            )
            for index, contact in enumerate(c["contacts"]):
                values = {
                    "id": c["pk"] * 4 + index,
                    "customer_id": c["pk"],
                    "name": contact["name"],
                    "title": contact["title"],
                    "mobile": self.encrypt(contact["mobile"]),
                    "mobile_bidx": self.bidx(contact["mobile"], "phone"),
                    "email": self.encrypt(contact["email"]),
                    "email_bidx": self.bidx(contact["email"], "email"),
                    "is_primary": contact["is_primary"],
                    "created_at": now,
                    "updated_at": now,
                    "created_by_id": owner_id,
                }
                contact_rows.append(
                    tuple(
                        values.get(f.attname, self.contact_defaults[f.attname])
                        for f in self.contact_fields
                    )
                )
            for index, tag in enumerate(c["tags"]):
                link_rows.append((c["pk"] * 4 + index, c["pk"], self.tag_ids[tag]))
        return customer_rows, contact_rows, link_rows

    def write(self, table: str, fields: list[Any], rows: list[tuple]) -> None:
        columns = [f.column for f in fields]
        if self.vendor == "sqlite":
            marks = ", ".join(["?"] * len(columns))
            self.connection.connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
            return
        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)


class DeferredIndexes:
    """Indexes the load does not need, dropped before it and re-created from their definitions.

    Writing a million rows into tables that keep twenty indexes up to date row by row costs more
    than the rows themselves; building each index once, from sorted data, costs a fraction. What
    is dropped is read from the database (``sqlite_master``, ``pg_indexes``, ``pg_constraint``)
    and re-created with the very same statements, so the loaded database ends up with the
    schema the migrations made.

    - SQLite: every index with a definition (the primary keys' automatic indexes stay; foreign
      keys are not enforced while loading).
    - PostgreSQL: every index that backs no constraint, the unique constraints, the foreign keys
      of the loaded tables (validated again when added back) and the primary key of the search
      key table (random HMAC keys: a sorted build instead of millions of random inserts). The
      primary keys of customers, contacts and tag links stay (ids grow, inserts append).
    """

    def __init__(self, connection: Any, tables: list[str], rebuilt_keys: list[str]) -> None:
        self.connection = connection
        self.tables = tables
        self.rebuilt_keys = rebuilt_keys  # tables whose primary key is dropped (PostgreSQL)
        self.drops: list[str] = []
        self.creates: list[str] = []

    def drop(self) -> None:
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "sqlite":
                marks = ", ".join(["%s"] * len(self.tables))
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY rowid",
                    self.tables,
                )
                for name, sql in cursor.fetchall():
                    self.drops.append(f'DROP INDEX "{name}"')
                    self.creates.append(sql)
            else:
                # Primary and unique keys first, foreign keys last.
                cursor.execute(
                    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                    "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    "WHERE t.relname = ANY(%s) AND (c.contype IN ('u', 'f') "
                    "OR (c.contype = 'p' AND t.relname = ANY(%s))) "
                    "ORDER BY c.contype = 'f', c.conname",
                    [self.tables, self.rebuilt_keys],
                )
                constraints = cursor.fetchall()
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                    "WHERE contype IN ('p', 'u', 'x')) ORDER BY indexname",
                    [self.tables],
                )
                indexes = cursor.fetchall()
                for table, name, _definition in constraints:
                    self.drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                for name, definition in indexes:
                    self.drops.append(f'DROP INDEX "{name}"')
                    self.creates.append(definition)
                # Unique and primary keys before the indexes, foreign keys last (they are
                # checked against the referenced tables' keys when added).
                keys = [c for c in constraints if not c[2].startswith("FOREIGN KEY")]
                foreign = [c for c in constraints if c[2].startswith("FOREIGN KEY")]
                self.creates = [
                    *(f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in keys),
                    *self.creates,
                    *(f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in foreign),
                ]
            for statement in self.drops:
                cursor.execute(statement)

    def create(self) -> None:
        with self.connection.cursor() as cursor:
            for statement in self.creates:
                cursor.execute(statement)


def _setup_people() -> tuple[Any, Any, list[Any]]:
    from guanxi.accounts import default_roles
    from guanxi.accounts import services as account_services

    admin = account_services.user_create(
        actor=None, username="bench-admin", is_superuser=True, check_password=False
    )
    role = account_services.role_by_code(default_roles.SALES_REP)
    departments = [
        account_services.department_create(actor=None, name=f"销售{n}部") for n in range(1, 6)
    ]
    owners = [
        account_services.user_create(
            actor=None,
            username=f"rep{n:03d}",
            department=departments[n % len(departments)],
            roles=[role],
            check_password=False,
        )
        for n in range(200)
    ]
    return admin, owners[0], owners


def _document(c: dict[str, Any]) -> Any:
    from guanxi.customers.search import ContactFacts, CustomerFacts, customer_document

    return customer_document(
        CustomerFacts(
            name=c["name"],
            kind=c["kind"],
            short_name=c["short_name"],
            province=c["province"],
            city=c["city"],
            website=c["website"],
            phone=c["phone"],
            email=c["email"],
            tags=[TAGS[t] for t in c["tags"]],
            contacts=[
                ContactFacts(name=k["name"], title=k["title"], mobile=k["mobile"], email=k["email"])
                for k in c["contacts"]
            ],
        )
    )


_worker: dict[str, Any] = {}


def _make_batch(job: tuple[int, int, int, int]) -> tuple[Any, ...]:
    """In a worker process: generate customers [start, end) as table rows and documents."""
    start, end, seed, sample_every = job
    loader = _worker["loader"]
    generator = Generator(seed * 1_000_003 + start)
    t0 = time.perf_counter()
    batch = [generator.customer(pk) for pk in range(start, end)]
    samples = [
        generator.sample(c).queries
        for c in batch
        if c["pk"] % sample_every == 0 and not c["deleted"]
    ]
    tables = loader.rows(batch, _worker["now"])
    t1 = time.perf_counter()
    index_rows = _worker["index"].prepare([(c["pk"], _document(c)) for c in batch], loader.vendor)
    t2 = time.perf_counter()
    return tables, index_rows, samples, t1 - t0, t2 - t1


def load(rows: int, seed: int, workers: int) -> list[Sample]:
    import multiprocessing

    from django.db import connection, connections, transaction
    from django.utils import timezone

    from guanxi.core import crypto
    from guanxi.core.models import SearchKey
    from guanxi.customers.models import Contact, Customer, Tag
    from guanxi.customers.search import customer_index

    _admin, _rep, owners = _setup_people()
    tags = [Tag.objects.create(name=name) for name in TAGS]
    loader = Loader([(o.pk, o.department_id) for o in owners], [t.pk for t in tags])
    through_fields = list(loader.tag_through._meta.concrete_fields)
    crypto.ring()
    _worker.update(loader=loader, now=timezone.now(), index=customer_index)
    sample_every = max(1, rows // 2000)
    jobs = [
        (start, min(rows + 1, start + BATCH), seed, sample_every)
        for start in range(1, rows + 1, BATCH)
    ]
    connections.close_all()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=OFF")
            # Room for the search keys' primary key (random keys) and the index builds' sorts.
            cursor.execute("PRAGMA cache_size=-1048576")
            cursor.execute("PRAGMA temp_store=MEMORY")
        else:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = off")
    with transaction.atomic():
        customer_index.clear()
    deferred = DeferredIndexes(
        connection,
        [
            Customer._meta.db_table,
            Contact._meta.db_table,
            loader.tag_through._meta.db_table,
            SearchKey._meta.db_table,
        ],
        rebuilt_keys=[SearchKey._meta.db_table],
    )
    with transaction.atomic():
        deferred.drop()
    samples: list[Sample] = []
    times = {"generate": 0.0, "documents": 0.0, "tables": 0.0, "index": 0.0}
    started = time.perf_counter()
    done = 0
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        # A few batches ahead of the writer, no more: memory stays flat.
        pending = collections.deque(
            pool.apply_async(_make_batch, (job,)) for job in jobs[: workers * 2]
        )
        next_job = len(pending)
        while pending:
            tables, index_rows, batch_samples, generate, build = pending.popleft().get()
            if next_job < len(jobs):
                pending.append(pool.apply_async(_make_batch, (jobs[next_job],)))
                next_job += 1
            customer_rows, contact_rows, link_rows = tables
            samples.extend(Sample(q) for q in batch_samples)
            t0 = time.perf_counter()
            with transaction.atomic():
                loader.write(Customer._meta.db_table, loader.customer_fields, customer_rows)
                loader.write(Contact._meta.db_table, loader.contact_fields, contact_rows)
                loader.write(loader.tag_through._meta.db_table, through_fields, link_rows)
                t1 = time.perf_counter()
                customer_index.write(index_rows)
            t2 = time.perf_counter()
            times["generate"] += generate
            times["documents"] += build
            times["tables"] += t1 - t0
            times["index"] += t2 - t1
            done += index_rows.count
            elapsed = time.perf_counter() - started
            print(
                f"\r  loaded {done:,}/{rows:,} customers ({done / elapsed:,.0f}/s)",
                end="",
                flush=True,
            )
    print()
    t0 = time.perf_counter()
    with transaction.atomic():
        deferred.create()
    times["table indexes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic():
        customer_index.finish()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Customer, Contact, loader.tag_through):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    times["finish"] = time.perf_counter() - t0
    print(
        "  seconds: "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in times.items())
        + f" (generate and documents in {workers} worker processes); "
        + f"wall {time.perf_counter() - started:.0f}"
    )
    return samples


# --- measuring ------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    """Milliseconds of the fastest of ``repeat`` runs (a shared machine preempts at random)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - t0)
    return best * 1000, result


def _like_query(kind: str, text: str) -> tuple[str, list[Any]] | None:
    from django.db import connection

    from guanxi.customers.models import Contact, Customer, Tag

    customers = Customer._meta.db_table
    pattern = f"%{text}%"
    op = "LIKE"
    if kind.startswith("name"):
        where = f"name {op} %s OR short_name {op} %s"
        params = [pattern, pattern]
    elif kind.startswith("contact name"):
        where = f"id IN (SELECT customer_id FROM {Contact._meta.db_table} WHERE name {op} %s)"
        params = [pattern]
    elif kind == "tag":
        through = Customer.tags.through._meta.db_table
        where = (
            f"id IN (SELECT customer_id FROM {through} JOIN {Tag._meta.db_table} t "
            f"ON t.id = tag_id WHERE t.name {op} %s)"
        )
        params = [pattern]
    elif kind == "e-mail or web domain":
        where = f"website {op} %s"
        params = [pattern]
    elif kind.startswith("list page"):
        sql = f"SELECT * FROM {customers} WHERE deleted_at IS NULL ORDER BY id DESC LIMIT {PAGE}"
        return sql, []
    elif kind.startswith(("one letter", "common word", "absent")):
        where = f"name {op} %s"
        params = [pattern]
    else:
        return None
    _ = connection
    sql = (
        f"SELECT id, name FROM {customers} WHERE deleted_at IS NULL AND ({where}) "
        f"ORDER BY id DESC LIMIT {PAGE}"
    )
    return sql, params


@dataclass
class Row:
    kind: str
    example: str
    runs: int = 0
    found: int = 0
    page: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    rep: list[float] = field(default_factory=list)
    count: list[float] = field(default_factory=list)
    like: list[float] = field(default_factory=list)


def measure(samples: list[Sample], per_kind: int, seed: int) -> list[Row]:
    """Time each kind of search: page through the selector, its SQL alone, count, LIKE."""
    from django.db import connection

    from guanxi.accounts.models import User
    from guanxi.core.search import capped_count
    from guanxi.customers.selectors import customer_list

    admin = User.objects.get(username="bench-admin")
    rep = User.objects.get(username="rep000")
    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for sample in samples:
        for kind, text in sample.queries.items():
            by_kind.setdefault(kind, []).append(text)
    for kind, text in FIXED_QUERIES.items():
        by_kind[kind] = [text] * min(per_kind, 20)
    by_kind["list page, admin (all)"] = [""] * per_kind
    by_kind["list page, rep (own)"] = [""] * per_kind

    def page(actor: Any, q: str) -> list[Any]:
        return list(customer_list(actor=actor, q=q)[:PAGE])

    def raw(sql: str, params: Any) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    results = []
    for kind, texts in by_kind.items():
        texts = rng.sample(texts, min(per_kind, len(texts)))
        actor = rep if kind.endswith("rep (own)") else admin
        page(actor, texts[0])
        row = Row(kind, texts[0])
        for text in texts:
            ms, rows = _time(lambda text=text, actor=actor: page(actor, text))
            row.page.append(ms)
            row.runs += 1
            row.found += bool(rows)
            sql = customer_list(actor=actor, q=text)[:PAGE].query.sql_with_params()
            row.sql.append(_time(lambda sql=sql: raw(*sql))[0])
            slow = row.runs > SLOW_SAMPLES
            if not kind.startswith("list page") and not slow:
                row.rep.append(_time(lambda text=text: page(rep, text))[0])
            row.count.append(
                _time(
                    lambda text=text, actor=actor: capped_count(customer_list(actor=actor, q=text))
                )[0]
            )
            like_sql = _like_query(kind, text)
            if like_sql and not slow:
                row.like.append(_time(lambda like_sql=like_sql: raw(*like_sql))[0])
        results.append(row)
        _print_row(row)
    return results


HEADER = (
    f"{'search kind':<28} {'example':<22} {'found':>7}  {'p50':>6} {'p95':>6}  {'SQL p95':>7}  "
    f"{'rep p95':>7}  {'count p95':>9}  {'LIKE p50':>8} {'LIKE p95':>8}"
)


def _print_row(row: Row) -> None:
    p50, p95 = _percentiles(row.page)
    sql95 = _percentiles(row.sql)[1]
    rep95 = f"{_percentiles(row.rep)[1]:7.1f}" if row.rep else f"{'':>7}"
    count95 = f"{_percentiles(row.count)[1]:9.1f}" if row.count else f"{'-':>9}"
    if row.like:
        l50, l95 = _percentiles(row.like)
        like_text = f"{l50:8.1f} {l95:8.1f}"
    else:
        like_text = f"{'n/a':>8} {'n/a':>8}"
    example = row.example if len(row.example) <= 20 else row.example[:19] + "…"
    width = 22 - sum(1 for ch in example if ord(ch) > 0x2E80)
    print(
        f"{row.kind:<{28 - sum(1 for ch in row.kind if ord(ch) > 0x2E80)}} {example:<{width}} "
        f"{row.found:>3}/{row.runs:<3}  {p50:6.1f} {p95:6.1f}  {sql95:7.1f}  {rep95}  "
        f"{count95}  {like_text}",
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    reuse = _prepare_environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guanxi.customers.models import Customer

    label = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    print(f"== {label}: {args.rows:,} customers ==")
    samples_file = BENCH_DIR / f"samples-{args.db}-{args.rows}.json"
    if reuse and samples_file.exists() and Customer.all_objects.count() == args.rows:
        print("  reusing the loaded database")
        samples = [Sample(s) for s in json.loads(samples_file.read_text())]
    else:
        if reuse:
            return _fail(
                "the database to reuse does not hold --rows customers: run without --reuse"
            )
        call_command("migrate", verbosity=0)
        samples = load(args.rows, args.seed, args.workers)
        samples_file.write_text(json.dumps([s.queries for s in samples], ensure_ascii=False))
    version = (
        connection.cursor()
        .connection.execute(
            "SELECT sqlite_version()" if args.db == "sqlite" else "SHOW server_version"
        )
        .fetchone()[0]
    )
    print(
        f"  {label} {version}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. "
        f"Milliseconds per query (fastest of {REPEAT} runs): first page of {PAGE} through the "
        "selector (p50, p95), its SQL alone, as a sales rep (own customers), capped count "
        "(10,000+), and a LIKE '%…%' scan of the same columns"
    )
    print(HEADER)
    measure(samples, args.samples, args.seed)
    return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
