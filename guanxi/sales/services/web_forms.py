"""Public web forms for leads: administrators create a form and get a secret address to embed on
their website; each submission becomes a lead (source "web form"), audited as created through
that form from the visitor's address.

Abuse is handled where the request arrives (a honeypot field and a per-address limit in the
cache, see ``web_form_allow``); this module validates and writes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.customers.models import Source
from guanxi.sales.models import Lead, LeadWebForm, PublicPool
from guanxi.sales.services._common import MODULE, actor_or_none, text
from guanxi.sales.services.leads import (
    LEAD_SENSITIVE,
    _apply,
    _clean_lead,
    _snapshot,
    default_pool,
)
from guanxi.sales.services.scoring import lead_rescore

WEB_FORM_SOURCE = "网页表单"
WEB_FORM_SOURCE_EN = "Web form"
SUBMIT_FIELDS = ("name", "company", "title", "mobile", "phone", "email", "notes")
# Submissions accepted per client address and form in RATE_WINDOW seconds.
RATE_LIMIT = 5
RATE_WINDOW = 3600


@transaction.atomic
def web_form_create(*, actor: Any, data: Mapping[str, Any]) -> LeadWebForm:
    """Create a public lead form with a fresh secret address (admin right in sales).

    ``data``: name (required), pool or owner (an active user) where the leads go; neither means
    the default pool at the time of each submission.
    """
    policy.require(actor, Action.ADMIN, MODULE)
    name = text(data, "name", required=True, limit=100)
    pool, owner = data.get("pool"), data.get("owner")
    if pool is not None and not isinstance(pool, PublicPool):
        raise ValidationError(_("Choose a public pool."), field="pool")
    if owner is not None and not getattr(owner, "is_active", False):
        raise ValidationError(_("Choose an active user as the owner."), field="owner")
    form = LeadWebForm.objects.create(
        name=name,
        pool=pool,
        owner=owner,
        token=secrets.token_urlsafe(32),
        created_by=actor_or_none(actor),
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        form,
        changes=audit.diff({}, audit.snapshot(form, ("name", "pool", "owner", "is_active"))),
    )
    return form


@transaction.atomic
def web_form_set_active(*, actor: Any, form: LeadWebForm, is_active: bool) -> LeadWebForm:
    """Switch a form off (its address then answers 404) or on again."""
    policy.require(actor, Action.ADMIN, MODULE)
    form = LeadWebForm.objects.select_for_update().get(pk=form.pk)
    if form.is_active == is_active:
        return form
    form.is_active = is_active
    form.version += 1
    form.updated_at = timezone.now()
    form.save()
    audit.record(actor, AuditAction.UPDATE, form, changes={"is_active": [not is_active, is_active]})
    return form


def web_form_get(*, token: str) -> LeadWebForm:
    """The active form behind a secret address; NotFound otherwise."""
    form = (
        LeadWebForm.objects.filter(token=token, is_active=True).first()
        if token and len(token) <= 64
        else None
    )
    if form is None:
        raise NotFound()
    return form


def web_form_allow(*, form: LeadWebForm, address: str | None) -> bool:
    """Count one submission from ``address``; False once it has sent RATE_LIMIT in the window."""
    key = f"sales:web-form:{form.pk}:{address or 'unknown'}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count <= RATE_LIMIT


def _web_form_source() -> Source:
    source, _created = Source.objects.get_or_create(
        name=WEB_FORM_SOURCE, defaults={"name_en": WEB_FORM_SOURCE_EN}
    )
    return source


@transaction.atomic
def web_form_submit(
    *, form: LeadWebForm, data: Mapping[str, Any], address: str | None = None
) -> Lead:
    """Create a lead from a visitor's submission of ``form``.

    The visitor gives a name and a way to reach her (mobile, phone or e-mail); the lead goes to
    the form's owner, else its pool, else the default pool. Audited as a creation through the web
    form (no user; the visitor's address). Raises ValidationError naming the field.
    """
    cleaned = _clean_lead({k: data.get(k, "") for k in SUBMIT_FIELDS}, partial=False)
    if not (cleaned.get("mobile") or cleaned.get("phone") or cleaned.get("email")):
        raise ValidationError(
            _("Leave a mobile number, a phone number or an e-mail address."), field="mobile"
        )
    owner = form.owner if form.owner is not None and form.owner.is_active else None
    pool = None if owner else (form.pool if form.pool and form.pool.is_active else default_pool())
    if owner is None and pool is None:
        raise ValidationError(_("This form cannot take submissions at the moment."))
    lead = Lead(created_via=CreatedVia.SYSTEM, web_form=form, owner=owner, pool=pool)
    _apply(lead, cleaned)
    lead.source = _web_form_source()
    if owner is not None:
        lead.department_id = owner.department_id
        lead.claimed_at = lead.last_followed_up_at = timezone.now()
    lead.save()
    lead.score = lead_rescore(lead_id=lead.pk)
    changes = audit.diff({}, _snapshot(lead), sensitive=LEAD_SENSITIVE)
    changes["created_via"] = [None, "web_form"]
    changes["web_form"] = [None, form.pk]
    audit.record(None, AuditAction.CREATE, lead, changes=changes, ip=address)
    events.publish("lead.created", lead_id=lead.pk, actor_id=None)
    return lead
