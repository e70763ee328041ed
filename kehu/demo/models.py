from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoBuild(models.Model):
    """A record of each `kehu demo` build: what was asked for and how long it took.

    `make bench` reads it to reuse a database already built at the benchmark scale.
    """

    seed = models.BigIntegerField(_("seed"))
    customers = models.PositiveIntegerField(_("customers"))
    prospects = models.PositiveIntegerField(_("prospects"))
    order_lines = models.PositiveBigIntegerField(_("order lines"))
    months = models.PositiveSmallIntegerField(_("months of orders"))
    today = models.DateField(_("data ends on"))
    seconds = models.FloatField(_("build time (s)"))
    built_at = models.DateTimeField(_("built at"), auto_now_add=True)

    class Meta:
        ordering = ["-built_at", "-id"]
        verbose_name = _("demo build")
        verbose_name_plural = _("demo builds")

    def __str__(self) -> str:
        return f"demo seed {self.seed}: {self.customers:,} customers, {self.order_lines:,} order lines"
