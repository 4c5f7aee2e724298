"""Independent checker: verifies a solution constraint by constraint and recounts breaks.

Deliberately shares no code with the CP-SAT models or the greedy (not even
``TimingProblem.allowed_slots``): it re-derives every rule from the raw data so that a bug in the
model cannot hide behind the same bug in the check.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import Event, Meeting, Quality
from .timing import Session, TimingProblem


@dataclass
class CheckReport:
    """Outcome of a check: ``valid`` is True iff ``errors`` is empty."""

    errors: list[str] = field(default_factory=list)
    breaks_per_participant: list[int] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def total_breaks(self) -> int:
        return sum(self.breaks_per_participant)


def count_breaks(busy_slots: Sequence[int]) -> int:
    """Maximal runs of idle slots strictly between a participant's first and last meeting."""
    if not busy_slots:
        return 0
    ordered = sorted(set(busy_slots))
    return sum(1 for prev, nxt in itertools.pairwise(ordered) if nxt > prev + 1)


def idle_slots(busy_slots: Sequence[int]) -> int:
    """Idle slots between the first and the last meeting (stand-by time, in slots)."""
    if not busy_slots:
        return 0
    s = set(busy_slots)
    return max(s) - min(s) + 1 - len(s)


def check_timing(
    problem: TimingProblem,
    slots: Sequence[int] | None,
    fairness: int | None = 2,
    max_errors: int = 50,
) -> CheckReport:
    """Check a timing against every B2BSOP rule; ``fairness=None`` skips the max-min bound."""
    rep = CheckReport()

    def err(msg: str) -> None:
        if len(rep.errors) < max_errors:
            rep.errors.append(msg)

    if slots is None:
        err("no solution")
        return rep
    if len(slots) != len(problem.meetings):
        err(f"{len(slots)} slots for {len(problem.meetings)} meetings")
        return rep
    per_participant: list[list[int]] = [[] for _ in range(problem.n_participants)]
    per_slot: Counter[int] = Counter()
    for i, (mt, s) in enumerate(zip(problem.meetings, slots, strict=True)):
        tag = f"meeting {i + 1} ({mt.a + 1}-{mt.b + 1})"
        if not isinstance(s, int) or not 0 <= s < problem.n_slots:
            err(f"{tag}: slot {s} out of range")
            continue
        is_morning = s < problem.n_morning
        if mt.session == Session.MORNING and not is_morning:
            err(f"{tag}: morning meeting in afternoon slot {s + 1}")
        if mt.session == Session.AFTERNOON and is_morning:
            err(f"{tag}: afternoon meeting in morning slot {s + 1}")
        if mt.fixed_slot is not None and s != mt.fixed_slot:
            err(f"{tag}: fixed at slot {mt.fixed_slot + 1}, scheduled at {s + 1}")
        for who in (mt.a, mt.b):
            if s in problem.forbidden[who]:
                err(f"{tag}: participant {who + 1} forbidden at slot {s + 1}")
            per_participant[who].append(s)
        if mt.uses_table:
            per_slot[s] += 1
    for who, ss in enumerate(per_participant):
        dup = [s for s, c in Counter(ss).items() if c > 1]
        for s in dup:
            err(f"participant {who + 1}: {Counter(ss)[s]} meetings in slot {s + 1}")
    for s, c in sorted(per_slot.items()):
        cap = problem.n_tables if problem.capacity is None else problem.capacity[s]
        if c > cap:
            err(f"slot {s + 1}: {c} meetings for {cap} tables")
    for before, after in problem.precedences:
        if slots[before] >= slots[after]:
            err(
                f"precedence: meeting {before + 1} (slot {slots[before] + 1}) not before "
                f"meeting {after + 1} (slot {slots[after] + 1})"
            )
    rep.breaks_per_participant = [count_breaks(ss) for ss in per_participant]
    if fairness is not None:
        counted = [
            b for b, ss in zip(rep.breaks_per_participant, per_participant, strict=True) if ss
        ]
        if counted and max(counted) - min(counted) > fairness:
            err(f"fairness: breaks range {min(counted)}..{max(counted)} exceeds {fairness}")
    return rep


# ---------------------------------------------------------------------------------------------
# Events: check a full schedule (slots and tables) against the raw Event data.


def check_event(
    event: Event, meetings: Sequence[Meeting], max_errors: int = 50
) -> tuple[CheckReport, Quality]:
    """Verify every rule of a brokerage schedule and recount its quality figures.

    Works from the raw :class:`Event` (not the scheduler's compiled view): accepted requests or
    pins only, meeting slots only, availability (pins excepted), one meeting per participant per
    slot, one meeting per table or booth per slot, booth owners at their booth, pins kept.
    """
    rep = CheckReport()

    def err(msg: str) -> None:
        if len(rep.errors) < max_errors:
            rep.errors.append(msg)

    people = {p.id: p for p in event.participants}
    slot_pos = {s.id: i for i, s in enumerate(event.slots)}
    meeting_slots = [s.id for s in event.slots if not s.is_break]
    accepted = {frozenset((r.a, r.b)) for r in event.requests if r.accepted}
    priority: dict[frozenset[str], int] = {}
    for r in event.requests:
        if r.accepted:
            key = frozenset((r.a, r.b))
            priority[key] = max(priority.get(key, 0), r.priority)
    pinned = {frozenset((p.a, p.b)): p for p in event.pins}
    tables = set(event.tables)
    seen_pairs: set[frozenset[str]] = set()
    at: dict[tuple[str, str], str] = {}
    where: dict[tuple[str, str], str] = {}
    for i, m in enumerate(meetings):
        tag = f"meeting {i + 1} ({m.a}-{m.b} at {m.slot}/{m.location})"
        pair = frozenset((m.a, m.b))
        if m.a not in people or m.b not in people or m.a == m.b:
            err(f"{tag}: unknown or identical participants")
            continue
        if pair in seen_pairs:
            err(f"{tag}: pair scheduled twice")
        seen_pairs.add(pair)
        if pair not in accepted and pair not in pinned:
            err(f"{tag}: no accepted request and no pin")
        if m.slot not in slot_pos or event.slots[slot_pos[m.slot]].is_break:
            err(f"{tag}: not a meeting slot")
            continue
        pin = pinned.get(pair)
        if pin is not None and (pin.slot != m.slot or (pin.table and pin.table != m.location)):
            err(f"{tag}: pinned at {pin.slot}/{pin.table or 'any table'}")
        for who in (m.a, m.b):
            if pin is None and m.slot in event.unavailable.get(who, frozenset()):
                err(f"{tag}: {who} is not available")
            if (who, m.slot) in at:
                err(f"{tag}: {who} already meets {at[(who, m.slot)]} in this slot")
            at[(who, m.slot)] = m.b if who == m.a else m.a
        booth = people[m.a].booth or people[m.b].booth
        if booth is not None and m.location != booth:
            err(f"{tag}: a booth owner meets at its booth {booth}")
        if booth is None and m.location not in tables:
            err(f"{tag}: {m.location} is not a table")
        if (m.location, m.slot) in where:
            err(f"{tag}: {m.location} already hosts {where[(m.location, m.slot)]}")
        where[(m.location, m.slot)] = f"{m.a}-{m.b}"

    # Quality, recounted on meeting slots only (break slots never count as idle).
    q = Quality()
    q.meetings = len(meetings)
    q.weighted = sum(priority.get(m.pair, 3) for m in meetings)
    index = {sid: i for i, sid in enumerate(meeting_slots)}
    mine: dict[str, list[tuple[int, str]]] = {p: [] for p in people}
    for m in meetings:
        if m.slot in index and m.a in mine and m.b in mine:
            mine[m.a].append((index[m.slot], m.location))
            mine[m.b].append((index[m.slot], m.location))
    requests_of: dict[str, int] = dict.fromkeys(people, 0)
    for pair in accepted | set(pinned):
        for who in pair:
            if who in requests_of:
                requests_of[who] += 1
    breaks: list[int] = []
    for pid, lst in mine.items():
        lst.sort()
        n = len(lst)
        if n < event.min_meetings:
            q.below_k += 1
            free = len(meeting_slots) - len(event.unavailable.get(pid, frozenset()))
            if requests_of[pid] >= event.min_meetings and free >= event.min_meetings:
                q.below_k_feasible += 1
        if n:
            slots_only = [s for s, _ in lst]
            breaks.append(count_breaks(slots_only))
            q.idle_slots += idle_slots(slots_only)
            q.table_changes += sum(1 for j in range(1, n) if lst[j][1] != lst[j - 1][1])
    rep.breaks_per_participant = breaks
    q.total_breaks = sum(breaks)
    q.max_breaks = max(breaks, default=0)
    q.breaks_spread = q.max_breaks - min(breaks, default=0)
    return rep, q
