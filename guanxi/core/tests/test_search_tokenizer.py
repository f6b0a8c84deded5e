"""The search tokenizer: what a record is found by, and what a query looks for."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guanxi.core import crypto
from guanxi.core.search.backends import fts5_expression, tsquery_text, tsvector_text
from guanxi.core.search.pinyin import person_syllables, syllables
from guanxi.core.search.tokens import (
    Clause,
    Document,
    Term,
    domain_tokens,
    email_keys,
    fold,
    parse_query,
    phone_keys,
    pinyin_tokens,
    search_key,
    text_tokens,
    website_tokens,
)

# What the FTS5 tokenizer (ascii, tokenchars '@._-+') keeps as one token.
FTS_TOKEN = re.compile(r"[a-z0-9_@.+\-\u0080-\U0010ffff]+")

han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
han_names = st.text(han, min_size=1, max_size=12)
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def document_of(name: str, *, person: bool = False) -> Document:
    document = Document()
    document.add_name(name, person=person)
    return document


def matches(document: Document, q: str) -> bool:
    """Whether ``q`` finds ``document``, as the index would answer (tokens and keys)."""
    tokens = set(document.unique_tokens())

    def term_matches(term: Term) -> bool:
        if term.prefix:
            return any(token.startswith(term.text) for token in tokens)
        return term.text in tokens

    query = parse_query(q)
    return bool(query) and all(
        (clause.terms and all(term_matches(t) for t in clause.terms))
        or bool(set(clause.keys) & document.keys)
        for clause in query.clauses
    )


# --- tokens of records --------------------------------------------------------------------------


def test_chinese_text_gives_unigrams_and_bigrams() -> None:
    assert text_tokens("华为技术") == ["华", "华为", "为", "为技", "技", "技术", "术"]


def test_latin_text_gives_folded_words() -> None:
    assert text_tokens("ＡＢＣ Trading, Café-Bar 58同城") == [
        "abc",
        "trading",
        "cafe",
        "bar",
        "58",
        "同",
        "同城",
        "城",
    ]


def test_pinyin_and_initials_start_at_every_character() -> None:
    assert pinyin_tokens("张三") == ["zhangsan", "zs", "san"]
    assert pinyin_tokens("星辰科技") == [
        "xingchenkeji",
        "xingchen",
        "xckj",
        "chenkeji",
        "chenke",
        "ckj",
        "keji",
        "kj",
        "ji",
    ]


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("重庆银行", ["chong", "qing", "yin", "hang"]),
        ("厦门长城贸易", ["xia", "men", "chang", "cheng", "mao", "yi"]),
        ("成都", ["cheng", "du"]),
    ],
)
def test_characters_with_several_readings_are_read_as_words(name: str, reading: list[str]) -> None:
    assert syllables(name) == reading


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("单雄信", ["shan", "xiong", "xin"]),
        ("曾国藩", ["zeng", "guo", "fan"]),
        ("解晓东", ["xie", "xiao", "dong"]),
        ("仇英", ["qiu", "ying"]),
        ("区志强", ["ou", "zhi", "qiang"]),
        ("查良镛", ["zha", "liang", "yong"]),
        ("朴树", ["piao", "shu"]),
        ("长孙无忌", ["zhang", "sun", "wu", "ji"]),
        ("尉迟恭", ["yu", "chi", "gong"]),
        ("张伟", ["zhang", "wei"]),
    ],
)
def test_surnames_are_read_as_surnames(name: str, reading: list[str]) -> None:
    assert person_syllables(name) == reading


def test_a_company_name_is_not_read_as_a_surname() -> None:
    assert syllables("单位") == ["dan", "wei"]
    assert "shanxiongxin" in document_of("单雄信", person=True).tokens
    assert "danxiongxin" in document_of("单雄信").tokens


def test_phone_keys_cover_every_suffix_of_at_least_four_digits() -> None:
    keys = phone_keys("+8613812345678")

    assert len(keys) == 8
    assert keys == {search_key("phone", "13812345678"[-n:]) for n in range(4, 12)}
    assert len(phone_keys("+861088886666")) == 7  # 10 88886666: the area code without its 0


def test_keys_are_the_blind_index_of_the_value() -> None:
    digest = crypto.blind_index("5678", purpose="search:phone")
    assert search_key("phone", "5678") == int.from_bytes(bytes.fromhex(digest[:16]), signed=True)


def test_e_mails_give_keys_and_a_plain_domain() -> None:
    document = Document()
    document.add_email("Zhang.San@Huawei.COM")

    assert document.keys == email_keys("zhang.san@huawei.com")
    assert document.keys == {
        search_key("email", "zhang.san@huawei.com"),
        search_key("email-local", "zhang.san"),
    }
    assert document.tokens == ["huawei.com", "huawei"]


def test_domains_drop_www_and_keep_their_labels() -> None:
    assert website_tokens("https://www.xingchen-tech.com.cn/about") == [
        "xingchen-tech.com.cn",
        "xingchen-tech",
        "xingchen",
        "tech",
        "com",
    ]
    assert website_tokens("huawei.com") == ["huawei.com", "huawei"]
    assert domain_tokens("not a domain") == []


# --- queries ------------------------------------------------------------------------------------


def test_a_chinese_query_looks_for_the_bigrams_that_cover_it_exactly() -> None:
    assert parse_query("华为技术").clauses == (Clause(terms=(Term("华为"), Term("技术"))),)
    assert parse_query("新客户").clauses == (Clause(terms=(Term("新客"), Term("客户"))),)
    assert parse_query("华为").clauses == (Clause(terms=(Term("华为"),)),)
    assert parse_query("张").clauses == (Clause(terms=(Term("张"),)),)


def test_a_latin_word_is_a_prefix_or_the_local_part_of_an_e_mail() -> None:
    assert parse_query("ZhangSan").clauses == (
        Clause(
            terms=(Term("zhangsan", prefix=True),), keys=(search_key("email-local", "zhangsan"),)
        ),
    )


@pytest.mark.parametrize(
    "q", ["138 1234 5678", "+86-138-1234-5678", "+86 13812345678", "(+86) 138-1234-5678"]
)
def test_a_phone_in_any_usual_format_looks_for_its_full_number(q: str) -> None:
    (clause,) = parse_query(q).clauses
    assert clause.terms == ()
    assert search_key("phone", "13812345678") in clause.keys


def test_an_e_mail_address_looks_for_its_key_only() -> None:
    assert parse_query("Zhang.San@Huawei.com").clauses == (
        Clause(keys=(search_key("email", "zhang.san@huawei.com"),)),
    )
    assert parse_query("zhang.san@hua").clauses == (
        Clause(keys=(search_key("email-local", "zhang.san"),)),
        Clause(terms=(Term("hua", prefix=True),)),
    )


def test_words_are_and_ed_and_blank_queries_are_empty() -> None:
    assert len(parse_query("华为 zs 5678").clauses) == 3
    assert not parse_query("   ")
    assert not parse_query("!!! ，。")


def test_query_literals_are_quoted_for_each_database() -> None:
    terms = [Term("华为"), Term("huawei.com", prefix=True)]
    assert fts5_expression(terms) == '"华为" AND "huawei.com"*'
    assert tsquery_text(terms) == "'华为' & 'huawei.com':*"
    assert tsquery_text([Term("o'neil")]) == "'o''neil'"
    assert tsvector_text(["a\\b", "it's"]) == "'a\\\\b' 'it''s'"


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_every_token_and_term_stays_one_database_token(text: str) -> None:
    document = Document()
    document.add_name(text)
    document.add_text(text)
    document.add_website(text)
    for token in document.unique_tokens():
        assert FTS_TOKEN.fullmatch(token), token
        assert len(token) <= 64
    for clause in parse_query(text).clauses:
        for term in clause.terms:
            assert FTS_TOKEN.fullmatch(term.text), term
            assert '"' not in term.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
@example("Àῶ")  # casefold() decomposes ῶ
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@settings(max_examples=200, deadline=None)
@given(han_names, st.data())
def test_any_fragment_of_a_chinese_name_finds_it(name: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, len(name)))
    assert matches(document_of(name), name[start:end])


@settings(max_examples=200, deadline=None)
@given(han_names, st.data())
def test_the_pinyin_or_initials_typed_from_any_character_find_the_name(
    name: str, data: st.DataObject
) -> None:
    readings = syllables(name)
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, min(len(name), start + 10)))
    words = readings[start:end]
    if not all(words):
        return
    full = "".join(words)
    typed = full[: data.draw(st.integers(1, len(full)))]
    document = document_of(name)
    assert matches(document, typed)
    if len(words) > 1:
        assert matches(document, "".join(w[0] for w in words))


@settings(max_examples=100, deadline=None)
@given(mobiles, st.integers(4, 11))
def test_a_mobile_is_found_by_any_format_and_any_suffix(mobile: str, length: int) -> None:
    document = Document()
    document.add_phone(f"+86{mobile}")

    for q in (
        mobile,
        f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        f"0086 {mobile}",
        mobile[-length:],
    ):
        assert matches(document, q), q
    assert not any(mobile[-4:] in token for token in document.tokens)
