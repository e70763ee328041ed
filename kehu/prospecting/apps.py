from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProspectingConfig(AppConfig):
    """Developing new customers: sourcing methods (P1), the pool (P2), colour grades (P3), pursuit decisions (P5), the shared pool."""

    name = "kehu.prospecting"
    label = "prospecting"
    verbose_name = _("Prospecting")
