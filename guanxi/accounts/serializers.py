"""Input and output shapes of the accounts API (users as owner choices, API tokens)."""

from __future__ import annotations

from rest_framework import serializers

from guanxi.core.api import BoundedDateTimeField


class UserRefSerializer(serializers.Serializer):
    """A user as shown next to a record (owner, author, collaborator)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__", help_text="The name others see.")


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__", help_text="The name others see.")
    department = DepartmentRefSerializer(allow_null=True)


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(
        help_text="The first characters of the secret, to tell it apart."
    )
    is_read_only = serializers.BooleanField()
    scopes = serializers.DictField(
        child=serializers.ChoiceField(choices=["read", "write"]),
        help_text='Per module "read" or "write" ("*": every module); empty: all of your rights.',
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOutputSerializer(TokenOutputSerializer):
    secret = serializers.CharField(
        help_text="The token itself. It is shown only now: store it safely."
    )


class TokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    is_read_only = serializers.BooleanField(required=False, default=False)
    scopes = serializers.DictField(
        child=serializers.ChoiceField(choices=["read", "write"]),
        required=False,
        help_text=(
            'Narrow the token to modules: {"customers": "read", "sales": "write"}; "*" stands '
            "for every module. A token never grants more than its user has."
        ),
    )
    expires_at = BoundedDateTimeField(required=False, allow_null=True)
