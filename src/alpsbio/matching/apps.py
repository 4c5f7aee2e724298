from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import AppConfig


def _count_eois(project: Any, start: dt.date, end: dt.date) -> int:
    from alpsbio.matching.queries import count_expressions_of_interest

    return count_expressions_of_interest(start, end)


def _rebuild_snapshot_after_import(**kwargs: Any) -> None:
    # A new directory changes every profile: rebuild the saved index in the worker now rather
    # than on the first request after the import.
    from alpsbio.matching.tasks import enqueue_index_snapshot

    enqueue_index_snapshot(rebuild=True)


def _count_agreements(project: Any, start: dt.date, end: dt.date) -> int:
    from alpsbio.matching.queries import count_cooperation_agreements

    return count_cooperation_agreements(start, end)


class MatchingConfig(AppConfig):
    name = "alpsbio.matching"
    label = "matching"

    def ready(self) -> None:
        from alpsbio.core.dashboard import register_panel
        from alpsbio.matching.views import dashboard_panel

        register_panel(dashboard_panel)

        from alpsbio.core.personal_data import register_section
        from alpsbio.matching.personal_data import erase_matching, export_matching

        register_section("matching", export_matching, erase_matching)
        from alpsbio.directory.signals import directory_imported

        directory_imported.connect(_rebuild_snapshot_after_import, dispatch_uid="matching-snapshot")
        try:
            from alpsbio.funding.indicators import register_indicator_source
        except ImportError:  # funding not installed: queries.count_* remain available
            return
        register_indicator_source("expressions_of_interest", _count_eois)
        register_indicator_source("cooperation_agreements", _count_agreements)
