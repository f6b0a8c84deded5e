from __future__ import annotations

import pytest
from django.db import transaction
from django.template import Context, Template
from django.test import RequestFactory

from guanxi.accounts import default_roles, policy
from guanxi.accounts.masking import MaskedValue
from guanxi.core.errors import PermissionDenied
from guanxi.customers import selectors
from guanxi.customers import services as customer_services
from guanxi.customers.models import Contact, Customer
from guanxi.testing import factories

PHONE = "+8613812345678"
MOBILE = "+8613987654321"


@pytest.fixture
def record(rep):
    customer = customer_services.customer_create(
        actor=rep,
        data={
            "name": "星辰科技",
            "phone": "13812345678",
            "email": "zhang@qq.com",
            "address": "深圳市南山区科技园1号",
        },
    )
    contact = customer_services.contact_create(
        actor=rep,
        customer=customer,
        data={"name": "张三", "mobile": "13987654321", "wechat": "zs_wx"},
    )
    return customer, contact


@pytest.fixture
def marketer(db, role):
    return factories.UserFactory(username="mkt", roles=[role(default_roles.MARKETING)])


def test_selectors_hand_masked_records_to_a_masked_role(record, auditor):
    customer = selectors.customer_get(actor=auditor, pk=record[0].pk)

    assert customer.phone == "138****5678"
    assert customer.email == "z***@qq.com"
    assert customer.address == "深圳****"
    assert isinstance(customer.phone, MaskedValue)
    contact = selectors.contact_list(actor=auditor, customer=customer).get()
    assert contact.mobile == "139****4321"
    assert contact.wechat == "zs****"


def test_the_owner_sees_plain_values(record, rep):
    customer = selectors.customer_get(actor=rep, pk=record[0].pk)

    assert customer.phone == PHONE
    assert not isinstance(customer.phone, MaskedValue)


def test_hidden_fields_are_blank(record, marketer):
    customer = selectors.customer_get(actor=marketer, pk=record[0].pk)
    contact = selectors.contact_list(actor=marketer, customer=customer).get()

    assert customer.address == ""
    assert contact.wechat == ""
    assert customer.phone == "138****5678"


def test_values_rows_related_records_and_iterators_are_masked_too(record, auditor):
    customers = policy.visible(auditor, Customer.objects.all())
    contacts = policy.visible(auditor, Contact.objects.select_related("customer"))

    assert list(customers.values_list("phone", flat=True)) == ["138****5678"]
    assert list(customers.values("name", "email")) == [{"name": "星辰科技", "email": "z***@qq.com"}]
    assert list(customers.values_list("name", "phone")) == [("星辰科技", "138****5678")]
    assert [c.phone for c in customers.iterator(chunk_size=10)] == ["138****5678"]
    assert contacts.get().customer.phone == "138****5678"
    assert list(contacts.values_list("customer__phone", flat=True)) == ["138****5678"]


def test_prefetched_records_are_masked(record, auditor):
    customer = policy.visible(auditor, Customer.objects.prefetch_related("contacts")).get()

    assert [c.mobile for c in customer.contacts.all()] == ["139****4321"]


def test_a_masked_record_cannot_be_written_back(record, auditor):
    customer = selectors.customer_get(actor=auditor, pk=record[0].pk)

    with pytest.raises(ValueError, match="masked"), transaction.atomic():
        customer.save()
    assert Customer.objects.get(pk=customer.pk).phone == PHONE


def test_an_edit_that_sends_the_masked_value_back_keeps_the_real_one(record, role):
    # given a service agent: may edit every customer, sees e-mails masked
    agent = factories.UserFactory(username="agent", roles=[role(default_roles.SERVICE_AGENT)])
    customer = selectors.customer_get(actor=agent, pk=record[0].pk)

    # when she saves the form she was shown (masked e-mail unchanged) with a new name
    customer_services.customer_update(
        actor=agent,
        customer=customer,
        data={"name": "星辰科技集团", "email": customer.email, "phone": "13812345678"},
    )

    stored = Customer.objects.get(pk=customer.pk)
    assert stored.name == "星辰科技集团"
    assert stored.email == "zhang@qq.com"


def test_changing_a_field_she_cannot_see_is_refused(record, role):
    agent = factories.UserFactory(username="agent", roles=[role(default_roles.SERVICE_AGENT)])
    customer = selectors.customer_get(actor=agent, pk=record[0].pk)

    with pytest.raises(PermissionDenied) as error:
        customer_services.customer_update(
            actor=agent, customer=customer, data={"email": "other@example.com"}
        )

    assert error.value.field == "email"
    assert Customer.objects.get(pk=customer.pk).email == "zhang@qq.com"


def render(template: str, user, **context) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load guanxi_policy %}" + template).render(
        Context({"request": request, **context})
    )


def test_template_tags_show_what_the_user_may_see(record, rep, auditor, marketer):
    customer = Customer.objects.get(pk=record[0].pk)

    assert render('{% field c "phone" %}', rep, c=customer) == PHONE
    assert render('{% field c "phone" %}', auditor, c=customer) == "138****5678"
    assert render('{% field c "address" %}|', marketer, c=customer) == "|"
    assert render('{% field_rule c "address" %}', marketer, c=customer) == "hide"
    assert render('{% can "edit" c as ok %}{{ ok }}', auditor, c=customer) == "False"
    assert render('{% can "edit" c as ok %}{{ ok }}', rep, c=customer) == "True"
    masked = selectors.customer_get(actor=auditor, pk=customer.pk)
    assert render("{{ c.phone|is_masked }}", auditor, c=masked) == "True"


def test_a_user_with_plain_rights_gets_an_unchanged_queryset(record, rep):
    queryset = Customer.objects.all()

    assert type(policy.visible(rep, queryset)) is type(queryset)
    assert not policy.has_field_restrictions(rep)
