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
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
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


def _events(project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any]) -> QuerySet[Any]:
    """Events (not demo) started in the period, narrowed by the scope."""
    lo, hi = _bounds(start, end)
    qs = _model("events", "Event")._default_manager.filter(
        is_demo=False, starts_at__gte=lo, starts_at__lt=hi
    )
    if scope.get("event_types"):
        qs = qs.filter(event_type__in=scope["event_types"])
    if scope.get("networks"):
        qs = qs.filter(network__slug__in=scope["networks"])
    if scope.get("regions"):
        qs = qs.filter(_regions_q(scope["regions"], "region"))
    if scope.get("partners_only"):
        qs = qs.filter(organisers__organisation_roles__organisation_id__in=_partner_orgs(project))
    return qs


def events_held(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    events = _events(project, start, end, scope or {}).filter(ends_at__lte=timezone.now())
    return events.values("pk").distinct().count()


def event_participants(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    events = _events(project, start, end, scope or {}).values("pk")
    registration = _model("events", "Registration")
    return registration._default_manager.filter(event__in=events, status="attended").count()


def b2b_meetings(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    events = _events(project, start, end, scope or {}).values("pk")
    meeting = _model("events", "Meeting")
    return meeting._default_manager.filter(session__event__in=events, status="held").count()


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


def expressions_of_interest(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    lo, hi = _bounds(start, end)
    eoi = _model("matching", "ExpressionOfInterest")
    return (
        eoi._default_manager.filter(created_at__gte=lo, created_at__lt=hi)
        .filter(_eoi_q(project, scope or {}))
        .count()
    )


def cooperation_agreements(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    lo, hi = _bounds(start, end)
    follow_up = _model("matching", "OutcomeFollowUp")
    return (
        follow_up._default_manager.filter(agreement=True, answered_at__gte=lo, answered_at__lt=hi)
        .filter(_eoi_q(project, scope or {}, "eoi__"))
        .values("eoi_id")
        .distinct()
        .count()
    )


def survey_respondents(
    project: Any, start: dt.date, end: dt.date, scope: Mapping[str, Any] | None = None
) -> int:
    scope = scope or {}
    response = _model("survey", "Response")
    qs = response._default_manager.filter(
        status="submitted", submitted_on__gte=start, submitted_on__lte=end
    )
    if scope.get("survey"):
        qs = qs.filter(survey__slug=scope["survey"])
    if scope.get("regions"):
        qs = qs.filter(_regions_q(scope["regions"], "region"))
    return qs.count()


COUNTERS = {
    "events_held": events_held,
    "event_participants": event_participants,
    "b2b_meetings": b2b_meetings,
    "expressions_of_interest": expressions_of_interest,
    "cooperation_agreements": cooperation_agreements,
    "survey_respondents": survey_respondents,
}


def register_platform_sources() -> None:
    """Scoped counters for every code; providers only for codes no app registered yet."""
    taken = registered_sources()
    for code, counter in COUNTERS.items():
        register_scoped_counter(code, counter)
        if code not in taken:
            register_indicator_source(code, counter)
