"""Plain data of a B2B brokerage session: what the scheduler takes in and gives back.

Participants, tables and slots are referred to by string ids. Slots are listed in time order; a
slot marked ``is_break`` (coffee, lunch) hosts no meetings and an idle break slot never counts as a
participant's break. A booth owner meets at its booth; everybody else at a shared table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .timing import Session


class SchedulerInputError(ValueError):
    """Input data that cannot be scheduled as given; the message names the offending field."""


class Part(StrEnum):
    """The session a slot belongs to."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


@dataclass(frozen=True)
class Participant:
    id: str
    name: str = ""
    booth: str | None = None  # id of the booth this participant owns, if any


@dataclass(frozen=True)
class Slot:
    id: str
    part: Part = Part.MORNING
    is_break: bool = False
    label: str = ""  # e.g. "09:00-09:20"; for display only


@dataclass(frozen=True)
class Request:
    """A meeting request between two participants; only accepted ones can become meetings."""

    a: str
    b: str
    priority: int = 2  # 1 = low, 3 = high
    accepted: bool = True
    session: Session = Session.EITHER


@dataclass(frozen=True)
class Pin:
    """A meeting the organiser fixed: it stays at this slot (and table, if given)."""

    a: str
    b: str
    slot: str
    table: str | None = None


@dataclass
class Event:
    """Everything the scheduler needs for one brokerage session."""

    participants: list[Participant]
    slots: list[Slot]
    tables: list[str]
    requests: list[Request]
    booths: list[str] = field(default_factory=list)
    # participant id -> ids of the slots in which it is NOT available (absent = always available)
    unavailable: dict[str, frozenset[str]] = field(default_factory=dict)
    pins: list[Pin] = field(default_factory=list)
    min_meetings: int = 3  # K
    fairness: int = 2  # d: target bound on max-min breaks per participant
    # Phase 1, after giving everyone K where possible: "meetings" = as many meetings as possible,
    # priorities deciding between selections of the same size (b2match's aim); "priority" = the
    # largest sum of priorities (one priority-3 meeting beats two priority-1 meetings).
    objective: str = "meetings"


@dataclass(frozen=True)
class Meeting:
    a: str
    b: str
    slot: str
    location: str  # a table id, or the booth id for a meeting with a booth owner
    priority: int = 2
    pinned: bool = False

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.a, self.b))


@dataclass
class Quality:
    """Figures the organiser sees; recounted by the checker from the meetings alone."""

    meetings: int = 0
    weighted: int = 0  # sum of priorities of the scheduled meetings
    below_k: int = 0  # participants under K meetings
    below_k_feasible: int = 0  # of those, how many could have reached K (enough accepted requests)
    total_breaks: int = 0
    breaks_spread: int = 0  # max - min breaks over participants with meetings
    max_breaks: int = 0
    idle_slots: int = 0  # stand-by: idle meeting slots between a participant's first and last
    table_changes: int = 0  # consecutive meetings of a participant at different locations


@dataclass
class Schedule:
    """The scheduler's answer."""

    meetings: list[Meeting]
    quality: Quality
    status: str  # "optimal", "feasible", "greedy", "infeasible"
    proved_optimal: bool = False
    method: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
