"""REST API under /api/v1/ (routes are registered by each app's api.py)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

urlpatterns = [
    path("", include("kehu.accounts.api")),
    path("", include("kehu.customers.api")),
    path("", include("kehu.ledger.api")),
    path("", include("kehu.credit.api")),
    path("", include("kehu.dataio.api")),
    path("", include("kehu.engagement.api")),
    path("", include("kehu.prospecting.api")),
    path("", include("kehu.keyaccounts.api")),
    path("", include("kehu.visits.api")),
    path("", include("kehu.analytics.api")),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
]
