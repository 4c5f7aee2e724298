from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "alpsbio.funding"
    label = "funding"
