from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("export.csv", views.order_export, name="order_export"),
    path("export.xlsx", views.order_export, {"fmt": "xlsx"}, name="order_export_xlsx"),
    path("new/", views.order_new, name="order_new"),
    path("confirm/", views.orders_confirm, name="orders_confirm"),
    path("new/line/", views.order_line_row, name="order_line_row"),
    path("new/products/", views.product_pick, name="product_pick"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("payments/<int:customer_pk>/new/", views.payment_new, name="payment_new"),
]
