from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "alpsbio.funding"
    label = "funding"

    def ready(self) -> None:
        from alpsbio.funding.providers import register_platform_sources

        # Built-in counters for the platform's modules; an app that registered its own
        # provider (in its ready(), which runs earlier) keeps it.
        register_platform_sources()
