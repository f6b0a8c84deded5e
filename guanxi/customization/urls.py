from django.urls import path

from guanxi.customization import views

app_name = "customization"
urlpatterns = [
    path("", views.field_list, name="field-list"),
    path("new/", views.field_create, name="field-create"),
    path("<int:pk>/", views.field_edit, name="field-edit"),
    path("<int:pk>/archive/", views.field_archive, name="field-archive"),
]
