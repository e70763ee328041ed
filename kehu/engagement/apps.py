from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    """Touchpoints (P4), reminders of birthdays, festivals and reviews."""

    name = "kehu.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from . import card

        card.register()
