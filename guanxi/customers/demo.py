"""Realistic demo data: Chinese companies and people, phones, e-mails, tags and timelines.

Everything is created through the services, so the demo records are audited and indexed exactly
like records typed in by a user. ``seed`` makes the data repeatable.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from guanxi.core.models import CreatedVia
from guanxi.customers import services
from guanxi.customers.models import (
    CompanySize,
    Customer,
    CustomerKind,
    Industry,
    InteractionKind,
    InteractionOutcome,
    Level,
    LifecycleStage,
    Source,
    Tag,
)

CITIES = [
    ("北京市", "北京"),
    ("上海市", "上海"),
    ("广东省", "广州"),
    ("广东省", "深圳"),
    ("浙江省", "杭州"),
    ("四川省", "成都"),
    ("湖北省", "武汉"),
    ("江苏省", "南京"),
    ("陕西省", "西安"),
    ("江苏省", "苏州"),
    ("重庆市", "重庆"),
    ("福建省", "厦门"),
    ("天津市", "天津"),
    ("山东省", "青岛"),
    ("湖南省", "长沙"),
    ("河南省", "郑州"),
]
BRANDS = [
    "华信",
    "星辰",
    "瑞丰",
    "宏达",
    "恒通",
    "金鼎",
    "鼎盛",
    "天宇",
    "博远",
    "中科",
    "新元",
    "启明",
    "盛世",
    "佳禾",
    "蓝海",
    "云帆",
    "海纳",
    "智联",
    "东方",
    "长城",
    "银河",
    "远航",
    "万象",
    "同创",
    "致远",
    "汇丰",
    "嘉信",
    "润泽",
    "光华",
    "九州",
    "华为",
    "腾达",
    "安泰",
]
TRADES = [
    ("科技", "信息技术"),
    ("软件", "信息技术"),
    ("贸易", "零售"),
    ("机械制造", "制造业"),
    ("电子", "制造业"),
    ("物流", "物流运输"),
    ("医药", "医疗健康"),
    ("教育科技", "教育"),
    ("餐饮管理", "餐饮酒店"),
    ("建筑工程", "建筑与房地产"),
    ("新能源", "能源"),
    ("投资管理", "金融"),
]
SUFFIXES = ["有限公司", "有限公司", "股份有限公司", "集团有限公司"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红丹玲斌宇浩凯鹏辉晨欣怡"
TITLES = [
    "总经理",
    "采购经理",
    "技术总监",
    "财务总监",
    "销售总监",
    "行政主管",
    "IT 经理",
    "董事长助理",
]
MOBILE_PREFIXES = [
    "138",
    "139",
    "136",
    "186",
    "158",
    "150",
    "177",
    "188",
    "135",
    "152",
    "189",
    "133",
    "181",
    "199",
    "166",
]
TAGS = [
    ("重点跟进", "red", "跟进"),
    ("已报价", "orange", "销售阶段"),
    ("老客户", "green", "客户"),
    ("展会获客", "purple", "来源"),
    ("价格敏感", "yellow", "特征"),
    ("决策链复杂", "azure", "特征"),
    ("VIP", "pink", "客户"),
]
SUBJECTS = {
    InteractionKind.CALL: ["电话沟通采购需求", "回访使用情况", "确认报价细节", "电话约见面时间"],
    InteractionKind.VISIT: ["上门拜访采购部", "现场演示产品", "拜访技术负责人"],
    InteractionKind.MEETING: ["方案评审会议", "年度合作洽谈", "项目启动会"],
    InteractionKind.EMAIL: ["发送产品资料", "发送报价单", "邮件确认合同条款"],
    InteractionKind.WECHAT: ["微信沟通交付时间", "微信发送案例", "微信确认发票信息"],
    InteractionKind.NOTE: ["客户内部预算下季度审批", "竞争对手也在接触", "关键人下月调岗"],
}
CONTENTS = [
    "客户对方案整体满意，关注交付周期和售后响应时间。",
    "对价格有顾虑，希望在年底前拿到更优惠的折扣。\n下周再跟进。",
    "采购流程需要三家比价，我们目前排第一。",
    "技术负责人提出需要和现有 ERP 系统对接。",
    "已发送案例资料，客户会在内部评审后回复。",
]


@dataclass
class DemoResult:
    customers: int
    contacts: int
    interactions: int


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def ensure_tags(actor: Any) -> list[Tag]:
    tags = []
    for name, colour, group in TAGS:
        tag = Tag.objects.filter(name=name).first() or services.tag_create(
            actor=actor, data={"name": name, "colour": colour, "group": group}
        )
        tags.append(tag)
    return tags


def generate(
    *,
    actor: Any,
    owners: list[Any],
    customers: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create ``customers`` demo customers with contacts and timelines, owned by ``owners``."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    industries = {i.name: i for i in Industry.objects.all()}
    sources = list(Source.objects.all())
    levels = list(Level.objects.all())
    tags = ensure_tags(actor)
    now = timezone.now()
    made = DemoResult(0, 0, 0)
    start = Customer.all_objects.count()
    for index in range(customers):
        with transaction.atomic():
            owner = owners[index % len(owners)]
            province, city = rng.choice(CITIES)
            is_person = rng.random() < 0.15
            if is_person:
                name = _person_name(rng)
                trade, industry_name = "", "其他"
            else:
                trade, industry_name = rng.choice(TRADES)
                name = f"{city}{rng.choice(BRANDS)}{trade}{rng.choice(SUFFIXES)}"
                if Customer.all_objects.filter(name=name).exists():
                    name = f"{city}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{trade}有限公司"
            brand_pinyin = "".join(lazy_pinyin(name[len(city) : len(city) + 2]))
            domain = f"{brand_pinyin}{start + index}.com.cn"
            data: dict[str, Any] = {
                "kind": CustomerKind.PERSON if is_person else CustomerKind.COMPANY,
                "name": name,
                "industry": industries.get(industry_name),
                "size": "" if is_person else rng.choice(CompanySize.values),
                "level": rng.choice(levels) if levels else None,
                "source": rng.choice(sources) if sources else None,
                "lifecycle_stage": rng.choices(LifecycleStage.values, weights=(30, 25, 30, 10, 5))[
                    0
                ],
                "province": province,
                "city": city,
                "address": f"{city}市{rng.choice(['高新区', '经开区', '滨江区', '朝阳区'])}"
                f"{rng.choice(['科技路', '创业大道', '人民路', '建设路'])}{rng.randint(1, 300)}号",
                "website": "" if is_person else f"https://www.{domain}",
                "phone": _mobile(rng) if is_person else "",
                "owner": owner,
                "tags": rng.sample(tags, k=rng.choice((0, 1, 1, 2))),
                "description": "" if is_person else f"{trade}行业客户，{city}本地企业。",
            }
            customer = services.customer_create(
                actor=actor, data=data, created_via=CreatedVia.SYSTEM
            )
            made.customers += 1
            created_at = now - dt.timedelta(days=rng.randint(5, 400), minutes=rng.randint(0, 600))
            Customer.objects.filter(pk=customer.pk).update(created_at=created_at)
            contacts = []
            for position in range(0 if is_person else rng.choice((1, 1, 2, 3))):
                person = _person_name(rng)
                local = "".join(lazy_pinyin(person))
                contacts.append(
                    services.contact_create(
                        actor=actor,
                        customer=customer,
                        created_via=CreatedVia.SYSTEM,
                        data={
                            "name": person,
                            "title": rng.choice(TITLES),
                            "mobile": _mobile(rng),
                            "email": f"{local}@{domain}",
                            "wechat": f"wx_{local}{rng.randint(10, 99)}",
                            "is_primary": position == 0,
                        },
                    )
                )
                made.contacts += 1
            for _ in range(rng.choice((0, 1, 2, 3, 4))):
                kind = rng.choice(InteractionKind.values)
                occurred = now - dt.timedelta(days=rng.randint(0, 180), hours=rng.randint(0, 10))
                services.interaction_create(
                    actor=owner,
                    customer=customer,
                    created_via=CreatedVia.SYSTEM,
                    data={
                        "kind": kind,
                        "occurred_at": occurred,
                        "subject": rng.choice(SUBJECTS[InteractionKind(kind)]),
                        "content": rng.choice(CONTENTS),
                        "outcome": rng.choice(InteractionOutcome.values),
                        "contact": rng.choice(contacts) if contacts else None,
                        "duration_minutes": rng.choice((None, 5, 15, 30, 60)),
                        "next_follow_up_on": (now + dt.timedelta(days=rng.randint(-5, 20))).date()
                        if rng.random() < 0.3
                        else None,
                    },
                )
                made.interactions += 1
        if progress:
            progress(index + 1)
    return made
