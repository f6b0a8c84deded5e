"""Administration pages under /settings/: users, departments, roles and ownership transfer.

Thin views: parse a form, call a service, render. Only users with the ``admin`` right on the
``accounts`` module (system administrators, superusers) reach them; others get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.accounts import admin_selectors as selectors
from guanxi.accounts import services
from guanxi.accounts.forms_admin import (
    DeactivateForm,
    DepartmentForm,
    PasswordResetForm,
    RoleForm,
    TransferForm,
    UserCreateForm,
    UserFilterForm,
    UserForm,
)
from guanxi.accounts.models import Department
from guanxi.core.errors import ApplicationError, NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def admin_view(view: View) -> View:
    """Signed-in administrators only; NotFound becomes 404, PermissionDenied 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            selectors.require_admin(request.user)
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from exc

    return wrapped


def _form_error(form: Any, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, f"accounts/settings/{template}", {"nav": "settings", **context})


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    """Administrators land on the users, auditors on the audit log, everyone else on her own
    security settings."""
    from guanxi.accounts import policy

    if policy.can(request.user, "admin", selectors.ADMIN_MODULE):
        return redirect("settings:user-list")
    if policy.can(request.user, "view", "audit"):
        return redirect("settings:audit-log")
    return redirect("settings:security")


# --- users ----------------------------------------------------------------------------------


@admin_view
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    users = selectors.admin_user_list(actor=request.user, filters=form.filters())
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return _page(request, "users.html", {"tab": "users", "form": form, "page": page})


@admin_view
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data.get("password") or None,
                display_name=data.get("display_name", ""),
                email=data.get("email", ""),
                mobile=data.get("mobile", ""),
                department=data.get("department"),
                language=data["language"],
                roles=data.get("roles") or [],
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("User created."))
            return redirect("settings:user-edit", pk=user.pk)
    return _page(request, "user_create.html", {"tab": "users", "form": form})


@admin_view
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    initial = {
        "display_name": user.display_name,
        "email": user.email,
        "mobile": user.mobile,
        "department": user.department,
        "language": user.language,
        "roles": list(user.roles.all()),
    }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                user=user,
                data={k: data.get(k) for k in ("display_name", "email", "mobile", "language")}
                | {"department": data.get("department")},
            )
            services.user_set_roles(actor=request.user, user=user, roles=data.get("roles") or [])
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("settings:user-edit", pk=user.pk)
    return _page(
        request,
        "user_edit.html",
        {
            "tab": "users",
            "subject": user,
            "form": form,
            "password_form": PasswordResetForm(),
            "deactivate_form": DeactivateForm(exclude=user),
            "customer_count": user.owned_customers.count(),
        },
    )


@admin_view
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Password set. Her other sessions have ended."))
    else:
        messages.error(request, _("Enter a password."))
    return redirect("settings:user-edit", pk=user.pk)


@admin_view
@require_POST
def user_logout_everywhere(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    services.user_logout_everywhere(actor=request.user, user=user)
    messages.success(request, _("Every session of this user has ended."))
    if user.pk == request.user.pk:
        return redirect("accounts:login")
    return redirect("settings:user-edit", pk=user.pk)


@admin_view
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    form = DeactivateForm(request.POST, exclude=user)
    if not form.is_valid():
        messages.error(request, _("Choose an active colleague to take over her customers."))
        return redirect("settings:user-edit", pk=user.pk)
    try:
        services.user_deactivate(
            actor=request.user, user=user, transfer_to=form.cleaned_data.get("transfer_to")
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The account is deactivated."))
    return redirect("settings:user-edit", pk=user.pk)


@admin_view
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    services.user_reactivate(actor=request.user, user=user)
    messages.success(request, _("The account is active again."))
    return redirect("settings:user-edit", pk=user.pk)


@admin_view
@require_POST
def user_reset_2fa(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a user's authenticator (a lost phone): she enrols again at her next sign-in."""
    user = selectors.admin_user_get(actor=request.user, pk=pk)
    services.totp_disable(actor=request.user, user=user)
    messages.success(request, _("Her authenticator is removed; she enrols again at sign-in."))
    return redirect("settings:user-edit", pk=user.pk)


# --- departments ----------------------------------------------------------------------------


@admin_view
@require_http_methods(["GET", "POST"])
def department_list(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.department_create(
                actor=request.user,
                name=data["name"],
                parent=data.get("parent"),
                manager=data.get("manager"),
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Department created."))
            return redirect("settings:department-list")
    return _page(
        request,
        "departments.html",
        {
            "tab": "departments",
            "form": form,
            "departments": selectors.department_tree(actor=request.user),
        },
    )


@admin_view
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get(actor=request.user, pk=pk)
    form = DepartmentForm(
        request.POST or None,
        initial={
            "name": department.name,
            "parent": department.parent,
            "manager": department.manager,
        },
    )
    form.fields["parent"].queryset = Department.objects.exclude(
        path__startswith=department.path
    ).order_by("path")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.department_update(
                actor=request.user,
                department=department,
                name=data["name"],
                manager=data.get("manager"),
            )
            services.department_move(
                actor=request.user, department=department, parent=data.get("parent")
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("settings:department-list")
    return _page(
        request,
        "department_edit.html",
        {"tab": "departments", "form": form, "department": department},
    )


@admin_view
@require_POST
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.department_get(actor=request.user, pk=pk)
    try:
        services.department_delete(actor=request.user, department=department)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("settings:department-edit", pk=department.pk)
    messages.success(request, _("Department removed."))
    return redirect("settings:department-list")


# --- roles ----------------------------------------------------------------------------------


@admin_view
def role_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request, "roles.html", {"tab": "roles", "roles": selectors.role_list(actor=request.user)}
    )


@admin_view
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = services.role_create(actor=request.user, data=form.role_data())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Role created."))
            return redirect("settings:role-edit", pk=role.pk)
    return _page(request, "role_form.html", {"tab": "roles", "form": form, "role": None})


@admin_view
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    role = selectors.role_get(actor=request.user, pk=pk)
    form = RoleForm(request.POST or None, role=role)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_update(actor=request.user, role=role, data=form.role_data())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved. Holders get the new rights at once."))
            return redirect("settings:role-edit", pk=role.pk)
    return _page(request, "role_form.html", {"tab": "roles", "form": form, "role": role})


@admin_view
@require_POST
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    role = selectors.role_get(actor=request.user, pk=pk)
    try:
        services.role_delete(actor=request.user, role=role)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("settings:role-edit", pk=role.pk)
    messages.success(request, _("Role removed."))
    return redirect("settings:role-list")


# --- ownership transfer ---------------------------------------------------------------------


@admin_view
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest) -> HttpResponse:
    form = TransferForm(request.POST or None, initial={"from_user": request.GET.get("from")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.records_transfer_all(
                actor=request.user, from_user=data["from_user"], to_user=data["to_user"]
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Now with %(name)s: %(records)s.")
                % {"records": services.transfer_summary(moved), "name": data["to_user"]},
            )
            return redirect("settings:transfer")
    return _page(request, "transfer.html", {"tab": "transfer", "form": form})
