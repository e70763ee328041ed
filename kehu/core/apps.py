from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
