from __future__ import annotations

from typing import Any

import pytest

from guanxi.sales import defaults
from guanxi.sales.models import CloseReason, Pipeline, PublicPool, ReasonKind, Stage


@pytest.fixture(autouse=True)
def _sales_defaults(request: Any) -> None:
    """The default pipeline, reasons and pool, as the data migrations create them; put back when
    a transactional test (here or elsewhere on this worker) has emptied the tables."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    defaults.seed(Pipeline, Stage, CloseReason)
    defaults.seed_pool(PublicPool)


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
