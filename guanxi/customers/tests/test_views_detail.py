"""The customer's 360° page and its inline (htmx) parts: contacts, timeline, attachments."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertInHTML, assertNotContains

from guanxi.customers import services
from guanxi.customers.models import (
    Attachment,
    Contact,
    Customer,
    Industry,
    Interaction,
    Level,
    Source,
    Tag,
)
from guanxi.testing import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HX-Request": "true"}


def html(response: Any) -> str:
    return response.content.decode()


def field(name: str, inner: str, tag: str = "div", css: str = "datagrid-content") -> str:
    return f'<{tag} class="{css}" data-field="{name}">{inner}</{tag}>'


def fact(name: str, inner: str) -> str:
    return field(name, inner, css="datagrid-content text-break")


def field_error(name: str, message: str) -> str:
    return f'<div class="invalid-feedback d-block" data-field-error="{name}">{message}</div>'


def hx_get(client: Client, url: str, **params: Any) -> Any:
    return client.get(url, params, headers=HTMX)


def hx_post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, headers=HTMX)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    """Assert the English source texts (the default language is zh-Hans)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def full_customer(rep: Any, other_rep: Any) -> Customer:
    """A company with every profile field filled in, a collaborator and a tag."""
    industry = Industry.objects.create(name="制造业")
    level = Level.objects.create(name="A级")
    source = Source.objects.create(name="展会")
    tag = Tag.objects.create(name="重点客户", colour="red")
    customer = services.customer_create(
        actor=rep,
        data={
            "kind": "company",
            "name": "星辰科技有限公司",
            "short_name": "星辰",
            "industry": industry,
            "size": "50-199",
            "level": level,
            "source": source,
            "lifecycle_stage": "prospect",
            "province": "广东省",
            "city": "深圳市",
            "district": "南山区",
            "address": "科技园南区8栋",
            "website": "https://xingchen.example.cn",
            "phone": "0755-8888 6666",
            "email": "Sales@XingChen.example.cn",
            "description": "年采购额约五百万。\n关注交货期。",
            "tags": [tag],
        },
    )
    services.collaborator_set(actor=rep, customer=customer, user=other_rep)
    return customer


def detail_url(customer: Customer) -> str:
    return reverse("customers:customer-detail", args=[customer.pk])


# --- the page -------------------------------------------------------------------------------


def test_detail_page_shows_every_section_with_exact_values(
    rep_client: Client, rep: Any, other_rep: Any, full_customer: Customer
) -> None:
    # given a customer with a contact, a timeline entry with a file, and a file of its own
    other_rep.display_name = "李四"
    other_rep.save()
    rep.display_name = "王五"
    rep.save()
    contact = services.contact_create(
        actor=rep,
        customer=full_customer,
        data={
            "name": "张三",
            "title": "采购经理",
            "mobile": "138 1234 5678",
            "phone": "010-8888 8888",
            "email": "zhangsan@example.cn",
            "wechat": "zhangsan_wx",
            "birthday": dt.date(1985, 6, 1),
        },
    )
    interaction = services.interaction_create(
        actor=rep,
        customer=full_customer,
        data={
            "kind": "visit",
            "occurred_at": dt.datetime(2026, 3, 4, 14, 30, tzinfo=SHANGHAI),
            "subject": "上门拜访",
            "content": "谈了新报价。\n下周再约。",
            "outcome": "positive",
            "duration_minutes": 45,
            "contact": contact,
            "next_follow_up_on": dt.date(2026, 12, 10),
        },
    )
    services.attachment_create(
        actor=rep,
        customer=full_customer,
        upload=SimpleUploadedFile("纪要.pdf", b"%PDF-1.4 minutes"),
        interaction=interaction,
    )
    services.attachment_create(
        actor=rep, customer=full_customer, upload=SimpleUploadedFile("合同.docx", b"contract")
    )

    # when the owner opens the 360° page
    response = rep_client.get(detail_url(full_customer))

    # then every section shows the stored values
    assert response.status_code == 200
    page = html(response)
    assertInHTML('<span data-field="kind">Company</span>', page)
    assert "星辰科技有限公司" in page
    assertInHTML(fact("industry", "制造业"), page)
    assertInHTML(fact("size", "50–199 people"), page)
    assertInHTML(fact("level", "A级"), page)
    assertInHTML(fact("source", "展会"), page)
    assertInHTML(field("region", "广东省 深圳市 南山区"), page)
    assertInHTML(fact("address", "科技园南区8栋"), page)
    assertInHTML(
        field(
            "website",
            '<a href="https://xingchen.example.cn" target="_blank" rel="noopener noreferrer">'
            "https://xingchen.example.cn</a>",
            css="datagrid-content text-break",
        ),
        page,
    )
    assertInHTML(field("phone", '<a href="tel:+8675588886666">0755 8888 6666</a>'), page)
    assertInHTML(
        field(
            "email",
            '<a href="mailto:sales@xingchen.example.cn">sales@xingchen.example.cn</a>',
            css="datagrid-content text-break",
        ),
        page,
    )
    assertInHTML(field("owner", "王五"), page)
    assertInHTML(field("collaborators", "李四"), page)
    assertInHTML(
        field("tags", '<span class="badge bg-red-lt me-1">重点客户</span>'),
        page,
    )
    assertInHTML(field("lifecycle_stage", "Prospect"), page)
    assertInHTML(
        field(
            "last_contacted_at",
            '<time datetime="2026-03-04T14:30:00+08:00">2026-03-04 14:30</time>',
        ),
        page,
    )
    assertInHTML(
        field(
            "next_follow_up_on",
            '<span class=""><i class="ti ti-calendar-due me-1"></i>2026-12-10</span>',
        ),
        page,
    )
    assertInHTML(
        field("description", "年采购额约五百万。\n关注交货期。", css="datagrid-content gx-prewrap"),
        page,
    )
    # contacts
    assertInHTML('<strong class="text-break" data-field="name">张三</strong>', page)
    assertInHTML('<span class="text-secondary" data-field="title">采购经理</span>', page)
    assertInHTML('<span data-field="mobile">138 1234 5678</span>', page)
    assertInHTML('<span data-field="phone">010 8888 8888</span>', page)
    assertInHTML('<span data-field="email">zhangsan@example.cn</span>', page)
    assertInHTML('<span data-field="wechat">zhangsan_wx</span>', page)
    assertInHTML('<span data-field="birthday">1985-06-01</span>', page)
    assertInHTML(
        '<span class="badge bg-primary-lt" data-field="is_primary">'
        '<i class="ti ti-star-filled me-1"></i>Primary contact</span>',
        page,
    )
    # the timeline entry
    assertInHTML('<strong class="text-break me-1" data-field="subject">上门拜访</strong>', page)
    assertInHTML('<span class="badge bg-secondary-lt" data-field="kind">Visit</span>', page)
    assertInHTML('<span class="badge bg-green-lt" data-field="outcome">Positive</span>', page)
    assertInHTML('<span data-field="author">王五</span>', page)
    assertInHTML(
        '<time data-field="occurred_at" datetime="2026-03-04T14:30:00+08:00">'
        "2026-03-04 14:30</time>",
        page,
    )
    assertInHTML('<span data-field="contact">张三</span>', page)
    assertInHTML('<span data-field="duration">45 min</span>', page)
    assertInHTML(
        '<div class="gx-prewrap mt-2" data-field="content">谈了新报价。\n下周再约。</div>', page
    )
    assertInHTML('<span data-field="next_follow_up_on">2026-12-10</span>', page)
    minutes, contract = Attachment.objects.order_by("id")
    minutes_url = reverse("customers:attachment-download", args=[minutes.pk])
    assert f'<a href="{minutes_url}" class="badge bg-blue-lt text-break">' in page
    # the files of the customer (both: its own and the one from the timeline)
    for attachment in (minutes, contract):
        url = reverse("customers:attachment-download", args=[attachment.pk])
        assertInHTML(
            f'<a href="{url}" class="text-reset d-block text-truncate" data-field="name">'
            f"{attachment.name}</a>",
            page,
        )
    # the counts on the tabs, and the edit and delete buttons
    assertInHTML(
        '<span class="badge bg-secondary-lt ms-1" id="gx-count-interactions">1</span>', page
    )
    assertInHTML('<span class="badge bg-secondary-lt ms-1" id="gx-count-contacts">1</span>', page)
    assertInHTML(
        '<span class="badge bg-secondary-lt ms-1" id="gx-count-attachments">2</span>', page
    )
    assert reverse("customers:customer-edit", args=[full_customer.pk]) in page
    assert f'action="{reverse("customers:customer-delete", args=[full_customer.pk])}"' in page


def test_detail_page_of_an_empty_customer_says_so(rep_client: Client, customer: Customer) -> None:
    response = rep_client.get(detail_url(customer))

    assert response.status_code == 200
    page = html(response)
    assert "No interactions yet." in page
    assert "No contacts yet." in page
    assert "No files yet." in page
    assertInHTML(fact("industry", '<span class="text-secondary">—</span>'), page)


def test_anonymous_visitor_is_sent_to_the_login_page(client: Client, customer: Customer) -> None:
    url = detail_url(customer)

    page = client.get(url)
    fragment = client.post(
        reverse("customers:contact-create", args=[customer.pk]), {"name": "张三"}, headers=HTMX
    )

    assert page.status_code == 302
    assert page.url == f"{reverse('accounts:login')}?next={url}"
    assert fragment.status_code == 401
    assert fragment["HX-Redirect"].startswith(reverse("accounts:login"))
    assert not Contact.objects.exists()


def test_deleted_customer_page_is_not_found(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    services.customer_delete(actor=rep, customer=customer)

    assert rep_client.get(detail_url(customer)).status_code == 404


def test_html_in_interaction_content_is_shown_escaped(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    services.interaction_create(
        actor=rep,
        customer=customer,
        data={"subject": "<b>bold</b>", "content": '<script>alert("x")</script>\nsecond line'},
    )

    response = rep_client.get(detail_url(customer))

    page = html(response)
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert (
        '<div class="gx-prewrap mt-2" data-field="content">'
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\nsecond line</div>"
    ) in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_detail_page_query_count_does_not_grow_with_the_timeline(
    rep_client: Client,
    rep: Any,
    customer: Customer,
    django_assert_max_num_queries: Any,
) -> None:
    def add_entries(count: int) -> None:
        contact = factories.ContactFactory(customer=customer)
        for number in range(count):
            interaction = services.interaction_create(
                actor=rep,
                customer=customer,
                data={"subject": f"第{number}次电话", "contact": contact, "outcome": "neutral"},
            )
            services.attachment_create(
                actor=rep,
                customer=customer,
                upload=SimpleUploadedFile(f"{number}.txt", b"notes"),
                interaction=interaction,
            )

    add_entries(2)
    with django_assert_max_num_queries(15) as few:
        assert rep_client.get(detail_url(customer)).status_code == 200
    add_entries(40)
    with django_assert_max_num_queries(15) as many:
        assert rep_client.get(detail_url(customer)).status_code == 200

    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # + the timeline count


def test_timeline_shows_older_entries_page_by_page(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    start = dt.datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI)
    for day in range(35):
        services.interaction_create(
            actor=rep,
            customer=customer,
            data={"subject": f"entry-{day:02d}", "occurred_at": start + dt.timedelta(days=day)},
        )

    page = html(rep_client.get(detail_url(customer)))
    shown = re.findall(r"entry-(\d\d)", page)
    cursor = re.search(r"\?before=([0-9.]+)", page)

    assert shown == [f"{day:02d}" for day in range(34, 4, -1)]
    assert cursor is not None
    older = hx_get(rep_client, detail_url(customer), before=cursor.group(1))
    assert older.status_code == 200
    assert re.findall(r"entry-(\d\d)", html(older)) == ["04", "03", "02", "01", "00"]
    assert "?before=" not in html(older)
    assert "<html" not in html(older)


# --- contacts -------------------------------------------------------------------------------


def test_contact_create_inline_returns_the_new_row(rep_client: Client, customer: Customer) -> None:
    url = reverse("customers:contact-create", args=[customer.pk])

    response = hx_post(
        rep_client,
        url,
        {
            "name": " 张三 ",
            "title": "采购经理",
            "mobile": "138-1234-5678",
            "email": "ZS@Example.cn",
            "birthday": "1985-06-01",
        },
    )

    assert response.status_code == 200
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.title, contact.mobile, contact.email, contact.birthday) == (
        "张三",
        "采购经理",
        "+8613812345678",
        "zs@example.cn",
        dt.date(1985, 6, 1),
    )
    assert contact.is_primary
    fragment = html(response)
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div class="list-group-item" id="contact-')
    assertInHTML('<span data-field="mobile">138 1234 5678</span>', fragment)
    # a fresh, closed add form and the new count come along out of band
    assert '<div class="collapse" id="gx-contact-add" hx-swap-oob="true">' in fragment
    assertInHTML(
        '<span class="badge bg-secondary-lt ms-1" id="gx-count-contacts" hx-swap-oob="true">'
        "1</span>",
        fragment,
    )
    # and the timeline's contact picker offers the new contact at once
    assertInHTML(
        '<select hx-swap-oob="innerHTML:#interaction-new-contact"><option value="">—</option>'
        f'<option value="{contact.pk}">张三</option></select>',
        fragment,
    )


def test_contact_create_get_returns_the_empty_form(rep_client: Client, customer: Customer) -> None:
    response = hx_get(rep_client, reverse("customers:contact-create", args=[customer.pk]))

    assert response.status_code == 200
    assert '<form id="contact-new"' in html(response)


@pytest.mark.parametrize(
    ("data", "name", "label", "message"),
    [
        ({"name": ""}, "name", "Full name", "This field is required."),
        (
            {"name": "张三", "mobile": "12345"},
            "mobile",
            "Mobile",
            "This phone number is not valid.",
        ),
        (
            {"name": "张三", "phone": "abc-not-a-phone"},
            "phone",
            "Office phone",
            "This is not a phone number.",
        ),
        (
            {"name": "张三", "email": "zhangsan@"},
            "email",
            "E-mail",
            "This is not a valid e-mail address.",
        ),
        ({"name": "张三", "birthday": "1985-13-45"}, "birthday", "Birthday", "Enter a valid date."),
        (
            {"name": "张三", "birthday": "2999-01-01"},
            "birthday",
            "Birthday",
            "A birthday cannot be in the future.",
        ),
    ],
)
def test_contact_create_with_bad_input_names_the_field_and_stores_nothing(
    rep_client: Client,
    customer: Customer,
    data: dict[str, str],
    name: str,
    label: str,
    message: str,
) -> None:
    response = hx_post(rep_client, reverse("customers:contact-create", args=[customer.pk]), data)

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#contact-new"
    fragment = html(response)
    assertInHTML(field_error(name, message), fragment)
    assertInHTML(f"<li><strong>{label}</strong>: {message}</li>", fragment)
    assert not Contact.all_objects.exists()


def test_contact_row_and_edit_form_fragments(rep_client: Client, customer: Customer) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三", title="经理")

    row = hx_get(rep_client, reverse("customers:contact-row", args=[contact.pk]))
    form = hx_get(rep_client, reverse("customers:contact-edit", args=[contact.pk]))

    assert row.status_code == 200
    assertInHTML('<strong class="text-break" data-field="name">张三</strong>', html(row))
    assert form.status_code == 200
    assert f'<form id="contact-{contact.pk}"' in html(form)
    assertInHTML(
        f'<input type="text" name="name" value="张三" class="form-control" autocomplete="off" '
        f'required maxlength="100" id="contact-{contact.pk}-name">',
        html(form),
    )
    assertInHTML(
        f'<input type="hidden" name="version" value="1" id="contact-{contact.pk}-version">',
        html(form),
    )


def test_contact_edit_saves_and_returns_the_row(rep_client: Client, customer: Customer) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三")

    response = hx_post(
        rep_client,
        reverse("customers:contact-edit", args=[contact.pk]),
        {"name": "张三丰", "title": "总经理", "wechat": "zsf", "version": "1"},
    )

    assert response.status_code == 200
    assertInHTML('<strong class="text-break" data-field="name">张三丰</strong>', html(response))
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.wechat, contact.version) == (
        "张三丰",
        "总经理",
        "zsf",
        2,
    )


def test_contact_edit_with_bad_input_keeps_the_record(
    rep_client: Client, customer: Customer
) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三", email="zs@example.cn")

    response = hx_post(
        rep_client,
        reverse("customers:contact-edit", args=[contact.pk]),
        {"name": "张三", "email": "not-an-address", "version": "1"},
    )

    assert response.status_code == 422
    assertInHTML(field_error("email", "This is not a valid e-mail address."), html(response))
    contact.refresh_from_db()
    assert (contact.email, contact.version) == ("zs@example.cn", 1)


def test_contact_edit_with_a_stale_version_shows_the_conflict_and_changes_nothing(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    # given a colleague saved the contact after the form was opened (version 1)
    contact = factories.ContactFactory(customer=customer, name="张三")
    services.contact_update(actor=rep, contact=contact, data={"name": "张三(新)"}, version=1)

    # when the stale form is saved
    response = hx_post(
        rep_client,
        reverse("customers:contact-edit", args=[contact.pk]),
        {"name": "张三(旧)", "version": "1"},
    )

    # then the form comes back with the current values, carrying the current version
    assert response.status_code == 409
    fragment = html(response)
    assert "Someone else changed this record after you opened it." in fragment
    assertInHTML('<dt class="col-5 col-sm-4">Full name</dt>', fragment)
    assertInHTML('<dd class="col-7 col-sm-8 gx-prewrap mb-1">张三(新)</dd>', fragment)
    assertInHTML(
        f'<input type="hidden" name="version" value="2" id="contact-{contact.pk}-version">',
        fragment,
    )
    assert 'value="张三(旧)"' in fragment
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("张三(新)", 2)


def test_making_another_contact_primary_updates_the_other_rows(
    rep_client: Client, customer: Customer
) -> None:
    first = factories.ContactFactory(customer=customer, name="张三", is_primary=True)
    second = factories.ContactFactory(customer=customer, name="李四")

    response = hx_post(
        rep_client,
        reverse("customers:contact-edit", args=[second.pk]),
        {"name": "李四", "is_primary": "on", "version": "1"},
    )

    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    fragment = html(response)
    assert (
        f'<div class="list-group-item" id="contact-{first.pk}" data-testid="contact-row" '
        'hx-swap-oob="true">'
    ) in fragment
    assert "Primary contact" in fragment.split(f'id="contact-{first.pk}"')[0]


def test_contact_delete_moves_it_to_the_recycle_bin_with_an_undo(
    rep_client: Client, customer: Customer
) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三")
    url = reverse("customers:contact-delete", args=[contact.pk])

    deleted = hx_post(rep_client, url)

    assert deleted.status_code == 200
    assert "“张三” was moved to the recycle bin." in html(deleted)
    assert 'hx-vals=\'{"undo": "1"}\'' in html(deleted)
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None
    assert not Contact.objects.filter(pk=contact.pk).exists()

    restored = hx_post(rep_client, url, {"undo": "1"})

    assert restored.status_code == 200
    assertInHTML('<strong class="text-break" data-field="name">张三</strong>', html(restored))
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_contact_write_without_htmx_redirects_back_to_the_page(
    rep_client: Client, customer: Customer
) -> None:
    response = rep_client.post(
        reverse("customers:contact-create", args=[customer.pk]), {"name": "张三"}
    )

    assert response.status_code == 302
    assert response.url == detail_url(customer) + "#contacts"
    assert Contact.objects.get(customer=customer).name == "张三"


def test_contact_edit_page_without_htmx_is_a_full_page(
    rep_client: Client, customer: Customer
) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三")

    response = rep_client.get(reverse("customers:contact-edit", args=[contact.pk]))

    assert response.status_code == 200
    assert "<html" in html(response)
    assert "hx-disable" in html(response)


# --- interactions ---------------------------------------------------------------------------


def test_interaction_create_inline_returns_the_new_entry(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三")

    response = hx_post(
        rep_client,
        reverse("customers:interaction-create", args=[customer.pk]),
        {
            "kind": "meeting",
            "occurred_at": "2026-11-20 10:15",
            "contact": str(contact.pk),
            "subject": "季度回顾",
            "content": "确认了明年的框架协议。",
            "outcome": "positive",
            "duration_minutes": "90",
            "next_follow_up_on": "2026-12-01",
        },
    )

    assert response.status_code == 200
    interaction = Interaction.objects.get(customer=customer)
    assert (
        interaction.kind,
        interaction.occurred_at,
        interaction.contact,
        interaction.subject,
        interaction.content,
        interaction.outcome,
        interaction.duration_minutes,
        interaction.next_follow_up_on,
        interaction.author,
    ) == (
        "meeting",
        dt.datetime(2026, 11, 20, 10, 15, tzinfo=SHANGHAI),
        contact,
        "季度回顾",
        "确认了明年的框架协议。",
        "positive",
        90,
        dt.date(2026, 12, 1),
        rep,
    )
    fragment = html(response)
    assert fragment.lstrip().startswith(
        f'<div class="list-group-item gx-kind-meeting" id="interaction-{interaction.pk}"'
    )
    assertInHTML('<span data-field="contact">张三</span>', fragment)
    # the customer's dates, a fresh form and the count come along out of band
    assert '<div class="gx-contents" id="gx-customer-dates" hx-swap-oob="true">' in fragment
    assertInHTML(
        field(
            "last_contacted_at",
            '<time datetime="2026-11-20T10:15:00+08:00">2026-11-20 10:15</time>',
        ),
        fragment,
    )
    assert '<form id="interaction-new"' in fragment
    customer.refresh_from_db()
    assert customer.next_follow_up_on == dt.date(2026, 12, 1)


def test_interaction_create_defaults_to_now(rep_client: Client, customer: Customer) -> None:
    form = html(hx_get(rep_client, reverse("customers:interaction-create", args=[customer.pk])))

    response = hx_post(
        rep_client,
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "note", "content": "记一笔"},
    )

    assert 'name="occurred_at" value="20' in form
    assert response.status_code == 200
    interaction = Interaction.objects.get(customer=customer)
    assert abs((interaction.occurred_at - interaction.created_at).total_seconds()) < 5


def test_interaction_create_with_a_file_attaches_it(rep_client: Client, customer: Customer) -> None:
    upload = SimpleUploadedFile("报价单.xlsx", b"PK\x03\x04 sheet")

    response = rep_client.post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "email", "subject": "发报价", "file": upload},
        headers=HTMX,
    )

    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.interaction, attachment.customer) == (
        "报价单.xlsx",
        Interaction.objects.get(),
        customer,
    )
    fragment = html(response)
    assert '<div hx-swap-oob="afterbegin:#attachment-list">' in fragment
    assert f'id="interaction-attachment-{attachment.pk}"' in fragment


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        ({"subject": ""}, "content", "Write a subject or some content."),
        ({"kind": "fax"}, "kind", "Select a valid choice. fax is not one of the available "
         "choices."),
        ({"occurred_at": "yesterday"}, "occurred_at", "Enter a valid date/time."),
        ({"occurred_at": "2099-01-01 10:00"}, "occurred_at", "This time is too far in the future."),
        ({"duration_minutes": "-5"}, "duration_minutes", "Ensure this value is greater than or "
         "equal to 0."),
        ({"duration_minutes": "abc"}, "duration_minutes", "Enter a whole number."),
        ({"next_follow_up_on": "2026-02-30"}, "next_follow_up_on", "Enter a valid date."),
        ({"contact": "999999"}, "contact", "Select a valid choice. 999999 is not one of the "
         "available choices."),
    ],
)  # fmt: skip
def test_interaction_create_with_bad_input_names_the_field_and_stores_nothing(
    rep_client: Client, customer: Customer, data: dict[str, str], name: str, message: str
) -> None:
    response = hx_post(
        rep_client,
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "subject": "电话", **data},
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#interaction-new"
    assertInHTML(field_error(name, message), html(response))
    assert not Interaction.all_objects.exists()
    customer.refresh_from_db()
    assert customer.last_contacted_at is None


def test_interaction_create_with_a_refused_file_stores_nothing(
    rep_client: Client, customer: Customer
) -> None:
    response = rep_client.post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "subject": "电话", "file": SimpleUploadedFile("setup.exe", b"MZ")},
        headers=HTMX,
    )

    assert response.status_code == 422
    assertInHTML(field_error("file", "Files of this type cannot be attached."), html(response))
    assert not Interaction.all_objects.exists()
    assert not Attachment.objects.exists()


def test_interaction_row_and_edit_form_fragments(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    interaction = services.interaction_create(
        actor=rep,
        customer=customer,
        data={"subject": "电话", "occurred_at": dt.datetime(2026, 5, 6, 8, 5, tzinfo=SHANGHAI)},
    )

    row = hx_get(rep_client, reverse("customers:interaction-row", args=[interaction.pk]))
    form = hx_get(rep_client, reverse("customers:interaction-edit", args=[interaction.pk]))

    assert row.status_code == 200
    assertInHTML('<strong class="text-break me-1" data-field="subject">电话</strong>', html(row))
    assert form.status_code == 200
    assert f'<form id="interaction-{interaction.pk}"' in html(form)
    assert 'name="occurred_at" value="2026-05-06 08:05"' in html(form)
    assert 'name="file"' not in html(form)


def test_interaction_edit_saves_and_returns_the_entry(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    interaction = services.interaction_create(
        actor=rep, customer=customer, data={"subject": "电话", "kind": "call"}
    )

    response = hx_post(
        rep_client,
        reverse("customers:interaction-edit", args=[interaction.pk]),
        {
            "kind": "visit",
            "occurred_at": "2026-11-01 09:00",
            "subject": "拜访",
            "content": "见了老板",
            "next_follow_up_on": "2026-12-24",
            "version": "1",
        },
    )

    assert response.status_code == 200
    assertInHTML(
        '<strong class="text-break me-1" data-field="subject">拜访</strong>', html(response)
    )
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.subject, interaction.content, interaction.version) == (
        "visit",
        "拜访",
        "见了老板",
        2,
    )
    customer.refresh_from_db()
    assert customer.next_follow_up_on == dt.date(2026, 12, 24)


def test_interaction_edit_with_a_stale_version_shows_the_conflict_and_changes_nothing(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    interaction = services.interaction_create(
        actor=rep, customer=customer, data={"subject": "电话"}
    )
    services.interaction_update(
        actor=rep, interaction=interaction, data={"subject": "电话(同事改的)"}, version=1
    )

    response = hx_post(
        rep_client,
        reverse("customers:interaction-edit", args=[interaction.pk]),
        {"kind": "call", "subject": "电话(我改的)", "version": "1"},
    )

    assert response.status_code == 409
    fragment = html(response)
    assert "Someone else changed this record after you opened it." in fragment
    assertInHTML('<dd class="col-7 col-sm-8 gx-prewrap mb-1">电话(同事改的)</dd>', fragment)
    interaction.refresh_from_db()
    assert (interaction.subject, interaction.version) == ("电话(同事改的)", 2)


def test_interaction_delete_moves_it_to_the_recycle_bin_with_an_undo(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    interaction = services.interaction_create(
        actor=rep, customer=customer, data={"subject": "电话", "kind": "call"}
    )
    url = reverse("customers:interaction-delete", args=[interaction.pk])

    deleted = hx_post(rep_client, url)

    assert deleted.status_code == 200
    assert "“电话” was moved to the recycle bin." in html(deleted)
    assert Interaction.all_objects.get(pk=interaction.pk).deleted_at is not None
    customer.refresh_from_db()
    assert customer.last_contacted_at is None

    restored = hx_post(rep_client, url, {"undo": "1"})

    assert restored.status_code == 200
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    customer.refresh_from_db()
    assert customer.last_contacted_at == interaction.occurred_at


# --- attachments ----------------------------------------------------------------------------


def test_attachment_upload_and_download_round_trip(rep_client: Client, customer: Customer) -> None:
    payload = bytes(range(256)) * 64

    uploaded = rep_client.post(
        reverse("customers:attachment-create", args=[customer.pk]),
        {"file": SimpleUploadedFile("合同 v2.pdf", payload, content_type="application/pdf")},
        headers=HTMX,
    )

    assert uploaded.status_code == 200
    attachment = Attachment.objects.get(customer=customer)
    url = reverse("customers:attachment-download", args=[attachment.pk])
    assertInHTML(
        f'<a href="{url}" class="text-reset d-block text-truncate" data-field="name">'
        "合同 v2.pdf</a>",
        html(uploaded),
    )
    downloaded = rep_client.get(url)
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == payload
    assert downloaded["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%90%88%E5%90%8C%20v2.pdf"
    )
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert downloaded["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("big.pdf", b"x" * 2048, "The file is too large (at most 0 MB)."),
        ("page.html", b"<script>", "Files of this type cannot be attached."),
        ("run.exe", b"MZ", "Files of this type cannot be attached."),
        ("empty.txt", b"", "The submitted file is empty."),
    ],
)
def test_attachment_upload_refuses_oversized_or_blocked_files(
    rep_client: Client, customer: Customer, settings: Any, name: str, payload: bytes, message: str
) -> None:
    settings.GUANXI_MAX_ATTACHMENT_BYTES = 1024

    response = rep_client.post(
        reverse("customers:attachment-create", args=[customer.pk]),
        {"file": SimpleUploadedFile(name, payload)},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#attachment-new"
    assertInHTML(field_error("file", message), html(response))
    assert not Attachment.objects.exists()


def test_attachment_delete_removes_it_everywhere_on_the_page(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    attachment = services.attachment_create(
        actor=rep, customer=customer, upload=SimpleUploadedFile("a.txt", b"a")
    )

    response = hx_post(rep_client, reverse("customers:attachment-delete", args=[attachment.pk]))

    assert response.status_code == 200
    fragment = html(response)
    assert f'<div id="attachment-{attachment.pk}" hx-swap-oob="delete"></div>' in fragment
    assert not Attachment.objects.exists()


# --- scope: another rep sees nothing and changes nothing ------------------------------------


@pytest.fixture
def others_records(rep: Any, customer: Customer) -> dict[str, Any]:
    contact = services.contact_create(actor=rep, customer=customer, data={"name": "张三"})
    interaction = services.interaction_create(
        actor=rep, customer=customer, data={"subject": "电话"}
    )
    attachment = services.attachment_create(
        actor=rep, customer=customer, upload=SimpleUploadedFile("a.txt", b"secret")
    )
    return {
        "customer": customer,
        "contact": contact,
        "interaction": interaction,
        "attachment": attachment,
    }


SCOPED_REQUESTS = [
    ("get", "customers:customer-detail", "customer", {}),
    ("get", "customers:contact-create", "customer", {}),
    ("post", "customers:contact-create", "customer", {"name": "入侵者"}),
    ("get", "customers:contact-row", "contact", {}),
    ("get", "customers:contact-edit", "contact", {}),
    ("post", "customers:contact-edit", "contact", {"name": "入侵者", "version": "1"}),
    ("post", "customers:contact-delete", "contact", {}),
    ("get", "customers:interaction-create", "customer", {}),
    ("post", "customers:interaction-create", "customer", {"subject": "入侵者"}),
    ("get", "customers:interaction-row", "interaction", {}),
    ("get", "customers:interaction-edit", "interaction", {}),
    ("post", "customers:interaction-edit", "interaction", {"subject": "入侵者", "version": "1"}),
    ("post", "customers:interaction-delete", "interaction", {}),
    ("get", "customers:attachment-create", "customer", {}),
    ("post", "customers:attachment-create", "customer", {"file": "upload"}),
    ("get", "customers:attachment-download", "attachment", {}),
    ("post", "customers:attachment-delete", "attachment", {}),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "url_name", "target", "data"), SCOPED_REQUESTS)
def test_another_rep_gets_404_and_nothing_changes(
    other_rep: Any,
    others_records: dict[str, Any],
    htmx: bool,
    method: str,
    url_name: str,
    target: str,
    data: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(other_rep)
    url = reverse(url_name, args=[others_records[target].pk])
    if data.get("file") == "upload":
        data = {"file": SimpleUploadedFile("x.txt", b"x")}

    response = getattr(client, method)(url, data, headers=HTMX if htmx else {})

    assert response.status_code == 404
    assert "张三" not in html(response)
    contact, interaction = others_records["contact"], others_records["interaction"]
    contact.refresh_from_db()
    interaction.refresh_from_db()
    assert (contact.name, contact.version, contact.deleted_at) == ("张三", 1, None)
    assert (interaction.subject, interaction.version, interaction.deleted_at) == ("电话", 1, None)
    assert list(Contact.all_objects.values_list("name", flat=True)) == ["张三"]
    assert list(Interaction.all_objects.values_list("subject", flat=True)) == ["电话"]
    assert list(Attachment.objects.values_list("name", flat=True)) == ["a.txt"]
    with others_records["attachment"].file.open("rb") as handle:
        assert handle.read() == b"secret"


def test_undo_of_someone_elses_deleted_contact_is_not_found(
    rep: Any, other_rep: Any, customer: Customer
) -> None:
    contact = factories.ContactFactory(customer=customer, name="张三")
    services.contact_delete(actor=rep, contact=contact)
    client = Client()
    client.force_login(other_rep)

    response = client.post(
        reverse("customers:contact-delete", args=[contact.pk]), {"undo": "1"}, headers=HTMX
    )

    assert response.status_code == 404
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None


def test_a_contact_of_another_customer_cannot_be_chosen(
    rep_client: Client, rep: Any, customer: Customer
) -> None:
    elsewhere = factories.ContactFactory(customer=factories.CustomerFactory(owner=rep))

    response = hx_post(
        rep_client,
        reverse("customers:interaction-create", args=[customer.pk]),
        {"subject": "电话", "contact": str(elsewhere.pk)},
    )

    assert response.status_code == 422
    assert not Interaction.all_objects.exists()


def test_read_only_page_has_no_edit_controls(rep: Any, other_rep: Any, customer: Customer) -> None:
    services.collaborator_set(actor=rep, customer=customer, user=other_rep, access="read")
    client = Client()
    client.force_login(other_rep)

    response = client.get(detail_url(customer))

    assert response.status_code == 200
    assertNotContains(response, 'id="interaction-new"')
    assertNotContains(response, reverse("customers:customer-edit", args=[customer.pk]))


# --- sensitive fields -------------------------------------------------------------------------


def test_a_masked_role_sees_masked_contact_data_and_no_edit_controls(
    rep: Any, auditor: Any, customer: Customer
) -> None:
    services.contact_create(
        actor=rep,
        customer=customer,
        data={"name": "张三", "mobile": "13987654321", "email": "zs@qq.com", "wechat": "zs_wx"},
    )
    client = Client()
    client.force_login(auditor)

    response = client.get(detail_url(customer))

    assert response.status_code == 200
    page = html(response)
    assertInHTML('<span data-field="mobile">139****4321</span>', page)
    assertInHTML('<span data-field="email">z***@qq.com</span>', page)
    assertInHTML('<span data-field="wechat">zs****</span>', page)
    assert "13987654321" not in page
    assert "tel:" not in page
    assert 'id="interaction-new"' not in page
    assert 'data-testid="contact-edit"' not in page


def test_a_read_only_role_cannot_write_through_the_fragments(
    rep: Any, auditor: Any, customer: Customer
) -> None:
    contact = services.contact_create(actor=rep, customer=customer, data={"name": "张三"})
    client = Client()
    client.force_login(auditor)

    response = client.post(
        reverse("customers:contact-edit", args=[contact.pk]),
        {"name": "改名", "version": "1"},
        headers=HTMX,
    )

    assert response.status_code == 403
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("张三", 1)


def test_fields_an_editor_may_not_see_are_left_out_of_her_form_and_kept(
    admin: Any, rep: Any, customer: Customer
) -> None:
    from guanxi.accounts import services as account_services

    masked = account_services.role_create(
        actor=admin,
        data={
            "name": "电话脱敏的销售",
            "permissions": {
                "customers": {
                    "actions": ["view", "create", "edit", "delete"],
                    "scope": "own",
                    "fields": {"hidden": [], "masked": ["mobile"]},
                }
            },
        },
    )
    rep.roles.set([masked])
    contact = services.contact_create(
        actor=admin, customer=customer, data={"name": "张三", "mobile": "13987654321"}
    )
    client = Client()
    client.force_login(rep)

    form = client.get(reverse("customers:contact-edit", args=[contact.pk]), headers=HTMX)
    saved = client.post(
        reverse("customers:contact-edit", args=[contact.pk]),
        {"name": "张三丰", "mobile": "", "version": "1"},
        headers=HTMX,
    )

    assert form.status_code == 200
    assert 'name="mobile"' not in html(form)
    assert "13987654321" not in html(form)
    assert saved.status_code == 200
    assertInHTML('<span data-field="mobile">139****4321</span>', html(saved))
    contact.refresh_from_db()
    assert (contact.name, contact.mobile) == ("张三丰", "+8613987654321")
