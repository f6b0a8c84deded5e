"""The duplicate scan, the review queue, merging field by field, undoing a merge, the warning
when a customer is entered."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.core.errors import Conflict, NotFound, PermissionDenied
from guanxi.core.models import AuditEntry
from guanxi.customers import services as customer_services
from guanxi.customers.models import Attachment, Contact, Customer, Interaction
from guanxi.dataio import selectors
from guanxi.dataio.models import DuplicatePair, MergeRecord, PairStatus
from guanxi.dataio.services import duplicates
from guanxi.testing import factories


def _create(actor: Any, **data: Any) -> Customer:
    return customer_services.customer_create(actor=actor, data=data)


def _pairs() -> dict[frozenset[str], list[str]]:
    return {
        frozenset((p.customer_a.name, p.customer_b.name)): p.reasons
        for p in DuplicatePair.objects.filter(status=PairStatus.OPEN).select_related(
            "customer_a", "customer_b"
        )
    }


@pytest.fixture
def scan(django_capture_on_commit_callbacks: Any) -> Any:
    """``scan(actor)``: start a scan; the queued work runs when the transaction commits."""

    def run(actor: Any) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            duplicates.duplicate_scan_start(actor=actor)

    return run


def test_the_scan_finds_duplicates_by_phone_email_name_and_similar_names(
    importer: Any, scan: Any
) -> None:
    a = _create(importer, name="北京星辰科技有限公司", city="北京", phone="13812345678")
    _create(importer, name="星辰科技", city="北京")
    _create(importer, name="北京星晨科技有限公司", city="北京")
    b = _create(importer, name="云海贸易", email="info@yunhai.cn")
    _create(importer, name="云海国际贸易集团", email="INFO@yunhai.cn")
    c = _create(importer, name="完全不同的公司")
    customer_services.contact_create(
        actor=importer, customer=c, data={"name": "张三", "mobile": "138 1234 5678"}
    )
    _create(importer, name="李娜", kind="person", city="上海")
    _create(importer, name="李娜", kind="person", city="上海")
    _create(importer, name="李娜", kind="person", city="北京")
    _create(importer, name="某某有限公司")
    scan(importer)
    latest = selectors.duplicate_scan_latest()
    assert latest is not None
    assert latest.status == "done"
    found = _pairs()
    assert found[frozenset((a.name, c.name))] == ["phone"]
    assert found[frozenset((b.name, "云海国际贸易集团"))] == ["email"]
    assert "similar_name" in found[frozenset((a.name, "北京星晨科技有限公司"))]
    assert "similar_name" in found[frozenset((a.name, "星辰科技"))]
    assert found[frozenset(("李娜",))] == ["person"]
    assert len(found) == 5
    assert all(name != "某某有限公司" for pair in found for name in pair)


def test_a_rescan_keeps_decisions_and_drops_pairs_that_are_no_longer_alike(
    importer: Any, scan: Any
) -> None:
    first = _create(importer, name="星辰科技有限公司")
    second = _create(importer, name="星辰科技")
    third = _create(importer, name="云海贸易", phone="13900001111")
    fourth = _create(importer, name="别的公司", phone="13900001111")
    scan(importer)
    pair = DuplicatePair.objects.get(customer_a=first, customer_b=second)
    duplicates.duplicate_pair_dismiss(actor=importer, pair=pair)
    customer_services.customer_update(actor=importer, customer=fourth, data={"phone": ""})
    scan(importer)
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.DISMISSED
    assert not DuplicatePair.objects.filter(customer_a=third, customer_b=fourth).exists()


@pytest.fixture
def pair(importer: Any, rep: Any, other_rep: Any) -> tuple[Customer, Customer]:
    survivor = _create(
        importer, name="北京星辰科技有限公司", city="北京", phone="010-62345678", owner=rep
    )
    merged = _create(
        importer,
        name="星辰科技",
        city="",
        website="xc.cn",
        email="info@xc.cn",
        owner=other_rep,
        tags=[customer_services.tag_create(actor=importer, data={"name": "VIP"})],
    )
    customer_services.contact_create(
        actor=importer, customer=survivor, data={"name": "张三", "mobile": "13812345678"}
    )
    customer_services.contact_create(
        actor=importer, customer=merged, data={"name": "李四", "mobile": "13900001111"}
    )
    customer_services.interaction_create(
        actor=importer, customer=merged, data={"subject": "上门拜访", "kind": "visit"}
    )
    customer_services.attachment_create(
        actor=importer, customer=merged, upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 x")
    )
    customer_services.collaborator_set(actor=importer, customer=merged, user=rep)
    customer_services.collaborator_set(actor=importer, customer=merged, user=importer)
    return survivor, merged


def test_a_merge_takes_the_chosen_fields_and_moves_every_related_record(
    importer: Any, pair: tuple[Customer, Customer], rep: Any
) -> None:
    survivor, merged = pair
    # when the user keeps the survivor but takes the website and e-mail of the other one
    record = duplicates.customers_merge(
        actor=importer, survivor=survivor, merged=merged, fields_from_merged=["website", "email"]
    )
    survivor.refresh_from_db()
    # then the fields are as chosen
    assert (survivor.name, survivor.city, survivor.phone) == (
        "北京星辰科技有限公司",
        "北京",
        "+861062345678",
    )
    assert (survivor.website, survivor.email) == ("https://xc.cn", "info@xc.cn")
    # every record of the other one is now the survivor's
    assert sorted(Contact.objects.filter(customer=survivor).values_list("name", "is_primary")) == [
        ("张三", True),
        ("李四", False),
    ]
    assert Interaction.objects.get().customer_id == survivor.pk
    assert Attachment.objects.get().customer_id == survivor.pk
    assert list(survivor.tags.values_list("name", flat=True)) == ["VIP"]
    assert set(survivor.collaborators.values_list("user__username", flat=True)) == {"director"}
    for relation in Customer._meta.related_objects:
        if relation.related_model in (DuplicatePair, MergeRecord):
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: merged.pk})
        if relation.related_model.__name__ == "CustomerCollaborator":
            # the owner of the survivor needs no collaboration on it: that one stays behind
            assert list(rows.values_list("user__username", flat=True)) == ["rep"]
        else:
            assert not rows.exists(), relation.related_model
    # the other one is in the recycle bin, and the merge is audited on both
    assert Customer.all_objects.get(pk=merged.pk).is_deleted
    assert AuditEntry.objects.filter(action="merge", object_id=str(survivor.pk)).exists()
    assert AuditEntry.objects.filter(action="merge", object_id=str(merged.pk)).exists()
    assert record.fields_from_merged == ["website", "email"]


def test_undo_puts_everything_back(importer: Any, pair: tuple[Customer, Customer]) -> None:
    survivor, merged = pair
    before = {
        "survivor": (survivor.website, survivor.email, survivor.city),
        "contacts": sorted(Contact.objects.values_list("pk", "customer_id", "is_primary")),
    }
    record = duplicates.customers_merge(
        actor=importer, survivor=survivor, merged=merged, fields_from_merged=["website", "email"]
    )
    duplicates.merge_undo(actor=importer, record=record)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.website, survivor.email, survivor.city) == before["survivor"]
    assert (
        sorted(Contact.objects.values_list("pk", "customer_id", "is_primary")) == before["contacts"]
    )
    assert not merged.is_deleted
    assert Interaction.objects.get().customer_id == merged.pk
    assert Attachment.objects.get().customer_id == merged.pk
    assert list(merged.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(survivor.tags.all()) == []
    assert set(merged.collaborators.values_list("user__username", flat=True)) == {
        "rep",
        "director",
    }


def test_undo_is_refused_once_the_survivor_was_changed(
    importer: Any, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair
    record = duplicates.customers_merge(actor=importer, survivor=survivor, merged=merged)
    customer_services.customer_update(
        actor=importer, customer=Customer.objects.get(pk=survivor.pk), data={"city": "天津"}
    )
    with pytest.raises(Conflict):
        duplicates.merge_undo(actor=importer, record=record)


def test_merging_needs_the_right_to_delete_the_other_customer(
    rep: Any, other_rep: Any, importer: Any, pair: tuple[Customer, Customer]
) -> None:
    survivor, merged = pair  # merged belongs to other_rep; rep only collaborates on it
    with pytest.raises(PermissionDenied):
        duplicates.customers_merge(actor=rep, survivor=survivor, merged=merged)
    stranger = _create(importer, name="陌生公司", owner=other_rep)
    with pytest.raises(NotFound):
        duplicates.customers_merge(actor=rep, survivor=survivor, merged=stranger)
    assert not Customer.all_objects.get(pk=merged.pk).is_deleted


def test_the_queue_shows_only_pairs_of_customers_one_may_see(
    importer: Any, rep: Any, other_rep: Any, scan: Any
) -> None:
    mine = factories.CustomerFactory(owner=rep, name="星辰科技", name_key="星辰科技")
    also_mine = factories.CustomerFactory(owner=rep, name="星辰科技有限公司", name_key="星辰科技")
    factories.CustomerFactory(owner=other_rep, name="星辰科技（北京）", name_key="星辰科技")
    scan(importer)
    assert DuplicatePair.objects.count() == 3
    assert [(p.customer_a, p.customer_b) for p in selectors.duplicate_pair_list(actor=rep)] == [
        (mine, also_mine)
    ]


def test_the_warning_when_entering_a_customer(importer: Any, rep: Any, other_rep: Any) -> None:
    own = _create(importer, name="北京星辰科技有限公司", phone="13812345678", owner=rep)
    hidden = _create(importer, name="云海贸易有限公司", email="info@yunhai.cn", owner=other_rep)
    hints = selectors.customer_find_duplicates(
        actor=rep, data={"name": "北京 星辰科技", "phone": "138-1234-5678"}
    )
    assert [(h.customer, h.reasons, h.score) for h in hints] == [(own, ["name", "phone"], 100)]
    hints = selectors.customer_find_duplicates(
        actor=rep, data={"name": "新公司", "email": "Info@YunHai.cn"}
    )
    assert [(h.visible, h.reasons) for h in hints] == [(False, ["email"])]
    assert hidden.pk not in [h.customer.pk for h in hints if h.customer]
    assert selectors.customer_find_duplicates(actor=rep, data={"name": "毫无关系"}) == []
    assert (
        selectors.customer_find_duplicates(
            actor=rep, data={"name": "北京星辰科技有限公司"}, exclude_id=own.pk
        )
        == []
    )
