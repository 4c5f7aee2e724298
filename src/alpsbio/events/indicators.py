"""What the events app contributes elsewhere: funding's output indicators, a dashboard panel.

Indicators (strict, from recorded facts; demo events never count):
- ``events_held``: events that started in the period and are over;
- ``event_participants``: registrations checked in (attended) at those events;
- ``b2b_meetings``: B2B meetings marked as held at those events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alpsbio.events import queries


def _events_held(project: Any, start: dt.date, end: dt.date) -> int:
    return queries.count_events_held(start, end)


def _participants(project: Any, start: dt.date, end: dt.date) -> int:
    return queries.count_participants(start, end)


def _b2b_meetings(project: Any, start: dt.date, end: dt.date) -> int:
    return queries.count_b2b_meetings(start, end)


def dashboard_panel(request: HttpRequest) -> dict[str, Any] | None:
    from alpsbio.events.models import Registration

    if not request.user.is_authenticated:
        return None
    regs = list(
        Registration.objects.filter(
            user=request.user,
            event__ends_at__gte=timezone.now(),
            status__in=[*Registration.SEATED, Registration.Status.WAITING],
        )
        .select_related("event")
        .order_by("event__starts_at")[:10]
    )
    organised = list(
        request.user.organised_events.filter(ends_at__gte=timezone.now()).order_by("starts_at")[:10]
    )
    if not regs and not organised:
        return None
    return {
        "title": _("My events"),
        "template": "events/partials/dashboard_panel.html",
        "registrations": regs,
        "organised": organised,
    }


def register() -> None:
    from alpsbio.core.dashboard import register_panel

    register_panel(dashboard_panel)
    try:
        from alpsbio.funding.indicators import register_indicator_source
    except ImportError:  # pragma: no cover - funding not installed
        return
    register_indicator_source("events_held", _events_held, label=_("Events held"))
    register_indicator_source("event_participants", _participants, label=_("Event participants"))
    register_indicator_source("b2b_meetings", _b2b_meetings, label=_("B2B meetings"))
