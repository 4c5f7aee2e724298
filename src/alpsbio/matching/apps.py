from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "alpsbio.matching"
    label = "matching"

    def ready(self) -> None:
        from alpsbio.core.dashboard import register_panel
        from alpsbio.matching.views import dashboard_panel

        register_panel(dashboard_panel)
