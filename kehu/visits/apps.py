from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """Visit cadence (C2), plans, daily routes, the pre-departure checklist (F1), visit logs and day sheets (F2)."""

    name = "kehu.visits"
    label = "visits"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from kehu.core import daily as daily_jobs

        from . import card, daily

        daily_jobs.register("visits-overdue-a", daily.flag_overdue_a)
        card.register()
