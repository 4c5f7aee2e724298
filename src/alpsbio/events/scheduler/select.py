"""Phase 1 (CP-SAT): which accepted requests become meetings, with a feasible slot for each.

Lexicographic objective through weights: first minimise the total shortfall below K (each unit
weighs more than all meetings together), then maximise the number of meetings (each weighs more
than all priorities together), then the sum of priorities. Meetings before priorities: with
priorities 1-3 a pure priority weight prefers one priority-3 meeting to two priority-1 meetings,
which costs the event meetings; among selections with as many meetings, priorities decide.
The slots chosen here are only a witness of feasibility and a hint; phase 2 re-times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .compiled import Compiled


@dataclass
class Selection:
    slot_of: dict[int, int]  # candidate index -> meeting-slot index
    status: str
    proved_optimal: bool
    seconds: float
    objective: float | None = None
    bound: float | None = None


def select_meetings(
    comp: Compiled,
    time_limit: float = 30.0,
    workers: int = 2,
    hint: dict[int, int] | None = None,
    seed: int = 0,
) -> Selection:
    t0 = time.perf_counter()
    model = cp_model.CpModel()
    S = comp.n_slots
    x: list[dict[int, cp_model.IntVar]] = []
    y: list[cp_model.IntVar | int] = []
    per_ps: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    table_users: list[list[cp_model.IntVar]] = [[] for _ in range(S)]
    for ci, c in enumerate(comp.cands):
        row = {s: model.new_bool_var(f"x{ci}_{s}") for s in comp.allowed(c)}
        x.append(row)
        if not row:
            y.append(0)
            continue
        if c.pin_slot is not None:
            model.add(row[c.pin_slot] == 1)
        yy = model.new_bool_var(f"y{ci}")
        model.add(sum(row.values()) == yy)
        y.append(yy)
        for s, v in row.items():
            per_ps.setdefault((c.a, s), []).append(v)
            per_ps.setdefault((c.b, s), []).append(v)
            if c.booth is None:
                table_users[s].append(v)
    for vs in per_ps.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    for s in range(S):
        if len(table_users[s]) > comp.n_tables:
            model.add(sum(table_users[s]) <= comp.n_tables)
    per_p = comp.by_participant()
    shortfall = []
    for p, cs in enumerate(per_p):
        k = comp.target[p]
        if k <= 0:
            continue
        sf = model.new_int_var(0, k, f"sf{p}")
        model.add(sf >= k - sum(y[ci] for ci in cs))
        if hint:
            model.add_hint(sf, max(0, k - sum(1 for ci in cs if ci in hint)))
        shortfall.append(sf)
    # Weights make the objective lexicographic: every unit of shortfall outweighs all meetings;
    # in "meetings" mode every meeting outweighs all priorities.
    total_priority = sum(c.priority for c in comp.cands) + 1
    if comp.event.objective == "meetings":
        w_meeting, w_short = total_priority, total_priority * (len(comp.cands) + 1)
    else:
        w_meeting, w_short = 0, total_priority
    model.maximize(
        sum((w_meeting + c.priority) * y[ci] for ci, c in enumerate(comp.cands))
        - w_short * sum(shortfall)
    )
    if hint:
        for ci, row in enumerate(x):
            for s, v in row.items():
                model.add_hint(v, hint.get(ci) == s)
            yv = y[ci]
            if not isinstance(yv, int):
                model.add_hint(yv, ci in hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    slot_of: dict[int, int] = {}
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for ci, row in enumerate(x):
            for s, v in row.items():
                if solver.boolean_value(v):
                    slot_of[ci] = s
        status = "optimal" if code == cp_model.OPTIMAL else "feasible"
    else:
        status = "infeasible" if code == cp_model.INFEASIBLE else "unknown"
    has = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return Selection(
        slot_of,
        status,
        code == cp_model.OPTIMAL,
        time.perf_counter() - t0,
        solver.objective_value if has else None,
        solver.best_objective_bound if has else None,
    )
