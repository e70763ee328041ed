from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeyAccountsConfig(AppConfig):
    """The key-account programme (C3): candidates, confirmation, account plans."""

    name = "kehu.keyaccounts"
    label = "keyaccounts"
    verbose_name = _("Key accounts")

    def ready(self) -> None:
        from kehu.core import daily

        from . import card
        from .services import candidates_refresh

        daily.register("key_account_candidates", candidates_refresh)
        card.register()
