from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from guanxi.ops import views as ops_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:customer-list", permanent=False)),
    path("accounts/", include("guanxi.accounts.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("data/", include("guanxi.dataio.urls")),
    path("settings/custom-fields/", include("guanxi.customization.urls")),
    path("settings/", include("guanxi.accounts.admin_urls")),
    path("api/v1/", include("guanxi.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", ops_views.health, name="health"),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
