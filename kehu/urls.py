from django.contrib import admin
from django.urls import include, path

from kehu.analytics.views import home

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("kehu.api_urls")),
    path("", home, name="home"),
    path("", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("orders/", include("kehu.ledger.urls")),
    path("credit/", include("kehu.credit.urls")),
]
