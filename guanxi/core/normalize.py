"""Normalisation of what people type: phones to E.164 (China by default), e-mails, text."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

DEFAULT_REGION = "CN"
_CN_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_PHONE_JUNK = re.compile(r"[\s\-().\u3000]")
_email_validator = EmailValidator()


class NormalizeError(ValueError):
    """The value cannot be understood; the message says why, for the user."""


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to their half-width forms (ＡＢＣ１ → ABC1)."""
    return unicodedata.normalize("NFKC", text)


def clean_text(text: str | None) -> str:
    """Trim, fold full-width characters and collapse runs of white space."""
    if not text:
        return ""
    return re.sub(r"\s+", " ", fold_width(text)).strip()


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """A phone number as E.164 (+8613812345678); raises NormalizeError if it is not one."""
    text = fold_width(raw or "").strip()
    if not text:
        return ""
    compact = _PHONE_JUNK.sub("", text)
    if match := _CN_MOBILE.match(compact):
        return "+86" + match.group(1)
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException as exc:
        raise NormalizeError(_("This is not a phone number.")) from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise NormalizeError(_("This phone number is not valid."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    """Only the digits of what was typed (for suffix search)."""
    return re.sub(r"\D", "", fold_width(raw or ""))


def format_phone(e164: str) -> str:
    """Display form: +86 138 1234 5678 for Chinese mobiles, international format otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str) -> str:
    """Lower-cased, trimmed e-mail address; raises NormalizeError if it is not one."""
    text = fold_width(raw or "").strip().lower()
    if not text:
        return ""
    if len(text) > 254:
        raise NormalizeError(_("This e-mail address is too long."))
    try:
        _email_validator(text)
    except DjangoValidationError as exc:
        raise NormalizeError(_("This is not a valid e-mail address.")) from exc
    return text


def mask_phone(value: str) -> str:
    """138****5678: the first three and last four digits."""
    digits = phone_digits(value)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(value: str) -> str:
    local, _, domain = (value or "").partition("@")
    if not domain:
        return "****"
    return f"{local[:1]}***@{domain}"


_KEY_SEPARATORS = re.compile(
    r"[\s·・.,，。、:：;；'\"“”‘’`&+\-_/\\|!！?？*#()\[\]【】〔〕{}<>《》「」『』]+"
)
_KEY_KABUSHIKI = re.compile(r"\(株\)|\(有\)|株式会社|有限会社")
_CJK_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
_LATIN_LEGAL_FORMS = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "limited",
        "llc",
        "ltd",
        "gmbh",
        "plc",
    }
)


def company_name_key(name: str | None) -> str:
    """The form of a company name that duplicates share.

    "北京星辰科技有限公司" and "北京 星辰科技（有限公司）" both give "北京星辰科技": width, case,
    spaces, punctuation, brackets and the legal form (有限公司, 股份有限公司, (株), Co., Ltd.,
    Inc.) are dropped.
    Empty for an empty name; a name that is only a legal form keeps it.
    """
    text = unicodedata.normalize("NFKC", name or "").casefold().strip()
    if not text:
        return ""
    text = _KEY_KABUSHIKI.sub(" ", text)
    words = [word for word in _KEY_SEPARATORS.split(text) if word]
    while len(words) > 1 and words[-1] in _LATIN_LEGAL_FORMS:
        words.pop()
    key = "".join(words)
    for suffix in _CJK_LEGAL_FORMS:
        if key.endswith(suffix):
            if len(key) > len(suffix):
                key = key[: -len(suffix)]
            break
    return key[:200]
