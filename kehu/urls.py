from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("kehu.api_urls")),
    path("", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("orders/", include("kehu.ledger.urls")),
]
