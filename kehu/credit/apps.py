from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "kehu.credit"
    label = "credit"
    verbose_name = _("Credit control")

    def ready(self) -> None:
        from kehu.core import daily

        from . import card, panels, services

        # Credit owns the confirm step of every order (DESIGN.md, K1–K4): settings.ORDER_CONFIRM_STEP.
        daily.register("credit-review", services.credit_daily_review)
        card.register()
        panels.register()
