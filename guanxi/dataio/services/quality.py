"""Data quality: how complete the customers one user may see are, what is invalid, and the fixes
that are safe to make in one click (normalising phone numbers and e-mails, trimming names).

Fixes go through ``customer_update`` and ``contact_update`` record by record: each is validated,
audited and reindexed like an edit by hand, and a record that cannot be fixed automatically is
left for a person (and counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError, PermissionDenied
from guanxi.core.normalize import NormalizeError, clean_text, normalize_email, normalize_phone
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer
from guanxi.dataio.models import QualityReport, ScanStatus

MODULE = "customers"
LISTED = 50
COMPLETENESS = (
    ("phone", ~Q(phone="")),
    ("email", ~Q(email="")),
    ("address", ~Q(address="")),
    ("website", ~Q(website="")),
    ("industry", Q(industry__isnull=False)),
    ("level", Q(level__isnull=False)),
    ("source", Q(source__isnull=False)),
    ("owner", Q(owner__isnull=False)),
    ("province", ~Q(province="")),
    ("city", ~Q(city="")),
)
FIXES = ("phones", "emails", "names")


def _visible_customers(actor: Any) -> Any:
    return policy.visible(actor, Customer.objects.all(), MODULE)


def _check(kind: str, raw: str) -> str | None:
    """The fixed value of a phone, e-mail or name; "" when it cannot be fixed; None when fine."""
    if not raw:
        return None
    try:
        if kind == "phone":
            value = normalize_phone(raw)
        elif kind == "email":
            value = normalize_email(raw)
        else:
            value = clean_text(raw)
    except NormalizeError:
        return ""
    return None if value == raw else value


def _problems(actor: Any) -> Iterator[tuple[str, str, int, str, str | None]]:
    """(fix, model, id, field, fixed value or "") for every value that is not as it should be."""
    customers = _visible_customers(actor)
    for pk, name, phone, email in customers.values_list("pk", "name", "phone", "email").iterator(
        chunk_size=2000
    ):
        for fix, field, kind, value in (
            ("names", "name", "name", name),
            ("phones", "phone", "phone", phone),
            ("emails", "email", "email", email),
        ):
            fixed = _check(kind, value)
            if fixed is not None:
                yield fix, "customer", pk, field, fixed
    contacts = policy.visible(actor, Contact.objects.filter(customer__deleted_at__isnull=True))
    for pk, name, mobile, phone, email in contacts.values_list(
        "pk", "name", "mobile", "phone", "email"
    ).iterator(chunk_size=2000):
        for fix, field, kind, value in (
            ("names", "name", "name", name),
            ("phones", "mobile", "phone", mobile),
            ("phones", "phone", "phone", phone),
            ("emails", "email", "email", email),
        ):
            fixed = _check(kind, value)
            if fixed is not None:
                yield fix, "contact", pk, field, fixed


@transaction.atomic
def quality_report_start(*, actor: Any) -> QualityReport:
    """Queue the figures of the customers the actor may see."""
    if not policy.can(actor, Action.VIEW, MODULE):
        raise PermissionDenied(_("You do not have permission to do this."))
    report = QualityReport.objects.create(created_by=actor)
    from guanxi.dataio.tasks import quality_report_run_task

    transaction.on_commit(lambda: quality_report_run_task(report.pk))
    return report


def quality_report_run(*, report_id: int) -> QualityReport:
    report = QualityReport.objects.select_related("created_by").get(pk=report_id)
    actor = report.created_by
    report.status = ScanStatus.RUNNING
    report.save(update_fields=["status"])
    customers = _visible_customers(actor)
    counts = customers.aggregate(
        total=Count("pk"),
        never_contacted=Count("pk", filter=Q(last_contacted_at__isnull=True)),
        with_contacts=Count("pk", filter=Q(contacts__isnull=False), distinct=True),
        **{name: Count("pk", filter=condition) for name, condition in COMPLETENESS},
    )
    total = counts.pop("total")
    never = counts.pop("never_contacted")
    with_contacts = counts.pop("with_contacts")
    problems: dict[str, dict[str, Any]] = {
        fix: {"fixable": 0, "manual": 0, "examples": []} for fix in FIXES
    }
    for fix, model, pk, field, fixed in _problems(actor):
        entry = problems[fix]
        entry["fixable" if fixed else "manual"] += 1
        if len(entry["examples"]) < LISTED:
            entry["examples"].append(
                {"model": model, "id": pk, "field": field, "fixable": bool(fixed)}
            )
    report.data = {
        "total": total,
        "completeness": {**counts, "contacts": with_contacts},
        "never_contacted": never,
        "problems": problems,
    }
    report.status = ScanStatus.DONE
    report.finished_at = timezone.now()
    report.save(update_fields=["data", "status", "finished_at"])
    return report


def quality_fix(*, actor: Any, fix: str) -> dict[str, int]:
    """Apply one safe fix to every record the actor may change: "phones" (to +86… form),
    "emails" (trimmed, lower case) or "names" (spaces trimmed, full-width letters and digits
    made half-width). Returns how many records were fixed and how many were left."""
    if fix not in FIXES:
        raise ApplicationError(_("Unknown fix."))
    if not policy.can(actor, Action.EDIT, MODULE):
        raise PermissionDenied(_("You do not have permission to do this."))
    fixed = left = 0
    pending: dict[tuple[str, int], dict[str, str]] = {}
    for kind, model, pk, field, value in _problems(actor):
        if kind != fix:
            continue
        if not value:
            left += 1
            continue
        pending.setdefault((model, pk), {})[field] = value
    for (model, pk), data in pending.items():
        try:
            with transaction.atomic():
                if model == "customer":
                    customer = Customer.objects.get(pk=pk)
                    customer_services.customer_update(actor=actor, customer=customer, data=data)
                else:
                    contact = Contact.objects.get(pk=pk)
                    customer_services.contact_update(actor=actor, contact=contact, data=data)
            fixed += 1
        except (ApplicationError, Customer.DoesNotExist, Contact.DoesNotExist):
            left += 1
    return {"fixed": fixed, "left": left}
