"""From a file's cells to the data the services take: one parser per kind of record.

A parser turns the text of the mapped cells into values (dates, numbers, choices, lookups by
name, users, tags) and raises :class:`RowError` naming the column for a cell it cannot read. The
rules every record must follow (required fields, lengths, phones, e-mails) are checked afterwards
by the bulk services, with the very functions the single-record services use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.accounts import policy
from guanxi.accounts.policy import Action
from guanxi.core.errors import ApplicationError
from guanxi.core.normalize import clean_text
from guanxi.customers.models import (
    CompanySize,
    CustomerKind,
    Industry,
    InteractionKind,
    InteractionOutcome,
    Level,
    LifecycleStage,
    Source,
    Tag,
)
from guanxi.dataio import cleaning
from guanxi.dataio.cleaning import CellError
from guanxi.dataio.fields import CUSTOM_PREFIX, fold_header, spec_for
from guanxi.dataio.models import ImportKind, RowProblem


class RowError(Exception):
    """A row that cannot go in: the column (header as in the file) and what is wrong."""

    def __init__(
        self, column: str, message: str, problem: str = RowProblem.INVALID, **extra: Any
    ) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.problem = problem
        self.extra = extra


@dataclass
class ImportRow:
    """One row of the file on its way in.

    ``data`` is what ``customer_create`` / ``contact_create`` / ``interaction_create`` take
    (only the cells that are not empty); ``contact`` is the primary contact of a customer row.
    """

    number: int
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    contact: dict[str, Any] | None = None
    record_id: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    contact_name: str = ""
    error: RowError | None = None
    # A value moved to another field than the one it was mapped to: field -> mapped field.
    sources: dict[str, str] = field(default_factory=dict)


_SYNONYMS: dict[str, dict[str, str]] = {
    "kind": {
        "公司": "company",
        "企业": "company",
        "单位": "company",
        "组织": "company",
        "机构": "company",
        "business": "company",
        "organization": "company",
        "个人": "person",
        "个体": "person",
        "自然人": "person",
        "individual": "person",
    },
    "lifecycle_stage": {
        "线索": "lead",
        "潜在客户": "lead",
        "意向客户": "prospect",
        "商机": "prospect",
        "成交客户": "customer",
        "已成交": "customer",
        "客户": "customer",
        "忠诚客户": "loyal",
        "老客户": "loyal",
        "流失": "churned",
        "流失客户": "churned",
        "已流失": "churned",
    },
    "interaction_kind": {
        "电话": "call",
        "通话": "call",
        "打电话": "call",
        "phone": "call",
        "拜访": "visit",
        "上门": "visit",
        "上门拜访": "visit",
        "会议": "meeting",
        "会面": "meeting",
        "邮件": "email",
        "电子邮件": "email",
        "e-mail": "email",
        "微信": "wechat",
        "备注": "note",
        "笔记": "note",
    },
    "outcome": {
        "积极": "positive",
        "正面": "positive",
        "一般": "neutral",
        "中性": "neutral",
        "消极": "negative",
        "负面": "negative",
        "未接通": "no_answer",
        "无人接听": "no_answer",
        "no answer": "no_answer",
    },
}


def _choice_names(choices: Any, synonyms: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for value, label in choices.choices:
        if value == "":
            continue
        names[fold_header(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names.setdefault(fold_header(str(label)), value)
    for synonym, value in synonyms.items():
        names.setdefault(fold_header(synonym), value)
    return names


_SIZE_BOUNDS = ((9, "1-9"), (49, "10-49"), (199, "50-199"), (999, "200-999"))


def _size_from_count(count: int) -> str:
    for upper, value in _SIZE_BOUNDS:
        if count <= upper:
            return value
    return "1000+"


class Lookups:
    """Names of industries, levels, sources, users and tags, read once per import."""

    def __init__(self, actor: Any, *, dry_run: bool = False) -> None:
        self.actor = actor
        self.dry_run = dry_run
        self._lookups: dict[str, dict[str, Any]] = {}
        self._users: dict[str, Any] = {}
        self._tags: dict[str, Tag] = {}
        self._choices = {
            "kind": _choice_names(CustomerKind, _SYNONYMS["kind"]),
            "lifecycle_stage": _choice_names(LifecycleStage, _SYNONYMS["lifecycle_stage"]),
            "size": _choice_names(CompanySize, {}),
            "interaction_kind": _choice_names(InteractionKind, _SYNONYMS["interaction_kind"]),
            "outcome": _choice_names(InteractionOutcome, _SYNONYMS["outcome"]),
        }

    def choice(self, name: str, text: str) -> str:
        value = self._choices[name].get(fold_header(text))
        if value is None:
            raise CellError(_("“%(value)s” is not one of the choices.") % {"value": text[:100]})
        return value

    def size(self, text: str) -> str:
        folded = fold_header(text)
        value = self._choices["size"].get(folded)
        if value:
            return value
        match = re.fullmatch(r"(\d+)(?:人|名|people|employees)?", folded)
        if match:
            return _size_from_count(int(match.group(1)))
        raise CellError(_("“%(value)s” is not a company size.") % {"value": text[:100]})

    def lookup(self, model: Any, text: str) -> Any:
        label = model._meta.label
        if label not in self._lookups:
            names: dict[str, Any] = {}
            for row in model.objects.all():
                for name in (row.name, row.name_en):
                    if name:
                        names.setdefault(fold_header(name), row)
            self._lookups[label] = names
        found = self._lookups[label].get(fold_header(text))
        if found is None:
            raise CellError(
                _("There is no %(what)s called “%(value)s”: add it in the settings first.")
                % {"what": model._meta.verbose_name, "value": text[:100]}
            )
        return found

    def user(self, text: str) -> Any:
        key = text.strip()
        if key not in self._users:
            user_model = get_user_model()
            found = list(
                user_model.objects.filter(is_active=True)
                .filter(Q(username=key) | Q(display_name=key))
                .order_by("id")[:2]
            )
            if len(found) == 2:
                found = [u for u in found if u.username == key][:1] or found
            self._users[key] = found[0] if len(found) == 1 else None
        user = self._users[key]
        if user is None:
            raise CellError(_("There is no active user called “%(value)s”.") % {"value": key[:100]})
        return user

    def tags(self, text: str) -> list[Tag]:
        from guanxi.customers import services as customer_services

        result = []
        for name in cleaning.split_list(text):
            name = clean_text(name)[:50]
            if name not in self._tags:
                tag = Tag.objects.filter(name=name).first()
                if tag is None and self.dry_run:
                    tag = Tag(name=name)
                elif tag is None:
                    if not policy.can(self.actor, Action.CREATE, "customers"):
                        raise CellError(_("There is no tag called “%(value)s”.") % {"value": name})
                    try:
                        tag = customer_services.tag_create(actor=self.actor, data={"name": name})
                    except ApplicationError as exc:
                        raise CellError(str(exc.message)) from exc
                self._tags[name] = tag
            result.append(self._tags[name])
        return result


def _custom_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CellError(_("Custom fields must be written as a JSON object.")) from exc
    if not isinstance(value, dict):
        raise CellError(_("Custom fields must be written as a JSON object."))
    return value


def _custom_cell(definition: Any, text: str) -> Any:
    """A cell as the value of a custom field: dates in the forms people type, yes/no in either
    language, choices by value or by label (the export writes labels)."""
    kind = definition.field_type
    if kind == "date":
        value = cleaning.parse_date(text)
        return value.isoformat() if value else ""
    if kind == "datetime":
        moment = cleaning.parse_datetime(text)
        return moment.isoformat() if moment else ""
    if kind == "boolean":
        return cleaning.parse_bool(text)
    if kind in ("choice", "multi_choice"):
        options: dict[str, str] = {}
        for option in definition.options or []:
            value = str(option.get("value"))
            for name in (value, str(option.get("label") or "")):
                if name:
                    options.setdefault(fold_header(name), value)
        items = cleaning.split_list(text) if kind == "multi_choice" else [text]
        chosen = []
        for item in items:
            value = options.get(fold_header(item))
            if value is None:
                raise CellError(_("“%(value)s” is not one of the choices.") % {"value": item[:100]})
            chosen.append(value)
        return chosen if kind == "multi_choice" else chosen[0]
    return text


def _record_id(text: str) -> int | None:
    try:
        return cleaning.parse_int(text)
    except CellError:
        return None


class RowParser:
    """Base: reads the mapped cells of a row (``mapping``: column index -> field key)."""

    kind: str = ""

    def __init__(
        self,
        *,
        actor: Any,
        headers: list[str],
        mapping: Mapping[str, str],
        options: Mapping,
        dry_run: bool = False,
    ) -> None:
        self.actor = actor
        self.headers = headers
        self.columns: list[tuple[int, str]] = sorted(
            (int(index), key) for index, key in mapping.items() if key
        )
        self.column_of = {key: headers[index] for index, key in self.columns}
        self.options = options
        self.lookups = Lookups(actor, dry_run=dry_run)
        self.width = len(headers)
        self._definitions: dict[str, Any] | None = None

    def header_for(self, key: str) -> str:
        return self.column_of.get(key, str(spec_for(self.kind, key).label) if key else "")

    def values(self, number: int, cells: list[str]) -> dict[str, str]:
        """The non-empty mapped cells as ``{field key: text}``; ragged rows are refused."""
        if len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            raise RowError(
                "",
                _("This row has %(cells)d cells but the header has %(columns)d columns.")
                % {"cells": len(cells), "columns": self.width},
            )
        values: dict[str, str] = {}
        for index, key in self.columns:
            if index < len(cells):
                text = cells[index]
                if text and (text[0] == "'" or not text.isascii() or text != text.strip()):
                    text = cleaning.unguard(text.strip())
                if text:
                    values[key] = text
        return values

    def parse(self, number: int, cells: list[str]) -> ImportRow:
        row = ImportRow(number=number, cells=cells)
        try:
            self.fill(row, self.values(number, cells))
        except RowError as exc:
            row.error = exc
        return row

    def fill(self, row: ImportRow, values: dict[str, str]) -> None:
        raise NotImplementedError

    def convert(self, key: str, text: str, converter: Any) -> Any:
        try:
            return converter(text)
        except CellError as exc:
            raise RowError(self.header_for(key), str(exc)) from None

    def custom(self, values: Mapping[str, str]) -> dict[str, Any]:
        custom: dict[str, Any] = {}
        if "custom" in values:
            custom.update(self.convert("custom", values["custom"], _custom_json))
        for key, text in values.items():
            if key.startswith(CUSTOM_PREFIX):
                name = key[len(CUSTOM_PREFIX) :]
                definition = self.definitions.get(name)
                custom[name] = (
                    self.convert(key, text, lambda t, d=definition: _custom_cell(d, t))
                    if definition is not None
                    else text
                )
        return custom

    @property
    def definitions(self) -> dict[str, Any]:
        if self._definitions is None:
            from guanxi.dataio.fields import custom_definitions

            self._definitions = {d.key: d for d in custom_definitions(self.kind)}
        return self._definitions


_CUSTOMER_TEXT = (
    "name",
    "short_name",
    "province",
    "city",
    "district",
    "address",
    "website",
    "email",
    "description",
)
_CONTACT_TEXT = ("name", "title", "email", "wechat", "notes")


class CustomerRowParser(RowParser):
    kind = ImportKind.CUSTOMERS

    def fill(self, row: ImportRow, values: dict[str, str]) -> None:
        data: dict[str, Any] = {}
        get = values.get
        for key in _CUSTOMER_TEXT:
            if key in values:
                data[key] = values[key]
        if "id" in values:
            row.record_id = _record_id(values["id"])
        if "phone" in values:
            data["phone"] = self.convert("phone", values["phone"], cleaning.phone_cell)
        if "kind" in values:
            data["kind"] = self.convert(
                "kind", values["kind"], lambda t: self.lookups.choice("kind", t)
            )
        elif self.options.get("default_kind"):
            data["kind"] = self.options["default_kind"]
        if "lifecycle_stage" in values:
            data["lifecycle_stage"] = self.convert(
                "lifecycle_stage",
                values["lifecycle_stage"],
                lambda t: self.lookups.choice("lifecycle_stage", t),
            )
        if "size" in values:
            data["size"] = self.convert("size", values["size"], self.lookups.size)
        for key, model in (("industry", Industry), ("level", Level), ("source", Source)):
            if key in values:
                data[key] = self.convert(
                    key, values[key], lambda t, m=model: self.lookups.lookup(m, t)
                )
        if "owner" in values:
            data["owner"] = self.convert("owner", values["owner"], self.lookups.user)
        if "tags" in values:
            data["tags"] = self.convert("tags", values["tags"], self.lookups.tags)
        if "next_follow_up_on" in values:
            data["next_follow_up_on"] = self.convert(
                "next_follow_up_on", values["next_follow_up_on"], cleaning.parse_date
            )
        custom = self.custom(values)
        if custom:
            data["custom"] = custom
        contact: dict[str, Any] = {}
        for key in _CONTACT_TEXT:
            if get(f"contact_{key}"):
                contact[key] = values[f"contact_{key}"]
        for key in ("mobile", "phone"):
            if get(f"contact_{key}"):
                contact[key] = self.convert(
                    f"contact_{key}", values[f"contact_{key}"], cleaning.phone_cell
                )
        if get("contact_birthday"):
            contact["birthday"] = self.convert(
                "contact_birthday", values["contact_birthday"], cleaning.parse_date
            )
        if not data.get("name") and contact.get("name"):
            # A person without a company: the person is the customer.
            data["name"] = contact["name"]
            row.sources["name"] = "contact_name"
            data.setdefault("kind", CustomerKind.PERSON)
        if contact and not contact.get("name"):
            if data.get("kind") == CustomerKind.PERSON and data.get("name"):
                contact["name"] = data["name"]
            else:
                # Without a contact name, a mobile or e-mail is the customer's own.
                for key, target in (("mobile", "phone"), ("phone", "phone"), ("email", "email")):
                    if key in contact and not data.get(target):
                        data[target] = contact.pop(key)
                        row.sources[target] = f"contact_{key}"
            if contact and not contact.get("name"):
                raise RowError(
                    self.header_for("contact_name"),
                    _("The contact's details are filled in but not the contact's name."),
                )
        row.data = data
        row.contact = contact or None


class ContactRowParser(RowParser):
    kind = ImportKind.CONTACTS

    def fill(self, row: ImportRow, values: dict[str, str]) -> None:
        data: dict[str, Any] = {}
        for key in _CONTACT_TEXT:
            if key in values:
                data[key] = values[key]
        for key in ("mobile", "phone"):
            if key in values:
                data[key] = self.convert(key, values[key], cleaning.phone_cell)
        if "birthday" in values:
            data["birthday"] = self.convert("birthday", values["birthday"], cleaning.parse_date)
        if "is_primary" in values:
            data["is_primary"] = self.convert(
                "is_primary", values["is_primary"], cleaning.parse_bool
            )
        custom = self.custom(values)
        if custom:
            data["custom"] = custom
        if "id" in values:
            row.record_id = _record_id(values["id"])
        if "customer_id" in values:
            row.customer_id = self.convert("customer_id", values["customer_id"], cleaning.parse_int)
        row.customer_name = values.get("customer", "")
        if row.customer_id is None and not row.customer_name:
            raise RowError(self.header_for("customer"), _("Say which customer this row is for."))
        row.data = data


class InteractionRowParser(RowParser):
    kind = ImportKind.INTERACTIONS

    def fill(self, row: ImportRow, values: dict[str, str]) -> None:
        data: dict[str, Any] = {}
        for key in ("subject", "content"):
            if key in values:
                data[key] = values[key]
        if "kind" in values:
            data["kind"] = self.convert(
                "kind", values["kind"], lambda t: self.lookups.choice("interaction_kind", t)
            )
        if "outcome" in values:
            data["outcome"] = self.convert(
                "outcome", values["outcome"], lambda t: self.lookups.choice("outcome", t)
            )
        if "occurred_at" in values:
            data["occurred_at"] = self.convert(
                "occurred_at", values["occurred_at"], cleaning.parse_datetime
            )
        if "duration_minutes" in values:
            data["duration_minutes"] = self.convert(
                "duration_minutes", values["duration_minutes"], cleaning.parse_int
            )
        if "next_follow_up_on" in values:
            data["next_follow_up_on"] = self.convert(
                "next_follow_up_on", values["next_follow_up_on"], cleaning.parse_date
            )
        if "author" in values:
            data["author"] = self.convert("author", values["author"], self.lookups.user)
        custom = self.custom(values)
        if custom:
            data["custom"] = custom
        if "customer_id" in values:
            row.customer_id = self.convert("customer_id", values["customer_id"], cleaning.parse_int)
        row.customer_name = values.get("customer", "")
        row.contact_name = values.get("contact", "")
        if row.customer_id is None and not row.customer_name:
            raise RowError(self.header_for("customer"), _("Say which customer this row is for."))
        row.data = data


PARSERS: dict[str, type[RowParser]] = {
    ImportKind.CUSTOMERS: CustomerRowParser,
    ImportKind.CONTACTS: ContactRowParser,
    ImportKind.INTERACTIONS: InteractionRowParser,
}


def parser_for(
    kind: str,
    *,
    actor: Any,
    headers: list[str],
    mapping: Mapping[str, str],
    options: Mapping,
    dry_run: bool = False,
) -> RowParser:
    return PARSERS[kind](
        actor=actor, headers=headers, mapping=mapping, options=options, dry_run=dry_run
    )


def non_empty(cells: Iterable[str]) -> bool:
    return any(c.strip() for c in cells)
