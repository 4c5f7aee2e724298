from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "alpsbio.events"
    label = "events"

    def ready(self) -> None:
        from alpsbio.events import indicators

        indicators.register()

        from alpsbio.core.personal_data import register_section
        from alpsbio.events.personal_data import erase_events, export_events

        register_section("events", export_events, erase_events)
