"""Table assignment: each slot's meetings get tables so that participants move as little as possible.

Slots are processed in time order; within a slot the assignment problem (meetings x free tables,
cost = participants whose previous meeting was at another table) is solved exactly with the
Hungarian method. Booth meetings sit at the booth; pinned tables stay.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from .compiled import Compiled


def assign_tables(
    comp: Compiled,
    slot_of: dict[int, int],
    keep: dict[int, str] | None = None,
) -> dict[int, str]:
    """Candidate index -> location (table or booth id). ``keep`` fixes some tables (repair)."""
    keep = keep or {}
    loc: dict[int, str] = {}
    last: dict[int, str] = {}  # participant -> location of its latest meeting so far
    by_slot: dict[int, list[int]] = {}
    for ci, s in slot_of.items():
        by_slot.setdefault(s, []).append(ci)
    tables = comp.event.tables
    for s in sorted(by_slot):
        free = list(tables)
        todo: list[int] = []
        for ci in sorted(by_slot[s]):
            c = comp.cands[ci]
            fixed = c.booth or keep.get(ci) or c.pin_table
            if fixed is not None:
                loc[ci] = fixed
                if fixed in free:
                    free.remove(fixed)
            else:
                todo.append(ci)
        if len(todo) > len(free):
            raise ValueError(
                f"slot {comp.slot_ids[s]}: {len(todo)} meetings for {len(free)} tables"
            )
        if todo:
            cost = np.zeros((len(todo), len(free)))
            for i, ci in enumerate(todo):
                c = comp.cands[ci]
                for p in (c.a, c.b):
                    prev = last.get(p)
                    if prev is None:
                        continue
                    for j, t in enumerate(free):
                        if t != prev:
                            cost[i, j] += 1
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols, strict=True):
                loc[todo[i]] = free[j]
        for ci in by_slot[s]:
            c = comp.cands[ci]
            last[c.a] = loc[ci]
            last[c.b] = loc[ci]
    return loc
