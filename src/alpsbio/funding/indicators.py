"""Output indicators counted from the platform's own data, never typed twice.

Other apps register a *provider* for an indicator code::

    from alpsbio.funding.indicators import register_indicator_source

    def count_events_held(project, start, end):   # dates inclusive
        return Event.objects.filter(starts_at__date__range=(start, end)).count()

    register_indicator_source("events_held", count_events_held, label=_("Events held"))

Call it from the app's ``AppConfig.ready()``. A provider takes the ``FundingProject`` and the
period's first and last day and returns an ``int``. A provider that also accepts a keyword
argument ``scope`` (a dict, see ``SCOPE_KEYS``) counts a narrowed-down set itself.

Each ``OutputIndicator`` belongs to a work package and names a source plus a *scope* (e.g.
events of given types, networks or regions, or organised by the project's partners; survey
respondents of one survey). The value per reporting period is counted:

* without a scope, by the registered provider (the owning app's own definition);
* with a scope, by a provider accepting ``scope``, else by the funding app's scoped counter for
  the code (``providers.py``: the owning apps' definitions, narrowed by the scope).

A provider that fails (for example because its app's tables are not migrated yet) counts as
"not available" instead of breaking the funding pages.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from alpsbio.funding.models import FundingProject

logger = logging.getLogger("alpsbio.funding")

IndicatorProvider = Callable[..., int]
Scope = Mapping[str, Any]


@dataclass(frozen=True)
class IndicatorSource:
    code: str
    provider: IndicatorProvider
    label: Any
    accepts_scope: bool = False


_sources: dict[str, IndicatorSource] = {}
_scoped: dict[str, IndicatorProvider] = {}
#: Scoped counters that count every period in one query: (project, [(start, end)], scope).
_scoped_series: dict[str, Callable[..., list[int]]] = {}

#: The indicator codes the funding module knows about (apps may register more).
KNOWN_CODES: dict[str, Any] = {
    "events_held": _("Events held"),
    "event_participants": _("Event participants"),
    "b2b_meetings": _("B2B meetings"),
    "expressions_of_interest": _("Expressions of interest"),
    "cooperation_agreements": _("Cooperation agreements"),
    "survey_respondents": _("Survey respondents"),
}

#: What may narrow each source down. ``event_types``: event type values; ``networks``: network
#: slugs; ``regions``: NUTS code prefixes (``FRK2``, ``CH0``, ``DE``); ``partners_only``: only
#: events organised by people of the project's partner organisations (or expressions of
#: interest made by / addressed to them); ``survey``: one survey's identifier.
_EVENT_SCOPE = frozenset({"event_types", "networks", "regions", "partners_only"})
SCOPE_KEYS: dict[str, frozenset[str]] = {
    "events_held": _EVENT_SCOPE,
    "event_participants": _EVENT_SCOPE,
    "b2b_meetings": _EVENT_SCOPE,
    "expressions_of_interest": frozenset({"regions", "partners_only"}),
    "cooperation_agreements": frozenset({"regions", "partners_only"}),
    "survey_respondents": frozenset({"survey", "regions"}),
}
LIST_KEYS = ("event_types", "networks", "regions")


def _accepts_scope(provider: IndicatorProvider) -> bool:
    try:
        params = inspect.signature(provider).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return "scope" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def register_indicator_source(
    code: str, provider: IndicatorProvider, label: Any = None
) -> IndicatorProvider:
    """Register (or replace) the provider counting indicator ``code``."""
    _sources[code] = IndicatorSource(
        code, provider, label or KNOWN_CODES.get(code, code), _accepts_scope(provider)
    )
    return provider


def register_scoped_counter(
    code: str, counter: IndicatorProvider, series: Callable[..., list[int]] | None = None
) -> None:
    """The counter used for scoped indicators when the registered provider takes no scope;
    ``series`` (optional) counts all periods at once."""
    _scoped[code] = counter
    if series is not None:
        _scoped_series[code] = series
    else:
        _scoped_series.pop(code, None)


def registered_sources() -> dict[str, IndicatorSource]:
    return dict(_sources)


def source_label(code: str) -> str:
    source = _sources.get(code)
    return str(source.label if source else KNOWN_CODES.get(code, code))


def normalise_scope(code: str, scope: Mapping[str, Any] | None) -> dict[str, Any]:
    """A clean scope (sorted lists, no empty keys), or a ``ValueError`` naming the bad key."""
    clean: dict[str, Any] = {}
    allowed = SCOPE_KEYS.get(code, frozenset())
    for key, value in (scope or {}).items():
        if value in (None, "", [], False):
            continue
        if key not in allowed:
            raise ValueError(key)
        if key in LIST_KEYS:
            if isinstance(value, str):
                value = [v for v in value.replace(",", " ").split() if v]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(key)
            value = sorted({v.strip() for v in value if v.strip()})
            if key == "regions":
                value = [v.upper() for v in value]
            if value:
                clean[key] = value
        elif key == "partners_only":
            if value is not True:
                raise ValueError(key)
            clean[key] = True
        elif key == "survey":
            if not isinstance(value, str):
                raise ValueError(key)
            clean[key] = value.strip()
    return clean


def can_count(code: str, scope: Scope | None) -> bool:
    source = _sources.get(code)
    if not scope:
        return source is not None
    return (source is not None and source.accepts_scope) or code in _scoped


def count_indicator(
    code: str,
    project: FundingProject,
    start: dt.date,
    end: dt.date,
    scope: Scope | None = None,
) -> int | None:
    """The counted value, or None when nothing can count it or the provider failed."""
    source = _sources.get(code)
    try:
        if not scope:
            if source is None:
                return None
            return int(source.provider(project, start, end))
        if source is not None and source.accepts_scope:
            return int(source.provider(project, start, end, scope=dict(scope)))
        counter = _scoped.get(code)
        if counter is None:
            return None
        return int(counter(project, start, end, scope=dict(scope)))
    except Exception:
        logger.exception("indicator provider %s failed", code)
        return None


def count_indicator_series(
    code: str,
    project: FundingProject,
    periods: list[tuple[dt.date, dt.date]],
    scope: Scope | None = None,
) -> list[int | None]:
    """The counted value for each period: one query for a scoped indicator counted by the
    funding app's series counter, else one ``count_indicator`` per period."""
    source = _sources.get(code)
    series = _scoped_series.get(code)
    if scope and series is not None and not (source is not None and source.accepts_scope):
        try:
            return list(series(project, periods, dict(scope)))
        except Exception:
            logger.exception("indicator counter %s failed", code)
            return [None] * len(periods)
    return [count_indicator(code, project, start, end, scope) for start, end in periods]
