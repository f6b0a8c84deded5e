"""Customer search: what a customer is found by, and the query side.

Interface used by services and selectors (kept stable):
- ``customers_reindex(ids)``: rebuild the search entries of these customers (inside the caller's
  transaction, after the write).
- ``customers_search(queryset, q)``: narrow ``queryset`` to the customers matching ``q``.

A customer is found by its name and short name (Chinese fragments, pinyin, initials), tags, city
and province, website domain, the names (with pinyin) and job titles of its contacts, its own and
its contacts' phone numbers (any format, or the last 4+ digits) and e-mail addresses (whole, the
local part, or the domain), and the values of its custom fields marked searchable (text, long
text, e-mail, phone, web address, and the labels of chosen options). Phones and e-mails are
encrypted at rest, so they are indexed as keyed hashes only. Customers in the recycle bin stay
indexed (the recycle bin is searchable too); the selectors keep them out of every other list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from guanxi.core.models import SearchScope
from guanxi.core.search import registry
from guanxi.core.search.backends import SearchIndex
from guanxi.core.search.tokens import Document, parse_query
from guanxi.customers.models import Contact, Customer, CustomerKind
from guanxi.customization.models import FieldDefinition, FieldType, TargetModel

SEARCH_TABLE = "customers_customer_search"
customer_index = SearchIndex(SEARCH_TABLE, SearchScope.CUSTOMER)
REINDEX_BATCH = 500
# Long texts are indexed by their beginning: enough to find them, without flooding the index.
SEARCHABLE_TEXT_LIMIT = 2000
SEARCHABLE_TYPES = {
    FieldType.TEXT,
    FieldType.LONG_TEXT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
    FieldType.CHOICE,
    FieldType.MULTI_CHOICE,
}


@dataclass
class ContactFacts:
    name: str = ""
    title: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class CustomerFacts:
    """The fields of a customer (decrypted) that its search document is made of."""

    name: str
    kind: str = CustomerKind.COMPANY
    short_name: str = ""
    province: str = ""
    city: str = ""
    website: str = ""
    phone: str = ""
    email: str = ""
    tags: list[str] = field(default_factory=list)
    contacts: list[ContactFacts] = field(default_factory=list)
    # (kind, text) of searchable custom values: kind "text", "email", "phone" or "url".
    custom: list[tuple[str, str]] = field(default_factory=list)


def searchable_definitions() -> list[FieldDefinition]:
    """The customer custom fields whose values are searched (active and marked searchable)."""
    return list(
        FieldDefinition.objects.filter(
            model=TargetModel.CUSTOMER,
            is_archived=False,
            is_searchable=True,
            field_type__in=SEARCHABLE_TYPES,
        ).order_by("position", "id")
    )


def searchable_values(
    custom: Mapping[str, Any] | None, definitions: Sequence[FieldDefinition]
) -> list[tuple[str, str]]:
    """The (kind, text) a customer is found by among its custom values ``custom``."""
    found: list[tuple[str, str]] = []
    if not custom:
        return found
    for definition in definitions:
        value = custom.get(definition.key)
        if value in (None, "", []):
            continue
        kind = definition.field_type
        if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            chosen = value if isinstance(value, list) else [value]
            found.extend(("text", definition.option_label(str(v))) for v in chosen)
        elif kind in (FieldType.EMAIL, FieldType.PHONE, FieldType.URL):
            found.append((str(kind), str(value)))
        else:
            found.append(("text", str(value)[:SEARCHABLE_TEXT_LIMIT]))
    return found


def customer_document(facts: CustomerFacts) -> Document:
    """The search document of one customer."""
    document = Document()
    person = facts.kind == CustomerKind.PERSON
    document.add_name(facts.name, person=person)
    document.add_name(facts.short_name)
    for tag in facts.tags:
        document.add_text(tag)
    document.add_text(facts.province)
    document.add_text(facts.city)
    document.add_website(facts.website)
    document.add_phone(facts.phone)
    document.add_email(facts.email)
    for contact in facts.contacts:
        document.add_name(contact.name, person=True)
        document.add_text(contact.title)
        document.add_phone(contact.mobile)
        document.add_phone(contact.phone)
        document.add_email(contact.email)
    for kind, text in facts.custom:
        if kind == FieldType.EMAIL:
            document.add_email(text)
        elif kind == FieldType.PHONE:
            document.add_phone(text)
        elif kind == FieldType.URL:
            document.add_website(text)
        else:
            document.add_text(text)
    return document


def customer_facts(customer_ids: Sequence[int]) -> dict[int, CustomerFacts]:
    """Read (and decrypt) what the documents of these customers are made of; 4 queries."""
    definitions = searchable_definitions()
    facts = {
        pk: CustomerFacts(
            name=name,
            kind=kind,
            short_name=short_name,
            province=province,
            city=city,
            website=website,
            phone=phone,
            email=email,
            custom=searchable_values(custom, definitions),
        )
        for pk, name, kind, short_name, province, city, website, phone, email, custom in (
            Customer.all_objects.filter(pk__in=customer_ids).values_list(
                "pk",
                "name",
                "kind",
                "short_name",
                "province",
                "city",
                "website",
                "phone",
                "email",
                "custom",
            )
        )
    }
    tags = Customer.tags.through.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "tag__name"
    )
    for customer_id, tag_name in tags:
        facts[customer_id].tags.append(tag_name)
    contacts = (
        Contact.objects.filter(customer_id__in=customer_ids)
        .order_by("id")
        .values_list("customer_id", "name", "title", "mobile", "phone", "email")
    )
    for customer_id, name, title, mobile, phone, email in contacts:
        facts[customer_id].contacts.append(
            ContactFacts(name=name, title=title, mobile=mobile, phone=phone, email=email)
        )
    return facts


def _batches(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def customers_reindex(customer_ids: Iterable[int]) -> None:
    """Rebuild the search entries of the given customers.

    Called by every service that changes what a customer is found by, in its transaction and
    after the write. Ids of customers that no longer exist lose their entries.
    """
    ids = sorted({int(pk) for pk in customer_ids})
    for batch in _batches(ids, REINDEX_BATCH):
        facts = customer_facts(batch)
        customer_index.replace(
            {pk: customer_document(facts[pk]) if pk in facts else None for pk in batch}
        )


def customers_search(queryset: QuerySet, q: str) -> QuerySet:
    """Narrow ``queryset`` (of customers) to those matching the search text ``q``.

    Blank text changes nothing; text with nothing to look for (only punctuation) matches nothing.
    The result combines with every other filter, ordering and ``policy.visible``.
    """
    if not (q or "").strip():
        return queryset
    query = parse_query(q)
    if not query:
        return queryset.none()
    return queryset.filter(customer_index.condition(query, using=queryset.db))


def customer_documents_by_batch(batch_size: int = 2000) -> Iterator[list[tuple[int, Document]]]:
    """Every customer's document, in batches of ascending ids (for a full rebuild)."""
    last = 0
    while True:
        ids = list(
            Customer.all_objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        facts = customer_facts(ids)
        yield [(pk, customer_document(facts[pk])) for pk in ids if pk in facts]
        last = ids[-1]


registry.register(
    "customers",
    customer_index,
    count=lambda: Customer.all_objects.count(),
    batches=customer_documents_by_batch,
)

__all__ = [
    "ContactFacts",
    "CustomerFacts",
    "customer_document",
    "customer_documents_by_batch",
    "customer_index",
    "customers_reindex",
    "customers_search",
    "searchable_definitions",
    "searchable_values",
]
