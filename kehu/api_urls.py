"""REST API under /api/v1/ (routes are registered by each app's api.py)."""

import threading

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import include, path
from django.utils import translation
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.response import Response


class OpenAPIView(SpectacularJSONAPIView):
    """The API's description, made once per process and language and then served from memory.

    drf-spectacular's generator is not safe to run in two threads at once (its views' schema
    objects are shared), and a threaded server's first requests would otherwise build it side by
    side and fail. The schema is public and the same for every reader, so one build serves all.
    """

    _lock = threading.Lock()
    _built: dict[tuple[str | None, str | None], tuple[dict, dict]] = {}

    def _get_schema_response(self, request):
        key = (self.api_version or request.version or self._get_version_parameter(request),
               translation.get_language())
        with self._lock:
            if key not in self._built:
                response = super()._get_schema_response(request)
                self._built[key] = (response.data, dict(response.items()))
        data, headers = self._built[key]
        return Response(data=data, headers=headers)


@receiver(setting_changed)
def _forget_schema(**kwargs) -> None:
    """A changed setting may change the schema (tests override settings)."""
    with OpenAPIView._lock:
        OpenAPIView._built.clear()


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
    path("openapi.json", OpenAPIView.as_view(), name="openapi"),
]
