from __future__ import annotations

import pytest
from django.core.management import call_command

from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.customers import selectors
from guanxi.customers.models import Customer, Industry
from guanxi.ops.setup import password_file, setup
from guanxi.sales.models import Deal


@pytest.mark.django_db
def test_setup_is_idempotent_and_creates_admin_once():
    first = setup()
    second = setup()

    assert first.admin_created
    assert not second.admin_created
    assert second.admin_password == first.admin_password
    assert password_file().stat().st_mode & 0o777 == 0o600
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(first.admin_password)
    assert Industry.objects.filter(name="制造业").count() == 1


@pytest.mark.django_db
def test_demo_creates_a_team_whose_reps_see_only_their_own_customers(capsys):
    call_command("demo", customers=12, seed=7)

    assert Customer.objects.count() == 12
    lina = User.objects.get(username="lina")
    zhangwei = User.objects.get(username="zhangwei")
    wangfang = User.objects.get(username="wangfang")
    mine = selectors.customer_list(actor=lina)
    assert mine.count() == 4
    assert set(mine.values_list("owner__username", flat=True)) == {"lina"}
    # the manager of 华北销售组 sees her own and lina's customers, not 华南's
    assert selectors.customer_list(actor=zhangwei).count() == 8
    assert not selectors.customer_list(actor=zhangwei).filter(owner=wangfang).exists()
    # about half of the company customers have a deal, each owned by its customer's owner
    deals = Deal.objects.select_related("customer")
    assert deals.exists()
    assert all(deal.owner_id == deal.customer.owner_id for deal in deals)
    assert audit.verify().ok
    assert "12" in capsys.readouterr().out
