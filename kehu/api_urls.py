"""REST API under /api/v1/ (routes are registered by each app's api.py)."""

import threading

from django.conf import settings
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
    _built: dict[str, tuple[dict, dict]] = {}

    def _get_version_parameter(self, request):
        return None  # the API has one version; ?version= does not make another schema

    def _get_schema_response(self, request):
        # One build per language Kehu speaks: ?lang= or a header naming anything else gets the
        # default language's, so no reader can make the process build and keep more.
        try:
            language = translation.get_supported_language_variant(translation.get_language() or "")
        except LookupError:
            language = settings.LANGUAGE_CODE
        with self._lock:
            if language not in self._built:
                with translation.override(language):
                    response = super()._get_schema_response(request)
                self._built[language] = (response.data, dict(response.items()))
        data, headers = self._built[language]
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
