"""Duplicate customers: the scan that fills the review queue, merging, and undoing a merge.

The scan never compares all pairs. It finds candidates in blocks:

- exact blind-index matches: customers (or their contacts) sharing a phone or an e-mail
  (``phone_bidx``, ``mobile_bidx``, ``email_bidx``), grouped by the database;
- exact company-name keys (``name_key``: 有限公司, spaces, brackets… removed);
- similar company names, compared with rapidfuzz only within a sliding window over the names in
  sorted order: as they are, without a leading place name (北京, 上海市…) so that "北京星辰科技"
  meets "星辰科技", and read backwards so that a typo near the start does not hide a twin;
- people with the same name in the same city.

A merge keeps one customer, takes the chosen fields from the other, moves every record that
points to the other one (found through ``Customer._meta.related_objects``, so deals, tickets and
anything added later follow), puts the other one in the recycle bin, and keeps a record of all
that so the merge can be undone.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core import audit, events
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from guanxi.core.models import AuditAction
from guanxi.core.normalize import company_name_key
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer, CustomerCollaborator, CustomerKind
from guanxi.customers.search import customers_reindex
from guanxi.dataio.models import (
    DuplicatePair,
    DuplicateScan,
    MergeRecord,
    PairStatus,
    ScanStatus,
)
from guanxi.dataio.services.bulk import SNAPSHOT_CUSTOMER, Rules, _writable

MODULE = "customers"
WINDOW = 5
FUZZY_CUTOFF = 82
GROUP_ALL_PAIRS = 12
GROUP_LIMIT = 200
SCORES = {"phone": 90, "email": 90, "name": 95, "similar_name": 0, "person": 75}
_PLACE_NAMES = (
    "北京 上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 广州 深圳 "
    "杭州 南京 苏州 成都 武汉 西安 厦门 青岛 宁波 长沙 郑州 沈阳 大连 济南 合肥 福州 东莞 佛山 "
    "无锡 昆明 南宁 南昌 石家庄 太原 长春 哈尔滨 贵阳 海口 兰州 温州"
)
PLACES = sorted(set(_PLACE_NAMES.split()), key=len, reverse=True)
MERGEABLE = tuple(f for f in customer_services.CUSTOMER_FIELDS if f != "custom")


def _can_scan(actor: Any) -> bool:
    return bool(getattr(actor, "is_superuser", False)) or any(
        policy.can(actor, action, "dataio") for action in (Action.IMPORT, Action.ADMIN)
    )


# --- scan -----------------------------------------------------------------------------------


@transaction.atomic
def duplicate_scan_start(*, actor: Any) -> DuplicateScan:
    """Queue a scan of every customer (one at a time: a scan already waiting is returned)."""
    if not _can_scan(actor):
        raise PermissionDenied(_("You do not have permission to scan for duplicates."))
    current = (
        DuplicateScan.objects.select_for_update()
        .filter(status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING])
        .filter(created_at__gte=timezone.now() - timezone.timedelta(hours=6))
        .first()
    )
    if current is not None:
        return current
    scan = DuplicateScan.objects.create(created_by=actor if getattr(actor, "pk", None) else None)
    from guanxi.dataio.tasks import duplicate_scan_run_task

    transaction.on_commit(lambda: duplicate_scan_run_task(scan.pk))
    return scan


@dataclass
class _Found:
    reasons: set[str] = field(default_factory=set)
    similarity: int = 0


class _Pairs:
    def __init__(self) -> None:
        self.found: dict[tuple[int, int], _Found] = {}
        self.comparisons = 0

    def add(self, a: int, b: int, reason: str, similarity: int = 0) -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        item = self.found.setdefault(key, _Found())
        item.reasons.add(reason)
        item.similarity = max(item.similarity, similarity)

    def group(self, members: list[int], reason: str) -> None:
        members = sorted(set(members))
        if len(members) < 2 or len(members) > GROUP_LIMIT:
            # Hundreds of customers sharing a phone is a switchboard or a placeholder, not a
            # duplicate: such groups say nothing.
            return
        if len(members) <= GROUP_ALL_PAIRS:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    self.add(a, b, reason)
        else:
            for b in members[1:]:
                self.add(members[0], b, reason)


def _score(found: _Found) -> int:
    base = max(
        (found.similarity if reason == "similar_name" else SCORES[reason])
        for reason in found.reasons
    )
    return min(100, base + 5 * (len(found.reasons) - 1))


def _groups(sql: str, params: list[Any]) -> Iterator[list[int]]:
    """Rows of (key, customer id) ordered by key, as lists of ids per key."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        key, members = None, []
        while rows := cursor.fetchmany(5000):
            for value, customer_id in rows:
                if value != key:
                    if len(members) > 1:
                        yield members
                    key, members = value, []
                members.append(customer_id)
        if len(members) > 1:
            yield members


def _exact(pairs: _Pairs) -> None:
    customer = Customer._meta.db_table
    contact = Contact._meta.db_table
    alive = f"SELECT id FROM {customer} WHERE deleted_at IS NULL"  # noqa: S608
    for reason, union in (
        (
            "phone",
            f"SELECT phone_bidx AS k, id AS c FROM {customer} "  # noqa: S608
            "WHERE deleted_at IS NULL AND phone_bidx <> '' "
            f"UNION SELECT mobile_bidx, customer_id FROM {contact} "
            f"WHERE deleted_at IS NULL AND mobile_bidx <> '' AND customer_id IN ({alive}) "
            f"UNION SELECT phone_bidx, customer_id FROM {contact} "
            f"WHERE deleted_at IS NULL AND phone_bidx <> '' AND customer_id IN ({alive})",
        ),
        (
            "email",
            f"SELECT email_bidx AS k, id AS c FROM {customer} "  # noqa: S608
            "WHERE deleted_at IS NULL AND email_bidx <> '' "
            f"UNION SELECT email_bidx, customer_id FROM {contact} "
            f"WHERE deleted_at IS NULL AND email_bidx <> '' AND customer_id IN ({alive})",
        ),
        (
            "name",
            f"SELECT name_key AS k, id AS c FROM {customer} "  # noqa: S608
            "WHERE deleted_at IS NULL AND name_key <> '' AND kind = 'company'",
        ),
    ):
        sql = (
            f"SELECT u.k, u.c FROM ({union}) u WHERE u.k IN "  # noqa: S608
            f"(SELECT v.k FROM ({union}) v GROUP BY v.k HAVING COUNT(DISTINCT v.c) > 1) "
            "ORDER BY u.k, u.c"
        )
        for members in _groups(sql, []):
            pairs.group(members, reason)


def _without_place(key: str) -> str:
    for place in PLACES:
        if key.startswith(place) and len(key) > len(place) + 1:
            rest = key[len(place) :]
            return rest[1:] if rest[:1] in ("市", "省") and len(rest) > 2 else rest
    return key


def _window(pairs: _Pairs, rows: Iterable[tuple[str, int, str]], *, equal: int = 0) -> None:
    """Sorted neighbourhood: each name against the few before it in sorted order. Names equal
    in this order's key score ``equal`` (0: they are someone else's business)."""
    recent: deque[tuple[str, int, str]] = deque(maxlen=WINDOW)
    for key, pk, city in rows:
        for other_key, other_pk, other_city in recent:
            if other_pk == pk:
                continue
            if other_key == key:
                similarity = equal
            else:
                pairs.comparisons += 1
                similarity = int(fuzz.ratio(key, other_key, score_cutoff=FUZZY_CUTOFF))
            if not similarity:
                continue
            if city and other_city and city != other_city and similarity < 95:
                continue  # alike names in different cities: branches, or another company
            pairs.add(pk, other_pk, "similar_name", similarity)
        recent.append((key, pk, city))


def _fuzzy(pairs: _Pairs) -> int:
    companies = (
        Customer.objects.filter(kind=CustomerKind.COMPANY)
        .exclude(name_key="")
        .order_by("name_key", "pk")
        .values_list("name_key", "pk", "city")
    )
    scanned = 0
    cores: list[tuple[str, int, str]] = []

    def first_pass() -> Iterator[tuple[str, int, str]]:
        nonlocal scanned
        for key, pk, city in companies.iterator(chunk_size=5000):
            scanned += 1
            core = _without_place(key)
            cores.append((core[:40], pk, city))
            yield key, pk, city

    _window(pairs, first_pass())
    cores.sort()
    _window(pairs, cores, equal=92)
    # Read backwards, names differing near their start (a typo in the brand) meet as well.
    for index, (core, pk, city) in enumerate(cores):
        cores[index] = (core[::-1], pk, city)
    cores.sort()
    _window(pairs, cores, equal=92)
    cores.clear()
    people = (
        Customer.objects.filter(kind=CustomerKind.PERSON)
        .order_by("city", "name", "pk")
        .values_list("city", "name", "pk")
    )
    block: tuple[str, str] | None = None
    members: list[int] = []
    for city, name, pk in people.iterator(chunk_size=5000):
        scanned += 1
        if (city, name) != block:
            if block and block[0] and len(members) > 1:
                pairs.group(members, "person")
            block, members = (city, name), []
        members.append(pk)
    if block and block[0] and len(members) > 1:
        pairs.group(members, "person")
    return scanned


def duplicate_scan_run(*, scan_id: int) -> DuplicateScan:
    """Fill the review queue: open pairs found again get their new score; pairs somebody already
    decided on (merged, not duplicates) stay decided; open pairs not found any more go."""
    updated = DuplicateScan.objects.filter(
        pk=scan_id, status__in=[ScanStatus.QUEUED, ScanStatus.FAILED]
    ).update(status=ScanStatus.RUNNING, started_at=timezone.now(), message="")
    scan = DuplicateScan.objects.get(pk=scan_id)
    if not updated:
        return scan
    try:
        pairs = _Pairs()
        _exact(pairs)
        scanned = _fuzzy(pairs)
        _store_pairs(scan, pairs)
        scan.customers_scanned = scanned
        scan.comparisons = pairs.comparisons
        scan.pairs_found = len(pairs.found)
        scan.status = ScanStatus.DONE
    except Exception as exc:
        scan.status = ScanStatus.FAILED
        scan.message = str(exc)[:2000]
        raise
    finally:
        scan.finished_at = timezone.now()
        scan.save()
    return scan


def _store_pairs(scan: DuplicateScan, pairs: _Pairs) -> None:
    items = sorted(pairs.found.items())
    now = timezone.now()
    for start in range(0, len(items), 1000):
        chunk = items[start : start + 1000]
        with transaction.atomic():
            lows = {a for (a, _b), _f in chunk}
            existing = {
                (p.customer_a_id, p.customer_b_id): p
                for p in DuplicatePair.objects.filter(customer_a_id__in=lows)
            }
            new, changed = [], []
            for (a, b), found in chunk:
                reasons = sorted(found.reasons)
                score = _score(found)
                pair = existing.get((a, b))
                if pair is None:
                    new.append(
                        DuplicatePair(
                            customer_a_id=a,
                            customer_b_id=b,
                            score=score,
                            reasons=reasons,
                            scan=scan,
                            found_at=now,
                        )
                    )
                elif pair.status == PairStatus.OPEN:
                    pair.score, pair.reasons, pair.scan = score, reasons, scan
                    changed.append(pair)
            DuplicatePair.objects.bulk_create(new, ignore_conflicts=True)
            DuplicatePair.objects.bulk_update(changed, ["score", "reasons", "scan"])
    DuplicatePair.objects.filter(status=PairStatus.OPEN).exclude(scan=scan).delete()


# --- deciding on a pair ---------------------------------------------------------------------


@transaction.atomic
def duplicate_pair_dismiss(*, actor: Any, pair: DuplicatePair) -> DuplicatePair:
    """Mark a pair as not duplicates (a later scan will not bring it back)."""
    for customer in (pair.customer_a, pair.customer_b):
        policy.require(actor, Action.EDIT, MODULE, customer)
    pair.status = PairStatus.DISMISSED
    pair.decided_at = timezone.now()
    pair.decided_by = actor if getattr(actor, "pk", None) else None
    pair.save(update_fields=["status", "decided_at", "decided_by"])
    return pair


def _relations() -> list[tuple[Any, Any]]:
    """Every (model, foreign key) that points to a customer, except this app's own records."""
    found = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if model in (DuplicatePair, MergeRecord):
            continue
        if relation.one_to_many or relation.one_to_one:
            found.append((model, relation.field))
        elif relation.many_to_many:
            through = relation.through
            for through_field in through._meta.fields:
                if getattr(through_field.remote_field, "model", None) is Customer:
                    found.append((through, through_field))
    for m2m in Customer._meta.many_to_many:
        through = m2m.remote_field.through
        for through_field in through._meta.fields:
            if getattr(through_field.remote_field, "model", None) is Customer:
                found.append((through, through_field))
    return found


def _move(model: Any, fk: Any, source: int, target: Customer) -> list[int]:
    """Point ``model`` rows from ``source`` to ``target``; rows that cannot move (a unique
    constraint: the same colleague or tag already on the target) stay where they are, and so
    does a collaboration of the target's own owner (an owner is never a collaborator)."""
    manager = model._base_manager
    rows = manager.filter(**{fk.attname: source})
    if model is CustomerCollaborator:
        rows = rows.exclude(user_id=target.owner_id)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return []
    try:
        with transaction.atomic():
            manager.filter(pk__in=ids).update(**{fk.attname: target.pk})
        return ids
    except IntegrityError:
        pass
    moved = []
    for pk in ids:
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{fk.attname: target.pk})
            moved.append(pk)
        except IntegrityError:
            continue
    return moved


def _locked_pair(first: Customer, second: Customer) -> tuple[Customer, Customer]:
    rows = {
        c.pk: c
        for c in Customer.all_objects.select_for_update().filter(pk__in=[first.pk, second.pk])
    }
    if len(rows) != 2 or any(c.is_deleted for c in rows.values()):
        raise NotFound()
    return rows[first.pk], rows[second.pk]


@transaction.atomic
def customers_merge(
    *,
    actor: Any,
    survivor: Customer,
    merged: Customer,
    fields_from_merged: Iterable[str] = (),
    pair: DuplicatePair | None = None,
) -> MergeRecord:
    """Merge ``merged`` into ``survivor``.

    ``fields_from_merged`` names the fields whose value is taken from ``merged``; every other
    field keeps the survivor's value. Every related record moves to the survivor; ``merged``
    goes to the recycle bin. Needs the right to edit the survivor and to delete the other one;
    raises ValidationError for an unknown field or a customer merged into itself.
    """
    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    policy.require(actor, Action.EDIT, MODULE, survivor)
    policy.require(actor, Action.DELETE, MODULE, merged)
    chosen = list(dict.fromkeys(fields_from_merged))
    unknown = [name for name in chosen if name not in MERGEABLE]
    if unknown:
        raise ValidationError(_("Unknown field “%(field)s”.") % {"field": unknown[0]})
    survivor, merged = _locked_pair(survivor, merged)
    before = {
        **audit.snapshot(survivor, SNAPSHOT_CUSTOMER),
        "tags": sorted(survivor.tags.values_list("pk", flat=True)),
    }
    data = {name: getattr(merged, name) for name in chosen}
    if data:
        data = _writable(actor, data, survivor)
        cleaned = Rules(actor).changed_customer(data, survivor)
        customer_services._apply_customer(survivor, cleaned)
    survivor.custom = {**(merged.custom or {}), **(survivor.custom or {})}
    survivor_has_primary = Contact.objects.filter(customer=survivor, is_primary=True).exists()
    primary_reset: list[int] = []
    if survivor_has_primary:
        primary_reset = list(
            Contact.objects.filter(customer=merged, is_primary=True).values_list("pk", flat=True)
        )
        Contact.all_objects.filter(pk__in=primary_reset).update(is_primary=False)
    moved: dict[str, dict[str, Any]] = {}
    for model, fk in _relations():
        ids = _move(model, fk, merged.pk, survivor)
        if ids:
            moved[model._meta.label] = {"field": fk.attname, "ids": ids}
    now = timezone.now()
    merged.deleted_at, merged.deleted_by = now, actor if getattr(actor, "pk", None) else None
    merged.version += 1
    merged.save(update_fields=["deleted_at", "deleted_by", "version"])
    survivor.version += 1
    survivor.updated_at = now
    survivor.save()
    customer_services._refresh_customer_contact_dates(survivor.pk)
    survivor.refresh_from_db()
    after = {
        **audit.snapshot(survivor, SNAPSHOT_CUSTOMER),
        "tags": sorted(survivor.tags.values_list("pk", flat=True)),
    }
    record = MergeRecord.objects.create(
        survivor=survivor,
        merged=merged,
        fields_from_merged=chosen,
        before=json.dumps(before, ensure_ascii=False, default=str),
        survivor_version=survivor.version,
        moved={**moved, "_primary_reset": {"ids": primary_reset}},
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    counts = {label: len(info["ids"]) for label, info in moved.items()}
    audit.record(
        actor,
        AuditAction.MERGE,
        survivor,
        changes={
            "merged": merged.pk,
            "merge": record.pk,
            "fields": audit.diff(before, after, sensitive=customer_services.CUSTOMER_SENSITIVE),
            "moved": counts,
        },
    )
    audit.record(actor, AuditAction.MERGE, merged, changes={"merged_into": survivor.pk})
    decided = DuplicatePair.objects.filter(
        Q(customer_a=merged) | Q(customer_b=merged), status=PairStatus.OPEN
    )
    if pair is not None:
        DuplicatePair.objects.filter(pk=pair.pk).update(
            status=PairStatus.MERGED, decided_at=now, decided_by=record.created_by
        )
        decided = decided.exclude(pk=pair.pk)
    decided.delete()
    customers_reindex([survivor.pk, merged.pk])
    events.publish(
        "customer.merged",
        actor_id=getattr(actor, "pk", None),
        customer_id=survivor.pk,
        merged_id=merged.pk,
    )
    return record


@transaction.atomic
def merge_undo(*, actor: Any, record: MergeRecord) -> MergeRecord:
    """Take a merge back: the survivor's fields as they were, the moved records back to the
    merged customer, which leaves the recycle bin.

    Raises Conflict when the survivor was changed after the merge (undoing would lose that).
    """
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.undone_at is not None:
        raise ValidationError(_("This merge has already been undone."))
    survivor = Customer.all_objects.select_for_update().get(pk=record.survivor_id)
    merged = Customer.all_objects.select_for_update().get(pk=record.merged_id)
    policy.require(actor, Action.EDIT, MODULE, survivor)
    if not policy.can(actor, Action.DELETE, MODULE):
        raise PermissionDenied(_("You do not have permission to do this."))
    if survivor.is_deleted:
        raise ValidationError(_("The kept customer is in the recycle bin: restore it first."))
    if survivor.version != record.survivor_version:
        raise Conflict(
            _("The kept customer was changed after the merge; undoing it would lose that change."),
            instance=survivor,
        )
    before = json.loads(record.before) if record.before else {}
    tags = before.pop("tags", None)
    current = audit.snapshot(survivor, list(before))
    for name, value in before.items():
        model_field = Customer._meta.get_field(name)
        setattr(
            survivor, model_field.attname, None if value is None else model_field.to_python(value)
        )
    survivor.name_key = company_name_key(survivor.name)
    survivor.phone_bidx = customer_services._bidx(survivor.phone, "phone")
    survivor.email_bidx = customer_services._bidx(survivor.email, "email")
    moved = dict(record.moved or {})
    primary_reset = moved.pop("_primary_reset", {}).get("ids", [])
    from django.apps import apps

    for label, info in moved.items():
        model = apps.get_model(label) if "." in label else None
        if model is None:
            continue
        model._base_manager.filter(pk__in=info["ids"], **{info["field"]: survivor.pk}).update(
            **{info["field"]: merged.pk}
        )
    if tags is not None:
        survivor.tags.set(tags)
    if primary_reset:
        Contact.objects.filter(customer=merged, is_primary=True).update(is_primary=False)
        Contact.all_objects.filter(pk__in=primary_reset, customer=merged).update(is_primary=True)
    merged.deleted_at, merged.deleted_by = None, None
    merged.version += 1
    merged.save(update_fields=["deleted_at", "deleted_by", "version"])
    survivor.version += 1
    survivor.updated_at = timezone.now()
    survivor.save()
    customer_services._refresh_customer_contact_dates(survivor.pk)
    customer_services._refresh_customer_contact_dates(merged.pk)
    record.undone_at = timezone.now()
    record.undone_by = actor if getattr(actor, "pk", None) else None
    record.save(update_fields=["undone_at", "undone_by"])
    DuplicatePair.objects.filter(
        status=PairStatus.MERGED,
        customer_a_id=min(survivor.pk, merged.pk),
        customer_b_id=max(survivor.pk, merged.pk),
    ).update(status=PairStatus.OPEN, decided_at=None, decided_by=None)
    audit.record(
        actor,
        AuditAction.MERGE,
        survivor,
        changes={
            "undone": record.pk,
            "restored": merged.pk,
            "fields": audit.diff(
                current,
                audit.snapshot(survivor, list(before)),
                sensitive=customer_services.CUSTOMER_SENSITIVE,
            ),
        },
    )
    customers_reindex([survivor.pk, merged.pk])
    events.publish(
        "customer.merge_undone",
        actor_id=getattr(actor, "pk", None),
        customer_id=survivor.pk,
        restored_id=merged.pk,
    )
    return record
