"""Fast greedy scheduler for events: instant feedback and the fallback when CP-SAT finds nothing.

Two passes over the accepted requests. Pass 1 serves participants still under K (fewest meetings
first, then priority); pass 2 adds the rest by priority. Each meeting takes the feasible slot that
adds the fewest breaks for its two participants, then the one next to their other meetings.
"""

from __future__ import annotations

from .compiled import Compiled


def _breaks(busy: set[int]) -> int:
    ordered = sorted(busy)
    return sum(1 for i in range(1, len(ordered)) if ordered[i] > ordered[i - 1] + 1)


class GreedyState:
    """Occupancy bookkeeping shared by the greedy and the repair."""

    def __init__(self, comp: Compiled) -> None:
        self.comp = comp
        self.busy: list[set[int]] = [set() for _ in comp.pids]
        self.tables_used = [0] * comp.n_slots
        self.slot_of: dict[int, int] = {}

    def can(self, ci: int, s: int) -> bool:
        c = self.comp.cands[ci]
        if s in self.busy[c.a] or s in self.busy[c.b]:
            return False
        return c.booth is not None or self.tables_used[s] < self.comp.n_tables

    def place(self, ci: int, s: int) -> None:
        c = self.comp.cands[ci]
        self.busy[c.a].add(s)
        self.busy[c.b].add(s)
        if c.booth is None:
            self.tables_used[s] += 1
        self.slot_of[ci] = s

    def best_slot(self, ci: int) -> int | None:
        c = self.comp.cands[ci]
        best: tuple[int, int, int] | None = None
        best_s: int | None = None
        for s in self.comp.allowed(c):
            if not self.can(ci, s):
                continue
            added = 0
            near = 0
            for p in (c.a, c.b):
                before = _breaks(self.busy[p])
                self.busy[p].add(s)
                added += _breaks(self.busy[p]) - before
                self.busy[p].discard(s)
                near += int(s - 1 in self.busy[p] or s + 1 in self.busy[p])
            key = (added, -near, s)
            if best is None or key < best:
                best, best_s = key, s
        return best_s


def greedy_select(comp: Compiled) -> dict[int, int]:
    """Candidate index -> meeting-slot index for the meetings the greedy schedules."""
    st = GreedyState(comp)
    for ci, c in enumerate(comp.cands):
        if c.pin_slot is not None:
            st.place(ci, c.pin_slot)
    count = [0] * len(comp.pids)
    for ci in st.slot_of:
        count[comp.cands[ci].a] += 1
        count[comp.cands[ci].b] += 1
    todo = [ci for ci in range(len(comp.cands)) if ci not in st.slot_of]
    # Pass 1: participants under K first; recompute the order as counts change (cheap buckets).
    changed = True
    while changed:
        changed = False
        need = [
            ci
            for ci in todo
            if ci not in st.slot_of
            and (
                count[comp.cands[ci].a] < comp.target[comp.cands[ci].a]
                or count[comp.cands[ci].b] < comp.target[comp.cands[ci].b]
            )
        ]
        need.sort(
            key=lambda ci: (
                min(count[comp.cands[ci].a], count[comp.cands[ci].b]),
                -comp.cands[ci].priority,
                ci,
            )
        )
        for ci in need:
            c = comp.cands[ci]
            if count[c.a] >= comp.target[c.a] and count[c.b] >= comp.target[c.b]:
                continue
            s = st.best_slot(ci)
            if s is None:
                continue
            st.place(ci, s)
            count[c.a] += 1
            count[c.b] += 1
            changed = True
    # Pass 2: everything else by priority.
    rest = [ci for ci in todo if ci not in st.slot_of]
    rest.sort(key=lambda ci: (-comp.cands[ci].priority, ci))
    for ci in rest:
        s = st.best_slot(ci)
        if s is not None:
            st.place(ci, s)
    return st.slot_of
