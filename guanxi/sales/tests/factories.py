"""factory_boy factories of the sales tests (deals straight into the database, for volume)."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from guanxi.sales.models import Deal, DealStatus, Pipeline, Product, Stage
from guanxi.testing.factories import CustomerFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    price = Decimal("100.00")


class DealFactory(factory.django.DjangoModelFactory):
    """A deal written directly (no history, no audit): for selectors and volume."""

    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"商机{n}")
    customer = factory.SubFactory(CustomerFactory, owner=factory.SelfAttribute("..owner"))
    pipeline = factory.LazyFunction(lambda: Pipeline.objects.get(is_default=True))
    stage = factory.LazyAttribute(
        lambda o: Stage.objects.filter(pipeline=o.pipeline).order_by("position").first()
    )
    status = factory.LazyAttribute(
        lambda o: (
            DealStatus.WON
            if o.stage.is_won
            else DealStatus.LOST
            if o.stage.is_lost
            else DealStatus.OPEN
        )
    )
    amount = Decimal("1000.00")
    exchange_rate = Decimal("1")
    amount_cny = factory.LazyAttribute(lambda o: o.amount * o.exchange_rate)
    department = factory.LazyAttribute(lambda o: o.owner.department if o.owner else None)
    furthest_position = factory.LazyAttribute(lambda o: o.stage.position)
    stage_entered_at = factory.LazyFunction(timezone.now)
