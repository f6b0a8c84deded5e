from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import PermissionDenied, ValidationError
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.customers.models import Industry, Source
from guanxi.sales import services
from guanxi.sales.models import Lead, LeadFollowUp, LeadScoringRule


@pytest.fixture
def web() -> Source:
    return Source.objects.create(name="官网")


@pytest.fixture
def factory_industry() -> Industry:
    return Industry.objects.create(name="制造业")


def rule(admin: Any, **data: Any) -> LeadScoringRule:
    return services.scoring_rule_create(actor=admin, data=data)


def test_score_is_the_sum_of_the_rules_met(admin, rep, web, factory_industry):
    rule(admin, field="source", operator="is", value=web.pk, points=10)
    rule(admin, field="industry", operator="is", value=factory_industry.pk, points=5)
    rule(admin, field="company_size", operator="is_not", value="1-9", points=3)
    rule(admin, field="company_size", operator="is", value="1-9", points=-20)

    lead = services.lead_create(
        actor=rep,
        data={
            "name": "张三",
            "source": web,
            "industry": factory_industry,
            "company_size": "50-199",
        },
    )

    assert lead.score == 18
    assert Lead.objects.get(pk=lead.pk).score == 18


def test_score_follows_changes_of_the_lead(admin, rep, web):
    rule(admin, field="source", operator="is", value=web.pk, points=10)
    lead = services.lead_create(actor=rep, data={"name": "李四"})
    assert lead.score == 0

    services.lead_update(actor=rep, lead=lead, data={"source": web})

    assert Lead.objects.get(pk=lead.pk).score == 10


def test_engagement_counts_follow_ups_of_the_last_30_days(admin, rep):
    rule(admin, field="engagement", operator="at_least", value="2", points=7)
    lead = services.lead_create(actor=rep, data={"name": "王五"})
    services.lead_follow_up(actor=rep, lead=lead, note="第一次")
    assert Lead.objects.get(pk=lead.pk).score == 0

    services.lead_follow_up(actor=rep, lead=lead, note="第二次")
    assert Lead.objects.get(pk=lead.pk).score == 7

    LeadFollowUp.objects.filter(lead=lead).update(
        followed_up_at=timezone.now() - dt.timedelta(days=31)
    )
    services.leads_rescore()
    assert Lead.objects.get(pk=lead.pk).score == 0


def test_changing_the_rules_schedules_a_full_recompute(
    admin, rep, web, django_capture_on_commit_callbacks
):
    lead = services.lead_create(actor=rep, data={"name": "赵六", "source": web})

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = rule(admin, field="source", operator="is", value=web.pk, points=4)
    assert len(callbacks) == 1
    assert Lead.objects.get(pk=lead.pk).score == 0  # until the task runs

    assert services.leads_rescore() == 1
    assert Lead.objects.get(pk=lead.pk).score == 4

    services.scoring_rule_update(actor=admin, rule=created, data={"points": 9})
    services.leads_rescore()
    assert Lead.objects.get(pk=lead.pk).score == 9

    services.scoring_rule_delete(actor=admin, rule=created)
    services.leads_rescore()
    assert Lead.objects.get(pk=lead.pk).score == 0


def test_rule_changes_are_audited(admin, web):
    created = rule(admin, field="source", operator="is", value=web.pk, points=4)

    entry = AuditEntry.objects.filter(object_id=str(created.pk), action=AuditAction.CREATE).get()
    assert entry.changes["points"] == [None, 4]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"field": "salary", "operator": "is", "value": "1", "points": 1}, "field"),
        ({"field": "source", "operator": "at_least", "value": "1", "points": 1}, "operator"),
        ({"field": "engagement", "operator": "is", "value": "1", "points": 1}, "operator"),
        ({"field": "source", "operator": "is", "value": "999999", "points": 1}, "value"),
        ({"field": "industry", "operator": "is", "value": "abc", "points": 1}, "value"),
        ({"field": "company_size", "operator": "is", "value": "huge", "points": 1}, "value"),
        ({"field": "engagement", "operator": "at_least", "value": "-1", "points": 1}, "value"),
        ({"field": "engagement", "operator": "at_least", "value": "", "points": 1}, "value"),
        ({"field": "company_size", "operator": "is", "value": "1-9", "points": 0}, "points"),
        ({"field": "company_size", "operator": "is", "value": "1-9", "points": 1001}, "points"),
        ({"field": "company_size", "operator": "is", "value": "1-9", "points": "x"}, "points"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(admin, data, field):
    with pytest.raises(ValidationError) as error:
        services.scoring_rule_create(actor=admin, data=data)

    assert error.value.field == field
    assert LeadScoringRule.objects.count() == 0


def test_only_sales_administrators_change_rules(rep, manager):
    for actor in (rep, manager):
        with pytest.raises(PermissionDenied):
            rule(actor, field="company_size", operator="is", value="1-9", points=1)
    assert LeadScoringRule.objects.count() == 0


def test_lead_list_filters_by_minimum_score_and_sorts_by_score(admin, rep, rep_client, web):
    rule(admin, field="source", operator="is", value=web.pk, points=50)
    services.lead_create(actor=rep, data={"name": "低分"})
    services.lead_create(actor=rep, data={"name": "高分", "source": web})
    services.lead_create(actor=rep, data={"name": "更新的低分"})

    ranked = rep_client.get(reverse("sales:lead-list"), {"ordering": "-score"})
    filtered = rep_client.get(reverse("sales:lead-list"), {"min_score": "10"})

    assert [lead.name for lead in ranked.context["leads"]] == ["高分", "更新的低分", "低分"]
    assert [lead.name for lead in filtered.context["leads"]] == ["高分"]
    assert 'data-testid="score-' in ranked.content.decode()


def test_lead_detail_shows_the_score(admin, rep, rep_client, web):
    rule(admin, field="source", operator="is", value=web.pk, points=12)
    lead = services.lead_create(actor=rep, data={"name": "客户", "source": web})

    html = rep_client.get(reverse("sales:lead-detail", args=[lead.pk])).content.decode()

    assert 'data-testid="lead-score"' in html
    assert "12" in html


def test_api_shows_the_score_and_filters_by_it(admin, rep, rep_api, web):
    rule(admin, field="source", operator="is", value=web.pk, points=8)
    high = services.lead_create(actor=rep, data={"name": "高", "source": web})
    services.lead_create(actor=rep, data={"name": "低"})

    response = rep_api.get("/api/v1/leads/", {"min_score": 5, "ordering": "-score"})
    detail = rep_api.get(f"/api/v1/leads/{high.pk}/")

    assert [row["id"] for row in response.json()["results"]] == [high.pk]
    assert detail.json()["score"] == 8


def test_settings_page_adds_and_removes_rules(admin_client_logged_in: Client, web):
    url = reverse("sales:scoring-rules")
    assert admin_client_logged_in.get(url).status_code == 200

    response = admin_client_logged_in.post(
        url, {"field": "source", "operator": "is", "source": web.pk, "points": "15"}
    )

    assert response.status_code == 302
    created = LeadScoringRule.objects.get()
    assert (created.field, created.value, created.points) == ("source", str(web.pk), 15)
    page = admin_client_logged_in.get(url).content.decode()
    assert "官网" in page
    admin_client_logged_in.post(reverse("sales:scoring-rule-delete", args=[created.pk]))
    assert LeadScoringRule.objects.count() == 0


def test_settings_page_names_the_wrong_field(admin_client_logged_in: Client):
    response = admin_client_logged_in.post(
        reverse("sales:scoring-rules"),
        {"field": "engagement", "operator": "at_least", "threshold": "", "points": "5"},
    )

    assert response.status_code == 422
    assert 'data-testid="error-threshold"' in response.content.decode()
    assert LeadScoringRule.objects.count() == 0


def test_settings_page_is_for_administrators_only(rep_client):
    assert rep_client.get(reverse("sales:scoring-rules")).status_code == 403
    assert rep_client.post(reverse("sales:scoring-rules"), {}).status_code == 403
