"""The product catalogue: categories, products and price lists (administrators)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import NotFound, ValidationError
from guanxi.core.models import AuditAction, CreatedVia
from guanxi.sales.models import BASE_CURRENCY, PriceList, PriceListItem, Product, ProductCategory
from guanxi.sales.services._common import (
    MODULE,
    actor_id,
    actor_or_none,
    check_version,
    currency,
    date,
    locked,
    money,
    text,
)

PRODUCT_FIELDS = (
    "code",
    "name",
    "category",
    "unit",
    "price",
    "currency",
    "description",
    "is_active",
)


def _require_admin(actor: Any) -> None:
    policy.require(actor, Action.ADMIN, MODULE)


@transaction.atomic
def product_category_create(
    *, actor: Any, data: Mapping[str, Any], parent: ProductCategory | None = None
) -> ProductCategory:
    _require_admin(actor)
    name = text(data, "name", required=True, limit=100)
    if ProductCategory.objects.filter(parent=parent, name=name).exists():
        raise ValidationError(_("This category already exists."), field="name")
    category = ProductCategory.objects.create(
        name=name,
        name_en=text(data, "name_en", limit=100),
        parent=parent,
        created_by=actor_or_none(actor),
    )
    audit.record(actor, AuditAction.CREATE, category, changes={"name": [None, name]})
    return category


def _clean_product(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if not partial or "code" in data:
        cleaned["code"] = text(data, "code", required=True, limit=64)
    if not partial or "name" in data:
        cleaned["name"] = text(data, "name", required=True, limit=200)
    if "category" in data:
        category = data["category"]
        if category is not None and not isinstance(category, ProductCategory):
            raise ValidationError(_("Choose a category."), field="category")
        cleaned["category"] = category
    if "unit" in data:
        cleaned["unit"] = text(data, "unit", limit=20)
    if "price" in data or not partial:
        cleaned["price"] = money(data.get("price", 0), "price")
    if "currency" in data or not partial:
        cleaned["currency"] = currency(data.get("currency") or BASE_CURRENCY)
    if "description" in data:
        cleaned["description"] = text(data, "description", limit=20000, multiline=True)
    if "is_active" in data:
        cleaned["is_active"] = bool(data["is_active"])
    return cleaned


def _code_taken(code: str, exclude: int | None = None) -> bool:
    return Product.objects.filter(code=code).exclude(pk=exclude).exists()


@transaction.atomic
def product_create(
    *, actor: Any, data: Mapping[str, Any], created_via: str = CreatedVia.UI
) -> Product:
    """Add a product; codes are unique among products not in the recycle bin."""
    _require_admin(actor)
    cleaned = _clean_product(data, partial=False)
    if _code_taken(cleaned["code"]):
        raise ValidationError(_("A product with this code already exists."), field="code")
    product = Product.objects.create(
        created_by=actor_or_none(actor), created_via=created_via, **cleaned
    )
    audit.record(
        actor,
        AuditAction.CREATE,
        product,
        changes=audit.diff({}, audit.snapshot(product, PRODUCT_FIELDS)),
    )
    events.publish("product.created", product_id=product.pk, actor_id=actor_id(actor))
    return product


@transaction.atomic
def product_update(
    *, actor: Any, product: Product, data: Mapping[str, Any], version: int | None = None
) -> Product:
    _require_admin(actor)
    product = locked(Product, product.pk)
    if product.is_deleted:
        raise NotFound()
    check_version(product, version)
    cleaned = _clean_product(data, partial=True)
    if "code" in cleaned and _code_taken(cleaned["code"], exclude=product.pk):
        raise ValidationError(_("A product with this code already exists."), field="code")
    before = audit.snapshot(product, PRODUCT_FIELDS)
    for name, value in cleaned.items():
        setattr(product, name, value)
    changes = audit.diff(before, audit.snapshot(product, PRODUCT_FIELDS))
    if changes:
        product.version += 1
        product.updated_at = timezone.now()
        product.save()
        audit.record(actor, AuditAction.UPDATE, product, changes=changes)
    return product


@transaction.atomic
def product_delete(*, actor: Any, product: Product) -> Product:
    """Move a product to the recycle bin (deals that list it keep their lines)."""
    _require_admin(actor)
    product = locked(Product, product.pk)
    if product.is_deleted:
        raise NotFound()
    product.deleted_at, product.deleted_by = timezone.now(), actor_or_none(actor)
    product.version += 1
    product.save(update_fields=["deleted_at", "deleted_by", "version"])
    audit.record(actor, AuditAction.DELETE, product)
    return product


@transaction.atomic
def price_list_create(*, actor: Any, data: Mapping[str, Any]) -> PriceList:
    _require_admin(actor)
    name = text(data, "name", required=True, limit=100)
    if PriceList.objects.filter(name=name).exists():
        raise ValidationError(_("A price list with this name already exists."), field="name")
    valid_from, valid_to = date(data, "valid_from"), date(data, "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError(_("The end date is before the start date."), field="valid_to")
    price_list = PriceList.objects.create(
        name=name,
        name_en=text(data, "name_en", limit=100),
        currency=currency(data.get("currency") or BASE_CURRENCY),
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor_or_none(actor),
    )
    audit.record(actor, AuditAction.CREATE, price_list, changes={"name": [None, name]})
    return price_list


@transaction.atomic
def price_list_set_price(
    *, actor: Any, price_list: PriceList, product: Product, price: Any
) -> PriceListItem:
    """Set (or change) the price of a product in a price list."""
    _require_admin(actor)
    value = money(price, "price")
    entry, _created = PriceListItem.objects.update_or_create(
        price_list=price_list, product=product, defaults={"price": value}
    )
    audit.record(
        actor,
        AuditAction.UPDATE,
        price_list,
        changes={f"product {product.pk}": [None, str(value)]},
    )
    return entry
