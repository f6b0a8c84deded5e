"""All REST endpoints under /api/v1/: each app contributes its own ``api_urls``."""

from django.urls import include, path

urlpatterns = [
    path("", include("guanxi.accounts.api_urls")),
    path("", include("guanxi.accounts.api_admin_urls")),
    path("", include("guanxi.customers.api_urls")),
    path("", include("guanxi.customization.api_urls")),
    path("", include("guanxi.sales.api_urls")),
]
