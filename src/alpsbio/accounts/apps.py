from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alpsbio.accounts"
    label = "accounts"
