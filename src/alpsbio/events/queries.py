"""Reads of the events app: the programme calendar, participants, agendas, statistics, counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from alpsbio.directory.models import OrganisationType
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Event,
    EventType,
    Meeting,
    MeetingRequest,
    Registration,
)
from alpsbio.matching.engine.types import SECTOR_OF_TYPE


@dataclass
class EventFilter:
    region: str = ""  # NUTS prefix, e.g. FRK2 (an event in FRK24 matches FRK2 and FRK)
    network: str = ""  # network slug
    event_type: str = ""
    year: int | None = None
    upcoming: bool = False
    q: str = ""


def calendar(f: EventFilter) -> QuerySet[Event]:
    qs = Event.objects.select_related("region", "network").annotate(
        n_seated=Count("registrations", filter=Q(registrations__status__in=Registration.SEATED))
    )
    if f.region:
        qs = qs.filter(region__code__startswith=f.region.upper())
    if f.network:
        qs = qs.filter(network__slug=f.network)
    if f.event_type:
        qs = qs.filter(event_type=f.event_type)
    if f.year:
        qs = qs.filter(starts_at__year=f.year)
    if f.upcoming:
        qs = qs.filter(ends_at__gte=timezone.now())
    for word in f.q.casefold().split()[:8]:
        qs = qs.filter(search_text__contains=word)
    return qs.order_by("starts_at", "slug")


def event_types() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in EventType.choices]


def calendar_years() -> list[int]:
    return sorted({d.year for d in Event.objects.dates("starts_at", "year")})


def seat_counts(event: Event) -> dict[str, int]:
    counts = Counter(Registration.objects.filter(event=event).values_list("status", flat=True))
    seated = counts[Registration.Status.CONFIRMED] + counts[Registration.Status.ATTENDED]
    return {
        "confirmed": counts[Registration.Status.CONFIRMED],
        "attended": counts[Registration.Status.ATTENDED],
        "waiting": counts[Registration.Status.WAITING],
        "cancelled": counts[Registration.Status.CANCELLED],
        "seated": seated,
        "free": max(0, event.capacity - seated),
    }


def registration_of(user: Any, event: Event) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Registration.objects.filter(event=event, user=user).first()


def registrations(event: Event) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(event=event)
        .select_related("user", "organisation", "organisation__nuts2")
        .order_by("status", "user__last_name", "user__username")
    )


def profile_of(user: Any, event: Event) -> B2BProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        B2BProfile.objects.filter(registration__event=event, registration__user=user)
        .select_related("session", "registration", "organisation")
        .first()
    )


@dataclass
class ProfileFilter:
    country: str = ""
    org_type: str = ""
    sector: str = ""  # sector slug
    q: str = ""


def marketplace(session: B2BSession, f: ProfileFilter) -> QuerySet[B2BProfile]:
    qs = (
        B2BProfile.objects.filter(
            session=session, is_published=True, registration__status__in=Registration.SEATED
        )
        .select_related("registration__user", "organisation", "organisation__nuts2")
        .prefetch_related("organisation__sectors", "opportunities")
    )
    if f.country:
        qs = qs.filter(organisation__country_code=f.country.upper())
    if f.org_type:
        qs = qs.filter(organisation__org_type=f.org_type)
    if f.sector:
        qs = qs.filter(organisation__sectors__slug=f.sector)
    if f.q:
        qs = qs.filter(
            Q(headline__icontains=f.q)
            | Q(description__icontains=f.q)
            | Q(offers__icontains=f.q)
            | Q(needs__icontains=f.q)
            | Q(organisation__legal_name__icontains=f.q)
        )
    return qs.distinct().order_by("organisation__country_code", "headline")


def requests_of(profile: B2BProfile) -> dict[str, QuerySet[MeetingRequest]]:
    related = (
        "requester__registration__user",
        "recipient__registration__user",
        "requester__organisation",
        "recipient__organisation",
    )
    return {
        "sent": MeetingRequest.objects.filter(requester=profile).select_related(*related),
        "received": MeetingRequest.objects.filter(recipient=profile).select_related(*related),
    }


def agenda(profile: B2BProfile) -> list[Meeting]:
    from alpsbio.events.scheduling import participant_meetings

    return list(participant_meetings(profile))


def grid(session: B2BSession) -> dict[str, Any]:
    """Slots x tables, each cell the meeting there (or None)."""
    slots = list(session.slots.order_by("starts_at"))
    tables = list(session.tables.select_related("owner__registration__user").order_by("number"))
    cells: dict[tuple[int, int], Meeting] = {}
    for m in Meeting.objects.filter(
        session=session, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD]
    ).select_related(
        "request__requester__registration__user",
        "request__recipient__registration__user",
        "request__requester__organisation",
        "request__recipient__organisation",
    ):
        cells[(m.slot_id, m.table_id)] = m
    rows = [{"slot": s, "cells": [cells.get((s.pk, t.pk)) for t in tables]} for s in slots]
    return {"slots": slots, "tables": tables, "rows": rows}


# --- Statistics after the event -------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def b2b_statistics(session: B2BSession) -> dict[str, Any]:
    """Requested/accepted/held, cross-border and cross-sector shares, by region and org type.

    Cross-sector: the two organisations belong to different families (academia, industry,
    healthcare, training, public). "Held" counts meetings marked held; before the event,
    scheduled meetings are counted separately.
    """
    reqs = MeetingRequest.objects.filter(session=session)
    requested = reqs.exclude(status=MeetingRequest.Status.WITHDRAWN).count()
    accepted = reqs.filter(status=MeetingRequest.Status.ACCEPTED).count()
    declined = reqs.filter(status=MeetingRequest.Status.DECLINED).count()
    meetings = list(
        Meeting.objects.filter(session=session)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related(
            "request__requester__organisation__nuts2", "request__recipient__organisation__nuts2"
        )
    )
    held = [m for m in meetings if m.status == Meeting.Status.HELD]
    basis = held or meetings
    cross_border = cross_sector = 0
    by_region: dict[str, int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    for m in basis:
        a, b = m.request.requester.organisation, m.request.recipient.organisation
        if a and b:
            cross_border += int(a.country_code != b.country_code)
            cross_sector += int(SECTOR_OF_TYPE.get(a.org_type) != SECTOR_OF_TYPE.get(b.org_type))
        for org in (a, b):
            region = (org.nuts2.display_name if org and org.nuts2 else None) or (
                org.country_code if org else "?"
            )
            by_region[region] += 1
            by_type[str(OrganisationType(org.org_type).label) if org else "?"] += 1
    return {
        "requested": requested,
        "accepted": accepted,
        "declined": declined,
        "scheduled": len(meetings),
        "held": len(held),
        "basis": "held" if held else "scheduled",
        "cross_border_share": _share(cross_border, len(basis)),
        "cross_sector_share": _share(cross_sector, len(basis)),
        "by_region": sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0])),
        "by_org_type": sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])),
    }


# --- Counts for the funding indicators ------------------------------------------------------


def _bounds(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> tuple[Any, Any]:
    """Inclusive dates (or datetimes) to an aware half-open range [lo, hi)."""

    def aware(value: dt.date | dt.datetime, end_of_day: bool) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time.min) + dt.timedelta(days=int(end_of_day))
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    return aware(start, False), aware(end, True)


def count_events_held(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """Events (not demo) that started in [start, end] and are over."""
    lo, hi = _bounds(start, end)
    return Event.objects.filter(
        is_demo=False, starts_at__gte=lo, starts_at__lt=hi, ends_at__lte=timezone.now()
    ).count()


def count_participants(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """Participants who attended (checked in) events (not demo) starting in [start, end]."""
    lo, hi = _bounds(start, end)
    return Registration.objects.filter(
        event__is_demo=False,
        event__starts_at__gte=lo,
        event__starts_at__lt=hi,
        status=Registration.Status.ATTENDED,
    ).count()


def count_b2b_meetings(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """B2B meetings held at events (not demo) starting in [start, end]."""
    lo, hi = _bounds(start, end)
    return Meeting.objects.filter(
        session__event__is_demo=False,
        session__event__starts_at__gte=lo,
        session__event__starts_at__lt=hi,
        status=Meeting.Status.HELD,
    ).count()
