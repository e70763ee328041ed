from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "kehu.credit"
    label = "credit"
    verbose_name = _("Credit control")

    def ready(self) -> None:
        from kehu.core import daily
        from kehu.ledger import confirmation

        from . import card, panels, services

        # Credit owns the confirm step of every order (DESIGN.md, K1–K4).
        confirmation.register(services.order_confirm_checked)
        daily.register("credit-review", services.credit_daily_review)
        card.register()
        panels.register()
