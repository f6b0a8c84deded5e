"""Administration API: users' access, departments and roles (administrators only).

``/api/v1/users/`` (create), ``/api/v1/users/{id}/access/`` and its actions,
``/api/v1/departments/`` and ``/api/v1/roles/``. Everyone else gets 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import admin_selectors as selectors
from guanxi.accounts import api, services
from guanxi.accounts.serializers_admin import (
    AdminUserCreateInputSerializer,
    AdminUserOutputSerializer,
    AdminUserUpdateInputSerializer,
    DeactivateInputSerializer,
    DepartmentCreateInputSerializer,
    DepartmentOutputSerializer,
    DepartmentUpdateInputSerializer,
    PasswordInputSerializer,
    RoleInputSerializer,
    RoleOutputSerializer,
    TransferInputSerializer,
    TransferOutputSerializer,
)
from guanxi.core.api import ApiView, conflict_current, error_responses, id_parameter

ADMIN_ERRORS = (400, 401, 403, 404)


class AdminApiView(ApiView):
    """Authenticated administrators only (403 for everyone else, whatever the method)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        selectors.require_admin(request.user)


def _user(request: Request, id: str) -> Any:
    return selectors.admin_user_get(actor=request.user, pk=id)


class UserListView(api.UserListView):
    """``GET`` lists colleagues for everyone; ``POST`` creates a user (administrators)."""

    @extend_schema(
        tags=["users"],
        operation_id="users_create",
        summary="Create a user (administrators)",
        description=(
            "A user without roles can sign in but sees nothing. Without a password the account "
            "cannot sign in until one is set."
        ),
        request=AdminUserCreateInputSerializer,
        responses={201: AdminUserOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        selectors.require_admin(request.user)
        data = self.body(AdminUserCreateInputSerializer)
        user = services.user_create(
            actor=request.user,
            username=data["username"],
            password=data.get("password") or None,
            display_name=data.get("display_name", ""),
            email=data.get("email", ""),
            mobile=data.get("mobile", ""),
            department=data.get("department"),
            language=data.get("language") or request.user.language,
            roles=data.get("roles") or [],
        )
        return self.record(
            _user(request, user.pk),
            AdminUserOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{user.pk}/access/"},
        )


class UserAccessView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_access_retrieve",
        summary="Read a user's profile and access (administrators)",
        parameters=[id_parameter(description="The user's id.")],
        responses={200: AdminUserOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(_user(request, id), AdminUserOutputSerializer)

    @extend_schema(
        tags=["users"],
        operation_id="users_access_update",
        summary="Change a user's profile, department or roles (administrators)",
        description="`roles` replaces the user's roles; an empty list takes every right away.",
        parameters=[id_parameter(description="The user's id.")],
        request=AdminUserUpdateInputSerializer,
        responses={200: AdminUserOutputSerializer, **error_responses(*ADMIN_ERRORS, 415)},
    )
    def patch(self, request: Request, id: str) -> Response:
        user = _user(request, id)
        data = self.body(AdminUserUpdateInputSerializer, partial=True)
        roles = data.pop("roles", None)
        if data:
            services.user_update(actor=request.user, user=user, data=data)
        if roles is not None:
            services.user_set_roles(actor=request.user, user=user, roles=roles)
        return self.record(_user(request, id), AdminUserOutputSerializer)


class UserPasswordView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_password_set",
        summary="Set a user's password (administrators)",
        description="Her sessions end everywhere. The password is never logged.",
        parameters=[id_parameter(description="The user's id.")],
        request=PasswordInputSerializer,
        responses={204: None, **error_responses(*ADMIN_ERRORS, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        user = _user(request, id)
        data = self.body(PasswordInputSerializer)
        services.user_set_password(actor=request.user, user=user, password=data["password"])
        return Response(status=204)


class UserLogoutView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_logout_everywhere",
        summary="End every session of a user (administrators)",
        parameters=[id_parameter(description="The user's id.")],
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        services.user_logout_everywhere(actor=request.user, user=_user(request, id))
        return Response(status=204)


class UserDeactivateView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_deactivate",
        summary="Deactivate a user (administrators)",
        description=(
            "She can no longer sign in, her sessions end and her tokens are revoked. With "
            "`transfer_to` every customer she owns goes to that colleague in the same step."
        ),
        parameters=[id_parameter(description="The user's id.")],
        request=DeactivateInputSerializer,
        responses={200: AdminUserOutputSerializer, **error_responses(*ADMIN_ERRORS, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        user = _user(request, id)
        data = self.body(DeactivateInputSerializer)
        services.user_deactivate(actor=request.user, user=user, transfer_to=data.get("transfer_to"))
        return self.record(_user(request, id), AdminUserOutputSerializer)


class UserReactivateView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_reactivate",
        summary="Reactivate a user (administrators)",
        parameters=[id_parameter(description="The user's id.")],
        request=None,
        responses={200: AdminUserOutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, id: str) -> Response:
        services.user_reactivate(actor=request.user, user=_user(request, id))
        return self.record(_user(request, id), AdminUserOutputSerializer)


class UserTransferView(AdminApiView):
    @extend_schema(
        tags=["users"],
        operation_id="users_transfer_customers",
        summary="Give everything a user owns to another (administrators)",
        parameters=[id_parameter(description="The id of the user whose customers move.")],
        request=TransferInputSerializer,
        responses={200: TransferOutputSerializer, **error_responses(*ADMIN_ERRORS, 415)},
    )
    def post(self, request: Request, id: str) -> Response:
        user = _user(request, id)
        data = self.body(TransferInputSerializer)
        moved = services.records_transfer_all(
            actor=request.user, from_user=user, to_user=data["to_user"]
        )
        return Response(
            TransferOutputSerializer(
                {"transferred": moved.get("customers", 0), "records": moved}
            ).data
        )


# --- departments ----------------------------------------------------------------------------


class DepartmentListView(AdminApiView):
    @extend_schema(
        tags=["departments"],
        operation_id="departments_list",
        summary="List departments (administrators)",
        responses={200: DepartmentOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return self.paginated(
            selectors.department_list(actor=request.user), DepartmentOutputSerializer
        )

    @extend_schema(
        tags=["departments"],
        operation_id="departments_create",
        summary="Create a department (administrators)",
        request=DepartmentCreateInputSerializer,
        responses={201: DepartmentOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        data = self.body(DepartmentCreateInputSerializer)
        department = services.department_create(
            actor=request.user,
            name=data["name"],
            parent=data.get("parent"),
            manager=data.get("manager"),
        )
        return self.record(
            department,
            DepartmentOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{department.pk}/"},
        )


class DepartmentDetailView(AdminApiView):
    @extend_schema(
        tags=["departments"],
        operation_id="departments_retrieve",
        summary="Read a department (administrators)",
        parameters=[id_parameter(description="The department's id.")],
        responses={200: DepartmentOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(
            selectors.department_get(actor=request.user, pk=id), DepartmentOutputSerializer
        )

    @extend_schema(
        tags=["departments"],
        operation_id="departments_update",
        summary="Rename, move or change the manager of a department (administrators)",
        parameters=[id_parameter(description="The department's id.")],
        request=DepartmentUpdateInputSerializer,
        responses={
            200: DepartmentOutputSerializer,
            **error_responses(*ADMIN_ERRORS, 409, 415, current=DepartmentOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        department = selectors.department_get(actor=request.user, pk=id)
        data = self.body(DepartmentUpdateInputSerializer, partial=True)
        with conflict_current(
            lambda: (
                DepartmentOutputSerializer(selectors.department_get(actor=request.user, pk=id)).data
            )
        ):
            department = services.department_update(
                actor=request.user,
                department=department,
                name=data.get("name"),
                manager=data.get("manager", False),
                version=data.get("version"),
            )
        if "parent" in data:
            department = services.department_move(
                actor=request.user, department=department, parent=data["parent"]
            )
        return self.record(
            selectors.department_get(actor=request.user, pk=id), DepartmentOutputSerializer
        )

    @extend_schema(
        tags=["departments"],
        operation_id="departments_destroy",
        summary="Remove an empty department (administrators)",
        parameters=[id_parameter(description="The department's id.")],
        request=None,
        responses={204: None, **error_responses(*ADMIN_ERRORS)},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.department_delete(
            actor=request.user, department=selectors.department_get(actor=request.user, pk=id)
        )
        return Response(status=204)


# --- roles ----------------------------------------------------------------------------------


class RoleListView(AdminApiView):
    @extend_schema(
        tags=["roles"],
        operation_id="roles_list",
        summary="List roles (administrators)",
        responses={200: RoleOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return self.paginated(selectors.role_list(actor=request.user), RoleOutputSerializer)

    @extend_schema(
        tags=["roles"],
        operation_id="roles_create",
        summary="Create a role (administrators)",
        request=RoleInputSerializer,
        responses={201: RoleOutputSerializer, **error_responses(400, 401, 403, 415)},
    )
    def post(self, request: Request) -> Response:
        data = self.body(RoleInputSerializer)
        data.pop("version", None)
        role = services.role_create(actor=request.user, data=data)
        return self.record(
            role,
            RoleOutputSerializer,
            status=201,
            headers={"Location": f"{request.path}{role.pk}/"},
        )


class RoleDetailView(AdminApiView):
    @extend_schema(
        tags=["roles"],
        operation_id="roles_retrieve",
        summary="Read a role (administrators)",
        parameters=[id_parameter(description="The role's id.")],
        responses={200: RoleOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: str) -> Response:
        return self.record(selectors.role_get(actor=request.user, pk=id), RoleOutputSerializer)

    @extend_schema(
        tags=["roles"],
        operation_id="roles_update",
        summary="Change a role (administrators)",
        description="Holders get the new rights with their next request.",
        parameters=[id_parameter(description="The role's id.")],
        request=RoleInputSerializer,
        responses={
            200: RoleOutputSerializer,
            **error_responses(*ADMIN_ERRORS, 409, 415, current=RoleOutputSerializer),
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        role = selectors.role_get(actor=request.user, pk=id)
        data = self.body(RoleInputSerializer, partial=True)
        version = data.pop("version", None)
        with conflict_current(
            lambda: RoleOutputSerializer(selectors.role_get(actor=request.user, pk=id)).data
        ):
            role = services.role_update(actor=request.user, role=role, data=data, version=version)
        return self.record(role, RoleOutputSerializer)

    @extend_schema(
        tags=["roles"],
        operation_id="roles_destroy",
        summary="Remove a role nobody holds (administrators)",
        parameters=[id_parameter(description="The role's id.")],
        request=None,
        responses={204: None, **error_responses(*ADMIN_ERRORS)},
    )
    def delete(self, request: Request, id: str) -> Response:
        services.role_delete(actor=request.user, role=selectors.role_get(actor=request.user, pk=id))
        return Response(status=204)
