"""The one tokenizer: what a record is found by, and what a query looks for.

A record's document is two sets:

- plain *tokens*, kept in the database's full-text index (SQLite FTS5, PostgreSQL tsvector):
  CJK unigrams and bigrams, pinyin and initials of names from every character position, Latin and
  digit words, web and e-mail domains;
- exact *keys*, kept in a btree (``core.SearchKey``): phone-number suffixes, whole e-mail addresses
  and their local parts. The fields behind them are encrypted at rest, so a key is an HMAC of the
  normalised value (``crypto.blind_index``): the index can be compared, never read.

The query goes through the same functions, so both sides agree on every token. Every token is a
run of letters and digits, possibly with ``@ . _ - +``: the databases' own parsers keep such a
string whole (FTS5 ``tokenchars``; PostgreSQL lexemes are built from arrays, never re-parsed).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from guanxi.core import crypto
from guanxi.core.normalize import NormalizeError, normalize_phone
from guanxi.core.search.pinyin import person_syllables, syllables

MAX_TOKEN_LENGTH = 64
PINYIN_WINDOW = 10
MIN_PHONE_SUFFIX = 4
MAX_PHONE_DIGITS = 15

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_SPLIT = re.compile(f"([{_CJK}]+|[^\\W_{_CJK}]+)")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")
_LOCAL_PART = re.compile(r"^[a-z0-9._%+-]+$")
# What FTS5 (tokenizer ``ascii`` with ``tokenchars '@._-+'``) keeps as one token.
_TOKEN = re.compile(r"[a-z0-9_@.+\-\u0080-\U0010ffff]+")
_PHONE_QUERY = re.compile(r"^[\d\s\-().+/]+$")


def fold(text: str) -> str:
    """Half-width, lower-case, Latin accents removed: the form every token is compared in."""
    # casefold() can decompose (ῶ → ω + ͂): compose again so that folding twice changes nothing.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text or "").casefold())
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed == text:
        return text
    kept = []
    previous = ""
    for char in decomposed:
        if unicodedata.combining(char) and previous and previous < "\u0250":
            continue
        kept.append(char)
        previous = char
    return unicodedata.normalize("NFC", "".join(kept))


class _Keyer:
    """The first 64 bits of ``crypto.blind_index(value, purpose="search:<purpose>")``.

    The keyed HMAC state is prepared once per purpose and copied per value: half the cost of
    ``blind_index``, which counts when a million records are indexed.
    """

    def __init__(self) -> None:
        self._ring: object = None
        self._prepared: dict[str, hmac.HMAC] = {}

    def __call__(self, purpose: str, value: str) -> int:
        ring = crypto.ring()
        if ring is not self._ring:
            self._ring, self._prepared = ring, {}
        try:
            prepared = self._prepared[purpose]
        except KeyError:
            prepared = hmac.new(ring.index_key, f"search:{purpose}\x00".encode(), hashlib.sha256)
            self._prepared[purpose] = prepared
        digest = prepared.copy()
        digest.update(value.encode())
        # 64 bits of the digest as a signed integer: compact in a btree, unreadable.
        return int.from_bytes(digest.digest()[:8], "big", signed=True)


search_key = _Keyer()


def _key(purpose: str, value: str) -> int:
    return search_key(purpose, value)


def _national_digits(e164: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)
    return phonenumbers.national_significant_number(number)


def stored_phone_digits(value: str) -> str:
    """The national number's digits of a phone as stored (E.164), or of anything typed."""
    text = fold(value).strip()
    if not text:
        return ""
    if text.startswith("+86"):
        return re.sub(r"\D", "", text[3:])
    if text.startswith("+"):
        return _national_digits(text)
    try:
        return _national_digits(normalize_phone(text))
    except NormalizeError:
        return re.sub(r"\D", "", text)


def phone_keys(value: str) -> set[int]:
    """Keys of every suffix (the last 4, 5, …, all digits) of a stored phone number."""
    digits = stored_phone_digits(value)[-MAX_PHONE_DIGITS:]
    return {_key("phone", digits[-length:]) for length in range(MIN_PHONE_SUFFIX, len(digits) + 1)}


def email_parts(value: str) -> tuple[str, str]:
    local, at, domain = fold(value).strip().rpartition("@")
    if not at:
        return "", ""
    return local, domain


def email_keys(value: str) -> set[int]:
    """Keys of a stored e-mail address: the whole address and its local part."""
    local, domain = email_parts(value)
    if not local or not domain:
        return set()
    return {_key("email", f"{local}@{domain}"), _key("email-local", local)}


def domain_tokens(domain: str) -> list[str]:
    """A domain as tokens: ``huawei.com`` and ``huawei`` (``www.`` dropped)."""
    domain = fold(domain).strip().strip(".")
    if domain.startswith("www."):
        domain = domain[4:]
    if not domain or len(domain) > MAX_TOKEN_LENGTH or not _DOMAIN.match(domain):
        return []
    labels = domain.split(".")
    tokens = [domain]
    # The name people know the company by is the label before the public suffix
    # (huawei.com, sina.com.cn): index every label but the last one.
    for label in labels[:-1]:
        if not label.isdigit():
            tokens.append(label)
        if "-" in label:
            tokens.extend(word for word in label.split("-") if word)
    return tokens


def website_tokens(url: str) -> list[str]:
    text = fold(url).strip()
    if not text:
        return []
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:
        return []
    return domain_tokens(host)


def cjk_tokens(run: str) -> list[str]:
    """Unigrams and bigrams of a run of CJK characters."""
    tokens = [run[0]] if run else []
    for position in range(1, len(run)):
        tokens.append(run[position - 1 : position + 1])
        tokens.append(run[position])
    return tokens


def text_tokens(text: str) -> list[str]:
    """Tokens of free text: CJK unigrams and bigrams, Latin and digit words."""
    tokens: list[str] = []
    for part in _SPLIT.findall(fold(text)):
        if _CJK_RUN.fullmatch(part):
            tokens.extend(cjk_tokens(part))
        elif len(part) <= MAX_TOKEN_LENGTH:
            tokens.append(part)
    return tokens


def pinyin_tokens(name: str, *, person: bool = False) -> list[str]:
    """Pinyin and initials of a name's Chinese runs, from every character position.

    张三 gives zhangsan, san and zs: typing the start of the name, or of any word inside it
    (a brand after the city), in full pinyin or in initials finds it. 星辰科技 also gives the
    two-syllable words xingchen, chenke, keji.
    """
    tokens: list[str] = []
    for index, run in enumerate(_HAN.findall(fold(name))):
        readings = person_syllables(run) if person and index == 0 else syllables(run)
        for start in range(len(readings)):
            window = [r for r in readings[start : start + PINYIN_WINDOW] if r]
            if not window or not readings[start]:
                continue
            full = "".join(window)[:MAX_TOKEN_LENGTH]
            tokens.append(full)
            if len(window) > 2:
                # The word at this position alone (dalian of 大连星辰…): common ones give
                # PostgreSQL's planner a frequency to estimate a prefix such as dali by.
                tokens.append(window[0] + window[1])
            initials = "".join(r[0] for r in window)
            if len(initials) > 1 and initials != full:
                tokens.append(initials)
    return tokens


def name_tokens(name: str, *, person: bool = False) -> list[str]:
    return [*text_tokens(name), *pinyin_tokens(name, person=person)]


@dataclass
class Document:
    """What one record is found by."""

    tokens: list[str] = field(default_factory=list)
    keys: set[int] = field(default_factory=set)

    def add_text(self, text: str | None) -> None:
        if text:
            self.tokens.extend(text_tokens(text))

    def add_name(self, name: str | None, *, person: bool = False) -> None:
        if name:
            self.tokens.extend(name_tokens(name, person=person))

    def add_phone(self, phone: str | None) -> None:
        if phone:
            self.keys |= phone_keys(phone)

    def add_email(self, email: str | None) -> None:
        if email:
            self.keys |= email_keys(email)
            self.tokens.extend(domain_tokens(email_parts(email)[1]))

    def add_website(self, url: str | None) -> None:
        if url:
            self.tokens.extend(website_tokens(url))

    def unique_tokens(self) -> list[str]:
        """The tokens, each once, in first-seen order."""
        return list(dict.fromkeys(self.tokens))


# --- the query side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One token to look for; ``prefix`` matches every token that starts with it."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Clause:
    """A part of the query: all of ``terms`` match, or (instead) any of ``keys`` does."""

    terms: tuple[Term, ...] = ()
    keys: tuple[int, ...] = ()


@dataclass(frozen=True)
class Query:
    """Every clause must hold. An empty query matches nothing."""

    clauses: tuple[Clause, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)


def _phone_query_keys(text: str) -> tuple[int, ...]:
    digits = re.sub(r"\D", "", fold(text))
    if len(digits) < MIN_PHONE_SUFFIX:
        return ()
    candidates = {digits[-MAX_PHONE_DIGITS:]}
    try:
        e164 = normalize_phone(text)
    except NormalizeError:
        e164 = ""
    if e164:
        candidates.add(_national_digits(e164))
    if digits.startswith("0") and len(digits) > MIN_PHONE_SUFFIX:
        candidates.add(digits.lstrip("0"))
    if digits.startswith("86") and len(digits) == 13:
        candidates.add(digits[2:])
    return tuple(sorted(_key("phone", c) for c in candidates if len(c) >= MIN_PHONE_SUFFIX))


def covering_bigrams(run: str) -> list[str]:
    """The fewest bigrams that cover a CJK run: 线上来源 → 线上, 来源 (新客户 → 新客, 客户).

    Overlapping bigrams (线上, 上来, 来源) find the same records, but each more term multiplies
    the database's estimate of how rare the match is: PostgreSQL then expects 12 rows where 8,000
    match, and reads them all before sorting.
    """
    if len(run) <= 2:
        return [run]
    grams = [run[i : i + 2] for i in range(0, len(run) - 1, 2)]
    if len(run) % 2:
        grams.append(run[-2:])
    return list(dict.fromkeys(grams))


def _word_clauses(word: str) -> list[Clause]:
    """Clauses for one white-space separated word of the query (already folded)."""
    if "@" in word:
        local, _, domain = word.rpartition("@")
        domain = domain.strip(".")
        if local and _LOCAL_PART.match(local) and _DOMAIN.match(domain):
            return [Clause(keys=(_key("email", f"{local}@{domain}"),))]
        clauses = []
        if local and _LOCAL_PART.match(local):
            clauses.append(Clause(keys=(_key("email-local", local),)))
        if domain and _TOKEN.fullmatch(domain):
            clauses.append(Clause(terms=(Term(domain.removeprefix("www."), prefix=True),)))
        return clauses
    if "." in word and _DOMAIN.match(word.removeprefix("www.")):
        domain = word.removeprefix("www.")
        domain_keys = (_key("email-local", word),) if _LOCAL_PART.match(word) else ()
        return [Clause(terms=(Term(domain, prefix=True),), keys=domain_keys)]
    parts = [part[:MAX_TOKEN_LENGTH] for part in _SPLIT.findall(word)]
    if parts and word.isascii() and _LOCAL_PART.match(word):
        # zhangsan, li-na, 12345678: words of a name, or the local part of an e-mail address
        # (or, when all digits, the end of a phone number).
        local_keys = {_key("email-local", word)}
        if word.isdigit():
            local_keys.update(_phone_query_keys(word))
        terms = tuple(Term(p, prefix=True) for p in parts)
        return [Clause(terms=terms, keys=tuple(sorted(local_keys)))]
    clauses = []
    for part in parts:
        if _CJK_RUN.fullmatch(part):
            clauses.append(Clause(terms=tuple(Term(g) for g in covering_bigrams(part))))
        else:
            part_keys = _phone_query_keys(part) if part.isdigit() else ()
            clauses.append(Clause(terms=(Term(part, prefix=True),), keys=part_keys))
    return clauses


def parse_query(text: str) -> Query:
    """What a search box or ``?q=`` asks for.

    Words are AND-ed; a Latin or digit word matches as a prefix (``zh`` finds zhangsan), a
    Chinese word by its bigrams (华为 finds 上海华为技术). A phone number in any usual format
    (``138 1234 5678``, ``+86-138-1234-5678``) or its last four or more digits matches the phones
    of the record; an e-mail address, its local part (``zhangsan@``) or domain match the e-mails.
    """
    folded = fold(text).strip()
    if not folded:
        return Query()
    if _PHONE_QUERY.match(folded) and not folded.isdigit():
        keys = _phone_query_keys(folded)
        if keys:
            return Query((Clause(keys=keys),))
    clauses: list[Clause] = []
    for word in folded.split():
        clauses.extend(_word_clauses(word))
    return Query(tuple(dict.fromkeys(c for c in clauses if c.terms or c.keys)))
