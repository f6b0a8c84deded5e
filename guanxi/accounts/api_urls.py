"""API routes of accounts under /api/v1/."""

from django.urls import path

from guanxi.accounts import api, api_admin

app_name = "accounts_api"
urlpatterns = [
    path("users/", api_admin.UserListView.as_view(), name="user-list"),
    path("users/<str:id>/", api.UserDetailView.as_view(), name="user-detail"),
    path("tokens/", api.TokenListView.as_view(), name="token-list"),
    path("tokens/<str:id>/", api.TokenDetailView.as_view(), name="token-detail"),
]
