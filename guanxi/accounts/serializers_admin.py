"""Input and output shapes of the administration API (users' access, departments, roles)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.accounts import registry
from guanxi.accounts.models import Department, Language, Role, User
from guanxi.accounts.serializers import DepartmentRefSerializer
from guanxi.core.api import VisibleIdListField, VisibleRelatedField


def _departments(actor: Any) -> Any:
    return Department.objects.all()


def _roles(actor: Any) -> Any:
    return Role.objects.all()


def _active_users(actor: Any) -> Any:
    return User.objects.filter(is_active=True)


def _users(actor: Any) -> Any:
    return User.objects.all()


class RoleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Set on the shipped roles, empty on roles made here.")
    name = serializers.CharField()


class AdminUserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    mobile = serializers.CharField()
    department = DepartmentRefSerializer(allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices)
    roles = RoleRefSerializer(many=True, source="roles.all")
    is_active = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


class AdminUserCreateInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=128,
        help_text="Optional: without it the account cannot sign in until a password is set.",
    )
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=32)
    department = VisibleRelatedField(selector=_departments, required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    roles = VisibleIdListField(
        selector=_roles, required=False, help_text="Role ids; without any, no access."
    )


class AdminUserUpdateInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=32)
    department = VisibleRelatedField(selector=_departments, required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    roles = VisibleIdListField(selector=_roles, required=False)


class PasswordInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True)


class DeactivateInputSerializer(serializers.Serializer):
    transfer_to = VisibleRelatedField(
        selector=_active_users,
        required=False,
        allow_null=True,
        help_text="An active colleague who takes over every customer of the user.",
    )


class TransferInputSerializer(serializers.Serializer):
    to_user = VisibleRelatedField(selector=_active_users)


class TransferOutputSerializer(serializers.Serializer):
    transferred = serializers.IntegerField(help_text="How many customers changed hands.")
    records = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='How many records of each kind changed hands: {"customers": 12, "deals": 3, …}.',
    )


class DepartmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    path = serializers.CharField(help_text="Ids from the root, e.g. /1/4/9/.")
    manager = serializers.IntegerField(source="manager_id", allow_null=True)
    version = serializers.IntegerField()


class DepartmentCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent = VisibleRelatedField(selector=_departments, required=False, allow_null=True)
    manager = VisibleRelatedField(selector=_users, required=False, allow_null=True)


class DepartmentUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    parent = VisibleRelatedField(
        selector=_departments,
        required=False,
        allow_null=True,
        help_text="Moving a department moves everything below it.",
    )
    manager = VisibleRelatedField(selector=_users, required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


_MODULE_RIGHTS_SCHEMA = {
    "type": "object",
    "properties": {
        "actions": {"type": "array", "items": {"type": "string", "enum": list(registry.ACTIONS)}},
        "scope": {"type": "string", "enum": list(registry.SCOPES)},
        "fields": {
            "type": "object",
            "properties": {
                "hidden": {"type": "array", "items": {"type": "string"}},
                "masked": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": _MODULE_RIGHTS_SCHEMA,
        "description": (
            "Per module (customers, sales, …): the actions granted, the data scope "
            "(own, department, all) and the sensitive fields hidden or masked."
        ),
    }
)
class PermissionsField(serializers.JSONField):
    """Checked against the module registry by the service (400 naming ``permissions``)."""


class RoleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    description = serializers.CharField()
    description_en = serializers.CharField()
    permissions = PermissionsField()
    requires_2fa = serializers.BooleanField()
    version = serializers.IntegerField()


class RoleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    permissions = PermissionsField(required=False)
    requires_2fa = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)
