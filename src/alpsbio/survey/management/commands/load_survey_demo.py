"""``alpsbio load_survey_demo``: the cluster questionnaire and the Eurostat indicators (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alpsbio.survey.services import load_survey_demo


class Command(BaseCommand):
    help = "Load the cluster's questionnaire (EN/FR/IT/DE) and real Eurostat indicators."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_survey_demo()
        self.stdout.write(
            f"questionnaire {result['survey']}; {result['indicator_values']} indicator values "
            f"from {', '.join(result['indicator_files']) or 'no file'}"
        )
