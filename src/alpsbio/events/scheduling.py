"""Glue between the database and the pure scheduler (``alpsbio.events.scheduler``).

``build_input`` reads one B2B session into plain data (0-based participants and meeting slots;
break slots are left out so that a lunch break does not count as stand-by time); ``solve`` and
``repair`` return plain assignments; ``apply_result`` writes them back after re-checking every
rule against the current database state; ``quality`` computes the figures the organiser sees.

The scheduler package is written separately. Its timing phase (CP-SAT B2BSOP, ``solve_timing``)
and its greedy are used here when present; choosing which accepted requests become meetings and
assigning tables is done by the small greedy below until the scheduler exposes its own
selection/table/repair API (see docs/events.md).
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

from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Meeting,
    MeetingRequest,
    Registration,
)

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Req:
    """An accepted request between participants ``a`` and ``b`` (indices)."""

    request_id: int
    a: int
    b: int
    priority: int
    booth_table_id: int | None  # set when one of the two owns a booth: they meet there


@dataclass(frozen=True)
class Placed:
    request_id: int
    slot: int  # index into SchedulingInput.slot_ids
    table_id: int
    pinned: bool = False


@dataclass
class SchedulingInput:
    session_id: int
    min_meetings: int
    slot_ids: list[int]
    slot_starts: list[dt.datetime]
    n_morning: int
    profile_ids: list[int]
    unavailable: list[frozenset[int]]
    requests: list[Req]
    shared_table_ids: list[int]  # tables without an owner
    fixed: list[Placed]  # pinned meetings (full run) or every existing meeting (repair)

    @property
    def n_slots(self) -> int:
        return len(self.slot_ids)


@dataclass
class SchedulingResult:
    placed: list[Placed]
    stats: dict[str, Any] = field(default_factory=dict)


def build_input(session: B2BSession, *, keep_all_existing: bool = False) -> SchedulingInput:
    slots = list(session.slots.filter(is_break=False).order_by("starts_at"))
    slot_index = {s.pk: i for i, s in enumerate(slots)}
    profiles = list(
        B2BProfile.objects.filter(
            session=session,
            is_published=True,
            registration__status__in=Registration.SEATED,
        )
        .prefetch_related("unavailable_slots")
        .order_by("pk")
    )
    p_index = {p.pk: i for i, p in enumerate(profiles)}
    unavailable = [
        frozenset(slot_index[s.pk] for s in p.unavailable_slots.all() if s.pk in slot_index)
        for p in profiles
    ]
    tables = list(session.tables.all())
    booth_of = {t.owner_id: t.pk for t in tables if t.owner_id is not None}
    reqs: list[Req] = []
    for r in MeetingRequest.objects.filter(
        session=session, status=MeetingRequest.Status.ACCEPTED
    ).order_by("pk"):
        if r.requester_id not in p_index or r.recipient_id not in p_index:
            continue
        booth = booth_of.get(r.recipient_id) or booth_of.get(r.requester_id)
        reqs.append(Req(r.pk, p_index[r.requester_id], p_index[r.recipient_id], r.priority, booth))
    wanted = {r.request_id for r in reqs}
    existing = Meeting.objects.filter(session=session, status=Meeting.Status.SCHEDULED)
    if not keep_all_existing:
        existing = existing.filter(pinned=True)
    fixed = [
        Placed(m.request_id, slot_index[m.slot_id], m.table_id, m.pinned)
        for m in existing
        if m.request_id in wanted and m.slot_id in slot_index
    ]
    # Morning: slots that start before 13:00 local time (the .dzn "session" of the timing model).
    n_morning = sum(1 for s in slots if _local_hour(s.starts_at) < 13)
    return SchedulingInput(
        session_id=session.pk,
        min_meetings=session.min_meetings,
        slot_ids=[s.pk for s in slots],
        slot_starts=[s.starts_at for s in slots],
        n_morning=n_morning,
        profile_ids=[p.pk for p in profiles],
        unavailable=unavailable,
        requests=reqs,
        shared_table_ids=[t.pk for t in tables if t.owner_id is None],
        fixed=fixed,
    )


def _local_hour(value: dt.datetime) -> int:
    from django.utils import timezone

    return timezone.localtime(value).hour


def _breaks(busy: set[int]) -> int:
    ordered = sorted(busy)
    return sum(1 for a, b in itertools.pairwise(ordered) if b > a + 1)


class _State:
    """Occupancy while placing: who is busy when, how many shared tables are used per slot."""

    def __init__(self, data: SchedulingInput) -> None:
        self.data = data
        self.busy: list[set[int]] = [set() for _ in data.profile_ids]
        self.shared_used: list[int] = [0] * data.n_slots
        self.booth_used: set[tuple[int, int]] = set()
        self.count = [0] * len(data.profile_ids)
        self.slot_of: dict[int, int] = {}

    def fits(self, r: Req, s: int) -> bool:
        d = self.data
        if s in self.busy[r.a] or s in self.busy[r.b]:
            return False
        if s in d.unavailable[r.a] or s in d.unavailable[r.b]:
            return False
        if r.booth_table_id is not None:
            return (r.booth_table_id, s) not in self.booth_used
        return self.shared_used[s] < len(d.shared_table_ids)

    def add(self, r: Req, s: int) -> None:
        self.busy[r.a].add(s)
        self.busy[r.b].add(s)
        self.count[r.a] += 1
        self.count[r.b] += 1
        if r.booth_table_id is not None:
            self.booth_used.add((r.booth_table_id, s))
        else:
            self.shared_used[s] += 1
        self.slot_of[r.request_id] = s

    def best_slot(self, r: Req) -> int | None:
        best: tuple[int, int, int] | None = None
        best_s = None
        for s in range(self.data.n_slots):
            if not self.fits(r, s):
                continue
            added = near = 0
            for p in (r.a, r.b):
                before = _breaks(self.busy[p])
                self.busy[p].add(s)
                added += _breaks(self.busy[p]) - before
                self.busy[p].discard(s)
                near += int(s - 1 in self.busy[p] or s + 1 in self.busy[p])
            key = (added, -near, s)
            if best is None or key < best:
                best, best_s = key, s
        return best_s


def _greedy_select(data: SchedulingInput, state: _State, todo: list[Req]) -> list[Req]:
    """Place requests: first those that bring someone towards K, then by priority."""
    k = data.min_meetings
    demand = [0] * len(data.profile_ids)
    for r in todo:
        demand[r.a] += 1
        demand[r.b] += 1
    chosen: list[Req] = []
    remaining = sorted(
        todo, key=lambda r: (-r.priority, min(demand[r.a], demand[r.b]), r.request_id)
    )
    for phase in (0, 1):
        rest: list[Req] = []
        for r in remaining:
            if phase == 0 and state.count[r.a] >= k and state.count[r.b] >= k:
                rest.append(r)
                continue
            s = state.best_slot(r)
            if s is None:
                rest.append(r)
                continue
            state.add(r, s)
            chosen.append(r)
        remaining = rest
    return chosen


def _retime(
    data: SchedulingInput,
    chosen: list[Req],
    fixed_slot: dict[int, int],
    slots: dict[int, int],
    time_limit: float,
) -> tuple[dict[int, int], str]:
    """Phase 2: re-time the chosen meetings with the scheduler's CP-SAT timing (fewer breaks)."""
    try:
        from alpsbio.events.scheduler.checker import check_timing
        from alpsbio.events.scheduler.cpsat_timing import solve_timing
        from alpsbio.events.scheduler.timing import TimedMeeting, TimingProblem
    except ImportError:  # pragma: no cover - the scheduler package is not there
        return slots, "greedy"
    if not chosen:
        return slots, "greedy"
    # Booth meetings: the booth owner is in each one, so "one meeting per participant per slot"
    # already guarantees one meeting per booth per slot.
    meetings = [
        TimedMeeting(
            a=r.a,
            b=r.b,
            fixed_slot=fixed_slot.get(r.request_id),
            uses_table=r.booth_table_id is None,
        )
        for r in chosen
    ]
    problem = TimingProblem(
        n_participants=len(data.profile_ids),
        n_slots=data.n_slots,
        n_morning=data.n_morning,
        n_tables=len(data.shared_table_ids),
        meetings=meetings,
        forbidden=list(data.unavailable),
        name=f"session-{data.session_id}",
    )
    hint = [slots[r.request_id] for r in chosen]
    try:
        result = solve_timing(problem, time_limit=time_limit, fairness=None, hint=hint)
    except Exception:
        logger.exception("CP-SAT timing failed; keeping the greedy timing")
        return slots, "greedy"
    if result.slots is None:
        return slots, "greedy"
    check = check_timing(problem, result.slots, fairness=None)
    before = check_timing(problem, hint, fairness=None)
    if not check.valid or (before.valid and check.total_breaks > before.total_breaks):
        return slots, "greedy"
    return (
        {r.request_id: s for r, s in zip(chosen, result.slots, strict=True)},
        "cp-sat (" + result.status + ")",
    )


def _assign_tables(
    data: SchedulingInput, reqs: dict[int, Req], slots: dict[int, int], fixed: list[Placed]
) -> list[Placed]:
    """Booth meetings at the booth; others at a shared table, keeping people at the same table."""
    placed: list[Placed] = []
    fixed_by_req = {f.request_id: f for f in fixed}
    taken: set[tuple[int, int]] = set()  # (slot, table)
    for f in fixed:
        placed.append(f)
        taken.add((f.slot, f.table_id))
    last_table: dict[int, int] = {}
    by_slot: dict[int, list[Req]] = defaultdict(list)
    for rid, s in slots.items():
        if rid not in fixed_by_req:
            by_slot[s].append(reqs[rid])
    for s in range(data.n_slots):
        for f in fixed:
            if f.slot == s:
                r = reqs.get(f.request_id)
                if r:
                    last_table[r.a] = last_table[r.b] = f.table_id
        for r in sorted(by_slot.get(s, []), key=lambda r: r.request_id):
            if r.booth_table_id is not None:
                table = r.booth_table_id
            else:
                free = [t for t in data.shared_table_ids if (s, t) not in taken]
                prefer = [t for t in (last_table.get(r.a), last_table.get(r.b)) if t in free]
                table = prefer[0] if prefer else free[0]
            taken.add((s, table))
            last_table[r.a] = last_table[r.b] = table
            placed.append(Placed(r.request_id, s, table, False))
    return placed


def solve(
    data: SchedulingInput, *, time_limit: float = 30, progress: Progress | None = None
) -> SchedulingResult:
    """Full run: pinned meetings stay; every other accepted request may become a meeting."""
    report = progress or (lambda pct, msg: None)
    reqs = {r.request_id: r for r in data.requests}
    state = _State(data)
    fixed_slot: dict[int, int] = {}
    fixed: list[Placed] = []
    for f in data.fixed:
        r = reqs[f.request_id]
        if not state.fits(r, f.slot):
            continue  # a pinned meeting no longer fits (availability changed): reschedule it
        state.add(r, f.slot)
        fixed_slot[f.request_id] = f.slot
        fixed.append(f)
    report(10, "greedy")
    todo = [r for r in data.requests if r.request_id not in fixed_slot]
    chosen = _greedy_select(data, state, todo)
    all_chosen = [reqs[f.request_id] for f in fixed] + chosen
    greedy_breaks = sum(_breaks(b) for b in state.busy)
    slots = dict(state.slot_of)
    report(30, "timing")
    slots, method = _retime(data, all_chosen, fixed_slot, slots, max(1.0, time_limit * 0.9))
    report(95, "tables")
    placed = _assign_tables(data, reqs, slots, fixed)
    stats = {
        "method": "greedy selection + " + method,
        "requests": len(data.requests),
        "scheduled": len(placed),
        "greedy_breaks": greedy_breaks,
    }
    return SchedulingResult(placed, stats)


def repair(data: SchedulingInput, *, time_limit: float = 10) -> SchedulingResult:
    """After a cancellation: keep every existing meeting where it is, fill the freed slots."""
    reqs = {r.request_id: r for r in data.requests}
    state = _State(data)
    for f in data.fixed:
        state.add(reqs[f.request_id], f.slot)
    done = {f.request_id for f in data.fixed}
    chosen = _greedy_select(data, state, [r for r in data.requests if r.request_id not in done])
    slots = {r.request_id: state.slot_of[r.request_id] for r in chosen}
    new = _assign_tables(data, reqs, slots, list(data.fixed))
    added = [p for p in new if p.request_id not in done]
    return SchedulingResult(
        list(data.fixed) + added,
        {"method": "repair (greedy fill)", "added": len(added), "moved": 0},
    )


def apply_result(session: B2BSession, data: SchedulingInput, result: SchedulingResult) -> None:
    """Write the meetings; caller holds the session lock inside a transaction.

    Meetings whose request is no longer accepted (or whose participant cancelled meanwhile) are
    dropped; a clash with the current state is never written (re-checked here).
    """
    valid = {r.request_id: r for r in build_input(session).requests}
    existing = {
        m.request_id: m for m in Meeting.objects.filter(session=session).select_related("request")
    }
    keep_ids = {p.request_id for p in result.placed if p.request_id in valid}
    # Unplaced scheduled meetings (not in the result) are removed.
    Meeting.objects.filter(session=session, status=Meeting.Status.SCHEDULED).exclude(
        request_id__in=keep_ids
    ).delete()
    slot_ids = data.slot_ids
    seen_people: set[tuple[int, int]] = set()
    seen_tables: set[tuple[int, int]] = set()
    for p in sorted(result.placed, key=lambda p: (not p.pinned, p.request_id)):
        r = valid.get(p.request_id)
        if r is None:
            continue
        slot_id = slot_ids[p.slot]
        if (
            (r.a, slot_id) in seen_people
            or (r.b, slot_id) in seen_people
            or (p.table_id, slot_id) in seen_tables
        ):
            logger.warning("dropping clashing meeting for request %s", p.request_id)
            Meeting.objects.filter(request_id=p.request_id, status="scheduled").delete()
            continue
        seen_people.update({(r.a, slot_id), (r.b, slot_id)})
        seen_tables.add((p.table_id, slot_id))
        m = existing.get(p.request_id)
        if m is not None:
            if m.status == Meeting.Status.HELD:
                continue
            m.slot_id, m.table_id, m.status = slot_id, p.table_id, Meeting.Status.SCHEDULED
            m.pinned = p.pinned
            m.save(update_fields=["slot", "table", "status", "pinned", "updated_at"])
        else:
            Meeting.objects.create(
                session=session,
                request_id=p.request_id,
                slot_id=slot_id,
                table_id=p.table_id,
                pinned=p.pinned,
            )


def quality(session: B2BSession) -> dict[str, Any]:
    """Figures for the organiser: meetings, participants below K, breaks, stand-by time."""
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
    meetings = Meeting.objects.filter(
        session=session, status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD]
    ).select_related("request")
    n = 0
    for m in meetings:
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
    below_feasible = [p for p in below if accepted[p] >= k]
    breaks = sum(_breaks(b) for b in busy.values())
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
        "below_k_with_enough_requests": len(below_feasible),
        "breaks": breaks,
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


__all__ = [
    "Placed",
    "SchedulingInput",
    "SchedulingResult",
    "apply_result",
    "build_input",
    "participant_meetings",
    "quality",
    "repair",
    "solve",
]
