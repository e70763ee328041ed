from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core import daily, jobs

        from .geocoding import geocode_daily
        from .tasks import JOB_KIND

        daily.register("customers-geocode", geocode_daily)
        jobs.saves_as_it_goes(JOB_KIND)  # each customer is saved as it is placed
