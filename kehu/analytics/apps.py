from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Read-only views over every other app: home pages, reports. Nothing imports analytics."""

    name = "kehu.analytics"
    label = "analytics"
    verbose_name = _("Analytics")
