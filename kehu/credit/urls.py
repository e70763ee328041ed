from django.urls import path

from . import exports, views

CSV, XLSX = {"fmt": "csv"}, {"fmt": "xlsx"}

app_name = "credit"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue.xlsx", exports.queue_export, XLSX, name="queue_export"),
    path("queue.csv", exports.queue_export, CSV, name="queue_export_csv"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox.xlsx", exports.inbox_export, XLSX, name="inbox_export"),
    path("inbox.csv", exports.inbox_export, CSV, name="inbox_export_csv"),
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
    path("ageing.xlsx", exports.ageing_export, XLSX, name="ageing_export"),
    path("ageing.csv", exports.ageing_export, CSV, name="ageing_export_csv"),
    path("receivables/<int:pk>/write-off/", views.write_off_new, name="write_off_new"),
    path("write-offs/<int:pk>/", views.write_off_detail, name="write_off_detail"),
    path("liabilities/", views.liabilities, name="liabilities"),
    path("liabilities.xlsx", exports.liabilities_export, XLSX, name="liabilities_export"),
    path("liabilities.csv", exports.liabilities_export, CSV, name="liabilities_export_csv"),
    path("audit/", views.audit_trail, name="audit"),
    path("audit.xlsx", exports.audit_export, XLSX, name="audit_export"),
    path("audit.csv", exports.audit_export, CSV, name="audit_export_csv"),
]
