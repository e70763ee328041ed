from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"

    def ready(self) -> None:
        from . import daily, jobs

        daily.register("core.lost_jobs", lambda today: jobs.sweep())
