"""Background work of the territorial analysis (django-tasks): recompute the stored result.

Enqueued by ``analysis_cache`` when a page finds the stored result older than the data, after
each indicator import (so after the demo load), and by ``alpsbio analysis refresh --background``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from django_tasks import task

from alpsbio.survey import analysis_cache
from alpsbio.survey.models import IndicatorImport


@task()
def refresh_analysis(members: list[str] | None = None) -> bool:
    """Recompute and store the analysis for ``members`` (default: the member regions) unless
    the stored result already matches the current data. True if it recomputed."""
    return analysis_cache.refresh_if_stale(members)


@receiver(post_save, sender=IndicatorImport, dispatch_uid="survey.analysis_after_import")
def _after_indicator_import(
    sender: type[IndicatorImport], instance: IndicatorImport, created: bool, **kwargs: Any
) -> None:
    if created and instance.succeeded:
        analysis_cache.request_refresh()
