"""Output indicators counted from the platform's own data, never typed twice.

Other apps register a *provider* for an indicator code::

    from alpsbio.funding.indicators import register_indicator_source

    def count_events_held(project, start, end):   # dates inclusive
        return Event.objects.filter(starts_at__date__range=(start, end)).count()

    register_indicator_source("events_held", count_events_held, label=_("Events held"))

Call it from the app's ``AppConfig.ready()``. A provider takes the ``FundingProject`` and the
period's first and last day and returns an ``int``. An ``OutputIndicator`` whose
``source_code`` names a registered provider shows the counted value per reporting period; a
provider that fails (for example because its app's tables are not migrated yet) counts as
"not available" instead of breaking the funding pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from alpsbio.funding.models import FundingProject

logger = logging.getLogger("alpsbio.funding")

IndicatorProvider = Callable[["FundingProject", dt.date, dt.date], int]


@dataclass(frozen=True)
class IndicatorSource:
    code: str
    provider: IndicatorProvider
    label: Any


_sources: dict[str, IndicatorSource] = {}

#: The indicator codes the funding module knows about (apps may register more).
KNOWN_CODES: dict[str, Any] = {
    "events_held": _("Events held"),
    "event_participants": _("Event participants"),
    "b2b_meetings": _("B2B meetings"),
    "expressions_of_interest": _("Expressions of interest"),
    "cooperation_agreements": _("Cooperation agreements"),
    "survey_respondents": _("Survey respondents"),
}


def register_indicator_source(
    code: str, provider: IndicatorProvider, label: Any = None
) -> IndicatorProvider:
    """Register (or replace) the provider counting indicator ``code``."""
    _sources[code] = IndicatorSource(code, provider, label or KNOWN_CODES.get(code, code))
    return provider


def registered_sources() -> dict[str, IndicatorSource]:
    return dict(_sources)


def count_indicator(code: str, project: FundingProject, start: dt.date, end: dt.date) -> int | None:
    """The counted value, or None when no provider is registered or the provider failed."""
    source = _sources.get(code)
    if source is None:
        return None
    try:
        return int(source.provider(project, start, end))
    except Exception:
        logger.exception("indicator provider %s failed", code)
        return None
