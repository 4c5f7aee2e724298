"""The timing problem (B2BSOP of Bofill et al., JAIR 2022) and its data.

A fixed set of meetings gets one slot each; the objective is the total number of *breaks* (for each
participant, the maximal runs of idle slots between two of its meetings) under session, forbidden
slot, fixed slot, precedence and capacity constraints, with a fairness bound on max-min breaks.
Everything is 0-based here; the .dzn parser converts from the 1-based MiniZinc files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum


class Session(IntEnum):
    """When a meeting may happen; the values are the ones of the .dzn ``requested`` column."""

    MORNING = 1
    AFTERNOON = 2
    EITHER = 3


@dataclass(frozen=True)
class TimedMeeting:
    """A meeting to be timed: two participants, a session, maybe a fixed slot.

    ``uses_table`` is False for meetings held at a booth: they do not consume the shared tables.
    """

    a: int
    b: int
    session: Session = Session.EITHER
    fixed_slot: int | None = None
    uses_table: bool = True


@dataclass
class TimingProblem:
    """Plain data of one B2BSOP instance (0-based participants, slots and meeting ids)."""

    n_participants: int
    n_slots: int
    n_morning: int
    n_tables: int
    meetings: list[TimedMeeting]
    forbidden: list[frozenset[int]] = field(default_factory=list)
    precedences: list[tuple[int, int]] = field(default_factory=list)  # (before, after)
    name: str = ""
    # Shared tables free per slot; None = n_tables in every slot (used by the LNS sub-problems).
    capacity: list[int] | None = None
    # Slots where a participant is already busy with a meeting outside this problem (LNS pieces).
    busy_fixed: list[frozenset[int]] = field(default_factory=list)

    def tables_at(self, s: int) -> int:
        return self.n_tables if self.capacity is None else self.capacity[s]

    def __post_init__(self) -> None:
        if not self.forbidden:
            self.forbidden = [frozenset() for _ in range(self.n_participants)]
        if not self.busy_fixed:
            self.busy_fixed = [frozenset() for _ in range(self.n_participants)]

    def allowed_slots(self, m: int) -> list[int]:
        """Slots meeting ``m`` may take (session, forbidden slots of both, fixed slot)."""
        mt = self.meetings[m]
        if mt.fixed_slot is not None:
            return [mt.fixed_slot]
        if mt.session == Session.MORNING:
            rng: Sequence[int] = range(self.n_morning)
        elif mt.session == Session.AFTERNOON:
            rng = range(self.n_morning, self.n_slots)
        else:
            rng = range(self.n_slots)
        bad = (
            self.forbidden[mt.a]
            | self.forbidden[mt.b]
            | self.busy_fixed[mt.a]
            | self.busy_fixed[mt.b]
        )
        return [s for s in rng if s not in bad]

    def meetings_of(self) -> list[list[int]]:
        """Meeting ids per participant."""
        out: list[list[int]] = [[] for _ in range(self.n_participants)]
        for i, mt in enumerate(self.meetings):
            out[mt.a].append(i)
            out[mt.b].append(i)
        return out


@dataclass
class TimingResult:
    """Slots per meeting (None when no solution), with the solver's verdict and timings."""

    slots: list[int] | None
    breaks: int | None
    status: str  # "optimal", "feasible", "infeasible", "unknown"
    proved_optimal: bool
    lower_bound: int | None
    seconds: float
    method: str = "cp-sat"
