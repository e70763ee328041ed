from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("export.xlsx", views.customer_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("new/", views.customer_new, name="new"),
    path("pick/", views.customer_pick, name="pick"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_remove, name="contact_delete"),
    path("<int:pk>/needs/new/", views.need_new, name="need_new"),
]
