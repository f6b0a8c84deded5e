from __future__ import annotations

from typing import Any

import pytest

from guanxi.sales.models import CloseReason, Pipeline, ReasonKind, Stage


@pytest.fixture
def pipeline(db: Any) -> Pipeline:
    """The default pipeline: 初步接洽 10%, 需求确认 25%, 方案报价 50% (amount and expected
    close date required), 商务谈判 75% (also contacts), 赢单 (amount), 输单."""
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position"))


@pytest.fixture
def lost_reason(db: Any) -> CloseReason:
    return CloseReason.objects.filter(kind=ReasonKind.LOST).order_by("position").first()


@pytest.fixture
def won_reason(db: Any) -> CloseReason:
    return CloseReason.objects.filter(kind=ReasonKind.WON).order_by("position").first()
