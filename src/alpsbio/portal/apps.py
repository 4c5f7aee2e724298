from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "alpsbio.portal"
    label = "portal"
