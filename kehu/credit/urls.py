from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("customers/<int:customer_pk>/investigations/new/", views.investigation_new, name="investigation_new"),
    path("investigations/<int:pk>/", views.investigation_detail, name="investigation_detail"),
    path("investigations/<int:pk>/attachments/<int:att_pk>/", views.attachment_download, name="attachment"),
    path("customers/<int:customer_pk>/applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("orders/<int:order_pk>/", views.order_credit, name="order_credit"),
    path("exceptions/<int:pk>/", views.exception_detail, name="exception_detail"),
    path("customers/<int:customer_pk>/freeze/", views.freeze, name="freeze"),
    path("reviews/<int:pk>/done/", views.review_done, name="review_done"),
    path("ageing/", views.ageing, name="ageing"),
    path("ageing.xlsx", views.ageing_export, name="ageing_export"),
    path("receivables/<int:pk>/write-off/", views.write_off_new, name="write_off_new"),
    path("write-offs/<int:pk>/", views.write_off_detail, name="write_off_detail"),
    path("liabilities/", views.liabilities, name="liabilities"),
    path("liabilities.xlsx", views.liabilities_export, name="liabilities_export"),
    path("audit/", views.audit_trail, name="audit"),
]
