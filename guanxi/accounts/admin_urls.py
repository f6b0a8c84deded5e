"""Administration pages under /settings/ (users, departments, roles, transfer, audit log)."""

from django.urls import path

from guanxi.accounts import views_admin as views
from guanxi.accounts import views_security as security
from guanxi.core import views as core_views

app_name = "settings"
urlpatterns = [
    path("", views.settings_home, name="home"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/password/", views.user_password, name="user-password"),
    path("users/<int:pk>/logout/", views.user_logout_everywhere, name="user-logout"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user-reactivate"),
    path("users/<int:pk>/2fa-reset/", views.user_reset_2fa, name="user-2fa-reset"),
    path("departments/", views.department_list, name="department-list"),
    path("departments/<int:pk>/", views.department_edit, name="department-edit"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department-delete"),
    path("roles/", views.role_list, name="role-list"),
    path("roles/new/", views.role_create, name="role-create"),
    path("roles/<int:pk>/", views.role_edit, name="role-edit"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role-delete"),
    path("transfer/", views.transfer, name="transfer"),
    path("security/", security.security, name="security"),
    path("security/logout-others/", security.sessions_end_others, name="logout-others"),
    path("2fa/setup/", security.two_factor_setup, name="2fa-setup"),
    path("2fa/verify/", security.two_factor_verify, name="2fa-verify"),
    path("2fa/disable/", security.two_factor_disable, name="2fa-disable"),
    path("audit/", core_views.audit_log, name="audit-log"),
    path("audit/export/", core_views.audit_log_export, name="audit-export"),
]
