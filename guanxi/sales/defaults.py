"""The pipeline and the won/lost reasons a new installation starts with (editable afterwards)."""

from __future__ import annotations

from typing import Any

PIPELINE = ("标准销售流程", "Standard sales process")
# name, English name, probability, colour, required fields, is_won, is_lost
STAGES: list[tuple[str, str, int, str, list[str], bool, bool]] = [
    ("初步接洽", "Qualification", 10, "azure", [], False, False),
    ("需求确认", "Needs analysis", 25, "cyan", [], False, False),
    ("方案报价", "Proposal", 50, "indigo", ["amount", "expected_close_on"], False, False),
    (
        "商务谈判",
        "Negotiation",
        75,
        "purple",
        ["amount", "expected_close_on", "contacts"],
        False,
        False,
    ),
    ("赢单", "Won", 100, "green", ["amount"], True, False),
    ("输单", "Lost", 0, "red", [], False, True),
]
WON_REASONS = [
    ("产品满足需求", "Product fit"),
    ("价格优势", "Price"),
    ("关系与信任", "Relationship and trust"),
    ("服务与交付", "Service and delivery"),
    ("其他", "Other"),
]
LOST_REASONS = [
    ("价格过高", "Price too high"),
    ("选择了竞争对手", "Chose a competitor"),
    ("没有预算", "No budget"),
    ("需求取消或变化", "Need cancelled or changed"),
    ("联系不上", "Unreachable"),
    ("其他", "Other"),
]


def seed(pipeline_model: Any, stage_model: Any, reason_model: Any) -> int:
    """Create the default pipeline and reasons when missing (models may be historical ones)."""
    created = 0
    if not pipeline_model.objects.exists():
        pipeline = pipeline_model.objects.create(
            name=PIPELINE[0], name_en=PIPELINE[1], position=0, is_default=True
        )
        created += 1
        for position, (name, name_en, probability, colour, required, won, lost) in enumerate(
            STAGES
        ):
            stage_model.objects.create(
                pipeline=pipeline,
                name=name,
                name_en=name_en,
                position=position,
                probability=probability,
                colour=colour,
                required_fields=required,
                is_won=won,
                is_lost=lost,
            )
            created += 1
    for kind, reasons in (("won", WON_REASONS), ("lost", LOST_REASONS)):
        for position, (name, name_en) in enumerate(reasons):
            created += reason_model.objects.get_or_create(
                kind=kind, name=name, defaults={"name_en": name_en, "position": position}
            )[1]
    return created


def seed_pool(pool_model: Any) -> int:
    """Create the default public pool when there is none."""
    if pool_model.objects.exists():
        return 0
    pool_model.objects.create(
        name="公海",
        name_en="Public pool",
        is_default=True,
        claim_limit=50,
        return_after_days=30,
        warn_days_before=3,
    )
    return 1
