from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "alpsbio.directory"
    label = "directory"
