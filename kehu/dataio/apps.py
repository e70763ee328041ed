from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "kehu.dataio"
    label = "dataio"
    verbose_name = _("Data in and out")

    def ready(self) -> None:
        from kehu.core import jobs

        from . import services

        jobs.on_failure(services.JOB_KIND, services.job_lost)
