from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from guanxi.core import events
from guanxi.core.errors import Conflict, NotFound, ValidationError
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers import selectors, services
from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.testing import factories

pytestmark = pytest.mark.django_db


def test_create_normalises_phone_and_email_and_defaults_owner_to_actor(rep):
    customer = services.customer_create(
        actor=rep,
        data={
            "name": "  深圳 星辰  科技有限公司 ",
            "phone": "138 1234 5678",
            "email": " Sales@XingChen.COM ",
        },
    )

    customer.refresh_from_db()
    assert customer.name == "深圳 星辰 科技有限公司"
    assert customer.phone == "+8613812345678"
    assert customer.email == "sales@xingchen.com"
    assert customer.owner == rep
    assert customer.department == rep.department
    assert customer.version == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "长" * 201}, "name"),
        ({"name": "甲", "phone": "12345"}, "phone"),
        ({"name": "甲", "phone": "call me"}, "phone"),
        ({"name": "甲", "email": "not-an-email"}, "email"),
        ({"name": "甲", "next_follow_up_on": "2024-02-30"}, "next_follow_up_on"),
        ({"name": "甲", "website": "ht!tp://bad url"}, "website"),
        ({"name": "甲", "lifecycle_stage": "king"}, "lifecycle_stage"),
        ({"name": "甲", "custom": ["not", "an", "object"]}, "custom"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(rep, data, field):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=rep, data=data)

    assert error.value.field == field
    assert Customer.all_objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_stale_version_is_a_conflict_and_changes_nothing(rep):
    customer = services.customer_create(actor=rep, data={"name": "原名"})
    services.customer_update(actor=rep, customer=customer, data={"name": "甲改"}, version=1)

    with pytest.raises(Conflict) as error:
        services.customer_update(actor=rep, customer=customer, data={"name": "乙改"}, version=1)

    assert error.value.instance.name == "甲改"
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("甲改", 2)


def test_update_without_changes_does_not_bump_version_or_audit(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲"})
    services.customer_update(actor=rep, customer=customer, data={"name": "甲"}, version=1)

    customer.refresh_from_db()
    assert customer.version == 1
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE).count() == 0


def test_delete_moves_to_recycle_bin_and_restore_brings_back(rep):
    customer = services.customer_create(actor=rep, data={"name": "回收测试"})

    services.customer_delete(actor=rep, customer=customer)
    assert not selectors.customer_list(actor=rep).filter(pk=customer.pk).exists()
    assert selectors.customer_list(actor=rep, deleted=True).get().pk == customer.pk
    with pytest.raises(NotFound):
        selectors.customer_get(actor=rep, pk=customer.pk)

    services.customer_restore(actor=rep, customer=customer)
    assert selectors.customer_get(actor=rep, pk=customer.pk).name == "回收测试"


def test_a_rep_cannot_touch_another_reps_customer(rep, other_rep):
    customer = services.customer_create(actor=other_rep, data={"name": "别人的客户"})

    with pytest.raises(NotFound):
        services.customer_update(actor=rep, customer=customer, data={"name": "抢"}, version=1)
    with pytest.raises(NotFound):
        services.customer_delete(actor=rep, customer=customer)
    with pytest.raises(NotFound):
        selectors.customer_get(actor=rep, pk=customer.pk)
    customer.refresh_from_db()
    assert (customer.name, customer.deleted_at) == ("别人的客户", None)


def test_bulk_assign_is_all_or_nothing(rep, other_rep, admin):
    mine = [services.customer_create(actor=rep, data={"name": f"我的{i}"}) for i in range(2)]
    theirs = services.customer_create(actor=other_rep, data={"name": "别人的"})

    with pytest.raises(NotFound):
        services.customers_assign_owner(
            actor=rep, customer_ids=[c.pk for c in mine] + [theirs.pk], owner=other_rep
        )
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"rep", "other"}
    assert Customer.objects.filter(owner=rep).count() == 2

    changed = services.customers_assign_owner(
        actor=admin, customer_ids=[c.pk for c in mine], owner=other_rep
    )
    assert changed == 2
    assert Customer.objects.filter(owner=other_rep).count() == 3
    assert AuditEntry.objects.filter(action=AuditAction.TRANSFER).count() == 2


def test_bulk_tags_add_and_remove(rep):
    vip, hot = factories.TagFactory(name="VIP"), factories.TagFactory(name="重点")
    first = services.customer_create(actor=rep, data={"name": "一", "tags": [vip]})
    second = services.customer_create(actor=rep, data={"name": "二"})

    changed = services.customers_change_tags(
        actor=rep, customer_ids=[first.pk, second.pk], add=[hot], remove=[vip]
    )

    assert changed == 2
    assert list(first.tags.values_list("name", flat=True)) == ["重点"]
    assert list(second.tags.values_list("name", flat=True)) == ["重点"]


def test_first_contact_is_primary_and_making_another_primary_moves_the_badge(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲公司"})
    first = services.contact_create(actor=rep, customer=customer, data={"name": "张三"})
    second = services.contact_create(
        actor=rep, customer=customer, data={"name": "李四", "is_primary": True}
    )

    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    services.contact_delete(actor=rep, contact=second)
    first.refresh_from_db()
    assert first.is_primary
    assert Contact.all_objects.get(pk=second.pk).deleted_at is not None


def test_contact_rejects_future_birthday_and_bad_mobile(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲公司"})
    future = timezone.localdate() + dt.timedelta(days=3)

    with pytest.raises(ValidationError) as error:
        services.contact_create(
            actor=rep, customer=customer, data={"name": "张三", "birthday": future}
        )
    assert error.value.field == "birthday"
    with pytest.raises(ValidationError) as error:
        services.contact_create(
            actor=rep, customer=customer, data={"name": "张三", "mobile": "1381234"}
        )
    assert error.value.field == "mobile"
    assert Contact.all_objects.count() == 0


def test_interactions_keep_last_contacted_and_next_follow_up_in_step(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲公司"})
    when = timezone.now() - dt.timedelta(days=2)
    follow_up = timezone.localdate() + dt.timedelta(days=7)

    call = services.interaction_create(
        actor=rep,
        customer=customer,
        data={
            "kind": "call",
            "subject": "电话",
            "occurred_at": when,
            "next_follow_up_on": follow_up,
        },
    )
    customer.refresh_from_db()
    assert customer.last_contacted_at == when
    assert customer.next_follow_up_on == follow_up

    services.interaction_delete(actor=rep, interaction=call)
    customer.refresh_from_db()
    assert (customer.last_contacted_at, customer.next_follow_up_on) == (None, None)
    assert Interaction.all_objects.get(pk=call.pk).is_deleted


def test_interaction_needs_subject_or_content_and_own_contact(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲公司"})
    elsewhere = factories.ContactFactory(customer=factories.CustomerFactory(owner=rep))

    with pytest.raises(ValidationError) as error:
        services.interaction_create(actor=rep, customer=customer, data={"kind": "call"})
    assert error.value.field == "content"
    with pytest.raises(ValidationError) as error:
        services.interaction_create(
            actor=rep, customer=customer, data={"subject": "x", "contact": elsewhere}
        )
    assert error.value.field == "contact"
    assert Interaction.all_objects.count() == 0


def test_events_are_published_only_after_commit(rep, django_capture_on_commit_callbacks):
    seen: list[str] = []

    def handler(event):
        seen.append(event.name)

    events.subscribe("customer.created")(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.customer_create(actor=rep, data={"name": "事件"})
            assert seen == []
        assert seen == ["customer.created"]
    finally:
        events.unsubscribe("customer.created", handler)


def test_attachment_is_stored_with_checksum_and_blocked_types_refused(rep):
    customer = services.customer_create(actor=rep, data={"name": "甲公司"})
    upload = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 demo", content_type="application/pdf")

    attachment = services.attachment_create(actor=rep, customer=customer, upload=upload)

    with attachment.file.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 demo"
    assert (attachment.name, attachment.size) == ("合同.pdf", 13)
    with pytest.raises(ValidationError) as error:
        services.attachment_create(
            actor=rep, customer=customer, upload=SimpleUploadedFile("x.exe", b"MZ")
        )
    assert error.value.field == "file"


def test_recycle_bin_purges_after_thirty_days(rep):
    customer = services.customer_create(actor=rep, data={"name": "过期"})
    services.customer_delete(actor=rep, customer=customer)

    assert services.recycle_bin_purge_expired(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert services.recycle_bin_purge_expired(now=timezone.now() + dt.timedelta(days=31)) >= 1
    assert not Customer.all_objects.filter(pk=customer.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.PURGE).count() == 1
