from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kehu.demo"
    label = "demo"
