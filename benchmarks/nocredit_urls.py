from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("kehu.accounts.api")),
    path("api/v1/", include("kehu.customers.api")),
    path("api/v1/", include("kehu.ledger.api")),
]
