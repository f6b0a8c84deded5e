"""factory_boy factories for the test suites (and nothing else)."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from guanxi.accounts.models import Department, User
from guanxi.core import crypto
from guanxi.customers.models import Contact, Customer, Interaction, InteractionKind, Tag
from guanxi.customers.search import customers_reindex


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"销售{n}部")

    @factory.post_generation
    def set_path(obj: Department, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        obj.save(update_fields=["path"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        """A typical user is a sales rep; pass ``roles=[...]`` (or ``[]``) to choose."""
        if not create:
            return
        if extracted is None:
            if obj.is_superuser:
                return
            from guanxi.accounts import default_roles
            from guanxi.accounts.services import role_by_code

            extracted = [role_by_code(default_roles.SALES_REP)]
        obj.roles.set(extracted)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"标签{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"星辰科技{n}有限公司")
    department = factory.LazyAttribute(lambda o: o.owner.department if o.owner else None)

    @factory.post_generation
    def indexed(obj: Customer, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            if obj.phone:
                obj.phone_bidx = crypto.blind_index(obj.phone, purpose="phone")
            if obj.email:
                obj.email_bidx = crypto.blind_index(obj.email, purpose="email")
            obj.save()
            customers_reindex([obj.pk])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")

    @factory.post_generation
    def indexed(obj: Contact, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            for name, purpose in (("mobile", "phone"), ("phone", "phone"), ("email", "email")):
                value = getattr(obj, name)
                setattr(
                    obj, f"{name}_bidx", crypto.blind_index(value, purpose=purpose) if value else ""
                )
            obj.save()
            customers_reindex([obj.customer_id])


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = InteractionKind.CALL
    subject = factory.Sequence(lambda n: f"电话沟通 {n}")
    occurred_at = factory.LazyFunction(timezone.now)
    author = factory.LazyAttribute(lambda o: o.customer.owner)
