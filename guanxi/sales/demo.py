"""Demo deals for the demo customers: a pipeline that looks like a real quarter's work."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from guanxi.core.errors import ValidationError
from guanxi.core.models import CreatedVia
from guanxi.customers.models import Customer, CustomerKind
from guanxi.sales import defaults, services
from guanxi.sales.models import CloseReason, Deal, Pipeline, PublicPool, ReasonKind, Stage

PRODUCTS = ["仓储管理系统", "CRM 实施服务", "年度维保", "数据分析平台", "智能门禁", "培训服务"]


def generate(*, actor: Any, customers: list[Customer], seed: int = 1) -> int:
    """Give about half of the company customers a deal, spread over the pipeline's stages."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    # The migrations seed these; a database emptied since (``flush``) gets them back here.
    defaults.seed(Pipeline, Stage, CloseReason)
    defaults.seed_pool(PublicPool)
    pipeline = services.default_pipeline()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    open_stages = [stage for stage in stages if stage.is_open]
    lost_reasons = list(CloseReason.objects.filter(kind=ReasonKind.LOST))
    today = timezone.localdate()
    made = 0
    for customer in customers:
        if customer.kind != CustomerKind.COMPANY or rng.random() < 0.45:
            continue
        with transaction.atomic():
            amount = Decimal(rng.choice((3, 5, 8, 12, 20, 35, 60, 120))) * 10000
            deal = services.deal_create(
                actor=actor,
                created_via=CreatedVia.SYSTEM,
                data={
                    "name": f"{customer.short_name or customer.name[:8]} · {rng.choice(PRODUCTS)}",
                    "customer": customer,
                    "owner": customer.owner,
                    "amount": amount,
                    "currency": "CNY",
                    "expected_close_on": today + dt.timedelta(days=rng.randint(-20, 120)),
                },
            )
            made += 1
            target = rng.choice(open_stages)
            for stage in open_stages:
                if stage.position > target.position or stage.pk == deal.stage_id:
                    continue
                try:
                    deal = services.deal_move_to_stage(actor=actor, deal=deal, stage=stage)
                except ValidationError:
                    break
            outcome = rng.random()
            try:
                if outcome < 0.15:
                    services.deal_mark_won(actor=actor, deal=deal)
                elif outcome < 0.25 and lost_reasons:
                    services.deal_mark_lost(actor=actor, deal=deal, reason=rng.choice(lost_reasons))
            except ValidationError:
                pass
    return made


def deals_exist() -> bool:
    return Deal.all_objects.exists()
