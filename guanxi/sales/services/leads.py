"""Leads and public pools: create, follow up, claim, release, distribute, return, convert.

Claims are conditional UPDATEs (``… WHERE owner IS NULL``): when two reps claim the same lead at
the same moment exactly one row is updated, so exactly one wins. A rep's claims are serialised by
locking her user row, so the per-rep limit holds under concurrency too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.models import User
from guanxi.accounts.policy import Action, Scope
from guanxi.core import audit, crypto, events
from guanxi.core.errors import NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.core.normalize import NormalizeError, normalize_email, normalize_phone
from guanxi.customers import services as customer_services
from guanxi.customers.models import CompanySize, Contact, Customer, Industry
from guanxi.sales.models import OPEN_LEAD_STATUSES, Lead, LeadFollowUp, LeadStatus, PublicPool
from guanxi.sales.services._common import (
    MODULE,
    actor_id,
    actor_or_none,
    check_version,
    custom,
    date,
    locked,
    text,
)
from guanxi.sales.services.deals import deal_create
from guanxi.sales.services.scoring import lead_rescore

LEAD_FIELDS = (
    "name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "source",
    "status",
    "notes",
    "owner",
    "pool",
    "next_follow_up_on",
    "custom",
    "industry",
    "company_size",
)
LEAD_SENSITIVE = ("mobile", "phone", "email", "wechat")


def _phone(data: Mapping[str, Any], name: str) -> str:
    try:
        return normalize_phone(str(data.get(name) or ""))
    except NormalizeError as exc:
        raise ValidationError(str(exc), field=name) from exc


def _email(data: Mapping[str, Any]) -> str:
    try:
        return normalize_email(str(data.get("email") or ""))
    except NormalizeError as exc:
        raise ValidationError(str(exc), field="email") from exc


def _bidx(value: str, purpose: str) -> str:
    return crypto.blind_index(value, purpose=purpose) if value else ""


def default_pool() -> PublicPool | None:
    return (
        PublicPool.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    )


def _clean_lead(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaners: dict[str, Any] = {
        "name": lambda: text(data, "name", required=True, limit=100),
        "company": lambda: text(data, "company", limit=200),
        "title": lambda: text(data, "title", limit=100),
        "mobile": lambda: _phone(data, "mobile"),
        "phone": lambda: _phone(data, "phone"),
        "email": lambda: _email(data),
        "wechat": lambda: text(data, "wechat", limit=64),
        "source": lambda: data.get("source"),
        "status": lambda: _status(data.get("status")),
        "notes": lambda: text(data, "notes", limit=20000, multiline=True),
        "next_follow_up_on": lambda: date(data, "next_follow_up_on"),
        "custom": lambda: custom(data),
        "industry": lambda: _industry(data.get("industry")),
        "company_size": lambda: _company_size(data.get("company_size")),
    }
    cleaned = {}
    for name, clean in cleaners.items():
        if name in data or (not partial and name == "name"):
            cleaned[name] = clean()
    return cleaned


def _industry(value: Any) -> Industry | None:
    if value in (None, ""):
        return None
    if isinstance(value, Industry):
        return value
    industry = Industry.objects.filter(pk=value).first() if str(value).isdigit() else None
    if industry is None:
        raise ValidationError(_("Choose an existing industry."), field="industry")
    return industry


def _company_size(value: Any) -> str:
    value = value or ""
    if value not in CompanySize.values and value != "":
        raise ValidationError(_("Choose one of the listed company sizes."), field="company_size")
    return str(value)


def _status(value: Any) -> str:
    allowed = {LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}
    if value not in allowed:
        raise ValidationError(_("Choose one of the listed statuses."), field="status")
    return str(value)


def _apply(lead: Lead, cleaned: Mapping[str, Any]) -> None:
    for name, value in cleaned.items():
        setattr(lead, name, value)
    if "mobile" in cleaned:
        lead.mobile_bidx = _bidx(lead.mobile, "phone")
    if "email" in cleaned:
        lead.email_bidx = _bidx(lead.email, "email")


def _snapshot(lead: Lead) -> dict[str, Any]:
    return audit.snapshot(lead, LEAD_FIELDS)


@transaction.atomic
def lead_create(*, actor: Any, data: Mapping[str, Any], created_via: str = CreatedVia.UI) -> Lead:
    """Create a lead owned by ``data['owner']`` (default: the actor) or, with ``data['pool']``
    and no owner, waiting in that pool."""
    policy.require(actor, Action.CREATE, MODULE)
    cleaned = _clean_lead(data, partial=False)
    lead = Lead(created_by=actor_or_none(actor), created_via=created_via)
    _apply(lead, cleaned)
    pool = data.get("pool")
    owner = data.get("owner", None if pool else actor_or_none(actor))
    if pool is not None and not isinstance(pool, PublicPool):
        raise ValidationError(_("Choose a public pool."), field="pool")
    if owner is not None and not getattr(owner, "is_active", False):
        raise ValidationError(_("Choose an active user as the owner."), field="owner")
    if owner is None and pool is None:
        pool = default_pool()
        if pool is None:
            raise ValidationError(_("Choose an owner or a public pool."), field="owner")
    lead.pool, lead.owner = pool, owner
    lead.department_id = owner.department_id if owner else None
    if owner is not None:
        lead.claimed_at = lead.last_followed_up_at = timezone.now()
    lead.save()
    lead.score = lead_rescore(lead_id=lead.pk)
    audit.record(
        actor,
        AuditAction.CREATE,
        lead,
        changes=audit.diff({}, _snapshot(lead), sensitive=LEAD_SENSITIVE),
    )
    events.publish("lead.created", lead_id=lead.pk, actor_id=actor_id(actor))
    return lead


@transaction.atomic
def lead_update(
    *, actor: Any, lead: Lead, data: Mapping[str, Any], version: int | None = None
) -> Lead:
    """Change the given fields of a lead the actor owns (or may edit)."""
    policy.require(actor, Action.EDIT, MODULE, lead)
    lead = locked(Lead, lead.pk)
    if lead.is_deleted:
        raise NotFound()
    check_version(lead, version)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has been converted."), field="status")
    before = _snapshot(lead)
    _apply(lead, _clean_lead(data, partial=True))
    changes = audit.diff(before, _snapshot(lead), sensitive=LEAD_SENSITIVE)
    if not changes:
        return lead
    lead.version += 1
    lead.updated_at = timezone.now()
    lead.save()
    lead.score = lead_rescore(lead_id=lead.pk)
    audit.record(actor, AuditAction.UPDATE, lead, changes=changes)
    events.publish("lead.updated", lead_id=lead.pk, actor_id=actor_id(actor))
    return lead


@transaction.atomic
def lead_follow_up(
    *, actor: Any, lead: Lead, note: str = "", next_follow_up_on: Any = None
) -> Lead:
    """Record a follow-up: the lead's return clock starts again."""
    policy.require(actor, Action.EDIT, MODULE, lead)
    lead = locked(Lead, lead.pk)
    if lead.is_deleted:
        raise NotFound()
    note = text({"note": note}, "note", limit=5000, multiline=True)
    now = timezone.now()
    lead.last_followed_up_at, lead.return_warned_at = now, None
    lead.next_follow_up_on = date({"next_follow_up_on": next_follow_up_on}, "next_follow_up_on")
    if lead.status == LeadStatus.NEW:
        lead.status = LeadStatus.CONTACTED
    lead.version += 1
    lead.updated_at = now
    lead.save()
    LeadFollowUp.objects.create(
        lead=lead, followed_up_at=now, author=actor_or_none(actor), note=note
    )
    lead.score = lead_rescore(lead_id=lead.pk)
    audit.record(actor, AuditAction.UPDATE, lead, changes={"follow_up": [None, note]})
    events.publish("lead.followed_up", lead_id=lead.pk, actor_id=actor_id(actor))
    return lead


@transaction.atomic
def lead_delete(*, actor: Any, lead: Lead) -> Lead:
    policy.require(actor, Action.DELETE, MODULE, lead)
    lead = locked(Lead, lead.pk)
    if lead.is_deleted:
        raise NotFound()
    lead.deleted_at, lead.deleted_by = timezone.now(), actor_or_none(actor)
    lead.version += 1
    lead.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.DELETE, lead)
    return lead


# --- the pool -------------------------------------------------------------------------------


def held_count(user: Any, pool: PublicPool) -> int:
    """How many open leads of ``pool`` the user holds now."""
    return Lead.objects.filter(owner=user, pool=pool, status__in=OPEN_LEAD_STATUSES).count()


@transaction.atomic
def lead_claim(*, actor: Any, lead: Lead) -> Lead:
    """Take a lead from its pool. Exactly one of several simultaneous claims wins.

    Raises ValidationError ``already_claimed`` when someone else owns it (or just took it),
    ``claim_limit`` when the actor already holds as many leads of the pool as it allows.
    """
    policy.require(actor, Action.EDIT, MODULE)
    pool = PublicPool.objects.filter(pk=lead.pool_id).first() if lead.pool_id else None
    if pool is None or not pool.is_active:
        raise ValidationError(_("This lead is not in a public pool."), code="not_in_pool")
    # Serialise this rep's claims: the count below stays true until the transaction ends.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if held_count(actor, pool) >= pool.claim_limit:
        raise ValidationError(
            _("You already hold %(limit)d leads from “%(pool)s”, the most it allows.")
            % {"limit": pool.claim_limit, "pool": pool},
            code="claim_limit",
        )
    now = timezone.now()
    won = Lead.objects.filter(
        pk=lead.pk, owner__isnull=True, deleted_at__isnull=True, status__in=OPEN_LEAD_STATUSES
    ).update(
        owner=actor,
        department=actor.department_id,
        claimed_at=now,
        last_followed_up_at=now,
        return_warned_at=None,
        version=F("version") + 1,
        updated_at=now,
    )
    if won != 1:
        raise ValidationError(_("Someone else has just claimed this lead."), code="already_claimed")
    lead = Lead.objects.get(pk=lead.pk)
    audit.record(actor, AuditAction.TRANSFER, lead, changes={"owner": [None, actor.pk]})
    events.publish("lead.claimed", lead_id=lead.pk, actor_id=actor_id(actor))
    return lead


@transaction.atomic
def lead_release(*, actor: Any, lead: Lead) -> Lead:
    """Give a lead back to its pool (the default pool if it came from none)."""
    policy.require(actor, Action.EDIT, MODULE, lead)
    lead = locked(Lead, lead.pk)
    if lead.is_deleted or lead.owner_id is None:
        raise NotFound()
    pool = lead.pool or default_pool()
    if pool is None:
        raise ValidationError(_("There is no public pool to return the lead to."))
    old = lead.owner_id
    lead.pool, lead.owner, lead.department = pool, None, None
    lead.version += 1
    lead.updated_at = timezone.now()
    lead.save()
    audit.record(actor, AuditAction.TRANSFER, lead, changes={"owner": [old, None]})
    events.publish("lead.returned", lead_id=lead.pk, reason="released", actor_id=actor_id(actor))
    return lead


def _may_distribute(actor: Any, owner: Any) -> None:
    granted = policy.grant(actor, MODULE)
    if Action.EDIT.value not in granted.actions or granted.scope not in (
        Scope.DEPARTMENT,
        Scope.ALL,
    ):
        raise PermissionDenied(_("Only managers may hand out leads."))
    if granted.scope == Scope.DEPARTMENT and not actor.is_superuser:
        path = actor.department.path if actor.department_id else None
        owner_path = owner.department.path if owner.department_id else ""
        if path is None or not owner_path.startswith(path):
            raise ValidationError(
                _("Choose someone in your department."), field="owner", code="out_of_scope"
            )


@transaction.atomic
def leads_distribute(*, actor: Any, lead_ids: Iterable[int], owner: Any) -> int:
    """Hand pool leads to a rep (managers). Leads someone claimed meanwhile are skipped; returns
    how many were handed out. The rep's claim limit does not apply to a manager's decision."""
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active user as the owner."), field="owner")
    _may_distribute(actor, owner)
    ids = sorted({int(pk) for pk in lead_ids})
    if not ids or len(ids) > 1000:
        raise ValidationError(_("Select between 1 and 1,000 leads."), field="ids")
    now = timezone.now()
    handed = 0
    for pk in ids:
        updated = Lead.objects.filter(
            pk=pk, owner__isnull=True, deleted_at__isnull=True, status__in=OPEN_LEAD_STATUSES
        ).update(
            owner=owner,
            department=owner.department_id,
            claimed_at=now,
            last_followed_up_at=now,
            return_warned_at=None,
            version=F("version") + 1,
            updated_at=now,
        )
        if updated:
            handed += 1
            audit.record(
                actor,
                AuditAction.TRANSFER,
                object_type="sales.lead",
                object_id=pk,
                changes={"owner": [None, owner.pk]},
            )
            events.publish(
                "lead.distributed", lead_id=pk, owner_id=owner.pk, actor_id=actor_id(actor)
            )
    return handed


@dataclass(frozen=True)
class ReturnResult:
    warned: int
    returned: int


@transaction.atomic
def leads_return_stale(*, now: dt.datetime | None = None) -> ReturnResult:
    """Apply every pool's return rule (run by the system every hour).

    An open lead claimed from a pool whose last follow-up is older than ``return_after_days``
    goes back to the pool; ``warn_days_before`` earlier its owner is warned once
    (``lead.return_warning`` event). Idempotent.
    """
    now = now or timezone.now()
    warned = returned = 0
    for pool in PublicPool.objects.filter(is_active=True, return_after_days__gt=0):
        deadline = now - dt.timedelta(days=pool.return_after_days)
        stale = Lead.objects.filter(
            pool=pool,
            owner__isnull=False,
            status__in=OPEN_LEAD_STATUSES,
            last_followed_up_at__lt=deadline,
        )
        for lead in stale.select_for_update().only("pk", "owner_id"):
            updated = Lead.objects.filter(pk=lead.pk, owner_id=lead.owner_id).update(
                owner=None,
                department=None,
                return_warned_at=None,
                version=F("version") + 1,
                updated_at=now,
            )
            if updated:
                returned += 1
                audit.record(
                    None,
                    AuditAction.TRANSFER,
                    object_type="sales.lead",
                    object_id=lead.pk,
                    changes={"owner": [lead.owner_id, None], "reason": "no follow-up"},
                )
                events.publish(
                    "lead.returned", lead_id=lead.pk, reason="stale", owner_id=lead.owner_id
                )
        warn_from = deadline + dt.timedelta(days=pool.warn_days_before)
        to_warn = Lead.objects.filter(
            pool=pool,
            owner__isnull=False,
            status__in=OPEN_LEAD_STATUSES,
            last_followed_up_at__lt=warn_from,
            return_warned_at__isnull=True,
        )
        for lead in to_warn.only("pk", "owner_id", "last_followed_up_at"):
            Lead.objects.filter(pk=lead.pk).update(return_warned_at=now)
            warned += 1
            events.publish(
                "lead.return_warning",
                lead_id=lead.pk,
                owner_id=lead.owner_id,
                returns_at=(
                    lead.last_followed_up_at + dt.timedelta(days=pool.return_after_days)
                ).isoformat(),
            )
    return ReturnResult(warned=warned, returned=returned)


# --- conversion -----------------------------------------------------------------------------


def duplicates_of(actor: Any, lead: Lead) -> list[Customer]:
    """Customers the actor may see that look like the lead: same company name, or a customer or
    contact with the same mobile or e-mail (compared through their blind indexes)."""
    condition = Q(pk__in=[])
    name = (lead.company or "").strip()
    if name:
        condition |= Q(name=name)
    if lead.mobile_bidx:
        condition |= Q(phone_bidx=lead.mobile_bidx) | Q(
            pk__in=Contact.objects.filter(mobile_bidx=lead.mobile_bidx).values("customer")
        )
    if lead.email_bidx:
        condition |= Q(email_bidx=lead.email_bidx) | Q(
            pk__in=Contact.objects.filter(email_bidx=lead.email_bidx).values("customer")
        )
    customers = Customer.objects.filter(condition)
    return list(policy.visible(actor, customers, "customers").order_by("id")[:20])


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact
    deal: Any


@transaction.atomic
def lead_convert(
    *,
    actor: Any,
    lead: Lead,
    customer: Customer | None = None,
    create_new: bool = False,
    deal: Mapping[str, Any] | None = None,
) -> Conversion:
    """Turn a lead into a customer, a contact and (with ``deal``) a deal, in one step.

    With ``customer`` the contact (and deal) join that existing customer. Otherwise, when
    customers that look the same exist, ValidationError ``duplicates`` lists them (in
    ``extra['duplicates']``) unless ``create_new`` says to create one anyway.
    """
    policy.require(actor, Action.EDIT, MODULE, lead)
    lead = locked(Lead, lead.pk)
    if lead.is_deleted:
        raise NotFound()
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has already been converted."), code="converted")
    if lead.owner_id is None:
        raise ValidationError(_("Claim the lead before converting it."), code="not_owned")
    if customer is None:
        found = duplicates_of(actor, lead)
        if found and not create_new:
            raise ValidationError(
                _("Customers that look the same exist: choose one, or create a new one anyway."),
                field="customer",
                code="duplicates",
                extra={"duplicates": [{"id": c.pk, "name": c.name} for c in found]},
            )
        customer = customer_services.customer_create(
            actor=actor,
            data={
                "name": lead.company or lead.name,
                "kind": "company" if lead.company else "person",
                "phone": lead.phone or lead.mobile,
                "email": lead.email,
                "source": lead.source,
                "owner": lead.owner,
            },
            created_via=CreatedVia.SYSTEM,
        )
    elif not policy.visible(actor, Customer.objects.filter(pk=customer.pk), "customers").exists():
        raise ValidationError(_("Choose a customer."), field="customer")
    contact = customer_services.contact_create(
        actor=actor,
        customer=customer,
        data={
            "name": lead.name,
            "title": lead.title,
            "mobile": lead.mobile,
            "phone": lead.phone if lead.company else "",
            "email": lead.email,
            "wechat": lead.wechat,
        },
        created_via=CreatedVia.SYSTEM,
    )
    new_deal = None
    if deal is not None:
        new_deal = deal_create(
            actor=actor,
            data={
                "name": lead.company or lead.name,
                "source": lead.source,
                "owner": lead.owner,
                **deal,
                "customer": customer,
                "contacts": [contact],
            },
            created_via=CreatedVia.SYSTEM,
        )
    lead.status, lead.converted_at = LeadStatus.CONVERTED, timezone.now()
    lead.customer, lead.contact, lead.deal = customer, contact, new_deal
    lead.version += 1
    lead.updated_at = timezone.now()
    lead.save()
    audit.record(
        actor,
        AuditAction.UPDATE,
        lead,
        changes={
            "status": ["open", LeadStatus.CONVERTED],
            "customer": [None, customer.pk],
            "deal": [None, new_deal.pk if new_deal else None],
        },
    )
    events.publish(
        "lead.converted",
        lead_id=lead.pk,
        customer_id=customer.pk,
        deal_id=new_deal.pk if new_deal else None,
        actor_id=actor_id(actor),
    )
    return Conversion(lead=lead, customer=customer, contact=contact, deal=new_deal)
