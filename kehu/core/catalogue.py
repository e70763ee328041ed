"""Oil-product categories: the catalogue's (ledger) and the customer's needs (C4) use the same list."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductCategory(models.TextChoices):
    ENGINE_OIL = "engine_oil", _("Engine oil")
    HYDRAULIC_OIL = "hydraulic_oil", _("Hydraulic oil")
    GEAR_OIL = "gear_oil", _("Gear oil")
    GREASE = "grease", _("Grease")
    INDUSTRIAL_OIL = "industrial_oil", _("Other industrial oil")
    DIESEL = "diesel", _("Diesel")
    GASOLINE = "gasoline", _("Gasoline")
