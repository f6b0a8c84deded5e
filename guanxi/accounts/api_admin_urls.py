"""Administration API routes under /api/v1/ (users' access, departments, roles)."""

from django.urls import path

from guanxi.accounts import api_admin as api

app_name = "accounts_admin_api"
urlpatterns = [
    path("users/<str:id>/access/", api.UserAccessView.as_view(), name="user-access"),
    path("users/<str:id>/password/", api.UserPasswordView.as_view(), name="user-password"),
    path("users/<str:id>/logout/", api.UserLogoutView.as_view(), name="user-logout"),
    path("users/<str:id>/deactivate/", api.UserDeactivateView.as_view(), name="user-deactivate"),
    path("users/<str:id>/reactivate/", api.UserReactivateView.as_view(), name="user-reactivate"),
    path(
        "users/<str:id>/transfer-customers/",
        api.UserTransferView.as_view(),
        name="user-transfer-customers",
    ),
    path("departments/", api.DepartmentListView.as_view(), name="department-list"),
    path("departments/<str:id>/", api.DepartmentDetailView.as_view(), name="department-detail"),
    path("roles/", api.RoleListView.as_view(), name="role-list"),
    path("roles/<str:id>/", api.RoleDetailView.as_view(), name="role-detail"),
]
