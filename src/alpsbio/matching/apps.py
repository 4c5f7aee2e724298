from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "alpsbio.matching"
    label = "matching"
