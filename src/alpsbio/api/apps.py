from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "alpsbio.api"
    label = "api"
