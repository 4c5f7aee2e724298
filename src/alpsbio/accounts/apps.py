from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "alpsbio.accounts"
    label = "accounts"

    def ready(self) -> None:
        from alpsbio.accounts.personal_data import erase_account, export_account
        from alpsbio.core.personal_data import register_section

        register_section("account", export_account, erase_account, order=100)
