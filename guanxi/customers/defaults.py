"""Reference lists a new installation starts with (administrators can edit them)."""

from __future__ import annotations

from django.db import transaction

from guanxi.customers.models import Industry, Level, Source

INDUSTRIES = [
    ("制造业", "Manufacturing"),
    ("信息技术", "Information technology"),
    ("金融", "Finance"),
    ("零售", "Retail"),
    ("教育", "Education"),
    ("医疗健康", "Healthcare"),
    ("建筑与房地产", "Construction & real estate"),
    ("物流运输", "Logistics"),
    ("能源", "Energy"),
    ("餐饮酒店", "Hospitality"),
    ("政府与公共事业", "Government & public sector"),
    ("其他", "Other"),
]
SOURCES = [
    ("官网", "Website"),
    ("电话咨询", "Phone enquiry"),
    ("展会", "Trade show"),
    ("客户推荐", "Referral"),
    ("广告投放", "Advertising"),
    ("微信", "WeChat"),
    ("线下活动", "Event"),
    ("其他", "Other"),
]
LEVELS = [
    ("A 重点客户", "A – key account", "red"),
    ("B 普通客户", "B – regular", "orange"),
    ("C 潜力客户", "C – potential", "blue"),
    ("D 低价值", "D – low value", "gray"),
]


@transaction.atomic
def lookups_seed_defaults() -> int:
    """Create the default industries, sources and levels that are missing. Idempotent."""
    created = 0
    for position, (name, name_en) in enumerate(INDUSTRIES):
        created += Industry.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "position": position}
        )[1]
    for position, (name, name_en) in enumerate(SOURCES):
        created += Source.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "position": position}
        )[1]
    for position, (name, name_en, colour) in enumerate(LEVELS):
        created += Level.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "position": position, "colour": colour}
        )[1]
    return created
