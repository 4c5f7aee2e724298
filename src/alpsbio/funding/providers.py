"""Indicator counters over the platform's own modules (events, matching, survey).

Each counter follows the owning app's definition (events: not demo, started in the period and
over; participants: checked in; B2B meetings: held; expressions of interest: made in the
period; cooperation agreements: distinct expressions of interest with an agreement answered in
the period; survey respondents: submitted in the period) and narrows it down by an indicator's
scope (``alpsbio.funding.indicators.SCOPE_KEYS``). Models are looked up through the app registry
so that a missing app simply leaves the indicator "not available".

The counters serve every *scoped* indicator; the unscoped value comes from the owning app's
registered provider, and these counters are registered as providers only for codes no app
claimed (an app's registration, its ``ready()`` running before funding's, is kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.apps import apps
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from alpsbio.funding.indicators import (
    register_indicator_source,
    register_scoped_counter,
    registered_sources,
)


def _model(app_label: str, name: str) -> type[Model]:
    try:
        return apps.get_model(app_label, name)
    except LookupError as exc:
        raise LookupError(f"{app_label}.{name} is not installed") from exc


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Inclusive days to an aware half-open range [lo, hi)."""
    lo = dt.datetime.combine(start, dt.time.min)
    hi = dt.datetime.combine(end, dt.time.min) + dt.timedelta(days=1)
    return timezone.make_aware(lo), timezone.make_aware(hi)


def _partner_orgs(project: Any) -> list[int]:
    return list(project.partners.values_list("organisation_id", flat=True))


def _regions_q(prefixes: list[str], *paths: str) -> Q:
    q = Q()
    for prefix in prefixes:
        for path in paths:
            q |= Q(**{f"{path}__code__startswith": prefix})
    return q


Periods = Sequence[tuple[dt.date, dt.date]]


def _series(
    qs: QuerySet[Any], date_path: str, column: str, distinct: bool, periods: Periods, day: bool
) -> list[int]:
    """Counts per period in one query (conditional aggregation); ``day``: a date column."""
    if not periods:
        return []
    aggregates = {}
    for i, (start, end) in enumerate(periods):
        if day:
            q = Q(**{f"{date_path}__gte": start, f"{date_path}__lte": end})
        else:
            lo, hi = _bounds(start, end)
            q = Q(**{f"{date_path}__gte": lo, f"{date_path}__lt": hi})
        aggregates[f"p{i}"] = Count(column, distinct=distinct, filter=q)
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    if day:
        qs = qs.filter(**{f"{date_path}__gte": first, f"{date_path}__lte": last})
    else:
        lo, hi = _bounds(first, last)
        qs = qs.filter(**{f"{date_path}__gte": lo, f"{date_path}__lt": hi})
    row = qs.aggregate(**aggregates)
    return [int(row[f"p{i}"] or 0) for i in range(len(periods))]


def _events_scoped(project: Any, scope: Mapping[str, Any]) -> QuerySet[Any]:
    """Events (not demo), narrowed by the scope (any date)."""
    qs = _model("events", "Event")._default_manager.filter(is_demo=False)
    if scope.get("event_types"):
        qs = qs.filter(event_type__in=scope["event_types"])
    if scope.get("networks"):
        qs = qs.filter(network__slug__in=scope["networks"])
    if scope.get("regions"):
        qs = qs.filter(_regions_q(scope["regions"], "region"))
    if scope.get("partners_only"):
        qs = qs.filter(organisers__organisation_roles__organisation_id__in=_partner_orgs(project))
    return qs


def events_held_series(project: Any, periods: Periods, scope: Mapping[str, Any]) -> list[int]:
    events = _events_scoped(project, scope).filter(ends_at__lte=timezone.now())
    return _series(events, "starts_at", "pk", True, periods, day=False)


def event_participants_series(
    project: Any, periods: Periods, scope: Mapping[str, Any]
) -> list[int]:
    events = _events_scoped(project, scope).values("pk")
    registrations = _model("events", "Registration")._default_manager.filter(
        event__in=events, status="attended"
    )
    return _series(registrations, "event__starts_at", "pk", False, periods, day=False)


def b2b_meetings_series(project: Any, periods: Periods, scope: Mapping[str, Any]) -> list[int]:
    events = _events_scoped(project, scope).values("pk")
    meetings = _model("events", "Meeting")._default_manager.filter(
        session__event__in=events, status="held"
    )
    return _series(meetings, "session__event__starts_at", "pk", False, periods, day=False)


def _eoi_q(project: Any, scope: Mapping[str, Any], prefix: str = "") -> Q:
    q = Q()
    if scope.get("partners_only"):
        orgs = _partner_orgs(project)
        q &= Q(**{f"{prefix}organisation_id__in": orgs}) | Q(
            **{f"{prefix}opportunity__organisation_id__in": orgs}
        )
    if scope.get("regions"):
        q &= _regions_q(
            scope["regions"], f"{prefix}organisation__nuts3", f"{prefix}organisation__nuts2"
        )
    return q


def expressions_of_interest_series(
    project: Any, periods: Periods, scope: Mapping[str, Any]
) -> list[int]:
    eois = _model("matching", "ExpressionOfInterest")._default_manager.filter(
        _eoi_q(project, scope)
    )
    return _series(eois, "created_at", "pk", True, periods, day=False)


def cooperation_agreements_series(
    project: Any, periods: Periods, scope: Mapping[str, Any]
) -> list[int]:
    follow_ups = _model("matching", "OutcomeFollowUp")._default_manager.filter(
        _eoi_q(project, scope, "eoi__"), agreement=True
    )
    return _series(follow_ups, "answered_at", "eoi_id", True, periods, day=False)


def survey_respondents_series(
    project: Any, periods: Periods, scope: Mapping[str, Any]
) -> list[int]:
    qs = _model("survey", "Response")._default_manager.filter(status="submitted")
    if scope.get("survey"):
        qs = qs.filter(survey__slug=scope["survey"])
    if scope.get("regions"):
        qs = qs.filter(_regions_q(scope["regions"], "region"))
    return _series(qs, "submitted_on", "pk", False, periods, day=True)


SERIES: dict[str, Callable[[Any, Periods, Mapping[str, Any]], list[int]]] = {
    "events_held": events_held_series,
    "event_participants": event_participants_series,
    "b2b_meetings": b2b_meetings_series,
    "expressions_of_interest": expressions_of_interest_series,
    "cooperation_agreements": cooperation_agreements_series,
    "survey_respondents": survey_respondents_series,
}


def _one_period(code: str) -> Callable[..., int]:
    series = SERIES[code]

    def counter(
        project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
    ) -> int:
        return series(project, [(start, end)], scope or {})[0]

    counter.__name__ = code
    return counter


COUNTERS = {code: _one_period(code) for code in SERIES}


def register_platform_sources() -> None:
    """Scoped counters for every code; providers only for codes no app registered yet."""
    taken = registered_sources()
    for code, counter in COUNTERS.items():
        register_scoped_counter(code, counter, SERIES[code])
        if code not in taken:
            register_indicator_source(code, counter)
