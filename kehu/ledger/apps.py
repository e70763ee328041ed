from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "kehu.ledger"
    label = "ledger"
    verbose_name = _("Sales ledger")

    def ready(self) -> None:
        from . import card

        card.register()
