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
        if c > problem.n_tables:
            err(f"slot {s + 1}: {c} meetings for {problem.n_tables} tables")
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
