from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from guanxi.core.errors import NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer
from guanxi.sales import defaults, selectors, services
from guanxi.sales.models import Lead, LeadStatus, PublicPool
from guanxi.testing import factories

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def pool(db):
    # Transactional tests empty the tables, the default pool too: put it back when missing.
    defaults.seed_pool(PublicPool)
    return PublicPool.objects.get(is_default=True)


def _pool_lead(admin, **data):
    return services.lead_create(
        actor=admin, data={"name": "王伟", "pool": PublicPool.objects.get(is_default=True), **data}
    )


def test_a_new_lead_is_the_reps_and_a_pool_lead_has_no_owner(rep, admin, pool):
    mine = services.lead_create(
        actor=rep, data={"name": "李娜", "company": "星辰科技", "mobile": "138 1234 5678"}
    )
    assert (mine.owner, mine.pool, mine.mobile) == (rep, None, "+8613812345678")
    waiting = _pool_lead(admin)
    assert (waiting.owner, waiting.pool) == (None, pool)
    assert list(selectors.pool_lead_list(actor=rep)) == [waiting]
    assert list(selectors.lead_list(actor=rep)) == [mine]


def test_bad_lead_input_names_the_field(rep):
    with pytest.raises(ValidationError) as caught:
        services.lead_create(actor=rep, data={"name": "x", "mobile": "12"})
    assert caught.value.field == "mobile"
    with pytest.raises(ValidationError) as caught:
        services.lead_create(actor=rep, data={"name": ""})
    assert caught.value.field == "name"


def test_claim_takes_the_lead_and_a_second_claim_is_refused(rep, other_rep, admin, pool):
    lead = _pool_lead(admin)
    claimed = services.lead_claim(actor=rep, lead=lead)
    assert (claimed.owner, claimed.department_id, claimed.version) == (rep, rep.department_id, 2)
    with pytest.raises(ValidationError) as caught:
        services.lead_claim(actor=other_rep, lead=lead)
    assert caught.value.code == "already_claimed"
    assert Lead.objects.get(pk=lead.pk).owner == rep


def test_claiming_beyond_the_limit_is_refused(rep, admin, pool):
    pool.claim_limit = 2
    pool.save()
    leads = [_pool_lead(admin, name=f"线索{i}") for i in range(3)]
    services.lead_claim(actor=rep, lead=leads[0])
    services.lead_claim(actor=rep, lead=leads[1])

    with pytest.raises(ValidationError) as caught:
        services.lead_claim(actor=rep, lead=leads[2])

    assert caught.value.code == "claim_limit"
    assert "2" in str(caught.value.message)
    assert Lead.objects.get(pk=leads[2].pk).owner is None
    # a converted or disqualified lead no longer counts
    services.lead_update(actor=rep, lead=leads[0], data={"status": LeadStatus.DISQUALIFIED})
    services.lead_claim(actor=rep, lead=leads[2])


@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_the_same_moment_exactly_one_wins(rep, other_rep, admin, pool):
    lead = _pool_lead(admin)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(user):
        try:
            barrier.wait(timeout=10)
            services.lead_claim(actor=user, lead=lead)
            outcomes[user.username] = "won"
        except ValidationError as exc:
            outcomes[user.username] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in (rep, other_rep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["already_claimed", "won"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert Lead.objects.get(pk=lead.pk).owner.username == winner


@pytest.mark.django_db(transaction=True)
def test_one_rep_claiming_two_leads_at_once_keeps_her_limit(rep, admin, pool):
    pool.claim_limit = 1
    pool.save()
    leads = [_pool_lead(admin, name=f"线索{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(lead):
        try:
            barrier.wait(timeout=10)
            services.lead_claim(actor=rep, lead=lead)
            outcomes.append("won")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["claim_limit", "won"]
    assert Lead.objects.filter(owner=rep).count() == 1


def test_stale_leads_are_warned_then_returned(rep, admin, pool):
    pool.return_after_days, pool.warn_days_before = 10, 3
    pool.save()
    with time_machine.travel(T0, tick=False):
        lead = services.lead_claim(actor=rep, lead=_pool_lead(admin))

    early = services.leads_return_stale(now=T0 + dt.timedelta(days=6))
    warned = services.leads_return_stale(now=T0 + dt.timedelta(days=8))
    again = services.leads_return_stale(now=T0 + dt.timedelta(days=9))
    returned = services.leads_return_stale(now=T0 + dt.timedelta(days=11))

    assert [(r.warned, r.returned) for r in (early, warned, again, returned)] == [
        (0, 0),
        (1, 0),
        (0, 0),
        (0, 1),
    ]
    lead.refresh_from_db()
    assert (lead.owner, lead.pool) == (None, pool)
    entry = AuditEntry.objects.filter(object_type="sales.lead", object_id=str(lead.pk)).first()
    assert entry.changes == {"owner": [rep.pk, None], "reason": "no follow-up"}


def test_a_follow_up_restarts_the_return_clock(rep, admin, pool):
    pool.return_after_days = 10
    pool.save()
    with time_machine.travel(T0, tick=False):
        lead = services.lead_claim(actor=rep, lead=_pool_lead(admin))
    with time_machine.travel(T0 + dt.timedelta(days=9), tick=False):
        services.lead_follow_up(actor=rep, lead=lead, note="电话沟通，下周报价")
    assert services.leads_return_stale(now=T0 + dt.timedelta(days=11)).returned == 0
    lead.refresh_from_db()
    assert (lead.owner, lead.status) == (rep, LeadStatus.CONTACTED)


def test_managers_distribute_reps_do_not(manager, rep, other_rep, admin, pool):
    leads = [_pool_lead(admin, name=f"线索{i}") for i in range(3)]
    services.lead_claim(actor=other_rep, lead=leads[2])

    handed = services.leads_distribute(
        actor=manager, lead_ids=[lead.pk for lead in leads], owner=rep
    )

    assert handed == 2
    assert set(Lead.objects.filter(owner=rep)) == {leads[0], leads[1]}
    with pytest.raises(PermissionDenied):
        services.leads_distribute(actor=rep, lead_ids=[leads[0].pk], owner=other_rep)
    outsider = factories.UserFactory(username="outsider")
    with pytest.raises(ValidationError) as caught:
        services.leads_distribute(actor=manager, lead_ids=[leads[0].pk], owner=outsider)
    assert caught.value.code == "out_of_scope"


def test_conversion_detects_duplicates_then_creates_customer_contact_and_deal(rep):
    existing = factories.CustomerFactory(owner=rep, name="星辰科技有限公司")
    lead = services.lead_create(
        actor=rep,
        data={"name": "李娜", "company": "星辰科技有限公司", "mobile": "13812345678"},
    )

    with pytest.raises(ValidationError) as caught:
        services.lead_convert(actor=rep, lead=lead, deal={"amount": "5000"})
    assert caught.value.code == "duplicates"
    assert caught.value.extra["duplicates"] == [{"id": existing.pk, "name": "星辰科技有限公司"}]
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW

    result = services.lead_convert(actor=rep, lead=lead, customer=existing, deal={"amount": "5000"})
    assert result.customer == existing
    assert (result.contact.name, result.contact.mobile) == ("李娜", "+8613812345678")
    assert (result.deal.customer, result.deal.amount) == (existing, Decimal("5000.00"))
    assert list(result.deal.contacts.all()) == [result.contact]
    lead.refresh_from_db()
    assert (lead.status, lead.customer, lead.deal) == (
        LeadStatus.CONVERTED,
        existing,
        result.deal,
    )
    with pytest.raises(ValidationError):
        services.lead_convert(actor=rep, lead=lead)


def test_conversion_finds_a_duplicate_by_mobile_and_can_create_anyway(rep):
    other = factories.CustomerFactory(owner=rep, name="别的名字")
    factories.ContactFactory(customer=other, mobile="+8613912345678")
    lead = services.lead_create(
        actor=rep, data={"name": "赵六", "company": "新公司", "mobile": "13912345678"}
    )
    with pytest.raises(ValidationError) as caught:
        services.lead_convert(actor=rep, lead=lead)
    assert caught.value.extra["duplicates"] == [{"id": other.pk, "name": "别的名字"}]

    result = services.lead_convert(actor=rep, lead=lead, create_new=True)
    assert (result.customer.name, result.deal) == ("新公司", None)
    assert Customer.objects.count() == 2


def test_a_rep_cannot_see_or_touch_another_reps_lead(rep, other_rep):
    lead = services.lead_create(actor=other_rep, data={"name": "机密"})
    with pytest.raises(NotFound):
        selectors.lead_get(actor=rep, pk=lead.pk)
    with pytest.raises(NotFound):
        services.lead_update(actor=rep, lead=lead, data={"name": "x"})
    with pytest.raises(NotFound):
        services.lead_convert(actor=rep, lead=lead, create_new=True)
