"""A customer's deals follow it into the recycle bin and back."""

from __future__ import annotations

from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import services as customer_services
from guanxi.sales import selectors, services
from guanxi.sales.models import Deal
from guanxi.testing import factories


def test_deals_of_a_customer_in_the_recycle_bin_leave_the_pipeline_and_come_back(
    rep, django_capture_on_commit_callbacks
):
    customer = factories.CustomerFactory(owner=rep, name="甲公司")
    other = factories.CustomerFactory(owner=rep, name="乙公司")
    deal = services.deal_create(actor=rep, data={"name": "续费", "customer": customer})
    kept = services.deal_create(actor=rep, data={"name": "扩容", "customer": other})
    # a deal deleted earlier on its own stays in the bin when the customer comes back
    earlier = services.deal_create(actor=rep, data={"name": "旧单", "customer": customer})
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_delete(actor=rep, deal=earlier)

    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_delete(actor=rep, customer=customer)

    assert list(selectors.deal_list(actor=rep).values_list("name", flat=True)) == ["扩容"]
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="sales.deal", object_id=str(deal.pk)
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        customer_services.customer_restore(
            actor=rep, customer=customer.__class__.all_objects.get(pk=customer.pk)
        )

    assert sorted(selectors.deal_list(actor=rep).values_list("name", flat=True)) == ["扩容", "续费"]
    assert Deal.all_objects.get(pk=earlier.pk).deleted_at is not None
    assert Deal.all_objects.get(pk=kept.pk).version == kept.version
