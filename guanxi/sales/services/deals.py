"""Every write to deals: create, update, move between stages, win, lose, products, collaborators.

Each service checks the actor's right (``policy.require``), validates, writes in one transaction,
records the change in the audit log and publishes a domain event after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.customers.models import Contact, Customer
from guanxi.sales.models import (
    BASE_CURRENCY,
    CloseReason,
    CollaboratorAccess,
    Deal,
    DealCollaborator,
    DealLineItem,
    DealStageChange,
    DealStatus,
    ExchangeRate,
    Pipeline,
    PriceListItem,
    Product,
    ReasonKind,
    RequiredField,
    Stage,
)
from guanxi.sales.services._common import (
    CENT,
    MAX_AMOUNT,
    MAX_QUANTITY,
    MAX_RATE,
    MIN_RATE,
    MODULE,
    actor_id,
    actor_or_none,
    check_version,
    currency,
    custom,
    date,
    decimal,
    locked,
    money,
    text,
)

DEAL_FIELDS = (
    "name",
    "customer",
    "pipeline",
    "stage",
    "status",
    "amount",
    "currency",
    "exchange_rate",
    "amount_cny",
    "expected_close_on",
    "source",
    "description",
    "owner",
    "close_reason",
    "close_note",
    "closed_on",
    "custom",
)
MAX_LINE_ITEMS = 200
RATE_PLACES = Decimal("0.000001")


# --- money ----------------------------------------------------------------------------------


def exchange_rate_for(code: str, *, on: dt.date | None = None) -> Decimal:
    """The rate to CNY of ``code`` valid on ``on`` (today by default).

    Raises ValidationError (``no_exchange_rate``) when no rate is known for that currency.
    """
    if code == BASE_CURRENCY:
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(currency=code, valid_on__lte=on or timezone.localdate())
        .order_by("-valid_on")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            _(
                "There is no exchange rate for %(currency)s: enter the rate to CNY, or ask an "
                "administrator to add one."
            )
            % {"currency": code},
            field="exchange_rate",
            code="no_exchange_rate",
        )
    return rate


def in_cny(amount: Decimal, rate: Decimal) -> Decimal:
    value = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if value > MAX_AMOUNT:
        raise ValidationError(
            _("The amount is too large once converted to CNY."), field="amount", code="too_large"
        )
    return value


def _apply_money(deal: Deal, data: Mapping[str, Any], *, creating: bool) -> None:
    """Amount, currency and rate from ``data`` (only the keys present), then the CNY amount."""
    if "amount" in data and data["amount"] is not None:
        deal.amount = money(data["amount"], "amount")
    currency_given = "currency" in data and data["currency"] not in (None, "")
    rate_given = "exchange_rate" in data and data["exchange_rate"] not in (None, "")
    if currency_given:
        deal.currency = currency(data["currency"])
    if creating or currency_given or rate_given:
        if deal.currency == BASE_CURRENCY:
            deal.exchange_rate = Decimal("1")
        elif rate_given:
            deal.exchange_rate = decimal(
                data["exchange_rate"],
                "exchange_rate",
                minimum=MIN_RATE,
                maximum=MAX_RATE,
                places=RATE_PLACES,
                positive=True,
            )
        else:
            deal.exchange_rate = exchange_rate_for(deal.currency)
    deal.amount_cny = in_cny(deal.amount, deal.exchange_rate)


# --- validation -----------------------------------------------------------------------------


def _customer(actor: Any, customer: Any) -> Customer:
    if not isinstance(customer, Customer) or customer.is_deleted:
        raise ValidationError(_("Choose a customer."), field="customer")
    visible = policy.visible(actor, Customer.objects.filter(pk=customer.pk), "customers")
    if not visible.exists():
        raise ValidationError(_("Choose a customer."), field="customer")
    return customer


def _owner(value: Any) -> Any:
    if value is None or not getattr(value, "is_active", False):
        raise ValidationError(_("Choose an active user as the owner."), field="owner")
    return value


def _reason(value: Any, kind: str, *, required: bool) -> CloseReason | None:
    if value is None:
        if required:
            raise ValidationError(_("Say why the deal was lost."), field="reason")
        return None
    if not isinstance(value, CloseReason) or value.kind != kind or not value.is_active:
        raise ValidationError(_("Choose one of the listed reasons."), field="reason")
    return value


def default_pipeline() -> Pipeline:
    pipeline = (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    )
    if pipeline is None:
        raise ValidationError(_("There is no sales pipeline yet."), field="pipeline")
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = (
        Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False, is_active=True)
        .order_by("position", "id")
        .first()
    )
    if stage is None:
        raise ValidationError(_("This pipeline has no open stage."), field="stage")
    return stage


def closing_stage(pipeline_id: int, *, won: bool) -> Stage:
    condition = {"is_won": True} if won else {"is_lost": True}
    stage = Stage.objects.filter(pipeline_id=pipeline_id, **condition).first()
    if stage is None:
        raise ValidationError(
            _("This pipeline has no won stage.") if won else _("This pipeline has no lost stage."),
            field="stage",
        )
    return stage


def _contacts(deal: Deal, contacts: Iterable[Any]) -> list[Contact]:
    result = list(dict.fromkeys(contacts))
    for contact in result:
        if (
            not isinstance(contact, Contact)
            or contact.customer_id != deal.customer_id
            or contact.is_deleted
        ):
            raise ValidationError(_("Choose contacts of the deal's customer."), field="contacts")
    return result


def missing_fields(deal: Deal, stage: Stage) -> list[str]:
    """The fields ``stage`` requires that ``deal`` does not have yet."""
    checks = {
        RequiredField.AMOUNT: lambda: deal.amount > 0,
        RequiredField.EXPECTED_CLOSE_ON: lambda: deal.expected_close_on is not None,
        RequiredField.CONTACTS: lambda: deal.contacts.exists(),
        RequiredField.LINE_ITEMS: lambda: deal.line_items.exists(),
        RequiredField.DESCRIPTION: lambda: bool(deal.description.strip()),
        RequiredField.SOURCE: lambda: deal.source_id is not None,
    }
    missing = []
    for name in stage.required_fields or []:
        check = checks.get(name)
        if check is not None and not check():
            missing.append(str(name))
    return missing


def _require_stage_fields(deal: Deal, stage: Stage) -> None:
    missing = missing_fields(deal, stage)
    if missing:
        labels = dict(RequiredField.choices)
        raise ValidationError(
            _("Before the deal can enter “%(stage)s”, fill in: %(fields)s.")
            % {"stage": stage, "fields": _(", ").join(str(labels[name]) for name in missing)},
            field=missing[0],
            code="stage_requirements",
            extra={"missing": missing},
        )


def _snapshot(deal: Deal) -> dict[str, Any]:
    return audit.snapshot(deal, DEAL_FIELDS)


# --- stage moves ----------------------------------------------------------------------------


def _enter_stage(
    deal: Deal,
    stage: Stage,
    *,
    actor: Any,
    reason: Any = None,
    note: str = "",
) -> DealStageChange:
    """Put ``deal`` (locked, with its other changes applied) into ``stage``: checks the stage's
    requirements, closes or reopens the deal and appends the move to its history."""
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(_("Choose a stage of the deal's pipeline."), field="stage")
    if not stage.is_active:
        raise ValidationError(_("This stage is no longer in use."), field="stage")
    _require_stage_fields(deal, stage)
    now = timezone.now()
    previous = deal.stage if deal.stage_id else None
    seconds = max(int((now - deal.stage_entered_at).total_seconds()), 0) if previous else None
    if stage.is_won or stage.is_lost:
        kind = ReasonKind.WON if stage.is_won else ReasonKind.LOST
        deal.close_reason = _reason(reason, kind, required=stage.is_lost)
        deal.close_note = note
        deal.status = DealStatus.WON if stage.is_won else DealStatus.LOST
        deal.closed_at = now
        deal.closed_on = timezone.localdate(now)
        deal.days_to_close = max((now - deal.created_at).days, 0)
    else:
        deal.status = DealStatus.OPEN
        deal.closed_at = None
        deal.closed_on = None
        deal.days_to_close = None
        deal.close_reason = None
        deal.close_note = ""
    if not stage.is_lost:
        deal.furthest_position = max(deal.furthest_position, stage.position)
    deal.stage = stage
    deal.stage_entered_at = now
    return DealStageChange(
        deal=deal,
        from_stage=previous,
        to_stage=stage,
        changed_at=now,
        changed_by=actor_or_none(actor),
        seconds_in_from_stage=seconds,
    )


def _publish_move(deal: Deal, change: DealStageChange, actor: Any) -> None:
    events.publish(
        "deal.stage_changed",
        deal_id=deal.pk,
        from_stage_id=change.from_stage_id,
        to_stage_id=change.to_stage_id,
        status=deal.status,
        actor_id=actor_id(actor),
    )
    if deal.status == DealStatus.WON:
        events.publish("deal.won", deal_id=deal.pk, actor_id=actor_id(actor))
    elif deal.status == DealStatus.LOST:
        events.publish("deal.lost", deal_id=deal.pk, actor_id=actor_id(actor))


# --- create / update ------------------------------------------------------------------------


@transaction.atomic
def deal_create(*, actor: Any, data: Mapping[str, Any], created_via: str = CreatedVia.UI) -> Deal:
    """Create a deal with a customer the actor may see, in an open stage of a pipeline.

    ``data``: name, customer (required); pipeline, stage (default: the default pipeline's first
    open stage), amount, currency, exchange_rate, expected_close_on, source, description, owner
    (default: the actor), contacts, line_items, custom. The stage's required fields must be
    filled. Raises ValidationError naming the field, PermissionDenied without the right.
    """
    policy.require(actor, Action.CREATE, MODULE)
    deal = Deal(created_by=actor_or_none(actor), created_via=created_via)
    deal.name = text(data, "name", required=True)
    deal.customer = _customer(actor, data.get("customer"))
    pipeline = data.get("pipeline") or default_pipeline()
    if not isinstance(pipeline, Pipeline) or not pipeline.is_active:
        raise ValidationError(_("Choose a pipeline."), field="pipeline")
    deal.pipeline = pipeline
    stage = data.get("stage") or first_open_stage(pipeline)
    if not isinstance(stage, Stage) or stage.pipeline_id != pipeline.pk:
        raise ValidationError(_("Choose a stage of the deal's pipeline."), field="stage")
    if not stage.is_open:
        raise ValidationError(
            _("A new deal starts in an open stage; mark it won or lost afterwards."),
            field="stage",
        )
    deal.expected_close_on = date(data, "expected_close_on")
    deal.source = data.get("source")
    deal.description = text(data, "description", limit=20000, multiline=True)
    deal.custom = custom(data)
    owner = data.get("owner") or actor_or_none(actor)
    deal.owner = _owner(owner) if owner is not None else None
    deal.department_id = deal.owner.department_id if deal.owner else None
    _apply_money(deal, data, creating=True)
    now = timezone.now()
    deal.stage, deal.status, deal.stage_entered_at = stage, DealStatus.OPEN, now
    deal.furthest_position = stage.position
    deal.save()
    if data.get("contacts"):
        deal.contacts.set(_contacts(deal, data["contacts"]))
    if data.get("line_items"):
        _replace_line_items(deal, data["line_items"], data.get("price_list"))
        deal.save()
    _require_stage_fields(deal, stage)
    DealStageChange.objects.create(
        deal=deal, from_stage=None, to_stage=stage, changed_at=now, changed_by=actor_or_none(actor)
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        deal,
        changes=audit.diff(
            {},
            {
                **_snapshot(deal),
                "contacts": sorted(deal.contacts.values_list("pk", flat=True)),
                "line_items": _line_items_snapshot(deal),
            },
        ),
    )
    events.publish("deal.created", deal_id=deal.pk, actor_id=actor_id(actor))
    return deal


@transaction.atomic
def deal_update(
    *, actor: Any, deal: Deal, data: Mapping[str, Any], version: int | None = None
) -> Deal:
    """Change the given fields of a deal (a stage in ``data`` moves it, as ``deal_move_to_stage``).

    ``version`` is the version the caller read: if the deal changed since, Conflict is raised and
    nothing is written. While the deal has products, its amount is their sum.
    """
    policy.require(actor, Action.EDIT, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if deal.is_deleted:
        raise NotFound()
    check_version(deal, version)
    before = {**_snapshot(deal), "contacts": sorted(deal.contacts.values_list("pk", flat=True))}
    if "name" in data:
        deal.name = text(data, "name", required=True)
    if "customer" in data and getattr(data["customer"], "pk", None) != deal.customer_id:
        deal.customer = _customer(actor, data["customer"])
        if "contacts" not in data:
            deal.contacts.remove(*deal.contacts.exclude(customer_id=deal.customer_id))
    if "expected_close_on" in data:
        deal.expected_close_on = date(data, "expected_close_on")
    if "source" in data:
        deal.source = data["source"]
    if "description" in data:
        deal.description = text(data, "description", limit=20000, multiline=True)
    if "custom" in data:
        deal.custom = custom(data)
    if "owner" in data:
        deal.owner = _owner(data["owner"])
        deal.department_id = deal.owner.department_id
    if (
        "amount" in data
        and data["amount"] is not None
        and deal.line_items.exists()
        and money(data["amount"], "amount") != deal.amount
    ):
        raise ValidationError(
            _("The amount is the sum of the deal's products: change the products instead."),
            field="amount",
        )
    _apply_money(deal, data, creating=False)
    if "contacts" in data:
        deal.contacts.set(_contacts(deal, data["contacts"] or []))
    target_stage = data.get("stage")
    if "pipeline" in data and data["pipeline"] is not None and data["pipeline"] != deal.pipeline:
        pipeline = data["pipeline"]
        if not isinstance(pipeline, Pipeline) or not pipeline.is_active:
            raise ValidationError(_("Choose a pipeline."), field="pipeline")
        deal.pipeline = pipeline
        deal.furthest_position = 0
        if target_stage is None:
            target_stage = first_open_stage(pipeline)
    change = None
    if target_stage is not None and target_stage != deal.stage:
        change = _enter_stage(
            deal, target_stage, actor=actor, reason=data.get("reason"), note=data.get("note", "")
        )
    elif deal.stage_id and deal.stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(_("Choose a stage of the deal's pipeline."), field="stage")
    after = {**_snapshot(deal), "contacts": sorted(deal.contacts.values_list("pk", flat=True))}
    changes = audit.diff(before, after)
    if not changes:
        return deal
    deal.version += 1
    deal.updated_at = timezone.now()
    deal.save()
    if change is not None:
        change.save()
    audit.record(actor, AuditAction.UPDATE, deal, changes=changes)
    events.publish(
        "deal.updated", deal_id=deal.pk, fields=sorted(changes), actor_id=actor_id(actor)
    )
    if change is not None:
        _publish_move(deal, change, actor)
    return deal


@transaction.atomic
def deal_move_to_stage(
    *,
    actor: Any,
    deal: Deal,
    stage: Stage,
    version: int | None = None,
    reason: CloseReason | None = None,
    note: str = "",
) -> Deal:
    """Move a deal to another stage of its pipeline and append the move to its history.

    The stage's required fields must be filled (ValidationError ``stage_requirements`` naming
    them otherwise); entering the lost stage needs a lost reason. Entering the won or lost stage
    closes the deal, leaving it reopens it. Publishes ``deal.stage_changed``.
    """
    policy.require(actor, Action.EDIT, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if deal.is_deleted:
        raise NotFound()
    check_version(deal, version)
    if not isinstance(stage, Stage):
        raise ValidationError(_("Choose a stage."), field="stage")
    if stage.pk == deal.stage_id:
        return deal
    note = text({"note": note}, "note", limit=2000, multiline=True)
    before = _snapshot(deal)
    change = _enter_stage(deal, stage, actor=actor, reason=reason, note=note)
    deal.version += 1
    deal.updated_at = timezone.now()
    deal.save()
    change.save()
    audit.record(actor, AuditAction.UPDATE, deal, changes=audit.diff(before, _snapshot(deal)))
    _publish_move(deal, change, actor)
    return deal


def deal_mark_won(
    *,
    actor: Any,
    deal: Deal,
    reason: CloseReason | None = None,
    note: str = "",
    version: int | None = None,
) -> Deal:
    """Move a deal to its pipeline's won stage (with an optional won reason)."""
    return deal_move_to_stage(
        actor=actor,
        deal=deal,
        stage=closing_stage(deal.pipeline_id, won=True),
        version=version,
        reason=reason,
        note=note,
    )


def deal_mark_lost(
    *,
    actor: Any,
    deal: Deal,
    reason: CloseReason | None,
    note: str = "",
    version: int | None = None,
) -> Deal:
    """Move a deal to its pipeline's lost stage; a lost reason is required."""
    return deal_move_to_stage(
        actor=actor,
        deal=deal,
        stage=closing_stage(deal.pipeline_id, won=False),
        version=version,
        reason=reason,
        note=note,
    )


@transaction.atomic
def deal_delete(*, actor: Any, deal: Deal) -> Deal:
    """Move a deal to the recycle bin."""
    policy.require(actor, Action.DELETE, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if deal.is_deleted:
        raise NotFound()
    deal.deleted_at, deal.deleted_by = timezone.now(), actor_or_none(actor)
    deal.version += 1
    deal.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.DELETE, deal)
    events.publish("deal.deleted", deal_id=deal.pk, actor_id=actor_id(actor))
    return deal


@transaction.atomic
def deal_restore(*, actor: Any, deal: Deal) -> Deal:
    """Bring a deal back from the recycle bin."""
    policy.require(actor, Action.DELETE, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if not deal.is_deleted:
        raise ValidationError(_("This deal is not in the recycle bin."))
    deal.deleted_at, deal.deleted_by = None, None
    deal.version += 1
    deal.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.RESTORE, deal)
    events.publish("deal.restored", deal_id=deal.pk, actor_id=actor_id(actor))
    return deal


# --- products on a deal ---------------------------------------------------------------------


def _line_items_snapshot(deal: Deal) -> list[dict[str, Any]]:
    return [
        {
            "product": item.product_id,
            "name": item.name,
            "quantity": str(item.quantity),
            "unit_price": str(item.unit_price),
            "discount_percent": str(item.discount_percent),
            "total": str(item.total),
        }
        for item in deal.line_items.order_by("position", "id")
    ]


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    gross = quantity * unit_price
    return (gross * (Decimal("100") - discount_percent) / Decimal("100")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _list_price(product: Product, deal: Deal, price_list: Any) -> Decimal:
    if price_list is not None:
        entry = PriceListItem.objects.filter(price_list=price_list, product=product).first()
        if entry is not None and price_list.currency == deal.currency:
            return entry.price
    if product.currency != deal.currency:
        raise ValidationError(
            _("The product is priced in another currency: enter the unit price."),
            field="unit_price",
        )
    return product.price


def _clean_line_item(
    deal: Deal, raw: Mapping[str, Any], index: int, price_list: Any
) -> DealLineItem:
    prefix = f"line_items[{index}]"

    def field(name: str) -> str:
        return f"{prefix}.{name}"

    if not isinstance(raw, Mapping):
        raise ValidationError(_("Expected an object."), field=prefix)
    product = raw.get("product")
    if product is not None and (not isinstance(product, Product) or product.is_deleted):
        raise ValidationError(_("Choose a product."), field=field("product"))
    name = text(raw, "name", limit=200) or (product.name if product else "")
    if not name:
        raise ValidationError(_("Choose a product or enter a name."), field=field("name"))
    quantity = decimal(
        raw.get("quantity", 1),
        field("quantity"),
        maximum=MAX_QUANTITY,
        places=Decimal("0.001"),
        positive=True,
    )
    if raw.get("unit_price") not in (None, ""):
        unit_price = money(raw["unit_price"], field("unit_price"))
    elif product is not None:
        try:
            unit_price = _list_price(product, deal, price_list)
        except ValidationError as exc:
            exc.field = field("unit_price")
            raise
    else:
        raise ValidationError(_("Enter the unit price."), field=field("unit_price"))
    discount = decimal(
        raw.get("discount_percent") or 0, field("discount_percent"), maximum=Decimal("100")
    )
    total = line_total(quantity, unit_price, discount)
    if total > MAX_AMOUNT:
        raise ValidationError(_("The line total is too large."), field=field("quantity"))
    return DealLineItem(
        deal=deal,
        product=product,
        name=name,
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount,
        total=total,
        position=index,
    )


def _replace_line_items(
    deal: Deal, items: Sequence[Mapping[str, Any]], price_list: Any = None
) -> None:
    """Replace the deal's products and recompute its amount (the deal is saved by the caller)."""
    if len(items) > MAX_LINE_ITEMS:
        raise ValidationError(
            _("At most %(count)d products on one deal.") % {"count": MAX_LINE_ITEMS},
            field="line_items",
        )
    rows = [_clean_line_item(deal, raw, index, price_list) for index, raw in enumerate(items)]
    total = sum((row.total for row in rows), Decimal("0"))
    if total > MAX_AMOUNT:
        raise ValidationError(
            _("The sum of the products is too large."), field="line_items", code="too_large"
        )
    DealLineItem.objects.filter(deal=deal).delete()
    DealLineItem.objects.bulk_create(rows)
    if rows:
        deal.amount = total
        deal.amount_cny = in_cny(deal.amount, deal.exchange_rate)


@transaction.atomic
def deal_set_line_items(
    *,
    actor: Any,
    deal: Deal,
    items: Sequence[Mapping[str, Any]],
    price_list: Any = None,
    version: int | None = None,
) -> Deal:
    """Replace the products of a deal; its amount becomes their sum (in the deal's currency).

    Each item: product (optional), name, quantity (> 0), unit_price (default: the price list's
    or the product's price), discount_percent (0–100). With no items the amount is left as is.
    """
    policy.require(actor, Action.EDIT, MODULE, deal)
    deal = locked(Deal, deal.pk)
    if deal.is_deleted:
        raise NotFound()
    check_version(deal, version)
    before = {**_snapshot(deal), "line_items": _line_items_snapshot(deal)}
    _replace_line_items(deal, items, price_list)
    after = {**_snapshot(deal), "line_items": _line_items_snapshot(deal)}
    changes = audit.diff(before, after)
    if not changes:
        return deal
    if deal.status != DealStatus.LOST:
        # The deal must still satisfy the stage it is in (e.g. "products" required).
        _require_stage_fields(deal, deal.stage)
    deal.version += 1
    deal.updated_at = timezone.now()
    deal.save()
    audit.record(actor, AuditAction.UPDATE, deal, changes=changes)
    events.publish(
        "deal.updated", deal_id=deal.pk, fields=sorted(changes), actor_id=actor_id(actor)
    )
    return deal


# --- collaborators --------------------------------------------------------------------------


@transaction.atomic
def deal_collaborator_set(
    *, actor: Any, deal: Deal, user: Any, access: str = CollaboratorAccess.EDIT
) -> DealCollaborator:
    """Add a colleague to a deal (or change her access)."""
    policy.require(actor, Action.EDIT, MODULE, deal)
    if access not in CollaboratorAccess.values:
        raise ValidationError(_("Unknown access level."), field="access")
    if user is None or not user.is_active:
        raise ValidationError(_("Choose an active user."), field="user")
    if user.pk == deal.owner_id:
        raise ValidationError(_("The owner is already on this deal."), field="user")
    collaborator, _created = DealCollaborator.objects.update_or_create(
        deal=deal, user=user, defaults={"access": access}
    )
    audit.record(
        actor,
        AuditAction.PERMISSION,
        deal,
        changes={"collaborator": [None, {"user": user.pk, "access": access}]},
    )
    return collaborator


@transaction.atomic
def deal_collaborator_remove(*, actor: Any, deal: Deal, user: Any) -> None:
    policy.require(actor, Action.EDIT, MODULE, deal)
    deleted, _count = DealCollaborator.objects.filter(deal=deal, user=user).delete()
    if deleted:
        audit.record(
            actor, AuditAction.PERMISSION, deal, changes={"collaborator": [{"user": user.pk}, None]}
        )
