"""The customer list: filters, search, ordering, cursor pagination and its query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from guanxi.customers import selectors
from guanxi.customers.models import Customer, Industry, Level, Source
from guanxi.customers.tests.api_support import error_field
from guanxi.testing import factories

URL = "/api/v1/customers/"


def at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T10:00:00"))


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(c["name"] for c in response.json()["results"])


@pytest.fixture
def book(rep, other_rep, db):
    """Customers that differ in every filterable attribute."""
    industry = Industry.objects.create(name="制造业")
    level = Level.objects.create(name="A")
    source = Source.objects.create(name="展会")
    vip = factories.TagFactory(name="VIP")
    a = factories.CustomerFactory(
        owner=rep,
        name="甲公司",
        province="北京",
        city="北京",
        industry=industry,
        level=level,
        lifecycle_stage="customer",
        phone="+8613812345678",
    )
    b = factories.CustomerFactory(
        owner=rep,
        name="乙个人",
        kind="person",
        province="浙江",
        city="杭州",
        source=source,
        lifecycle_stage="lead",
        email="yi@example.com",
    )
    c = factories.CustomerFactory(owner=rep, name="丙公司", province="浙江", city="宁波")
    factories.CustomerFactory(owner=other_rep, name="丁公司-别人的", province="北京", city="北京")
    a.tags.set([vip])
    c.tags.set([vip])
    Customer.objects.filter(pk=a.pk).update(
        created_at=at("2026-01-05"), last_contacted_at=at("2026-03-01")
    )
    Customer.objects.filter(pk=b.pk).update(
        created_at=at("2026-02-10"), last_contacted_at=at("2026-04-15")
    )
    Customer.objects.filter(pk=c.pk).update(created_at=at("2026-03-20"))
    return {"industry": industry, "level": level, "source": source, "vip": vip}


ALL_MINE = ["丙公司", "乙个人", "甲公司"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL_MINE),
        ({"tag": "vip"}, ["丙公司", "甲公司"]),
        ({"level": "level"}, ["甲公司"]),
        ({"industry": "industry"}, ["甲公司"]),
        ({"source": "source"}, ["乙个人"]),
        ({"province": "浙江"}, ["丙公司", "乙个人"]),
        ({"city": "杭州"}, ["乙个人"]),
        ({"lifecycle_stage": "customer"}, ["甲公司"]),
        ({"kind": "person"}, ["乙个人"]),
        ({"kind": "company"}, ["丙公司", "甲公司"]),
        ({"created_from": "2026-02-10"}, ["丙公司", "乙个人"]),
        ({"created_to": "2026-02-10"}, ["乙个人", "甲公司"]),
        ({"created_from": "2026-02-01", "created_to": "2026-02-28"}, ["乙个人"]),
        ({"contacted_from": "2026-04-01"}, ["乙个人"]),
        ({"contacted_to": "2026-03-01"}, ["甲公司"]),
        ({"never_contacted": "true"}, ["丙公司"]),
        ({"never_contacted": "false"}, ALL_MINE),
        ({"province": "浙江", "tag": "vip"}, ["丙公司"]),
        ({"city": "上海"}, []),
        ({"owner": "other"}, []),
    ],
)
def test_filters_narrow_the_list_to_exactly_the_matching_customers(
    rep_api, book, other_rep, params, expected
):
    # ids are given by name in the table: resolve them
    ids = {**{k: v.pk for k, v in book.items()}, "other": other_rep.pk}
    query = {key: ids.get(value, value) for key, value in params.items()}

    assert names(rep_api.get(URL, query)) == expected


def test_the_owner_filter_finds_her_own(rep_api, rep, book):
    assert names(rep_api.get(URL, {"owner": rep.pk})) == ALL_MINE


def test_search_finds_by_name_fragment_phone_and_email(rep_api, book):
    assert names(rep_api.get(URL, {"q": "甲公"})) == ["甲公司"]
    assert names(rep_api.get(URL, {"q": "13812345678"})) == ["甲公司"]
    assert names(rep_api.get(URL, {"q": "yi@example.com"})) == ["乙个人"]
    assert names(rep_api.get(URL, {"q": "丁公司"})) == []  # another rep's customer


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"created_from": "2026-02-30"}, "created_from"),
        ({"created_to": "yesterday"}, "created_to"),
        ({"contacted_from": "0001-01-01"}, "contacted_from"),
        ({"contacted_to": "9999-12-31"}, "contacted_to"),
        ({"tag": "abc"}, "tag"),
        ({"owner": "99999999999999999999999"}, "owner"),
        ({"level": "-1"}, "level"),
        ({"kind": "robot"}, "kind"),
        ({"lifecycle_stage": "x"}, "lifecycle_stage"),
        ({"never_contacted": "perhaps"}, "never_contacted"),
        ({"ordering": "password"}, "ordering"),
        ({"ordering": "-name; DROP TABLE customers_customer"}, "ordering"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"city": "x" * 33}, "city"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        # a cursor made for another ordering
        ({"cursor": "eyJrIjpbIm5hbWUiLCJpZCJdLCJ2IjpbIngiLDFdfQ"}, "cursor"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_the_parameter(rep_api, book, params, field):
    response = rep_api.get(URL, params)

    assert response.status_code == 400
    assert error_field(response) == field


def test_a_huge_page_size_is_capped(rep_api, rep, monkeypatch):
    # given more customers than the largest page
    from guanxi.core.pagination import CursorPagination

    monkeypatch.setattr(CursorPagination, "max_page_size", 3)
    for i in range(5):
        factories.CustomerFactory(owner=rep, name=f"客户{i}")

    # when a client asks for an absurd page size
    response = rep_api.get(URL, {"page_size": "1" + "0" * 30})

    # then it gets the largest page, and a link to the rest
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert response.json()["next"] is not None


@pytest.mark.parametrize("ordering", sorted(selectors.ORDERINGS))
def test_the_cursor_walks_every_customer_exactly_once_in_every_ordering(rep_api, rep, ordering):
    # given customers with equal names, equal dates and empty (NULL) dates
    day = at("2026-05-01")
    for i in range(11):
        customer = factories.CustomerFactory(owner=rep, name=f"客户{i % 3}")
        Customer.objects.filter(pk=customer.pk).update(
            created_at=day + dt.timedelta(days=i % 2),
            updated_at=day,
            last_contacted_at=None if i % 3 == 0 else day + dt.timedelta(hours=i % 4),
            next_follow_up_on=None if i % 4 == 0 else (day + dt.timedelta(days=i % 3)).date(),
        )
    expected = list(
        selectors.customer_list(actor=rep, ordering=ordering).values_list("id", flat=True)
    )

    # when the client follows the next links, four at a time
    seen, pages = [], []
    url = f"{URL}?ordering={ordering}&page_size=4"
    while url:
        body = rep_api.get(url).json()
        pages.append(url)
        seen.extend(c["id"] for c in body["results"])
        url = body["next"]

    # then it sees every customer once, in the list's order
    assert seen == expected
    assert len(pages) == 3

    # and following the previous links back from the last page gives the same pages
    back, url = [], pages[-1]
    while url:
        body = rep_api.get(url).json()
        back = [c["id"] for c in body["results"]] + back
        url = body["previous"]
    assert back == expected


def test_a_cursor_survives_rows_added_before_it(rep_api, rep):
    # given a first page of two
    customers = [factories.CustomerFactory(owner=rep, name=f"客户{i}") for i in range(4)]
    first = rep_api.get(URL, {"page_size": 2}).json()
    assert [c["id"] for c in first["results"]] == [customers[3].pk, customers[2].pk]

    # when a new customer arrives before the client asks for the next page
    factories.CustomerFactory(owner=rep, name="新客户")

    # then the next page continues where the first ended: nothing repeated, nothing skipped
    second = rep_api.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [customers[1].pk, customers[0].pk]


def test_listing_customers_costs_the_same_queries_for_one_or_many(
    rep_api, rep, django_assert_num_queries
):
    tags = [factories.TagFactory(name=f"标签{i}") for i in range(3)]
    industry = Industry.objects.create(name="制造业")

    def add(count):
        for _ in range(count):
            customer = factories.CustomerFactory(owner=rep, industry=industry)
            customer.tags.set(tags)

    add(1)
    rep_api.get(URL)  # the token's first use records it; later requests do not write

    # token + roles, the page, the tags of the page
    with django_assert_num_queries(4):
        assert len(rep_api.get(URL).json()["results"]) == 1
    add(20)
    with django_assert_num_queries(4):
        assert len(rep_api.get(URL).json()["results"]) == 21
