"""The fields a file's columns can be mapped to, per kind of record, and the suggested mapping.

Suggestions come from the header text in Chinese or English ("客户名称", "手机", "Company",
"Mobile"…): an exact match with a known name of the field after folding width, case, spaces and
punctuation, then a close match (rapidfuzz) for headers such as "客户名称*" or "Mobile No".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from guanxi.dataio.models import FileFormat, ImportKind

CUSTOM_PREFIX = "custom."


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Any
    aliases: tuple[str, ...] = ()
    required: bool = False
    group: str = ""


def _spec(
    key: str, label: Any, aliases: str, *, required: bool = False, group: str = ""
) -> FieldSpec:
    return FieldSpec(key, label, tuple(a.strip() for a in aliases.split("|")), required, group)


CUSTOMER = _("Customer")
CONTACT = _("Primary contact")

CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    _spec("id", _("ID"), "id|客户id|客户编号|编号|客户号|customer id|guanxi id"),
    _spec(
        "name",
        _("Customer name"),
        "客户名称|客户名|客户|公司名称|公司|公司名|企业名称|企业|单位名称|单位|名称|customer|"
        "customer name|company|company name|name|account|account name|organization|organisation|"
        "org|organization name",
        required=True,
        group="customer",
    ),
    _spec("kind", _("Customer type"), "客户类型|类型|客户类别|type|customer type|kind"),
    _spec("short_name", _("Short name"), "简称|客户简称|公司简称|short name|abbreviation"),
    _spec("industry", _("Industry"), "行业|所属行业|行业类别|industry|sector"),
    _spec(
        "size",
        _("Company size"),
        "规模|公司规模|人员规模|员工人数|人数|企业规模|size|company size|employees|headcount",
    ),
    _spec("level", _("Customer level"), "客户级别|级别|客户等级|等级|level|rating|grade"),
    _spec("source", _("Source"), "来源|客户来源|获客渠道|渠道|source|lead source|channel"),
    _spec(
        "lifecycle_stage",
        _("Lifecycle stage"),
        "生命周期阶段|生命周期|阶段|客户阶段|客户状态|状态|lifecycle stage|lifecycle|stage|status",
    ),
    _spec("province", _("Province"), "省|省份|所在省份|所在省|province|state|region"),
    _spec("city", _("City"), "市|城市|所在城市|所在市|city|town"),
    _spec("district", _("District"), "区|区县|所在区县|县|区域|district|county"),
    _spec(
        "address",
        _("Street address"),
        "地址|详细地址|公司地址|街道地址|通讯地址|联系地址|办公地址|address|street address|street",
    ),
    _spec(
        "website",
        _("Website"),
        "网址|网站|官网|公司网站|公司网址|主页|website|web site|web|url|homepage",
    ),
    _spec(
        "phone",
        _("Phone"),
        "电话|公司电话|座机|固话|联系电话|总机|电话号码|phone|telephone|tel|company phone|"
        "main phone|phone number",
    ),
    _spec(
        "email",
        _("E-mail"),
        "邮箱|电子邮件|电子邮箱|邮件|公司邮箱|邮箱地址|email|e-mail|mail|email address",
    ),
    _spec(
        "description",
        _("Description"),
        "备注|描述|说明|简介|客户描述|客户简介|客户备注|description|notes|note|remarks|comments|"
        "comment|memo",
    ),
    _spec(
        "owner",
        _("Owner"),
        "负责人|客户负责人|所属销售|销售|销售代表|销售人员|跟进人|归属人|owner|account owner|"
        "sales rep|salesperson|sales|assigned to",
    ),
    _spec("tags", _("Tags"), "标签|客户标签|tags|tag|labels|label"),
    _spec(
        "next_follow_up_on",
        _("Next follow-up"),
        "下次跟进|下次跟进时间|下次跟进日期|下次联系时间|下次联系|next follow-up|next follow up|"
        "follow-up date|follow up",
    ),
    _spec("custom", _("Custom fields (JSON)"), "自定义字段|custom fields|custom"),
    _spec(
        "contact_name",
        _("Contact name"),
        "联系人|联系人姓名|姓名|联系人名称|主要联系人|contact|contact name|contact person|"
        "full name|person|primary contact",
        group="contact",
    ),
    _spec(
        "contact_title",
        _("Contact job title"),
        "职位|职务|头衔|岗位|联系人职位|联系人职务|title|job title|position|role",
        group="contact",
    ),
    _spec(
        "contact_mobile",
        _("Contact mobile"),
        "手机|手机号|手机号码|移动电话|联系人手机|联系手机|联系人手机号|mobile|mobile phone|cell|"
        "cellphone|cell phone|contact mobile|mobile number",
        group="contact",
    ),
    _spec(
        "contact_phone",
        _("Contact office phone"),
        "联系人电话|办公电话|工作电话|联系人座机|office phone|work phone|contact phone",
        group="contact",
    ),
    _spec(
        "contact_email",
        _("Contact e-mail"),
        "联系人邮箱|联系人电子邮件|联系人邮件|contact email|contact e-mail",
        group="contact",
    ),
    _spec(
        "contact_wechat",
        _("WeChat ID"),
        "微信|微信号|联系人微信|wechat|wechat id|weixin",
        group="contact",
    ),
    _spec(
        "contact_birthday",
        _("Contact birthday"),
        "生日|出生日期|联系人生日|birthday|date of birth|dob",
        group="contact",
    ),
)

_CUSTOMER_REFERENCE = (
    _spec("customer_id", _("Customer ID"), "客户id|客户编号|客户号|customer id"),
    _spec(
        "customer",
        _("Customer name"),
        "客户名称|客户名|客户|公司名称|公司|公司名|企业名称|企业|单位名称|单位|customer|"
        "customer name|company|company name|organization|organisation|account|account name",
    ),
)

CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    _spec("id", _("ID"), "id|联系人id|联系人编号|编号|contact id"),
    *_CUSTOMER_REFERENCE,
    _spec(
        "name",
        _("Name"),
        "姓名|联系人|联系人姓名|名字|联系人名称|name|full name|contact|contact name",
        required=True,
    ),
    _spec("title", _("Job title"), "职位|职务|头衔|岗位|title|job title|position|role"),
    _spec(
        "mobile",
        _("Mobile"),
        "手机|手机号|手机号码|移动电话|mobile|mobile phone|cell|cellphone|cell phone|mobile number",
    ),
    _spec(
        "phone",
        _("Office phone"),
        "电话|办公电话|工作电话|座机|固话|联系电话|phone|office phone|work phone|tel|telephone",
    ),
    _spec("email", _("E-mail"), "邮箱|电子邮件|电子邮箱|邮件|email|e-mail|mail|email address"),
    _spec("wechat", _("WeChat ID"), "微信|微信号|wechat|wechat id|weixin"),
    _spec("birthday", _("Birthday"), "生日|出生日期|birthday|date of birth|dob"),
    _spec("notes", _("Notes"), "备注|说明|描述|notes|note|remarks|comments|description|memo"),
    _spec(
        "is_primary",
        _("Primary contact"),
        "主要联系人|首要联系人|是否主要联系人|primary|primary contact|is primary",
    ),
    _spec("custom", _("Custom fields (JSON)"), "自定义字段|custom fields|custom"),
)

INTERACTION_FIELDS: tuple[FieldSpec, ...] = (
    *_CUSTOMER_REFERENCE,
    _spec("contact", _("Contact"), "联系人|联系人姓名|contact|contact name|contact person"),
    _spec(
        "kind",
        _("Type"),
        "跟进方式|方式|类型|跟进类型|互动类型|沟通方式|type|channel|kind|interaction type",
    ),
    _spec(
        "occurred_at",
        _("Time"),
        "跟进时间|时间|日期|发生时间|跟进日期|沟通时间|date|time|date and time|occurred at|when",
    ),
    _spec("subject", _("Subject"), "主题|标题|subject|title|topic"),
    _spec(
        "content",
        _("Content"),
        "跟进内容|内容|记录|详情|沟通内容|跟进记录|content|notes|details|description|body|text",
    ),
    _spec("outcome", _("Outcome"), "结果|跟进结果|outcome|result"),
    _spec(
        "duration_minutes",
        _("Duration (minutes)"),
        "时长|时长分钟|通话时长|持续时间|duration|duration minutes|minutes",
    ),
    _spec(
        "next_follow_up_on",
        _("Next follow-up"),
        "下次跟进|下次跟进时间|下次跟进日期|下次联系时间|next follow-up|next follow up",
    ),
    _spec("author", _("Recorded by"), "记录人|跟进人|创建人|author|recorded by|by|user"),
)

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.CONTACTS: CONTACT_FIELDS,
    ImportKind.INTERACTIONS: INTERACTION_FIELDS,
}

# vCard cards have fixed columns (readers.VCARD_HEADERS); their meaning depends on the kind.
VCARD_MAPPINGS: dict[str, dict[str, str]] = {
    ImportKind.CUSTOMERS: {
        "Company": "name",
        "Name": "contact_name",
        "Title": "contact_title",
        "Mobile": "contact_mobile",
        "Phone": "contact_phone",
        "E-mail": "contact_email",
        "WeChat": "contact_wechat",
        "Birthday": "contact_birthday",
        "Province": "province",
        "City": "city",
        "Address": "address",
        "Notes": "description",
    },
    ImportKind.CONTACTS: {
        "Company": "customer",
        "Name": "name",
        "Title": "title",
        "Mobile": "mobile",
        "Phone": "phone",
        "E-mail": "email",
        "WeChat": "wechat",
        "Birthday": "birthday",
        "Notes": "notes",
    },
}

_FOLD = re.compile(r"[\s*:：()（）\[\]【】_\-/\\.。·'\"“”‘’#№]+")


def fold_header(text: str) -> str:
    """A header as compared with the known names: width, case, spaces and punctuation dropped."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", text or "").casefold())


CUSTOM_MODELS = {
    ImportKind.CUSTOMERS: "customers.customer",
    ImportKind.CONTACTS: "customers.contact",
    ImportKind.INTERACTIONS: "customers.interaction",
}


def custom_definitions(kind: str) -> list[Any]:
    """The active custom fields of the records a file of ``kind`` holds."""
    try:
        from guanxi.customization.values import active_definitions
    except ImportError:
        return []
    return list(active_definitions(CUSTOM_MODELS[kind]))


def custom_specs(kind: str) -> list[FieldSpec]:
    """A field for each active custom field (``custom.<key>``), known by its labels and key."""
    return [
        FieldSpec(
            f"{CUSTOM_PREFIX}{d.key}",
            d.label,
            tuple(a for a in (d.label_zh, d.label_en, d.key) if a),
        )
        for d in custom_definitions(kind)
    ]


def field_specs(kind: str) -> tuple[FieldSpec, ...]:
    return FIELDS[kind]


def field_choices(kind: str) -> list[tuple[str, Any]]:
    return [(spec.key, spec.label) for spec in (*FIELDS[kind], *custom_specs(kind))]


def is_known_field(kind: str, key: str) -> bool:
    if key.startswith(CUSTOM_PREFIX) and len(key) > len(CUSTOM_PREFIX):
        return True
    return any(spec.key == key for spec in FIELDS[kind])


@cache
def _names(kind: str) -> dict[str, str]:
    """Every known name of every field of ``kind`` (folded) -> field key."""
    names: dict[str, str] = {}
    for spec in FIELDS[kind]:
        labels = []
        for language in ("en", "zh-hans"):
            with translation.override(language):
                labels.append(str(spec.label))
        for name in (*spec.aliases, spec.key, *labels):
            folded = fold_header(name)
            if folded:
                names.setdefault(folded, spec.key)
    return names


def suggest_mapping(
    kind: str,
    headers: Iterable[str],
    *,
    file_format: str = FileFormat.CSV,
    saved: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The suggested mapping ``{column index (as text): field key}`` for a file's headers.

    A saved mapping (``{folded header: field}``) wins over the suggestions; each field is used
    once; columns that match nothing are left out (they are not imported).
    """
    headers = list(headers)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    if file_format == FileFormat.VCARD and kind in VCARD_MAPPINGS:
        fixed = VCARD_MAPPINGS[kind]
        for index, header in enumerate(headers):
            if header in fixed:
                mapping[str(index)] = fixed[header]
        return mapping
    if saved:
        for index, header in enumerate(headers):
            key = saved.get(fold_header(header))
            if key and key not in used and is_known_field(kind, key):
                mapping[str(index)] = key
                used.add(key)
    names = dict(_names(kind))
    for spec in custom_specs(kind):
        # A custom field's own label wins over a built-in field's alias ("Grade", "等级").
        for alias in spec.aliases:
            names[fold_header(alias)] = spec.key
    pending: list[tuple[int, str]] = []
    for index, header in enumerate(headers):
        if str(index) in mapping:
            continue
        folded = fold_header(header)
        key = names.get(folded)
        if key and key not in used:
            mapping[str(index)] = key
            used.add(key)
        elif folded and not key:
            pending.append((index, folded))
    choices = list(names)
    for index, folded in pending:
        found = process.extractOne(folded, choices, scorer=fuzz.ratio, score_cutoff=85)
        if found is None and len(folded) >= 4:
            found = process.extractOne(folded, choices, scorer=fuzz.partial_ratio, score_cutoff=95)
            if found is not None and len(found[0]) < 3:
                found = None
        if found is not None:
            key = names[found[0]]
            if key not in used:
                mapping[str(index)] = key
                used.add(key)
    if kind == ImportKind.CUSTOMERS and "name" not in used and "contact_name" in used:
        # A list of people without a company column: each person is a customer.
        for index, key in mapping.items():
            if key == "contact_name":
                mapping[index] = "name"
                break
    return mapping


def mapping_to_saved(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """A mapping as it is saved for reuse: keyed by the folded header text, not by position."""
    saved = {}
    for index, key in mapping.items():
        position = int(index)
        if 0 <= position < len(headers) and key:
            saved[fold_header(headers[position])] = key
    return saved


def missing_required(kind: str, mapping: Mapping[str, str]) -> list[FieldSpec]:
    mapped = set(mapping.values())
    missing = [spec for spec in FIELDS[kind] if spec.required and spec.key not in mapped]
    if kind in (ImportKind.CONTACTS, ImportKind.INTERACTIONS) and not (
        {"customer", "customer_id"} & mapped
    ):
        missing.append(_CUSTOMER_REFERENCE[1])
    if kind == ImportKind.INTERACTIONS and not ({"subject", "content"} & mapped):
        missing.append(spec_for(kind, "content"))
    return missing


def spec_for(kind: str, key: str) -> FieldSpec:
    for spec in FIELDS[kind]:
        if spec.key == key:
            return spec
    if key.startswith(CUSTOM_PREFIX):
        for spec in custom_specs(kind):
            if spec.key == key:
                return spec
        return FieldSpec(key, key[len(CUSTOM_PREFIX) :])
    raise KeyError(key)
