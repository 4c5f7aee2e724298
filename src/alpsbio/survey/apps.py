from __future__ import annotations

from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "alpsbio.survey"
    label = "survey"

    def ready(self) -> None:
        from alpsbio.core.dashboard import register_panel
        from alpsbio.survey.dashboard import surveys_panel

        register_panel(surveys_panel)
        from alpsbio.survey import analysis_tasks  # noqa: F401  (recompute after imports)

        # Funding reports count survey respondents per reporting period (if funding is there).
        try:
            from alpsbio.funding.indicators import register_indicator_source
        except ImportError:  # pragma: no cover - funding is an optional neighbour
            return

        def survey_respondents(project: object, start: object, end: object) -> int:
            from alpsbio.survey.queries import count_survey_respondents

            return count_survey_respondents(start, end)  # type: ignore[arg-type]

        register_indicator_source("survey_respondents", survey_respondents)
