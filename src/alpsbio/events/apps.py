from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "alpsbio.events"
    label = "events"

    def ready(self) -> None:
        from alpsbio.events import indicators

        indicators.register()
