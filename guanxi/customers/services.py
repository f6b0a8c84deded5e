"""Every write to customers, contacts, tags, interactions and attachments.

Each service: checks the actor's right (``policy.require``), validates, writes in one transaction,
audits the change, updates the search index and publishes a domain event after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, crypto, events
from guanxi.core.errors import Conflict, NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.core.normalize import (
    NormalizeError,
    clean_text,
    company_name_key,
    normalize_email,
    normalize_phone,
)
from guanxi.customers.models import (
    Attachment,
    CollaboratorAccess,
    CompanySize,
    Contact,
    Customer,
    CustomerCollaborator,
    CustomerKind,
    Interaction,
    InteractionKind,
    InteractionOutcome,
    LifecycleStage,
    Tag,
)
from guanxi.customers.search import customers_reindex
from guanxi.customization.values import custom_values_clean

MODULE = "customers"
RECYCLE_BIN_DAYS = 30

CUSTOMER_FIELDS = (
    "kind",
    "name",
    "short_name",
    "industry",
    "size",
    "level",
    "source",
    "lifecycle_stage",
    "province",
    "city",
    "district",
    "address",
    "website",
    "phone",
    "email",
    "description",
    "owner",
    "next_follow_up_on",
    "custom",
)
CUSTOMER_SENSITIVE = ("address", "phone", "email")
CONTACT_FIELDS = (
    "name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "birthday",
    "is_primary",
    "notes",
    "custom",
)
CONTACT_SENSITIVE = ("mobile", "phone", "email", "wechat")
INTERACTION_FIELDS = (
    "kind",
    "occurred_at",
    "subject",
    "content",
    "outcome",
    "duration_minutes",
    "contact",
    "next_follow_up_on",
    "custom",
)
TEXT_LIMITS = {
    "name": 200,
    "short_name": 100,
    "province": 32,
    "city": 32,
    "district": 32,
    "address": 500,
    "website": 200,
    "description": 20000,
    "title": 100,
    "wechat": 64,
    "notes": 20000,
    "subject": 200,
    "content": 50000,
}


# --- validation helpers ---------------------------------------------------------------------


def _text(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    limit: int | None = None,
    multiline: bool = False,
) -> str:
    raw = data.get(name) or ""
    if not isinstance(raw, str):
        raise ValidationError(_("Expected text."), field=name)
    value = raw.strip() if multiline else clean_text(raw)
    if required and not value:
        raise ValidationError(_("This field is required."), field=name)
    limit = limit or TEXT_LIMITS.get(name)
    if limit and len(value) > limit:
        raise ValidationError(
            _("Too long: at most %(limit)d characters.") % {"limit": limit}, field=name
        )
    return value


def _choice(data: Mapping[str, Any], name: str, choices: Any, *, allow_blank: bool = False) -> str:
    value = data.get(name) or ""
    if value == "" and allow_blank:
        return ""
    if value not in choices.values:
        raise ValidationError(
            _("“%(value)s” is not a valid choice.") % {"value": value}, field=name
        )
    return str(value)


def _phone(data: Mapping[str, Any], name: str) -> str:
    try:
        return normalize_phone(str(data.get(name) or ""))
    except NormalizeError as exc:
        raise ValidationError(str(exc), field=name) from exc


def _email(data: Mapping[str, Any], name: str) -> str:
    try:
        return normalize_email(str(data.get(name) or ""))
    except NormalizeError as exc:
        raise ValidationError(str(exc), field=name) from exc


def _date(data: Mapping[str, Any], name: str) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."), field=name) from exc


def _custom(
    data: Mapping[str, Any],
    model_label: str,
    *,
    partial: bool,
    actor: Any = None,
    instance: Any = None,
) -> dict[str, Any]:
    return custom_values_clean(
        model_label, data.get("custom"), partial, actor=actor, instance=instance
    )


def _website(data: Mapping[str, Any]) -> str:
    value = _text(data, "website")
    if value and "://" not in value:
        value = "https://" + value
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError as exc:
            raise ValidationError(_("Enter a valid web address."), field="website") from exc
    return value


def _bidx(value: str, purpose: str) -> str:
    return crypto.blind_index(value, purpose=purpose) if value else ""


def _check_version(obj: Any, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise Conflict(instance=obj)


def _locked(model: type[Model], pk: Any) -> Any:
    obj = model._base_manager.select_for_update().filter(pk=pk).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound()
    return obj


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


# --- customers ------------------------------------------------------------------------------


def _clean_customer(
    data: Mapping[str, Any], *, partial: bool, actor: Any = None, instance: Any = None
) -> dict[str, Any]:
    """Validate and normalise customer fields; with ``partial`` only the keys present."""
    cleaners: dict[str, Any] = {
        "kind": lambda: _choice(data, "kind", CustomerKind),
        "name": lambda: _text(data, "name", required=True),
        "short_name": lambda: _text(data, "short_name"),
        "size": lambda: _choice(data, "size", CompanySize, allow_blank=True),
        "lifecycle_stage": lambda: _choice(data, "lifecycle_stage", LifecycleStage),
        "province": lambda: _text(data, "province"),
        "city": lambda: _text(data, "city"),
        "district": lambda: _text(data, "district"),
        "address": lambda: _text(data, "address"),
        "website": lambda: _website(data),
        "phone": lambda: _phone(data, "phone"),
        "email": lambda: _email(data, "email"),
        "description": lambda: _text(data, "description", multiline=True),
        "next_follow_up_on": lambda: _date(data, "next_follow_up_on"),
        "custom": lambda: _custom(
            data, "customers.customer", partial=partial, actor=actor, instance=instance
        ),
        "industry": lambda: data.get("industry"),
        "level": lambda: data.get("level"),
        "source": lambda: data.get("source"),
        "owner": lambda: data.get("owner"),
    }
    cleaned: dict[str, Any] = {}
    for name in CUSTOMER_FIELDS:
        if partial and name not in data:
            continue
        if not partial and name not in data and name not in ("name", "custom"):
            continue
        cleaned[name] = cleaners[name]()
    return cleaned


def _apply_customer(customer: Customer, cleaned: Mapping[str, Any]) -> None:
    for name, value in cleaned.items():
        setattr(customer, name, value)
    if "name" in cleaned:
        customer.name_key = company_name_key(customer.name)
    if "phone" in cleaned:
        customer.phone_bidx = _bidx(customer.phone, "phone")
    if "email" in cleaned:
        customer.email_bidx = _bidx(customer.email, "email")
    if "owner" in cleaned:
        owner = cleaned["owner"]
        customer.department_id = owner.department_id if owner is not None else None


def _customer_snapshot(customer: Customer) -> dict[str, Any]:
    return audit.snapshot(customer, CUSTOMER_FIELDS)


@transaction.atomic
def customer_create(
    *, actor: Any, data: Mapping[str, Any], created_via: str = CreatedVia.UI
) -> Customer:
    """Create a customer owned by ``data['owner']`` (default: the actor), with its tags.

    Raises ValidationError naming the field for bad input, PermissionDenied without the right.
    """
    policy.require(actor, Action.CREATE, MODULE)
    cleaned = _clean_customer(data, partial=False, actor=actor)
    cleaned.setdefault("owner", actor if getattr(actor, "pk", None) else None)
    customer = Customer(created_by=actor if _actor_id(actor) else None, created_via=created_via)
    _apply_customer(customer, cleaned)
    customer.save()
    tags = list(data.get("tags") or [])
    if tags:
        customer.tags.set(tags)
    audit.record(
        actor,
        AuditAction.CREATE,
        customer,
        changes=audit.diff(
            {},
            {**_customer_snapshot(customer), "tags": sorted(t.pk for t in tags)},
            sensitive=CUSTOMER_SENSITIVE,
        ),
    )
    customers_reindex([customer.pk])
    events.publish("customer.created", customer_id=customer.pk, actor_id=_actor_id(actor))
    return customer


@transaction.atomic
def customer_update(
    *, actor: Any, customer: Customer, data: Mapping[str, Any], version: int | None = None
) -> Customer:
    """Change the given fields of a customer.

    ``version`` is the version the caller read; if the record changed since, Conflict is raised
    with the current record and nothing is written.
    """
    policy.require(actor, Action.EDIT, MODULE, customer)
    customer = _locked(Customer, customer.pk)
    if customer.is_deleted:
        raise NotFound()
    _check_version(customer, version)
    data = policy.writable_data(actor, MODULE, data, customer)
    cleaned = _clean_customer(data, partial=True, actor=actor, instance=customer)
    before = {
        **_customer_snapshot(customer),
        "tags": sorted(customer.tags.values_list("pk", flat=True)),
    }
    _apply_customer(customer, cleaned)
    if "tags" in data:
        customer.tags.set(list(data.get("tags") or []))
    after = {
        **_customer_snapshot(customer),
        "tags": sorted(customer.tags.values_list("pk", flat=True)),
    }
    changes = audit.diff(before, after, sensitive=CUSTOMER_SENSITIVE)
    if not changes:
        return customer
    customer.version += 1
    customer.updated_at = timezone.now()
    customer.save()
    audit.record(actor, AuditAction.UPDATE, customer, changes=changes)
    customers_reindex([customer.pk])
    events.publish(
        "customer.updated",
        customer_id=customer.pk,
        fields=sorted(changes),
        actor_id=_actor_id(actor),
    )
    return customer


@transaction.atomic
def customer_delete(*, actor: Any, customer: Customer) -> Customer:
    """Move a customer (with its contacts and timeline) to the recycle bin."""
    policy.require(actor, Action.DELETE, MODULE, customer)
    customer = _locked(Customer, customer.pk)
    if customer.is_deleted:
        raise NotFound()
    now = timezone.now()
    customer.deleted_at, customer.deleted_by = now, actor if _actor_id(actor) else None
    customer.version += 1
    customer.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.DELETE, customer)
    customers_reindex([customer.pk])
    events.publish(
        "customer.deleted", customer_id=customer.pk, deleted_at=now, actor_id=_actor_id(actor)
    )
    return customer


@transaction.atomic
def customer_restore(*, actor: Any, customer: Customer) -> Customer:
    """Bring a customer back from the recycle bin."""
    policy.require(actor, Action.DELETE, MODULE, customer)
    customer = _locked(Customer, customer.pk)
    if not customer.is_deleted:
        raise ValidationError(_("This customer is not in the recycle bin."))
    deleted_at = customer.deleted_at
    customer.deleted_at, customer.deleted_by = None, None
    customer.version += 1
    customer.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.RESTORE, customer)
    customers_reindex([customer.pk])
    events.publish(
        "customer.restored",
        customer_id=customer.pk,
        deleted_at=deleted_at,
        actor_id=_actor_id(actor),
    )
    return customer


def _bulk_targets(actor: Any, customer_ids: Iterable[int], action: str) -> list[Customer]:
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        raise ValidationError(_("Select at least one customer."), field="ids")
    if len(ids) > 1000:
        raise ValidationError(_("At most 1,000 customers at a time."), field="ids")
    from guanxi.customers.selectors import customer_list

    customers = list(customer_list(actor=actor).filter(pk__in=ids).select_for_update(of=("self",)))
    if len(customers) != len(ids):
        raise NotFound()
    for customer in customers:
        policy.require(actor, action, MODULE, customer)
    return customers


@transaction.atomic
def customers_assign_owner(*, actor: Any, customer_ids: Iterable[int], owner: Any) -> int:
    """Give the selected customers a new owner (all or nothing). Returns how many changed."""
    if owner is None or not owner.is_active:
        raise ValidationError(_("Choose an active user as the owner."), field="owner")
    customers = _bulk_targets(actor, customer_ids, Action.EDIT)
    changed = 0
    for customer in customers:
        if customer.owner_id == owner.pk:
            continue
        old = customer.owner_id
        customer.owner, customer.department_id = owner, owner.department_id
        customer.version += 1
        customer.updated_at = timezone.now()
        customer.save(update_fields=["owner", "department", "version", "updated_at"])
        audit.record(actor, AuditAction.TRANSFER, customer, changes={"owner": [old, owner.pk]})
        events.publish(
            "customer.owner_changed",
            customer_id=customer.pk,
            old_owner_id=old,
            owner_id=owner.pk,
            actor_id=_actor_id(actor),
        )
        changed += 1
    return changed


@transaction.atomic
def customers_change_tags(
    *, actor: Any, customer_ids: Iterable[int], add: Iterable[Tag] = (), remove: Iterable[Tag] = ()
) -> int:
    """Add and remove tags on the selected customers. Returns how many customers changed."""
    add, remove = list(add), list(remove)
    if not add and not remove:
        raise ValidationError(_("Choose a tag to add or remove."), field="tags")
    customers = _bulk_targets(actor, customer_ids, Action.EDIT)
    changed = []
    through = Customer.tags.through
    for customer in customers:
        current = set(customer.tags.values_list("pk", flat=True))
        wanted = (current | {t.pk for t in add}) - {t.pk for t in remove}
        if wanted == current:
            continue
        through.objects.filter(customer=customer, tag_id__in=current - wanted).delete()
        through.objects.bulk_create(
            [through(customer=customer, tag_id=pk) for pk in wanted - current]
        )
        customer.version += 1
        customer.save(update_fields=["version"])
        audit.record(
            actor, AuditAction.UPDATE, customer, changes={"tags": [sorted(current), sorted(wanted)]}
        )
        changed.append(customer.pk)
    customers_reindex(changed)
    return len(changed)


@transaction.atomic
def collaborator_set(
    *, actor: Any, customer: Customer, user: Any, access: str = CollaboratorAccess.EDIT
) -> CustomerCollaborator:
    """Add a colleague to a customer (or change her access)."""
    policy.require(actor, Action.EDIT, MODULE, customer)
    if access not in CollaboratorAccess.values:
        raise ValidationError(_("Unknown access level."), field="access")
    if user.pk == customer.owner_id:
        raise ValidationError(_("The owner is already on this customer."), field="user")
    collaborator, _created = CustomerCollaborator.objects.update_or_create(
        customer=customer, user=user, defaults={"access": access}
    )
    audit.record(
        actor,
        AuditAction.PERMISSION,
        customer,
        changes={"collaborator": [None, {"user": user.pk, "access": access}]},
    )
    return collaborator


@transaction.atomic
def collaborator_remove(*, actor: Any, customer: Customer, user: Any) -> None:
    policy.require(actor, Action.EDIT, MODULE, customer)
    deleted, _ = CustomerCollaborator.objects.filter(customer=customer, user=user).delete()
    if deleted:
        audit.record(
            actor,
            AuditAction.PERMISSION,
            customer,
            changes={"collaborator": [{"user": user.pk}, None]},
        )


# --- tags -----------------------------------------------------------------------------------


def _clean_tag(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if not partial or "name" in data:
        cleaned["name"] = _text(data, "name", required=True, limit=50)
    if "colour" in data:
        cleaned["colour"] = _text(data, "colour", limit=16) or "blue"
    if "group" in data:
        cleaned["group"] = _text(data, "group", limit=50)
    return cleaned


@transaction.atomic
def tag_create(*, actor: Any, data: Mapping[str, Any]) -> Tag:
    """Create a tag; names are unique (case as typed)."""
    policy.require(actor, Action.CREATE, MODULE)
    cleaned = _clean_tag(data, partial=False)
    if Tag.objects.filter(name=cleaned["name"]).exists():
        raise ValidationError(_("A tag with this name already exists."), field="name")
    tag = Tag.objects.create(created_by=actor if _actor_id(actor) else None, **cleaned)
    audit.record(actor, AuditAction.CREATE, tag, changes=audit.diff({}, cleaned))
    return tag


@transaction.atomic
def tag_update(*, actor: Any, tag: Tag, data: Mapping[str, Any], version: int | None = None) -> Tag:
    policy.require(actor, Action.EDIT, MODULE)
    tag = _locked(Tag, tag.pk)
    _check_version(tag, version)
    cleaned = _clean_tag(data, partial=True)
    if "name" in cleaned and Tag.objects.filter(name=cleaned["name"]).exclude(pk=tag.pk).exists():
        raise ValidationError(_("A tag with this name already exists."), field="name")
    before = audit.snapshot(tag, ["name", "colour", "group"])
    for name, value in cleaned.items():
        setattr(tag, name, value)
    changes = audit.diff(before, audit.snapshot(tag, ["name", "colour", "group"]))
    if changes:
        tag.version += 1
        tag.updated_at = timezone.now()
        tag.save()
        audit.record(actor, AuditAction.UPDATE, tag, changes=changes)
        customers_reindex(list(tag.customers.values_list("pk", flat=True)))
    return tag


@transaction.atomic
def tag_delete(*, actor: Any, tag: Tag) -> None:
    """Delete a tag and take it off every customer (tags are labels, not records: no bin)."""
    policy.require(actor, Action.DELETE, MODULE)
    customer_ids = list(tag.customers.values_list("pk", flat=True))
    audit.record(
        actor,
        AuditAction.DELETE,
        tag,
        changes={"name": [tag.name, None], "customers": [len(customer_ids), 0]},
    )
    tag.delete()
    customers_reindex(customer_ids)


# --- contacts -------------------------------------------------------------------------------


def _clean_contact(
    data: Mapping[str, Any], *, partial: bool, actor: Any = None, instance: Any = None
) -> dict[str, Any]:
    cleaners: dict[str, Any] = {
        "name": lambda: _text(data, "name", required=True, limit=100),
        "title": lambda: _text(data, "title"),
        "mobile": lambda: _phone(data, "mobile"),
        "phone": lambda: _phone(data, "phone"),
        "email": lambda: _email(data, "email"),
        "wechat": lambda: _text(data, "wechat"),
        "birthday": lambda: _date(data, "birthday"),
        "is_primary": lambda: bool(data.get("is_primary")),
        "notes": lambda: _text(data, "notes", multiline=True),
        "custom": lambda: _custom(
            data, "customers.contact", partial=partial, actor=actor, instance=instance
        ),
    }
    cleaned = {}
    for name in CONTACT_FIELDS:
        if name in data or (not partial and name in ("name", "custom")):
            cleaned[name] = cleaners[name]()
    birthday = cleaned.get("birthday")
    if birthday and birthday > timezone.localdate():
        raise ValidationError(_("A birthday cannot be in the future."), field="birthday")
    return cleaned


def _apply_contact(contact: Contact, cleaned: Mapping[str, Any]) -> None:
    for name, value in cleaned.items():
        setattr(contact, name, value)
    for name in ("mobile", "phone", "email"):
        if name in cleaned:
            purpose = "email" if name == "email" else "phone"
            setattr(contact, f"{name}_bidx", _bidx(getattr(contact, name), purpose))


def _make_primary(contact: Contact) -> None:
    Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(
        pk=contact.pk
    ).update(is_primary=False)


@transaction.atomic
def contact_create(
    *, actor: Any, customer: Customer, data: Mapping[str, Any], created_via: str = CreatedVia.UI
) -> Contact:
    """Add a contact to a customer; the first contact becomes the primary one."""
    policy.require(actor, Action.EDIT, MODULE, customer)
    if customer.is_deleted:
        raise NotFound()
    cleaned = _clean_contact(data, partial=False, actor=actor)
    contact = Contact(
        customer=customer, created_by=actor if _actor_id(actor) else None, created_via=created_via
    )
    _apply_contact(contact, cleaned)
    if not Contact.objects.filter(customer=customer).exists():
        contact.is_primary = True
    if contact.is_primary:
        _make_primary(contact)
    contact.save()
    audit.record(
        actor,
        AuditAction.CREATE,
        contact,
        changes=audit.diff(
            {}, audit.snapshot(contact, CONTACT_FIELDS), sensitive=CONTACT_SENSITIVE
        ),
    )
    customers_reindex([customer.pk])
    events.publish(
        "contact.created", contact_id=contact.pk, customer_id=customer.pk, actor_id=_actor_id(actor)
    )
    return contact


@transaction.atomic
def contact_update(
    *, actor: Any, contact: Contact, data: Mapping[str, Any], version: int | None = None
) -> Contact:
    policy.require(actor, Action.EDIT, MODULE, contact)
    contact = _locked(Contact, contact.pk)
    if contact.is_deleted:
        raise NotFound()
    _check_version(contact, version)
    data = policy.writable_data(actor, MODULE, data, contact)
    cleaned = _clean_contact(data, partial=True, actor=actor, instance=contact)
    before = audit.snapshot(contact, CONTACT_FIELDS)
    _apply_contact(contact, cleaned)
    changes = audit.diff(
        before, audit.snapshot(contact, CONTACT_FIELDS), sensitive=CONTACT_SENSITIVE
    )
    if not changes:
        return contact
    if contact.is_primary:
        _make_primary(contact)
    contact.version += 1
    contact.updated_at = timezone.now()
    contact.save()
    audit.record(actor, AuditAction.UPDATE, contact, changes=changes)
    customers_reindex([contact.customer_id])
    events.publish(
        "contact.updated",
        contact_id=contact.pk,
        customer_id=contact.customer_id,
        actor_id=_actor_id(actor),
    )
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> Contact:
    policy.require(actor, Action.EDIT, MODULE, contact)
    contact = _locked(Contact, contact.pk)
    if contact.is_deleted:
        raise NotFound()
    contact.deleted_at, contact.deleted_by = timezone.now(), actor if _actor_id(actor) else None
    was_primary, contact.is_primary = contact.is_primary, False
    contact.version += 1
    contact.save(update_fields=["deleted_at", "deleted_by", "is_primary", "version"])
    if was_primary:
        successor = Contact.objects.filter(customer_id=contact.customer_id).order_by("id").first()
        if successor:
            Contact.objects.filter(pk=successor.pk).update(is_primary=True)
    audit.record(actor, AuditAction.DELETE, contact)
    customers_reindex([contact.customer_id])
    events.publish(
        "contact.deleted",
        contact_id=contact.pk,
        customer_id=contact.customer_id,
        actor_id=_actor_id(actor),
    )
    return contact


@transaction.atomic
def contact_restore(*, actor: Any, contact: Contact) -> Contact:
    policy.require(actor, Action.EDIT, MODULE, contact)
    contact = _locked(Contact, contact.pk)
    if not contact.is_deleted:
        raise ValidationError(_("This contact is not in the recycle bin."))
    contact.deleted_at, contact.deleted_by = None, None
    contact.version += 1
    contact.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.RESTORE, contact)
    customers_reindex([contact.customer_id])
    return contact


# --- interactions ---------------------------------------------------------------------------


def _clean_interaction(
    data: Mapping[str, Any], customer: Customer, *, partial: bool
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "kind" in data or not partial:
        cleaned["kind"] = _choice(
            {"kind": data.get("kind") or InteractionKind.NOTE}, "kind", InteractionKind
        )
    if "occurred_at" in data or not partial:
        occurred_at = data.get("occurred_at") or timezone.now()
        if not isinstance(occurred_at, dt.datetime):
            raise ValidationError(_("Enter a valid date and time."), field="occurred_at")
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
        if occurred_at > timezone.now() + dt.timedelta(days=366):
            raise ValidationError(_("This time is too far in the future."), field="occurred_at")
        cleaned["occurred_at"] = occurred_at
    for name in ("subject",):
        if name in data:
            cleaned[name] = _text(data, name)
    if "content" in data:
        cleaned["content"] = _text(data, "content", multiline=True)
    if "outcome" in data:
        cleaned["outcome"] = _choice(data, "outcome", InteractionOutcome, allow_blank=True)
    if "duration_minutes" in data:
        minutes = data.get("duration_minutes")
        if minutes not in (None, ""):
            try:
                minutes = int(minutes)
            except (TypeError, ValueError) as exc:
                raise ValidationError(_("Enter a whole number."), field="duration_minutes") from exc
            if not 0 <= minutes <= 24 * 60:
                raise ValidationError(_("Between 0 and 1,440 minutes."), field="duration_minutes")
        cleaned["duration_minutes"] = minutes if minutes != "" else None
    if "contact" in data:
        contact = data.get("contact")
        if contact is not None and contact.customer_id != customer.pk:
            raise ValidationError(_("This contact belongs to another customer."), field="contact")
        cleaned["contact"] = contact
    if "next_follow_up_on" in data:
        cleaned["next_follow_up_on"] = _date(data, "next_follow_up_on")
    if "custom" in data or not partial:
        cleaned["custom"] = _custom(data, "customers.interaction", partial=partial)
    if not partial and not (cleaned.get("subject") or cleaned.get("content")):
        raise ValidationError(_("Write a subject or some content."), field="content")
    return cleaned


def _refresh_customer_contact_dates(customer_id: int) -> None:
    """Keep the customer's last-contacted time and next follow-up in step with its timeline."""
    alive = Interaction.objects.filter(customer_id=customer_id).exclude(kind=InteractionKind.NOTE)
    last = alive.filter(occurred_at__lte=timezone.now()).aggregate(last=Max("occurred_at"))["last"]
    upcoming = (
        Interaction.objects.filter(customer_id=customer_id, next_follow_up_on__isnull=False)
        .order_by("-occurred_at", "-id")
        .values_list("next_follow_up_on", flat=True)
        .first()
    )
    Customer._base_manager.filter(pk=customer_id).update(
        last_contacted_at=last, next_follow_up_on=upcoming
    )


@transaction.atomic
def interaction_create(
    *, actor: Any, customer: Customer, data: Mapping[str, Any], created_via: str = CreatedVia.UI
) -> Interaction:
    """Add an entry to a customer's timeline and update its last-contacted date."""
    policy.require(actor, Action.EDIT, MODULE, customer)
    if customer.is_deleted:
        raise NotFound()
    cleaned = _clean_interaction(data, customer, partial=False)
    interaction = Interaction(
        customer=customer,
        author=actor if _actor_id(actor) else None,
        created_by=actor if _actor_id(actor) else None,
        created_via=created_via,
        **cleaned,
    )
    interaction.save()
    _refresh_customer_contact_dates(customer.pk)
    audit.record(
        actor,
        AuditAction.CREATE,
        interaction,
        changes=audit.diff({}, audit.snapshot(interaction, INTERACTION_FIELDS)),
    )
    events.publish(
        "interaction.created",
        interaction_id=interaction.pk,
        customer_id=customer.pk,
        actor_id=_actor_id(actor),
    )
    return interaction


@transaction.atomic
def interaction_update(
    *, actor: Any, interaction: Interaction, data: Mapping[str, Any], version: int | None = None
) -> Interaction:
    policy.require(actor, Action.EDIT, MODULE, interaction)
    interaction = _locked(Interaction, interaction.pk)
    if interaction.is_deleted:
        raise NotFound()
    _check_version(interaction, version)
    cleaned = _clean_interaction(data, interaction.customer, partial=True)
    before = audit.snapshot(interaction, INTERACTION_FIELDS)
    for name, value in cleaned.items():
        setattr(interaction, name, value)
    if not (interaction.subject or interaction.content):
        raise ValidationError(_("Write a subject or some content."), field="content")
    changes = audit.diff(before, audit.snapshot(interaction, INTERACTION_FIELDS))
    if not changes:
        return interaction
    interaction.version += 1
    interaction.updated_at = timezone.now()
    interaction.save()
    _refresh_customer_contact_dates(interaction.customer_id)
    audit.record(actor, AuditAction.UPDATE, interaction, changes=changes)
    events.publish(
        "interaction.updated",
        interaction_id=interaction.pk,
        customer_id=interaction.customer_id,
        actor_id=_actor_id(actor),
    )
    return interaction


@transaction.atomic
def interaction_delete(*, actor: Any, interaction: Interaction) -> Interaction:
    policy.require(actor, Action.EDIT, MODULE, interaction)
    interaction = _locked(Interaction, interaction.pk)
    if interaction.is_deleted:
        raise NotFound()
    interaction.deleted_at = timezone.now()
    interaction.deleted_by = actor if _actor_id(actor) else None
    interaction.version += 1
    interaction.save(update_fields=["deleted_at", "deleted_by", "version"])
    _refresh_customer_contact_dates(interaction.customer_id)
    audit.record(actor, AuditAction.DELETE, interaction)
    return interaction


@transaction.atomic
def interaction_restore(*, actor: Any, interaction: Interaction) -> Interaction:
    policy.require(actor, Action.EDIT, MODULE, interaction)
    interaction = _locked(Interaction, interaction.pk)
    if not interaction.is_deleted:
        raise ValidationError(_("This interaction is not in the recycle bin."))
    interaction.deleted_at, interaction.deleted_by = None, None
    interaction.version += 1
    interaction.save(update_fields=["deleted_at", "deleted_by", "version"])
    _refresh_customer_contact_dates(interaction.customer_id)
    audit.record(actor, AuditAction.RESTORE, interaction)
    return interaction


# --- attachments ----------------------------------------------------------------------------

BLOCKED_EXTENSIONS = {
    ".exe",
    ".bat",
    ".cmd",
    ".com",
    ".js",
    ".vbs",
    ".scr",
    ".msi",
    ".html",
    ".htm",
    ".svg",
    ".php",
    ".sh",
}


@transaction.atomic
def attachment_create(
    *, actor: Any, customer: Customer, upload: UploadedFile, interaction: Interaction | None = None
) -> Attachment:
    """Store an uploaded file on a customer (or one of its interactions)."""
    policy.require(actor, Action.EDIT, MODULE, customer)
    if interaction is not None and interaction.customer_id != customer.pk:
        raise ValidationError(
            _("This interaction belongs to another customer."), field="interaction"
        )
    name = clean_text(upload.name or "")[:255] or "file"
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), field="file")
    if upload.size > settings.GUANXI_MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(mb)d MB).")
            % {"mb": settings.GUANXI_MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            field="file",
        )
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension in BLOCKED_EXTENSIONS:
        raise ValidationError(_("Files of this type cannot be attached."), field="file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        customer=customer,
        interaction=interaction,
        name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=upload.size,
        sha256=digest.hexdigest(),
        storage_key=secrets.token_hex(16),
        created_by=actor if _actor_id(actor) else None,
    )
    attachment.file.save(attachment.storage_key, upload, save=False)
    try:
        attachment.save()
    except IntegrityError:
        attachment.file.delete(save=False)
        raise
    audit.record(
        actor,
        AuditAction.CREATE,
        attachment,
        changes={"name": [None, name], "size": [None, upload.size]},
    )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> None:
    """Remove an attachment; the file is deleted from storage after the commit."""
    policy.require(actor, Action.EDIT, MODULE, attachment)
    audit.record(actor, AuditAction.DELETE, attachment, changes={"name": [attachment.name, None]})
    storage, path = attachment.file.storage, attachment.file.name or ""
    attachment.delete()
    if path:
        transaction.on_commit(lambda: storage.delete(path))


# --- recycle bin ----------------------------------------------------------------------------


@transaction.atomic
def recycle_bin_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Erase records that have been in the recycle bin longer than 30 days (periodic task)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=RECYCLE_BIN_DAYS)
    total = 0
    for model in (Interaction, Contact, Customer):
        expired = model.all_objects.filter(deleted_at__lt=cutoff)
        ids = list(expired.values_list("pk", flat=True)[:10000])
        if not ids:
            continue
        for pk in ids:
            audit.record(
                None,
                AuditAction.PURGE,
                object_type=f"customers.{model._meta.model_name}",
                object_id=pk,
            )
        total += model.all_objects.filter(pk__in=ids).delete()[0]
    return total


# --- ownership transfer of a leaving employee --------------------------------------------------


@transaction.atomic
def customers_transfer_all(*, actor: Any, from_user: Any, to_user: Any) -> int:
    """Give every customer owned by ``from_user`` (recycle bin included) to ``to_user``.

    The caller has checked that ``actor`` may administer users. Each customer gets a transfer
    entry in the audit log and a ``customer.owner_changed`` event (the summary entry on
    ``from_user`` is written by ``accounts.services.records_transfer_all``). Returns how many
    customers changed hands.
    """
    from django.db.models import F

    if to_user is None or not to_user.is_active:
        raise ValidationError(_("Choose an active user as the new owner."), field="to_user")
    if from_user.pk == to_user.pk:
        raise ValidationError(_("Choose another user as the new owner."), field="to_user")
    moved = 0
    while True:
        rows = list(
            Customer.all_objects.select_for_update()
            .filter(owner=from_user)
            .order_by("pk")
            .values_list("pk", "name")[:500]
        )
        if not rows:
            break
        batch = [pk for pk, _name in rows]
        Customer.all_objects.filter(pk__in=batch).update(
            owner=to_user,
            department_id=to_user.department_id,
            updated_at=timezone.now(),
            version=F("version") + 1,
        )
        for pk, name in rows:
            audit.record(
                actor,
                AuditAction.TRANSFER,
                object_type="customers.customer",
                object_id=pk,
                object_repr=name,
                changes={"owner": [from_user.pk, to_user.pk]},
            )
            events.publish(
                "customer.owner_changed",
                customer_id=pk,
                old_owner_id=from_user.pk,
                owner_id=to_user.pk,
                actor_id=_actor_id(actor),
            )
        customers_reindex(batch)
        moved += len(batch)
    return moved
