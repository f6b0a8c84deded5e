"""Custom fields in the customer form and the customer list, through the web UI."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.core.models import AuditEntry
from guanxi.customers import services
from guanxi.customers.models import Customer
from guanxi.customization import services as custom_services
from guanxi.testing import factories

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")
CREATE = reverse("customers:customer-create")


@pytest.fixture(autouse=True)
def _english(rep_client: Any) -> None:
    rep_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def fields(admin: Any) -> dict[str, Any]:
    """One field of each kind the form and list treat differently."""
    specs = [
        ("grade", "choice", {"options": ["A", "B"], "is_filterable": True}),
        ("brands", "multi_choice", {"options": ["华为", "小米"]}),
        ("capacity", "integer", {"is_filterable": True, "is_required": True}),
        ("renewal_on", "date", {"is_filterable": True}),
        ("is_dealer", "boolean", {"is_filterable": True}),
        ("memo", "text", {"is_filterable": True, "help_text": "Anything worth knowing"}),
        ("region", "text", {"default": "华东", "is_shown_in_list": False}),
        ("partner", "lookup", {"lookup_target": "customer"}),
    ]
    made = {}
    for position, (key, field_type, extra) in enumerate(specs):
        data = {
            "model": "customers.customer",
            "key": key,
            "label_zh": f"{key}标签",
            "label_en": key.replace("_", " ").title(),
            "field_type": field_type,
            "is_shown_in_list": True,
            "position": position,
            **extra,
        }
        made[key] = custom_services.field_definition_create(actor=admin, data=data)
    return made


def create_data(owner: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": "company",
        "name": "新客户公司",
        "lifecycle_stage": "lead",
        "owner": owner.pk,
        "cf_grade": "A",
        "cf_brands": ["华为", "小米"],
        "cf_capacity": "1,200",
        "cf_renewal_on": "2027-03-01",
        "cf_is_dealer": "on",
        "cf_memo": "老朋友介绍",
        "cf_region": "华南",
    }
    data.update(changes)
    return data


def edit_data(obj: Customer, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": obj.kind,
        "name": obj.name,
        "lifecycle_stage": obj.lifecycle_stage,
        "owner": obj.owner_id or "",
        "version": obj.version,
    }
    data.update(changes)
    return data


def names(response: Any) -> list[str]:
    text = response.content.decode()
    return [html.unescape(n) for n in re.findall(r'data-testid="customer-name">([^<]*)</a>', text)]


def cell(response: Any, customer_id: int, key: str) -> str:
    """The text of a custom column in a customer's row."""
    text = response.content.decode()
    row = re.search(rf'data-id="{customer_id}">(.*?)</tr>', text, re.S)
    assert row, f"no row {customer_id}"
    match = re.search(rf'data-field="custom.{key}"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert match, f"no cell {key}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


# --- the form -------------------------------------------------------------------------------


def test_form_shows_each_custom_field_with_the_widget_of_its_type(rep_client, fields):
    body = rep_client.get(CREATE).content.decode()

    assert re.search(r'<select name="cf_grade"[^>]*class="form-select"', body)
    assert re.search(r'<select name="cf_brands"[^>]*data-gx-picker="1"[^>]*multiple', body)
    assert re.search(r'<input type="text" name="cf_renewal_on"[^>]*data-gx-date="date"', body)
    assert re.search(r'<input type="checkbox" name="cf_is_dealer"', body)
    assert re.search(r'<select name="cf_partner"[^>]*data-gx-picker="1"', body)
    assert re.search(r'name="cf_capacity"[^>]*required', body)
    assert "Anything worth knowing" in body
    # The default fills in a new record's field
    assert re.search(r'name="cf_region" value="华东"', body)


def test_create_saves_custom_values_through_the_service(rep_client, rep, fields):
    response = rep_client.post(CREATE, create_data(rep))

    assert response.status_code == 302
    created = Customer.objects.get(name="新客户公司")
    assert created.custom == {
        "grade": "A",
        "brands": ["华为", "小米"],
        "capacity": 1200,
        "renewal_on": "2027-03-01",
        "is_dealer": True,
        "memo": "老朋友介绍",
        "region": "华南",
    }
    assert created.owner == rep


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cf_capacity": "很多"}, "cf_capacity", "Enter a whole number."),
        ({"cf_grade": "Z"}, "cf_grade", "“Z” is not a valid choice."),
        ({"cf_brands": ["苹果"]}, "cf_brands", "“苹果” is not a valid choice."),
        ({"cf_renewal_on": "2027-02-30"}, "cf_renewal_on", "Enter a valid date (YYYY-MM-DD)."),
        ({"cf_capacity": ""}, "cf_capacity", "This field is required."),
    ],
)
def test_bad_custom_value_is_shown_next_to_its_field_and_nothing_is_stored(
    rep_client, rep, fields, changes, field, message
):
    response = rep_client.post(CREATE, create_data(rep, **changes))

    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    error = re.search(rf'data-testid="error-{field}">([^<]*)<', body)
    assert error, body[:2000]
    assert error.group(1) == message
    labels = re.search(r'data-testid="error-labels">([^<]*)<', body)
    assert labels
    assert labels.group(1) == fields[field.removeprefix("cf_")].label_en
    assert not Customer.objects.filter(name="新客户公司").exists()


def test_edit_shows_stored_values_and_changes_only_what_was_changed(rep_client, rep, fields):
    obj = factories.CustomerFactory(
        owner=rep, custom={"capacity": 80, "grade": "B", "legacy": "kept"}
    )
    url = reverse("customers:customer-edit", kwargs={"pk": obj.pk})

    body = rep_client.get(url).content.decode()
    assert re.search(r'name="cf_capacity" value="80"', body)
    assert re.search(r'<option value="B" selected>', body)

    response = rep_client.post(url, edit_data(obj, cf_capacity="90", cf_grade="B"))

    assert response.status_code == 302
    obj.refresh_from_db()
    # The unchecked yes/no field that was never set stays unset; other keys are kept
    assert obj.custom == {"capacity": 90, "grade": "B", "legacy": "kept"}
    assert obj.version == 2
    entry = AuditEntry.objects.filter(object_id=str(obj.pk)).order_by("-id").first()
    assert entry is not None
    assert entry.changes["custom"][1]["capacity"] == 90


def test_edit_with_a_bad_value_changes_nothing(rep_client, rep, fields):
    obj = factories.CustomerFactory(owner=rep, name="原名", custom={"capacity": 80})
    url = reverse("customers:customer-edit", kwargs={"pk": obj.pk})

    response = rep_client.post(url, edit_data(obj, name="新名", cf_capacity="1.5"))

    assert response.status_code == 200
    assert 'data-testid="error-cf_capacity"' in response.content.decode()
    obj.refresh_from_db()
    assert (obj.name, obj.custom, obj.version) == ("原名", {"capacity": 80}, 1)


def test_edit_with_a_stale_version_shows_custom_values_on_the_conflict_screen(
    rep_client, rep, fields
):
    obj = factories.CustomerFactory(owner=rep, custom={"capacity": 80})
    opened = edit_data(obj, cf_capacity="99")
    services.customer_update(actor=rep, customer=obj, data={"custom": {"capacity": 85}}, version=1)

    response = rep_client.post(reverse("customers:customer-edit", kwargs={"pk": obj.pk}), opened)

    body = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert re.search(r'data-testid="current-value">85<', body)
    assert re.search(r'data-testid="your-value">99<', body)
    assert 'type="hidden" name="cf_capacity" value="99"' in body
    obj.refresh_from_db()
    assert (obj.custom, obj.version) == ({"capacity": 85}, 2)


def test_lookup_offers_only_records_the_user_may_see(rep_client, rep, other_rep, fields):
    factories.CustomerFactory(owner=rep, name="我的伙伴")
    hidden = factories.CustomerFactory(owner=other_rep, name="别人的伙伴")

    body = rep_client.get(CREATE).content.decode()
    assert "我的伙伴" in body
    assert "别人的伙伴" not in body

    response = rep_client.post(CREATE, create_data(rep, cf_partner=str(hidden.pk)))
    assert response.status_code == 200
    assert 'data-testid="error-cf_partner"' in response.content.decode()
    assert not Customer.objects.filter(name="新客户公司").exists()


# --- the list -------------------------------------------------------------------------------


def test_list_shows_custom_columns_with_readable_values(rep_client, rep, fields):
    partner = factories.CustomerFactory(owner=rep, name="伙伴公司")
    obj = factories.CustomerFactory(
        owner=rep,
        name="甲",
        custom={
            "grade": "A",
            "brands": ["华为", "小米"],
            "is_dealer": True,
            "partner": partner.pk,
            "region": "华东",
        },
    )

    response = rep_client.get(LIST)

    body = response.content.decode()
    headers = re.findall(r'data-testid="custom-column" data-key="(\w+)"', body)
    assert headers == ["grade", "brands", "capacity", "renewal_on", "is_dealer", "memo", "partner"]
    assert cell(response, obj.pk, "grade") == "A"
    assert cell(response, obj.pk, "brands") == "华为小米"
    assert cell(response, obj.pk, "is_dealer") == "Yes"
    assert cell(response, obj.pk, "partner") == "伙伴公司"
    assert cell(response, obj.pk, "capacity") == "—"


def test_custom_columns_never_show_a_record_outside_the_users_scope(
    rep_client, rep, other_rep, fields
):
    secret = factories.CustomerFactory(owner=other_rep, name="别人的", custom={"memo": "机密备注"})
    mine = factories.CustomerFactory(owner=rep, name="我的", custom={"partner": secret.pk})

    for params in ({}, {"sort": "custom.memo"}, {"cf_memo__contains": "机密"}, {"q": "机密备注"}):
        response = rep_client.get(LIST, params)
        body = html.unescape(response.content.decode())
        assert f'data-id="{secret.pk}"' not in body
        assert "别人的" not in body
        assert names(response) == ([] if len(params) and "sort" not in params else ["我的"])
        if not params or "sort" in params:
            assert "机密备注" not in body
    # A link to a customer she may not see shows its id, never its name
    assert cell(rep_client.get(LIST), mine.pk, "partner") == f"#{secret.pk}"


def test_sortable_custom_columns_sort_and_page_with_empty_values_last(rep_client, rep, fields):
    for name, capacity in (("小", 5), ("大", 500), ("中", 50), ("空", None)):
        custom = {} if capacity is None else {"capacity": capacity}
        factories.CustomerFactory(owner=rep, name=name, custom=custom)
    factories.CustomerFactory(owner=rep, name="日期", custom={"renewal_on": "2027-01-01"})

    body = rep_client.get(LIST).content.decode()
    # Filterable fields shown in lists get a sort link; others a plain header
    assert 'href="/customers/?sort=custom.capacity"' in body
    assert not re.search(r'data-key="brands"><a', body)

    first = rep_client.get(LIST, {"sort": "-custom.capacity", "size": "25"})
    assert names(first)[:3] == ["大", "中", "小"]
    assert names(first)[-2:] in (["日期", "空"], ["空", "日期"])

    ascending = rep_client.get(LIST, {"sort": "custom.capacity"})
    assert names(ascending)[:3] == ["小", "中", "大"]


def test_keyset_paging_walks_a_custom_sort_without_gaps(rep, fields):
    from guanxi.customers import selectors
    from guanxi.customers.views.lists import keyset_page

    for i in range(7):
        factories.CustomerFactory(owner=rep, name=f"客户{i}", custom={"capacity": i % 3})
    factories.CustomerFactory(owner=rep, name="无", custom={})
    queryset = selectors.customer_list(actor=rep, ordering="-custom.capacity")

    seen: list[str] = []
    after = ""
    while True:
        page = keyset_page(queryset, sort="-custom.capacity", size=3, after=after)
        seen.extend(c.name for c in page.rows)
        if not page.next_cursor:
            break
        after = page.next_cursor

    assert len(seen) == 8
    assert len(set(seen)) == 8
    assert seen[-1] == "无"
    back = keyset_page(queryset, sort="-custom.capacity", size=3, before=after)
    assert [c.name for c in back.rows] == seen[2:5]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf_grade": "A"}, ["甲"]),
        ({"cf_capacity__gte": "100"}, ["甲"]),
        ({"cf_capacity__lte": "100"}, ["乙"]),
        ({"cf_renewal_on__gte": "2027-01-01", "cf_renewal_on__lte": "2027-12-31"}, ["乙"]),
        ({"cf_is_dealer": "true"}, ["甲"]),
        ({"cf_memo__contains": "vip"}, ["乙"]),
    ],
)
def test_filter_panel_filters_by_custom_fields(rep_client, rep, fields, params, expected):
    factories.CustomerFactory(
        owner=rep,
        name="甲",
        custom={"grade": "A", "capacity": 900, "renewal_on": "2026-03-01", "is_dealer": True},
    )
    factories.CustomerFactory(
        owner=rep,
        name="乙",
        custom={"grade": "B", "capacity": 80, "renewal_on": "2027-06-01", "memo": "老VIP客户"},
    )

    response = rep_client.get(LIST, params)

    assert names(response) == expected
    body = response.content.decode()
    assert 'id="gx-filter-cf_capacity__gte"' in body
    assert re.search(r'<select name="cf_grade"', body)


def test_a_filter_of_the_wrong_type_is_marked_and_left_out(rep_client, rep, fields):
    factories.CustomerFactory(owner=rep, name="甲", custom={"capacity": 900})
    factories.CustomerFactory(owner=rep, name="乙", custom={"capacity": 80})

    response = rep_client.get(LIST, {"cf_capacity__gte": "很多", "cf_grade": "Z"})

    assert response.status_code == 200
    assert sorted(names(response)) == ["乙", "甲"]
    assert "Some filters could not be read and were left out." in response.content.decode()


def test_list_with_custom_columns_costs_the_same_queries_for_5_and_50_rows(
    rep_client, rep, fields, django_assert_max_num_queries
):
    partner = factories.CustomerFactory(owner=rep, name="伙伴")

    def add(count: int) -> None:
        for i in range(count):
            factories.CustomerFactory(
                owner=rep,
                name=f"客户{i}",
                custom={"grade": "A", "capacity": i, "partner": partner.pk},
            )

    add(4)
    with CaptureQueriesContext(connection) as five:
        assert len(names(rep_client.get(LIST, {"size": "50", "sort": "custom.capacity"}))) == 5
    add(45)
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as fifty:
        assert len(names(rep_client.get(LIST, {"size": "50", "sort": "custom.capacity"}))) == 50

    assert len(fifty) == len(five), [q["sql"][:150] for q in fifty.captured_queries]
