"""API routes of customers under /api/v1/ (ids in paths are parsed by the views, so a malformed id
is a JSON 404 like an unknown one)."""

from django.urls import path

from guanxi.customers.api import attachments, contacts, customers, tags

app_name = "customers_api"
urlpatterns = [
    path("customers/", customers.CustomerListView.as_view(), name="customer-list"),
    path("customers/bulk/", customers.CustomerBulkView.as_view(), name="customer-bulk"),
    path("customers/<str:id>/", customers.CustomerDetailView.as_view(), name="customer-detail"),
    path(
        "customers/<str:id>/restore/",
        customers.CustomerRestoreView.as_view(),
        name="customer-restore",
    ),
    path(
        "customers/<str:id>/collaborators/",
        customers.CollaboratorListView.as_view(),
        name="collaborator-list",
    ),
    path(
        "customers/<str:id>/collaborators/<str:user_id>/",
        customers.CollaboratorDetailView.as_view(),
        name="collaborator-detail",
    ),
    path(
        "customers/<str:id>/attachments/",
        attachments.CustomerAttachmentListView.as_view(),
        name="attachment-list",
    ),
    path(
        "attachments/<str:id>/",
        attachments.AttachmentDetailView.as_view(),
        name="attachment-detail",
    ),
    path(
        "attachments/<str:id>/download/",
        attachments.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("contacts/", contacts.ContactListView.as_view(), name="contact-list"),
    path("contacts/<str:id>/", contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("interactions/", contacts.InteractionListView.as_view(), name="interaction-list"),
    path(
        "interactions/<str:id>/",
        contacts.InteractionDetailView.as_view(),
        name="interaction-detail",
    ),
    path("tags/", tags.TagListView.as_view(), name="tag-list"),
    path("tags/<str:id>/", tags.TagDetailView.as_view(), name="tag-detail"),
    path("industries/", tags.IndustryListView.as_view(), name="industry-list"),
    path("sources/", tags.SourceListView.as_view(), name="source-list"),
    path("levels/", tags.LevelListView.as_view(), name="level-list"),
]
