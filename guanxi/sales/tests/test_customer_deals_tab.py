from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from guanxi.sales.tests.factories import DealFactory


def test_the_360_page_loads_the_customers_deals_into_a_tab(rep_client, rep, stages):
    deal = DealFactory(owner=rep, name="仓储系统一期")

    page = rep_client.get(reverse("customers:customer-detail", args=[deal.customer_id]))
    html = page.content.decode()
    assert 'data-testid="tab-deals"' in html
    url = re.search(r'id="gx-tab-deals"[^>]*hx-get="([^"]+)"', html).group(1)
    assert url == reverse("sales:customer-deals", args=[deal.customer_id])

    fragment = rep_client.get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "仓储系统一期" in fragment.content.decode()


def test_another_reps_customer_deals_are_not_found(other_rep, rep, stages):
    deal = DealFactory(owner=rep, name="别人的商机")
    other_client = Client()
    other_client.force_login(other_rep)

    response = other_client.get(reverse("sales:customer-deals", args=[deal.customer_id]))

    assert response.status_code == 404
    assert "别人的商机" not in response.content.decode()
