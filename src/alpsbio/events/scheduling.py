"""Glue between the database and the pure scheduler (``alpsbio.events.scheduler``).

``build_input`` reads one B2B session into the scheduler's plain dataclasses (ids are the
database primary keys as strings: participants are B2B profiles, slots are time slots, tables
and booths are ``Table`` rows); ``solve`` and ``repair`` call the scheduler's public API
(``scheduler.pipeline.solve_event`` and ``scheduler.pipeline.repair``); ``apply_result`` writes
the meetings back after re-checking them against the current database state; ``quality``
recounts the figures the organiser sees from the database (so they stay right after manual
moves).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Meeting,
    MeetingRequest,
    Registration,
)
from alpsbio.events.scheduler import model as sm
from alpsbio.events.scheduler import pipeline

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]


@dataclass
class SchedulingInput:
    """The scheduler's event plus what it takes to map its answer back to database rows."""

    event: sm.Event
    request_of_pair: dict[frozenset[str], int]  # {profile id, profile id} -> MeetingRequest pk
    current: list[sm.Meeting] = field(default_factory=list)  # scheduled meetings (for repair)


@dataclass(frozen=True)
class Placed:
    request_id: int
    slot_id: int
    table_id: int
    pinned: bool = False


@dataclass
class SchedulingResult:
    placed: list[Placed]
    stats: dict[str, Any] = field(default_factory=dict)


def _part(value: dt.datetime) -> sm.Part:
    return sm.Part.MORNING if timezone.localtime(value).hour < 13 else sm.Part.AFTERNOON


def build_input(session: B2BSession) -> SchedulingInput:
    slots = list(session.slots.order_by("starts_at"))
    profiles = list(
        B2BProfile.objects.filter(
            session=session,
            is_published=True,
            registration__status__in=Registration.SEATED,
        )
        .select_related("registration__user")
        .prefetch_related("unavailable_slots")
        .order_by("pk")
    )
    ids = {p.pk for p in profiles}
    tables = list(session.tables.all())
    booth_of = {t.owner_id: str(t.pk) for t in tables if t.owner_id in ids}
    participants = [
        sm.Participant(id=str(p.pk), name=p.registration.display_name, booth=booth_of.get(p.pk))
        for p in profiles
    ]
    # Slots must be in time order with every morning slot before the afternoon ones.
    parts = [_part(s.starts_at) for s in slots]
    if sm.Part.AFTERNOON in parts:
        first_pm = parts.index(sm.Part.AFTERNOON)
        parts = [sm.Part.MORNING] * first_pm + [sm.Part.AFTERNOON] * (len(parts) - first_pm)
    sm_slots = [
        sm.Slot(
            id=str(s.pk),
            part=part,
            is_break=s.is_break,
            label=f"{timezone.localtime(s.starts_at):%H:%M}",
        )
        for s, part in zip(slots, parts, strict=True)
    ]
    slot_ids = {s.pk for s in slots if not s.is_break}
    requests: list[sm.Request] = []
    pair_to_request: dict[frozenset[str], int] = {}
    for r in MeetingRequest.objects.filter(
        session=session, status=MeetingRequest.Status.ACCEPTED
    ).order_by("pk"):
        if r.requester_id in ids and r.recipient_id in ids:
            a, b = str(r.requester_id), str(r.recipient_id)
            requests.append(sm.Request(a=a, b=b, priority=r.priority))
            pair_to_request[frozenset((a, b))] = r.pk
    booths = set(booth_of.values())
    pins: list[sm.Pin] = []
    current: list[sm.Meeting] = []
    for m in Meeting.objects.filter(
        session=session, status=Meeting.Status.SCHEDULED
    ).select_related("request"):
        a, b = str(m.request.requester_id), str(m.request.recipient_id)
        if frozenset((a, b)) not in pair_to_request or m.slot_id not in slot_ids:
            continue
        at_booth = str(m.table_id) in booths
        current.append(
            sm.Meeting(a=a, b=b, slot=str(m.slot_id), location=str(m.table_id), pinned=m.pinned)
        )
        if m.pinned:
            # A booth owner's meeting is always at the booth: leave the table to the scheduler.
            pins.append(
                sm.Pin(a=a, b=b, slot=str(m.slot_id), table=None if at_booth else str(m.table_id))
            )
    unavailable = {
        str(p.pk): frozenset(str(s.pk) for s in p.unavailable_slots.all() if s.pk in slot_ids)
        for p in profiles
    }
    event = sm.Event(
        participants=participants,
        slots=sm_slots,
        tables=[str(t.pk) for t in tables if str(t.pk) not in booths],
        requests=requests,
        booths=sorted(booths),
        unavailable={k: v for k, v in unavailable.items() if v},
        pins=pins,
        min_meetings=session.min_meetings,
        objective=session.objective,
    )
    return SchedulingInput(event=event, request_of_pair=pair_to_request, current=current)


def _result(data: SchedulingInput, schedule: sm.Schedule) -> SchedulingResult:
    placed = []
    for m in schedule.meetings:
        rid = data.request_of_pair.get(m.pair)
        if rid is None:
            logger.warning("scheduler returned a meeting without a request: %s", m)
            continue
        placed.append(Placed(rid, int(m.slot), int(m.location), m.pinned))
    q = schedule.quality
    stats = {
        "method": schedule.method,
        "status": schedule.status,
        "proved_optimal": schedule.proved_optimal,
        "requests": len(data.event.requests),
        "scheduled": len(placed),
        "weighted": q.weighted,
        "solver_breaks": q.total_breaks,
        "seconds": round(schedule.timings.get("total", 0.0), 2),
        "notes": schedule.notes[:10],
    }
    return SchedulingResult(placed, stats)


def solve(
    data: SchedulingInput, *, time_limit: float = 30, progress: Progress | None = None
) -> SchedulingResult:
    """Full run: pinned meetings stay; every other accepted request may become a meeting."""
    report = progress or (lambda pct, msg: None)
    if not data.event.requests:
        return SchedulingResult([], {"method": "none", "requests": 0, "scheduled": 0})
    schedule = pipeline.solve_event(
        data.event,
        time_limit=time_limit,
        workers=2,
        progress=lambda stage, fraction: report(int(fraction * 100), stage),
    )
    return _result(data, schedule)


def repair(data: SchedulingInput, *, time_limit: float = 10) -> SchedulingResult:
    """After a cancellation: keep every existing meeting where it is, fill the freed slots.

    The cancelled participant is already out of the input (their registration is cancelled and
    their meetings with it), so nothing is passed as ``cancelled`` and ``max_moves`` is 0.
    """
    if not data.event.requests:
        return SchedulingResult([], {"method": "repair", "requests": 0, "scheduled": 0})
    schedule = pipeline.repair(
        data.event, data.current, cancelled=[], max_moves=0, time_limit=time_limit, workers=2
    )
    return _result(data, schedule)


def apply_result(session: B2BSession, data: SchedulingInput, result: SchedulingResult) -> None:
    """Write the meetings; the caller holds the session lock inside a transaction.

    The database may have changed while the solver ran: meetings whose request is no longer
    accepted between two active participants are dropped, and no clash is ever written.
    """
    fresh = build_input(session)
    valid_ids = set(fresh.request_of_pair.values())
    unavailable = {
        int(pid): {int(s) for s in slots} for pid, slots in fresh.event.unavailable.items()
    }
    slot_ids = {int(s.id) for s in fresh.event.slots if not s.is_break}
    table_ids = {int(t) for t in fresh.event.tables} | {int(b) for b in fresh.event.booths}
    requests = {
        r.pk: r for r in MeetingRequest.objects.filter(pk__in=[p.request_id for p in result.placed])
    }
    existing = {m.request_id: m for m in Meeting.objects.filter(session=session)}
    keep_ids = {p.request_id for p in result.placed if p.request_id in valid_ids}
    Meeting.objects.filter(session=session, status=Meeting.Status.SCHEDULED).exclude(
        request_id__in=keep_ids
    ).delete()
    seen_people: set[tuple[int, int]] = set()
    seen_tables: set[tuple[int, int]] = set()
    for p in sorted(result.placed, key=lambda p: (not p.pinned, p.request_id)):
        r = requests.get(p.request_id)
        if r is None or p.request_id not in valid_ids:
            continue
        people = (r.requester_id, r.recipient_id)
        clash = (
            p.slot_id not in slot_ids
            or p.table_id not in table_ids
            or any((who, p.slot_id) in seen_people for who in people)
            or (p.table_id, p.slot_id) in seen_tables
            or any(p.slot_id in unavailable.get(who, ()) for who in people)
        )
        if clash:
            logger.warning("dropping meeting for request %s: it clashes", p.request_id)
            Meeting.objects.filter(request_id=p.request_id, status="scheduled").delete()
            continue
        seen_people.update((who, p.slot_id) for who in people)
        seen_tables.add((p.table_id, p.slot_id))
        m = existing.get(p.request_id)
        if m is None:
            Meeting.objects.create(
                session=session,
                request_id=p.request_id,
                slot_id=p.slot_id,
                table_id=p.table_id,
                pinned=p.pinned,
            )
        elif m.status != Meeting.Status.HELD:
            m.slot_id, m.table_id, m.status = p.slot_id, p.table_id, Meeting.Status.SCHEDULED
            m.pinned = p.pinned or m.pinned
            m.save(update_fields=["slot", "table", "status", "pinned", "updated_at"])


def _breaks(busy: set[int]) -> int:
    ordered = sorted(busy)
    return sum(1 for a, b in itertools.pairwise(ordered) if b > a + 1)


def quality(session: B2BSession) -> dict[str, Any]:
    """Figures for the organiser: meetings, participants below K, breaks, stand-by time.

    Counted over meeting slots only (a lunch break is not stand-by time)."""
    slots = list(session.slots.filter(is_break=False).order_by("starts_at"))
    index = {s.pk: i for i, s in enumerate(slots)}
    minutes = int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60) if slots else 0
    profiles = list(
        B2BProfile.objects.filter(
            session=session, is_published=True, registration__status__in=Registration.SEATED
        ).values_list("pk", flat=True)
    )
    busy: dict[int, set[int]] = {p: set() for p in profiles}
    tables: dict[int, list[tuple[int, int]]] = defaultdict(list)
    n = 0
    for m in Meeting.objects.filter(
        session=session, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD]
    ).select_related("request"):
        n += 1
        for p in (m.request.requester_id, m.request.recipient_id):
            if p in busy and m.slot_id in index:
                busy[p].add(index[m.slot_id])
                tables[p].append((index[m.slot_id], m.table_id))
    accepted: dict[int, int] = defaultdict(int)
    for a, b in MeetingRequest.objects.filter(
        session=session, status=MeetingRequest.Status.ACCEPTED
    ).values_list("requester_id", "recipient_id"):
        if a in busy and b in busy:
            accepted[a] += 1
            accepted[b] += 1
    k = session.min_meetings
    below = [p for p in profiles if len(busy[p]) < k]
    idle = sum((max(b) - min(b) + 1 - len(b)) if b else 0 for b in busy.values())
    changes = 0
    for seq in tables.values():
        ordered = [t for _s, t in sorted(seq)]
        changes += sum(1 for x, y in itertools.pairwise(ordered) if x != y)
    return {
        "meetings": n,
        "participants": len(profiles),
        "k": k,
        "below_k": len(below),
        "below_k_with_enough_requests": sum(1 for p in below if accepted[p] >= k),
        "breaks": sum(_breaks(b) for b in busy.values()),
        "standby_slots": idle,
        "standby_minutes": idle * minutes,
        "table_changes": changes,
    }


def participant_meetings(profile: B2BProfile) -> Any:
    return (
        Meeting.objects.filter(
            Q(request__requester=profile) | Q(request__recipient=profile),
            status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD],
        )
        .select_related(
            "slot",
            "table",
            "request__requester__registration__user",
            "request__recipient__registration__user",
            "request__requester__organisation",
            "request__recipient__organisation",
        )
        .order_by("slot__starts_at")
    )
