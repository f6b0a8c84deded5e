"""Input and output shapes of the customers API.

Input serializers check types and shapes and resolve ids through selectors (an id the actor may
not see is as unknown as one that does not exist); the rules of the domain live in the services,
which receive ``validated_data``. Output serializers shape records for the client.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.accounts.selectors import user_list
from guanxi.accounts.serializers import UserRefSerializer
from guanxi.core.api import (
    MAX_ID,
    BoundedDateField,
    BoundedDateTimeField,
    CustomFieldsField,
    VersionField,
    VisibleIdListField,
    VisibleRelatedField,
)
from guanxi.customers import selectors
from guanxi.customers.models import (
    CollaboratorAccess,
    CompanySize,
    CustomerKind,
    Industry,
    InteractionKind,
    InteractionOutcome,
    Level,
    LifecycleStage,
    Source,
)

ORDERING_CHOICES = sorted(selectors.ORDERINGS, key=lambda o: (o.lstrip("-"), o.startswith("-")))
OUTCOME_CHOICES = [(value, label) for value, label in InteractionOutcome.choices if value]


def _id_filter(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=max_length, **kwargs)


def _customers(actor: Any) -> Any:
    return selectors.customer_list(actor=actor).prefetch_related(None)


def _contacts(actor: Any) -> Any:
    return selectors.contact_list(actor=actor)


def _interactions(actor: Any) -> Any:
    return selectors.interaction_list(actor=actor).prefetch_related(None)


def _tags(actor: Any) -> Any:
    return selectors.tag_list(actor=actor)


def _users(actor: Any) -> Any:
    return user_list(actor=actor)


def _lookup(model: Any) -> Any:
    return lambda actor: selectors.lookup_list(actor=actor, model=model)


# --- references (nested in outputs) ------------------------------------------------------------


class LookupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__", help_text="The name in the user's language.")


class TagRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField()


class RecordRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- customers -----------------------------------------------------------------------------------


class CustomerFilterSerializer(serializers.Serializer):
    owner = _id_filter("Only customers owned by this user.")
    tag = _id_filter("Only customers with this tag.")
    level = _id_filter("Only customers of this level.")
    industry = _id_filter("Only customers in this industry.")
    source = _id_filter("Only customers from this source.")
    province = _text(32)
    city = _text(32)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)
    kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
    created_from = BoundedDateField(required=False, help_text="Created on or after this day.")
    created_to = BoundedDateField(required=False, help_text="Created on or before this day.")
    contacted_from = BoundedDateField(
        required=False, help_text="Last contacted on or after this day."
    )
    contacted_to = BoundedDateField(
        required=False, help_text="Last contacted on or before this day."
    )
    never_contacted = serializers.BooleanField(
        required=False, help_text="Only customers nobody has contacted yet."
    )
    q = _text(200, help_text="Full-text search: name (also pinyin and initials), phone, e-mail.")
    ordering = serializers.ChoiceField(
        choices=ORDERING_CHOICES, required=False, help_text="Sort order; `-` for descending."
    )
    in_recycle_bin = serializers.BooleanField(
        required=False, help_text="List the customers in the recycle bin instead."
    )


class CustomerInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
    name = serializers.CharField(max_length=200)
    short_name = _text(100)
    industry = VisibleRelatedField(selector=_lookup(Industry), required=False, allow_null=True)
    size = serializers.ChoiceField(choices=CompanySize.choices, required=False, allow_blank=True)
    level = VisibleRelatedField(selector=_lookup(Level), required=False, allow_null=True)
    source = VisibleRelatedField(selector=_lookup(Source), required=False, allow_null=True)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)
    province = _text(32)
    city = _text(32)
    district = _text(32)
    address = _text(500)
    website = _text(200)
    phone = _text(64)
    email = _text(254)
    description = _text(20000, trim_whitespace=False)
    owner = VisibleRelatedField(
        selector=_users, required=False, allow_null=True, help_text="Default: you."
    )
    next_follow_up_on = BoundedDateField(required=False, allow_null=True)
    custom = CustomFieldsField(required=False)
    tags = VisibleIdListField(selector=_tags, required=False, max_length=100)
    version = VersionField()


class CollaboratorOutputSerializer(serializers.Serializer):
    user = UserRefSerializer()
    access = serializers.ChoiceField(choices=CollaboratorAccess.choices)
    added_at = serializers.DateTimeField()


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = serializers.CharField()
    short_name = serializers.CharField()
    industry = LookupRefSerializer(allow_null=True)
    size = serializers.ChoiceField(choices=CompanySize.choices, allow_blank=True)
    level = LookupRefSerializer(allow_null=True)
    source = LookupRefSerializer(allow_null=True)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    address = serializers.CharField()
    website = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, e.g. +8613812345678.")
    email = serializers.CharField()
    description = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    department_id = serializers.IntegerField(allow_null=True)
    tags = TagRefSerializer(many=True)
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    next_follow_up_on = serializers.DateField(allow_null=True)
    custom = CustomFieldsField()
    created_via = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(
        allow_null=True, help_text="When it went to the recycle bin."
    )
    version = serializers.IntegerField()


class CustomerDetailOutputSerializer(CustomerOutputSerializer):
    collaborators = CollaboratorOutputSerializer(many=True)


class CustomerBulkInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=1000,
        help_text="The customers to change (at most 1,000).",
    )
    owner = VisibleRelatedField(
        selector=_users, required=False, help_text="Give the customers this owner."
    )
    add_tags = VisibleIdListField(selector=_tags, required=False, max_length=100)
    remove_tags = VisibleIdListField(selector=_tags, required=False, max_length=100)

    def validate_ids(self, value: list[int]) -> list[int]:
        ids = list(dict.fromkeys(value))
        found = set(
            _customers(self.context["actor"]).filter(pk__in=ids).values_list("pk", flat=True)
        )
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(
                _("There is no record with id {pk}.").format(pk=", ".join(missing))
            )
        return ids

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("owner") or attrs.get("add_tags") or attrs.get("remove_tags")):
            raise serializers.ValidationError(
                {"owner": [_("Choose a new owner, or tags to add or remove.")]}
            )
        return attrs


class BulkResultSerializer(serializers.Serializer):
    owner_changed = serializers.IntegerField(help_text="How many customers got a new owner.")
    tags_changed = serializers.IntegerField(help_text="How many customers' tags changed.")


class CollaboratorInputSerializer(serializers.Serializer):
    user = VisibleRelatedField(selector=_users)
    access = serializers.ChoiceField(
        choices=CollaboratorAccess.choices, required=False, default=CollaboratorAccess.EDIT
    )


# --- contacts ------------------------------------------------------------------------------------


class ContactFilterSerializer(serializers.Serializer):
    customer = _id_filter("Only the contacts of this customer.")
    q = _text(200, help_text="Full-text search over the contacts' customers.")


class ContactUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    title = _text(100)
    mobile = _text(64)
    phone = _text(64)
    email = _text(254)
    wechat = _text(64)
    birthday = BoundedDateField(required=False, allow_null=True)
    is_primary = serializers.BooleanField(required=False)
    notes = _text(20000, trim_whitespace=False)
    custom = CustomFieldsField(required=False)
    version = VersionField()


class ContactCreateInputSerializer(ContactUpdateInputSerializer):
    customer = VisibleRelatedField(selector=_customers)


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = RecordRefSerializer()
    name = serializers.CharField()
    title = serializers.CharField()
    mobile = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    wechat = serializers.CharField()
    birthday = serializers.DateField(allow_null=True)
    is_primary = serializers.BooleanField()
    notes = serializers.CharField()
    custom = CustomFieldsField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


# --- interactions --------------------------------------------------------------------------------


class InteractionFilterSerializer(serializers.Serializer):
    customer = _id_filter("Only the timeline of this customer.")
    contact = _id_filter("Only entries with this contact.")
    author = _id_filter("Only entries written by this user.")
    kind = serializers.ChoiceField(choices=InteractionKind.choices, required=False)
    outcome = serializers.ChoiceField(choices=OUTCOME_CHOICES, required=False)
    occurred_from = BoundedDateField(required=False, help_text="On or after this day.")
    occurred_to = BoundedDateField(required=False, help_text="On or before this day.")


class InteractionUpdateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InteractionKind.choices, required=False)
    occurred_at = BoundedDateTimeField(required=False, help_text="Default: now.")
    subject = _text(200)
    content = _text(50000, trim_whitespace=False)
    outcome = serializers.ChoiceField(choices=OUTCOME_CHOICES, required=False, allow_blank=True)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=24 * 60
    )
    contact = VisibleRelatedField(
        selector=_contacts, required=False, allow_null=True, help_text="A contact of the customer."
    )
    next_follow_up_on = BoundedDateField(required=False, allow_null=True)
    custom = CustomFieldsField(required=False)
    version = VersionField()


class InteractionCreateInputSerializer(InteractionUpdateInputSerializer):
    customer = VisibleRelatedField(selector=_customers)


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    interaction_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="In bytes.")
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class AttachmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class InteractionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = RecordRefSerializer()
    contact = RecordRefSerializer(allow_null=True)
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    occurred_at = serializers.DateTimeField()
    subject = serializers.CharField()
    content = serializers.CharField()
    outcome = serializers.ChoiceField(choices=OUTCOME_CHOICES, allow_blank=True)
    duration_minutes = serializers.IntegerField(allow_null=True)
    author = UserRefSerializer(allow_null=True)
    next_follow_up_on = serializers.DateField(allow_null=True)
    custom = CustomFieldsField()
    attachments = AttachmentRefSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class AttachmentUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255)
    interaction = VisibleRelatedField(
        selector=_interactions,
        required=False,
        allow_null=True,
        help_text="Attach the file to this entry of the customer's timeline.",
    )


# --- tags and lookups ----------------------------------------------------------------------------


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    colour = _text(16)
    group = _text(50)
    version = VersionField()


class TagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField()
    group = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class LookupOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__", help_text="The name in the user's language.")
    name_zh = serializers.CharField(source="name")
    name_en = serializers.CharField()
    position = serializers.IntegerField()
    colour = serializers.CharField()
    is_active = serializers.BooleanField()
