"""Finding customers from the one search box (and ``?q=``), through selectors and services."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from guanxi.core.models import SearchKey
from guanxi.core.search import Document, capped_count
from guanxi.customers import services
from guanxi.customers.models import Customer
from guanxi.customers.search import customer_index, customers_reindex
from guanxi.customers.selectors import contact_list, customer_list


def found(actor: Any, q: str, **kwargs: Any) -> list[str]:
    return sorted(c.name for c in customer_list(actor=actor, q=q, **kwargs))


@pytest.fixture
def xingchen(rep: Any) -> Any:
    """北京星辰科技有限公司 with 张三 (mobile, e-mail) as its contact and a tag."""
    tag = services.tag_create(actor=rep, data={"name": "重点客户"})
    customer = services.customer_create(
        actor=rep,
        data={
            "name": "北京星辰科技有限公司",
            "city": "北京",
            "province": "北京市",
            "website": "https://www.xingchen-tech.com/about",
            "phone": "010-8888 6666",
            "email": "info@xingchen-tech.com",
            "tags": [tag],
        },
    )
    services.contact_create(
        actor=rep,
        customer=customer,
        data={
            "name": "张三",
            "title": "采购经理",
            "mobile": "13812345678",
            "email": "zs.1985@xingchen-tech.com",
        },
    )
    return customer


@pytest.fixture
def others(rep: Any) -> list[Any]:
    return [
        services.customer_create(actor=rep, data={"name": name})
        for name in ("上海华为技术有限公司", "重庆银行股份有限公司", "单雄信")
    ]


@pytest.mark.parametrize(
    "q",
    [
        "星辰",
        "星辰科技",
        "xingchen",
        "xingchenkeji",
        "beijingxing",
        "xc",
        "bjxc",
        "XingChen",
        "ｘｉｎｇｃｈｅｎ",
    ],
)
def test_a_name_is_found_by_chinese_fragment_pinyin_or_initials(
    rep: Any, xingchen: Any, others: Any, q: str
) -> None:
    assert found(rep, q) == ["北京星辰科技有限公司"]


def test_a_polyphonic_word_is_read_in_context(rep: Any, others: Any) -> None:
    assert found(rep, "yinhang") == ["重庆银行股份有限公司"]
    assert found(rep, "chongqing") == ["重庆银行股份有限公司"]


def test_a_person_customer_is_found_by_the_pinyin_of_the_surname(rep: Any, others: Any) -> None:
    services.customer_create(actor=rep, data={"name": "曾小贤", "kind": "person"})
    assert found(rep, "zengxiaoxian") == ["曾小贤"]
    assert found(rep, "zxx") == ["曾小贤"]


@pytest.mark.parametrize(
    "q",
    [
        "张三",
        "zhangsan",
        "zhang san",
        "zs",
        "采购",
        "138 1234 5678",
        "+86-138-1234-5678",
        "+86 13812345678",
        "13812345678",
        "5678",
        "345678",
        "zs.1985@xingchen-tech.com",
        "ZS.1985@XingChen-Tech.com",
        "zs.1985@",
        "zs.1985",
        "xingchen-tech.com",
        "@xingchen-tech.com",
    ],
)
def test_a_customer_is_found_by_its_contacts(rep: Any, xingchen: Any, others: Any, q: str) -> None:
    assert found(rep, q) == ["北京星辰科技有限公司"]


@pytest.mark.parametrize(
    "q", ["010-8888 6666", "(010) 88886666", "88886666", "6666", "info@xingchen-tech.com"]
)
def test_a_customer_is_found_by_its_own_phone_and_e_mail(
    rep: Any, xingchen: Any, others: Any, q: str
) -> None:
    assert found(rep, q) == ["北京星辰科技有限公司"]


@pytest.mark.parametrize("q", ["重点客户", "重点", "北京", "xingchen-tech"])
def test_a_customer_is_found_by_tag_city_and_website(
    rep: Any, xingchen: Any, others: Any, q: str
) -> None:
    assert found(rep, q) == ["北京星辰科技有限公司"]


@pytest.mark.parametrize(
    "q", ["1234", "13812345679", "lisi@xingchen-tech.com", "星辰 华为", "不存在", "xcz", "!!!"]
)
def test_what_does_not_match_finds_nothing(rep: Any, xingchen: Any, others: Any, q: str) -> None:
    assert found(rep, q) == []


def test_words_are_and_ed(rep: Any, xingchen: Any, others: Any) -> None:
    assert found(rep, "有限公司") == [
        "上海华为技术有限公司",
        "北京星辰科技有限公司",
        "重庆银行股份有限公司",
    ]
    assert found(rep, "有限公司 华为") == ["上海华为技术有限公司"]
    assert found(rep, "北京 zs") == ["北京星辰科技有限公司"]


def test_blank_search_changes_nothing(rep: Any, xingchen: Any, others: Any) -> None:
    assert len(found(rep, "  ")) == 4


def test_search_combines_with_filters(rep: Any, xingchen: Any, others: Any) -> None:
    assert found(rep, "有限公司", filters={"city": "北京"}) == ["北京星辰科技有限公司"]
    assert found(rep, "有限公司", filters={"city": "上海"}) == []


def test_a_rename_is_found_by_the_new_name_only(rep: Any, xingchen: Any) -> None:
    services.customer_update(actor=rep, customer=xingchen, data={"name": "深圳腾飞电子有限公司"})

    assert found(rep, "腾飞") == ["深圳腾飞电子有限公司"]
    assert found(rep, "tengfei") == ["深圳腾飞电子有限公司"]
    assert found(rep, "星辰") == []


def test_a_changed_phone_is_found_by_the_new_number_only(rep: Any, xingchen: Any) -> None:
    contact = xingchen.contacts.get()
    services.contact_update(actor=rep, contact=contact, data={"mobile": "139 0000 1111"})

    assert found(rep, "1111") == ["北京星辰科技有限公司"]
    assert found(rep, "5678") == []


def test_a_deleted_contact_no_longer_finds_the_customer(rep: Any, xingchen: Any) -> None:
    services.contact_delete(actor=rep, contact=xingchen.contacts.get())

    assert found(rep, "张三") == []
    assert found(rep, "5678") == []
    assert found(rep, "星辰") == ["北京星辰科技有限公司"]


def test_a_deleted_customer_is_not_found_but_the_recycle_bin_is_searchable(
    rep: Any, xingchen: Any
) -> None:
    services.customer_delete(actor=rep, customer=xingchen)

    assert found(rep, "星辰") == []
    assert found(rep, "5678") == []
    assert found(rep, "星辰", deleted=True) == ["北京星辰科技有限公司"]

    services.customer_restore(actor=rep, customer=xingchen)
    assert found(rep, "星辰") == ["北京星辰科技有限公司"]


def test_tags_changes_are_searchable(rep: Any, xingchen: Any, others: Any) -> None:
    tag = xingchen.tags.get()
    services.tag_update(actor=rep, tag=tag, data={"name": "战略伙伴"})
    assert found(rep, "战略") == ["北京星辰科技有限公司"]
    assert found(rep, "重点客户") == []

    services.customers_change_tags(actor=rep, customer_ids=[others[0].pk], add=[tag])
    assert found(rep, "战略") == ["上海华为技术有限公司", "北京星辰科技有限公司"]

    services.tag_delete(actor=rep, tag=tag)
    assert found(rep, "战略") == []


def test_a_rep_does_not_find_another_reps_customer(rep: Any, other_rep: Any, xingchen: Any) -> None:
    assert found(other_rep, "星辰") == []
    assert found(other_rep, "5678") == []
    assert found(other_rep, "zs.1985@xingchen-tech.com") == []


def test_contacts_are_searched_through_their_customer(rep: Any, xingchen: Any, others: Any) -> None:
    assert [c.name for c in contact_list(actor=rep, q="星辰")] == ["张三"]


def test_the_index_holds_no_phone_digits_or_e_mail(rep: Any, xingchen: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT rowid, tokens FROM customers_customer_search")
        else:
            cursor.execute("SELECT id, tsv::text FROM customers_customer_search")
        rows = cursor.fetchall()
    text = " ".join(str(value) for row in rows for value in row)
    # Keys are 64-bit numbers cut from an HMAC: none of them is a phone's digits (their decimal
    # spelling may contain any four digits by chance, so compare whole values).
    keys = set(SearchKey.objects.values_list("key", flat=True))

    assert rows == [(xingchen.pk, rows[0][1])]
    for secret in ("5678", "1234", "8888", "6666", "1985", "info"):
        assert secret not in text
    for digits in ("5678", "1234", "6666", "88886666", "1088886666", "13812345678"):
        assert int(digits) not in keys
    assert "xingchen-tech.com" in text
    assert SearchKey.objects.filter(object_id=xingchen.pk).count() == (
        8
        + 2  # contact mobile: last 4..11 digits; e-mail: address and local part
        + 7
        + 2  # customer landline 10 88886666: last 4..10 digits; e-mail
    )


def test_reindex_of_a_customer_that_is_gone_removes_its_entries(db: Any) -> None:
    gone = 987654
    document = Document()
    document.add_name("消失的公司")
    document.add_phone("+8613812345678")
    customer_index.replace({gone: document})
    assert SearchKey.objects.filter(object_id=gone).count() == 8

    customers_reindex([gone])

    assert SearchKey.objects.filter(object_id=gone).count() == 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM customers_customer_search WHERE rowid = %s", [gone]
            )
        else:
            cursor.execute("SELECT count(*) FROM customers_customer_search WHERE id = %s", [gone])
        assert cursor.fetchone() == (0,)


def test_search_results_are_ordered_counted_and_paged_like_any_list(
    rep: Any, xingchen: Any, others: Any
) -> None:
    newest_first = customer_list(actor=rep, q="有限公司")
    by_name = customer_list(actor=rep, q="有限公司", ordering="name")

    assert [c.name for c in newest_first] == [
        "重庆银行股份有限公司",
        "上海华为技术有限公司",
        "北京星辰科技有限公司",
    ]
    assert [c.name for c in by_name] == sorted(c.name for c in newest_first)
    assert newest_first.count() == 3
    assert [c.name for c in newest_first.filter(pk__lt=others[1].pk)] == [
        "上海华为技术有限公司",
        "北京星辰科技有限公司",
    ]
    assert str(capped_count(newest_first, cap=2)) == "2+"
    assert str(capped_count(newest_first)) == "3"


def test_a_search_used_as_a_subquery_or_for_an_update_touches_only_its_matches(
    rep: Any, xingchen: Any, others: Any
) -> None:
    matches = customer_list(actor=rep, q="华为")

    assert list(Customer.objects.filter(pk__in=matches.values("pk"))) == [others[0]]
    assert Customer.objects.filter(pk__in=matches.values("pk")).update(short_name="华为") == 1
    assert matches.update(city="上海") == 1
    assert sorted(Customer.objects.values_list("city", flat=True)) == ["", "", "上海", "北京"]


def test_search_rebuild_restores_a_lost_index(rep: Any, xingchen: Any, others: Any) -> None:
    customer_index.clear()
    customer_index.finish()
    assert found(rep, "星辰") == []

    call_command("search_rebuild", stdout=io.StringIO())

    assert found(rep, "星辰") == ["北京星辰科技有限公司"]
    assert found(rep, "5678") == ["北京星辰科技有限公司"]
    assert found(rep, "yinhang") == ["重庆银行股份有限公司"]


def test_search_results_can_be_grouped_and_counted(
    rep: Any, other_rep: Any, xingchen: Any, others: Any, admin: Any
) -> None:
    services.customer_create(actor=other_rep, data={"name": "广州星辰贸易有限公司"})

    counts = (
        customer_list(actor=admin, q="有限公司")
        .order_by()
        .values("owner__username")
        .annotate(n=Count("id"))
        .order_by("owner__username")
    )

    assert list(counts) == [
        {"owner__username": "other", "n": 1},
        {"owner__username": "rep", "n": 3},
    ]
    assert customer_list(actor=admin, q="星辰").exists()
    assert customer_list(actor=admin, q="xingchen").count() == 2
