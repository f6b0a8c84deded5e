"""Input and output shapes of ``/api/v1/custom-fields/``."""

from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api import VersionField
from guanxi.customization.models import FieldType, LookupTarget, TargetModel


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=100, required=False)
    colour = serializers.CharField(max_length=20, required=False, allow_blank=True)
    order = serializers.IntegerField(read_only=True)


class FieldDefinitionFilterSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=TargetModel.choices, required=False)
    archived = serializers.BooleanField(
        required=False, help_text="List archived fields instead of active ones."
    )


class FieldDefinitionInputSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=TargetModel.choices)
    key = serializers.CharField(max_length=64, help_text="Key in the records' `custom` object.")
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    help_text = serializers.CharField(max_length=500, required=False, allow_blank=True)
    field_type = serializers.ChoiceField(choices=FieldType.choices)
    options = OptionSerializer(many=True, required=False)
    lookup_target = serializers.ChoiceField(
        choices=LookupTarget.choices, required=False, allow_blank=True
    )
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    is_required = serializers.BooleanField(required=False)
    is_unique = serializers.BooleanField(required=False)
    default = serializers.JSONField(required=False, allow_null=True)
    is_searchable = serializers.BooleanField(required=False)
    is_filterable = serializers.BooleanField(required=False)
    is_shown_in_list = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)
    section = serializers.CharField(max_length=100, required=False, allow_blank=True)
    accept_loss = serializers.BooleanField(
        required=False,
        help_text="On a change of type or options: convert what fits and archive the rest.",
    )
    version = VersionField(required=False)


class FieldDefinitionArchiveSerializer(serializers.Serializer):
    archived = serializers.BooleanField(default=True)


class FieldDefinitionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField()
    key = serializers.CharField()
    label = serializers.CharField(help_text="The label in the user's language.")
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    help_text = serializers.CharField()
    field_type = serializers.CharField()
    options = OptionSerializer(many=True)
    lookup_target = serializers.CharField()
    currency = serializers.CharField()
    is_required = serializers.BooleanField()
    is_unique = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    is_searchable = serializers.BooleanField()
    is_filterable = serializers.BooleanField()
    is_shown_in_list = serializers.BooleanField()
    position = serializers.IntegerField()
    section = serializers.CharField()
    is_archived = serializers.BooleanField()
    version = serializers.IntegerField()
