from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "alpsbio.survey"
    label = "survey"
