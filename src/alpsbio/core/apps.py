from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "alpsbio.core"
    label = "core"
