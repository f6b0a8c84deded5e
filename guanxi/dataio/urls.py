from django.urls import path

from guanxi.dataio import views

app_name = "dataio"
urlpatterns = [
    path("", views.import_list, name="import-list"),
    path("import/new/", views.import_create, name="import-create"),
    path("import/<int:pk>/", views.import_detail, name="import-detail"),
    path("import/<int:pk>/map/", views.import_map, name="import-map"),
    path("import/<int:pk>/preview/", views.import_preview, name="import-preview"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import-cancel"),
    path("import/<int:pk>/resume/", views.import_resume, name="import-resume"),
    path("import/<int:pk>/undo/", views.import_undo, name="import-undo"),
    path("import/<int:pk>/errors/", views.import_errors, name="import-errors"),
    path("export/customers/", views.customer_export, name="customer-export"),
    path("export/<int:pk>/", views.export_detail, name="export-detail"),
    path("export/<int:pk>/download/", views.export_download, name="export-download"),
    path("duplicates/", views.duplicate_list, name="duplicate-list"),
    path("duplicates/scan/", views.duplicate_scan, name="duplicate-scan"),
    path("duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate-merge"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate-dismiss"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge-undo"),
    path("quality/", views.quality, name="quality"),
    path("quality/refresh/", views.quality_refresh, name="quality-refresh"),
    path("quality/fix/", views.quality_fix, name="quality-fix"),
]
