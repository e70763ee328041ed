from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProspectingConfig(AppConfig):
    """Developing new customers: sourcing methods (P1), the pool (P2), colour grades (P3), pursuit decisions (P5), the shared pool."""

    name = "kehu.prospecting"
    label = "prospecting"
    verbose_name = _("Prospecting")

    def ready(self) -> None:
        from kehu.core import daily as daily_jobs
        from kehu.engagement import services as engagement

        from . import card, daily, services

        card.register()
        # A done touch adds to the cost of touches: the yield summary follows at once.
        if services.summary_after_touch not in engagement.TOTAL_CHANGED:
            engagement.TOTAL_CHANGED.append(services.summary_after_touch)
        daily_jobs.register("prospecting.untouched_to_shared_pool", daily.sweep_untouched)
        daily_jobs.register("prospecting.pool_below_target", daily.warn_low_pools)
        daily_jobs.register("prospecting.yield_figures", daily.refresh_yield)
