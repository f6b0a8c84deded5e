from django.urls import path

from guanxi.customers.views import contacts, detail, lists, timeline

app_name = "customers"
urlpatterns = [
    # lists, forms and bulk actions (views/lists.py)
    path("", lists.customer_list, name="customer-list"),
    path("new/", lists.customer_create, name="customer-create"),
    path("bulk/", lists.customer_bulk, name="customer-bulk"),
    path("recycle-bin/", lists.recycle_bin, name="recycle-bin"),
    path(
        "recycle-bin/<str:kind>/<int:pk>/restore/",
        lists.recycle_bin_restore,
        name="recycle-bin-restore",
    ),
    path("<int:pk>/edit/", lists.customer_edit, name="customer-edit"),
    path("<int:pk>/delete/", lists.customer_delete, name="customer-delete"),
    # the 360° page (views/detail.py) and its inline parts (views/contacts.py, views/timeline.py)
    path("<int:pk>/", detail.customer_detail, name="customer-detail"),
    path("<int:pk>/contacts/new/", contacts.contact_create, name="contact-create"),
    path("contacts/<int:pk>/", contacts.contact_row, name="contact-row"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact-delete"),
    path("<int:pk>/interactions/new/", timeline.interaction_create, name="interaction-create"),
    path("interactions/<int:pk>/", timeline.interaction_row, name="interaction-row"),
    path("interactions/<int:pk>/edit/", timeline.interaction_edit, name="interaction-edit"),
    path("interactions/<int:pk>/delete/", timeline.interaction_delete, name="interaction-delete"),
    path("<int:pk>/attachments/new/", timeline.attachment_create, name="attachment-create"),
    path("attachments/<int:pk>/", timeline.attachment_download, name="attachment-download"),
    path("attachments/<int:pk>/delete/", timeline.attachment_delete, name="attachment-delete"),
]
