"""Cell parsing fast paths, the formula guard, company-name keys and mapping suggestions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.normalize import company_name_key
from guanxi.dataio import cleaning
from guanxi.dataio.cleaning import CellError
from guanxi.dataio.fields import suggest_mapping


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "２０２４年３月５日",
        "20240305",
        "45356",
        " 2024-03-05 00:00:00 ",
        "2024-03-05T10:30",
    ],
)
def test_dates_in_the_forms_people_type(text: str) -> None:
    assert cleaning.parse_date(text) == dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-02-30", "does not exist"), ("3/5/2024", "Not a date"), ("yesterday", "Not a date")],
)
def test_dates_that_are_not(text: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        cleaning.parse_date(text)


def test_date_and_time() -> None:
    value = cleaning.parse_datetime("2024年3月5日 14:30")
    assert value is not None
    assert (value.year, value.hour, value.minute, str(value.tzinfo)) == (
        2024,
        14,
        30,
        "Asia/Shanghai",
    )
    utc = cleaning.parse_datetime("2024-03-05T06:30:00+00:00")
    assert utc == dt.datetime(2024, 3, 5, 6, 30, tzinfo=dt.UTC)
    assert cleaning.parse_datetime("") is None


@given(st.text(max_size=30))
def test_guard_then_unguard_gives_the_text_back(text: str) -> None:
    guarded = cleaning.guard(text)
    assert cleaning.unguard(guarded) == text
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_leading_apostrophe_of_ones_own_is_kept() -> None:
    assert cleaning.unguard("'s-Hertogenbosch") == "'s-Hertogenbosch"
    assert cleaning.unguard("'=1+1") == "=1+1"


def test_phone_cells_mangled_by_spreadsheets() -> None:
    assert cleaning.phone_cell("13812345678.0") == "13812345678"
    with pytest.raises(CellError, match="shortened"):
        cleaning.phone_cell("1.38123E+10")


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (
            [
                "北京星辰科技有限公司",
                "北京 星辰科技（有限公司）",
                "北京星辰科技股份有限公司",
                "北京星辰科技",
            ],
            "北京星辰科技",
        ),
        (
            ["ＢＥＩＪＩＮＧ Star Co., Ltd.", "Beijing Star Company Limited", "beijing star"],
            "beijingstar",
        ),
        (["トヨタ(株)", "㈱トヨタ", "トヨタ株式会社"], "トヨタ"),
        (["Tesco PLC", "Tesco"], "tesco"),
        (["Cisco"], "cisco"),
        (["有限公司"], "有限公司"),
    ],
)
def test_company_names_that_are_the_same_company_share_a_key(names: list[str], key: str) -> None:
    assert {company_name_key(name) for name in names} == {key}


def _suggest(kind: str, headers: list[str]) -> dict[str, str]:
    return {headers[int(i)]: key for i, key in suggest_mapping(kind, headers).items()}


def test_suggestions_from_chinese_headers(db: Any) -> None:
    headers = [
        "客户名称*",
        "联系人",
        "手机号码",
        "公司电话",
        "电子邮箱",
        "所属行业",
        "负责人",
        "备注",
        "随便什么",
    ]
    assert _suggest("customers", headers) == {
        "客户名称*": "name",
        "联系人": "contact_name",
        "手机号码": "contact_mobile",
        "公司电话": "phone",
        "电子邮箱": "email",
        "所属行业": "industry",
        "负责人": "owner",
        "备注": "description",
    }


def test_suggestions_from_english_headers(db: Any) -> None:
    headers = ["Company", "Contact Name", "Mobile No", "E-Mail", "Web Site", "Tags", "Unrelated"]
    assert _suggest("customers", headers) == {
        "Company": "name",
        "Contact Name": "contact_name",
        "Mobile No": "contact_mobile",
        "E-Mail": "email",
        "Web Site": "website",
        "Tags": "tags",
    }


def test_a_list_of_people_becomes_person_customers(db: Any) -> None:
    assert _suggest("customers", ["姓名", "手机", "生日"]) == {
        "姓名": "name",
        "手机": "contact_mobile",
        "生日": "contact_birthday",
    }


def test_suggestions_for_contacts_and_interactions(db: Any) -> None:
    assert _suggest("contacts", ["公司", "姓名", "手机", "电话", "职位"]) == {
        "公司": "customer",
        "姓名": "name",
        "手机": "mobile",
        "电话": "phone",
        "职位": "title",
    }
    assert _suggest(
        "interactions", ["客户名称", "跟进时间", "跟进方式", "跟进内容", "时长(分钟)"]
    ) == {
        "客户名称": "customer",
        "跟进时间": "occurred_at",
        "跟进方式": "kind",
        "跟进内容": "content",
        "时长(分钟)": "duration_minutes",
    }
