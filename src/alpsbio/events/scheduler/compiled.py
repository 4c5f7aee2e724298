"""Validated, index-based view of an :class:`Event` shared by the greedy, the models and repair."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Event, Part, SchedulerInputError
from .timing import Session


@dataclass
class Cand:
    """A candidate meeting: one accepted request (duplicates merged) or a pin."""

    a: int
    b: int
    priority: int
    session: Session
    booth: str | None  # meeting place when one of the two owns a booth
    pin_slot: int | None = None  # meeting-slot index
    pin_table: str | None = None


@dataclass
class Compiled:
    event: Event
    pids: list[str]
    pidx: dict[str, int]
    slot_ids: list[str]  # meeting slots only, in time order
    sidx: dict[str, int]
    n_morning: int
    cands: list[Cand]
    avail: list[frozenset[int]]  # per participant: meeting-slot indices it can meet in
    n_tables: int
    target: list[int]  # K capped by what is achievable for that participant

    @property
    def n_slots(self) -> int:
        return len(self.slot_ids)

    def allowed(self, c: Cand) -> list[int]:
        """Meeting slots where candidate ``c`` can be held (pins: only their slot)."""
        if c.pin_slot is not None:
            return [c.pin_slot]
        both = self.avail[c.a] & self.avail[c.b]
        if c.session == Session.MORNING:
            return sorted(s for s in both if s < self.n_morning)
        if c.session == Session.AFTERNOON:
            return sorted(s for s in both if s >= self.n_morning)
        return sorted(both)

    def by_participant(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.pids]
        for i, c in enumerate(self.cands):
            out[c.a].append(i)
            out[c.b].append(i)
        return out


OBJECTIVES = ("meetings", "priority")


def compile_event(ev: Event) -> Compiled:
    """Check the event and index it; raises SchedulerInputError naming the bad field."""
    if ev.objective not in OBJECTIVES:
        raise SchedulerInputError(
            f"objective: one of {', '.join(OBJECTIVES)}, not {ev.objective!r}"
        )
    pids = [p.id for p in ev.participants]
    pidx: dict[str, int] = {}
    for i, pid in enumerate(pids):
        if pid in pidx:
            raise SchedulerInputError(f"participants[{i}]: duplicate id {pid!r}")
        pidx[pid] = i
    booth_set = set(ev.booths)
    owner: dict[str, str] = {}
    for i, p in enumerate(ev.participants):
        if p.booth is not None:
            if p.booth not in booth_set:
                raise SchedulerInputError(f"participants[{i}].booth: unknown booth {p.booth!r}")
            if p.booth in owner:
                raise SchedulerInputError(f"participants[{i}].booth: {p.booth!r} already owned")
            owner[p.booth] = p.id
    if len(set(ev.tables)) != len(ev.tables):
        raise SchedulerInputError("tables: duplicate table ids")
    if set(ev.tables) & booth_set:
        raise SchedulerInputError("tables/booths: an id is used for both a table and a booth")
    seen_slots: set[str] = set()
    slot_ids: list[str] = []
    morning_after_afternoon = False
    n_morning = 0
    for i, s in enumerate(ev.slots):
        if s.id in seen_slots:
            raise SchedulerInputError(f"slots[{i}]: duplicate id {s.id!r}")
        seen_slots.add(s.id)
        if s.is_break:
            continue
        if s.part == Part.MORNING:
            if slot_ids and n_morning < len(slot_ids):
                morning_after_afternoon = True
            n_morning += 1
        slot_ids.append(s.id)
    if morning_after_afternoon:
        raise SchedulerInputError("slots: a morning slot comes after an afternoon slot")
    sidx = {sid: i for i, sid in enumerate(slot_ids)}
    avail: list[frozenset[int]] = []
    for pid, un in ev.unavailable.items():
        if pid not in pidx:
            raise SchedulerInputError(f"unavailable: unknown participant {pid!r}")
        bad = [s for s in un if s not in seen_slots]
        if bad:
            raise SchedulerInputError(f"unavailable[{pid!r}]: unknown slots {sorted(bad)}")
    for pid in pids:
        un = ev.unavailable.get(pid, frozenset())
        avail.append(frozenset(i for i, sid in enumerate(slot_ids) if sid not in un))
    if ev.min_meetings < 0:
        raise SchedulerInputError("min_meetings: must be >= 0")

    def place(a: int, b: int) -> str | None:
        return ev.participants[a].booth or ev.participants[b].booth

    merged: dict[frozenset[int], Cand] = {}
    for i, r in enumerate(ev.requests):
        where = f"requests[{i}]"
        if r.a not in pidx or r.b not in pidx:
            raise SchedulerInputError(
                f"{where}: unknown participant {r.a if r.a not in pidx else r.b!r}"
            )
        if r.a == r.b:
            raise SchedulerInputError(f"{where}: a participant cannot meet itself ({r.a!r})")
        if not 1 <= r.priority <= 3:
            raise SchedulerInputError(f"{where}.priority: {r.priority} not in 1..3")
        if not r.accepted:
            continue
        a, b = pidx[r.a], pidx[r.b]
        key = frozenset((a, b))
        old = merged.get(key)
        if old is None or old.priority < r.priority:
            merged[key] = Cand(a, b, r.priority, Session(r.session), place(a, b))
    for i, pin in enumerate(ev.pins):
        where = f"pins[{i}]"
        if pin.a not in pidx or pin.b not in pidx or pin.a == pin.b:
            raise SchedulerInputError(f"{where}: bad participants {pin.a!r}, {pin.b!r}")
        if pin.slot not in sidx:
            raise SchedulerInputError(f"{where}.slot: {pin.slot!r} is not a meeting slot")
        a, b = pidx[pin.a], pidx[pin.b]
        loc = place(a, b)
        if pin.table is not None and pin.table not in ev.tables and pin.table != loc:
            raise SchedulerInputError(f"{where}.table: {pin.table!r} is not a table of this pair")
        if loc is not None and pin.table is not None and pin.table != loc:
            raise SchedulerInputError(f"{where}.table: a booth owner meets at its booth {loc!r}")
        key = frozenset((a, b))
        prio = merged[key].priority if key in merged else 3
        merged[key] = Cand(a, b, prio, Session.EITHER, loc, sidx[pin.slot], pin.table)
    cands = sorted(merged.values(), key=lambda c: (min(c.a, c.b), max(c.a, c.b)))
    # Pins must not clash among themselves.
    used: dict[tuple[int, int], int] = {}
    for i, c in enumerate(cands):
        if c.pin_slot is None:
            continue
        for who in (c.a, c.b):
            if (who, c.pin_slot) in used:
                raise SchedulerInputError(
                    f"pins: participant {pids[who]!r} pinned twice in slot {slot_ids[c.pin_slot]!r}"
                )
            used[(who, c.pin_slot)] = i
    comp = Compiled(
        event=ev,
        pids=pids,
        pidx=pidx,
        slot_ids=slot_ids,
        sidx=sidx,
        n_morning=n_morning,
        cands=cands,
        avail=avail,
        n_tables=len(ev.tables),
        target=[],
    )
    per_p = comp.by_participant()
    comp.target = [
        min(
            ev.min_meetings,
            len(per_p[p]),
            len(avail[p]) + sum(1 for c in per_p[p] if cands[c].pin_slot is not None),
        )
        for p in range(len(pids))
    ]
    return comp
