from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "alpsbio.events"
    label = "events"
