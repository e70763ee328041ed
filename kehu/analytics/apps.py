from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Read-only views over every other app: home pages, reports, grading. Nothing imports analytics."""

    name = "kehu.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kehu.core import daily

        from . import card
        from .services import abc_daily

        daily.register("abc_grading", abc_daily)
        card.register()
