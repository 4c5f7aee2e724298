"""Indicator providers for the platform's own modules (events, matching, survey).

Each counts from another app's models, looked up through the app registry so that a missing
app or model simply leaves the indicator "not available". The apps may register better-informed
providers themselves with ``register_indicator_source``; a later registration replaces these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Model

from alpsbio.funding.indicators import register_indicator_source, registered_sources


def _model(app_label: str, name: str) -> type[Model] | None:
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _events_held(project: Any, start: dt.date, end: dt.date) -> int:
    event = _model("events", "Event")
    if event is None:
        raise LookupError("events.Event is not installed")
    return event._default_manager.filter(starts_at__date__range=(start, end)).count()


def _participants(project: Any, start: dt.date, end: dt.date) -> int:
    registration = _model("events", "Registration")
    if registration is None:
        raise LookupError("events.Registration is not installed")
    return (
        registration._default_manager.filter(event__starts_at__date__range=(start, end))
        .filter(status__in=["confirmed", "attended"])
        .count()
    )


def _b2b_meetings(project: Any, start: dt.date, end: dt.date) -> int:
    meeting = _model("events", "Meeting")
    if meeting is None:
        raise LookupError("events.Meeting is not installed")
    return (
        meeting._default_manager.filter(slot__starts_at__date__range=(start, end))
        .exclude(status="cancelled")
        .count()
    )


def _expressions_of_interest(project: Any, start: dt.date, end: dt.date) -> int:
    eoi = _model("matching", "ExpressionOfInterest")
    if eoi is None:
        raise LookupError("matching.ExpressionOfInterest is not installed")
    return eoi._default_manager.filter(created_at__date__range=(start, end)).count()


def _cooperation_agreements(project: Any, start: dt.date, end: dt.date) -> int:
    follow_up = _model("matching", "OutcomeFollowUp")
    if follow_up is None:
        raise LookupError("matching.OutcomeFollowUp is not installed")
    return (
        follow_up._default_manager.filter(agreement=True, answered_at__date__range=(start, end))
        .values("eoi_id")
        .distinct()
        .count()
    )


def _survey_respondents(project: Any, start: dt.date, end: dt.date) -> int:
    response = _model("survey", "Response")
    if response is None:
        raise LookupError("survey.Response is not installed")
    return response._default_manager.filter(
        status="submitted", submitted_on__range=(start, end)
    ).count()


def register_platform_sources() -> None:
    """Register the built-in providers for codes no app has registered a provider for yet."""
    taken = registered_sources()
    for code, provider in (
        ("events_held", _events_held),
        ("event_participants", _participants),
        ("b2b_meetings", _b2b_meetings),
        ("expressions_of_interest", _expressions_of_interest),
        ("cooperation_agreements", _cooperation_agreements),
        ("survey_respondents", _survey_respondents),
    ):
        if code not in taken:
            register_indicator_source(code, provider)
