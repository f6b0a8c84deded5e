from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from guanxi.core.errors import PermissionDenied, ValidationError
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.sales import services
from guanxi.sales.models import Lead, LeadWebForm, PublicPool
from guanxi.sales.services import web_forms

GOOD = {"name": "陈小姐", "company": "星辰科技", "mobile": "13800138000", "notes": "想要报价"}


@pytest.fixture
def web_form(admin: Any) -> LeadWebForm:
    return services.web_form_create(actor=admin, data={"name": "官网咨询"})


def url(form: LeadWebForm) -> str:
    return reverse("sales:web-form-public", args=[form.token])


def test_a_visitor_leaves_a_lead_without_signing_in(client, web_form):
    page = client.get(url(web_form))
    assert page.status_code == 200
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page

    response = client.post(url(web_form), GOOD, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert 'data-testid="thanks"' in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.mobile, lead.notes) == GOOD_VALUES
    assert str(lead.source) == "网页表单"
    assert lead.web_form == web_form
    assert lead.owner is None
    assert lead.pool == PublicPool.objects.get(is_default=True)
    (entry,) = [
        e
        for e in AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(lead.pk))
        if "web_form" in e.changes
    ]
    assert entry.actor_id is None
    assert entry.ip == "203.0.113.9"
    assert entry.changes["created_via"] == [None, "web_form"]
    assert entry.changes["web_form"] == [None, web_form.pk]


GOOD_VALUES = ("陈小姐", "星辰科技", "+8613800138000", "想要报价")


def test_a_form_with_an_owner_gives_her_the_lead(client, admin, rep):
    form = services.web_form_create(actor=admin, data={"name": "展会", "owner": rep})

    client.post(url(form), GOOD)

    assert Lead.objects.get().owner == rep


def test_the_honeypot_keeps_nothing(client, web_form):
    response = client.post(url(web_form), {**GOOD, "website": "http://spam.example"})

    assert response.status_code == 200
    assert 'data-testid="thanks"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_an_address_is_limited(client, web_form):
    for _ in range(web_forms.RATE_LIMIT):
        assert client.post(url(web_form), GOOD, REMOTE_ADDR="198.51.100.1").status_code == 200

    refused = client.post(url(web_form), GOOD, REMOTE_ADDR="198.51.100.1")
    other = client.post(url(web_form), GOOD, REMOTE_ADDR="198.51.100.2")

    assert refused.status_code == 429
    assert 'data-testid="form-error"' in refused.content.decode()
    assert other.status_code == 200
    assert Lead.objects.count() == web_forms.RATE_LIMIT + 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "mobile": "13800138000"}, "name"),
        ({"name": "无联系方式"}, "mobile"),
        ({"name": "坏号码", "mobile": "abc"}, "mobile"),
        ({"name": "坏邮箱", "email": "not-an-address"}, "email"),
    ],
)
def test_bad_submissions_name_the_field(client, web_form, data, field):
    response = client.post(url(web_form), data)

    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_unknown_or_switched_off_forms_do_not_exist(client, admin, web_form):
    assert client.get(reverse("sales:web-form-public", args=["nope"])).status_code == 404

    services.web_form_set_active(actor=admin, form=web_form, is_active=False)

    assert client.get(url(web_form)).status_code == 404
    assert client.post(url(web_form), GOOD).status_code == 404
    assert Lead.objects.count() == 0


def test_only_administrators_manage_forms(rep, rep_client):
    with pytest.raises(PermissionDenied):
        services.web_form_create(actor=rep, data={"name": "x"})
    assert rep_client.get(reverse("sales:web-form-list")).status_code == 403


def test_a_form_needs_a_name(admin):
    with pytest.raises(ValidationError) as error:
        services.web_form_create(actor=admin, data={"name": "  "})

    assert error.value.field == "name"


def test_settings_page_creates_and_switches_off_forms(admin_client_logged_in):
    response = admin_client_logged_in.post(reverse("sales:web-form-list"), {"name": "官网"})

    assert response.status_code == 302
    form = LeadWebForm.objects.get()
    page = admin_client_logged_in.get(reverse("sales:web-form-list")).content.decode()
    assert form.token in page
    admin_client_logged_in.post(reverse("sales:web-form-toggle", args=[form.pk]))
    form.refresh_from_db()
    assert form.is_active is False
