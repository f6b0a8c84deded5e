"""API routes of custom fields under /api/v1/."""

from django.urls import path

from guanxi.customization import api

app_name = "customization_api"
urlpatterns = [
    path("custom-fields/", api.FieldDefinitionListView.as_view(), name="field-list"),
    path("custom-fields/<str:id>/", api.FieldDefinitionDetailView.as_view(), name="field-detail"),
    path(
        "custom-fields/<str:id>/archive/",
        api.FieldDefinitionArchiveView.as_view(),
        name="field-archive",
    ),
]
