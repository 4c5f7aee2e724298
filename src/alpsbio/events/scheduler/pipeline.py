"""End-to-end scheduling of a brokerage session, and repair after a late cancellation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from ortools.sat.python import cp_model

from .checker import check_event, check_timing
from .compiled import Compiled, compile_event
from .cpsat_timing import solve_timing
from .greedy import GreedyState, greedy_select
from .greedy_timing import greedy_timing
from .lns import lns_timing
from .model import Event, Meeting, Schedule, SchedulerInputError
from .select import select_meetings
from .select_lns import lns_select
from .tables import assign_tables
from .timing import TimedMeeting, TimingProblem

Progress = Callable[[str, float], None]


def _noop(stage: str, fraction: float) -> None:
    return None


def _meetings(comp: Compiled, slot_of: dict[int, int], loc: dict[int, str]) -> list[Meeting]:
    out = []
    for ci in sorted(slot_of, key=lambda ci: (slot_of[ci], loc[ci])):
        c = comp.cands[ci]
        out.append(
            Meeting(
                a=comp.pids[c.a],
                b=comp.pids[c.b],
                slot=comp.slot_ids[slot_of[ci]],
                location=loc[ci],
                priority=c.priority,
                pinned=c.pin_slot is not None,
            )
        )
    return out


def timing_problem(comp: Compiled, chosen: Iterable[int]) -> tuple[TimingProblem, list[int]]:
    """Phase 2 input for the chosen candidates (returned in the order of the meetings)."""
    order = sorted(chosen)
    meetings = [
        TimedMeeting(
            a=comp.cands[ci].a,
            b=comp.cands[ci].b,
            session=comp.cands[ci].session,
            fixed_slot=comp.cands[ci].pin_slot,
            uses_table=comp.cands[ci].booth is None,
        )
        for ci in order
    ]
    everything = frozenset(range(comp.n_slots))
    prob = TimingProblem(
        n_participants=len(comp.pids),
        n_slots=comp.n_slots,
        n_morning=comp.n_morning,
        n_tables=comp.n_tables,
        meetings=meetings,
        forbidden=[everything - a for a in comp.avail],
    )
    return prob, order


def _fill(comp: Compiled, slot_of: dict[int, int]) -> int:
    """Add unscheduled requests that still fit (no move), those for participants under K first.

    Neither phase saturates capacity on big events within its time, so a last greedy pass over
    the leftovers adds meetings for free; each goes where it adds the fewest breaks.
    """
    st = GreedyState(comp)
    count = [0] * len(comp.pids)
    for ci, s in slot_of.items():
        st.place(ci, s)
        count[comp.cands[ci].a] += 1
        count[comp.cands[ci].b] += 1
    todo = [ci for ci in range(len(comp.cands)) if ci not in slot_of]
    todo.sort(
        key=lambda ci: (
            -(count[comp.cands[ci].a] < comp.target[comp.cands[ci].a])
            - (count[comp.cands[ci].b] < comp.target[comp.cands[ci].b]),
            -comp.cands[ci].priority,
            ci,
        )
    )
    added = 0
    for ci in todo:
        best = st.best_slot(ci)
        if best is not None:
            st.place(ci, best)
            slot_of[ci] = best
            count[comp.cands[ci].a] += 1
            count[comp.cands[ci].b] += 1
            added += 1
    return added


def _best_hint(prob: TimingProblem, candidates: list[list[int]]) -> list[int]:
    """Phase 2 starts from the valid candidate timing with the fewest breaks.

    Candidates: the phase 1 slots (arbitrary: phase 1 does not look at breaks), the greedy's
    slots when phase 1 kept the greedy's selection, and the greedy re-timing of the selection.
    """
    g = greedy_timing(prob)
    pool = [c for c in candidates if c is not None] + ([g] if g is not None else [])
    scored = []
    for c in pool:
        rep = check_timing(prob, c, fairness=None)
        if rep.valid:
            scored.append((rep.total_breaks, c))
    return min(scored, key=lambda t: t[0])[1] if scored else candidates[0]


def greedy_schedule(event: Event) -> Schedule:
    """The greedy alone: instant feedback (milliseconds to a second)."""
    t0 = time.perf_counter()
    comp = compile_event(event)
    slot_of = greedy_select(comp)
    loc = assign_tables(comp, slot_of)
    meetings = _meetings(comp, slot_of, loc)
    rep, q = check_event(event, meetings)
    return Schedule(
        meetings,
        q,
        status="greedy",
        method="greedy",
        timings={"total": time.perf_counter() - t0},
        notes=rep.errors,
    )


def solve_event(
    event: Event,
    time_limit: float = 100.0,
    workers: int = 2,
    phase1_share: float = 0.3,
    progress: Progress = _noop,
    lns_above: int = 400,
    exact_below: int = 4000,
    seed: int = 0,
) -> Schedule:
    """Phase 1 (select), phase 2 (re-time for breaks and fairness), tables; greedy as fallback."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    comp = compile_event(event)
    progress("greedy", 0.0)
    greedy = greedy_select(comp)
    timings["greedy"] = time.perf_counter() - t0
    progress("phase 1: choosing meetings", 0.05)
    left = time_limit - (time.perf_counter() - t0)
    n_literals = sum(len(comp.allowed(c)) for c in comp.cands)
    method = "cp-sat"
    proved1 = False
    if n_literals <= exact_below:
        # Small events: the whole time-indexed model, which can prove its selection optimal.
        sel = select_meetings(comp, time_limit=left * phase1_share, workers=workers, hint=greedy)
        timings["phase1"] = sel.seconds
        notes.append(f"phase 1 {sel.status}: objective {sel.objective}, bound {sel.bound}")
        slot_of, proved1 = sel.slot_of, sel.proved_optimal
        if not slot_of:
            notes.append(f"phase 1 {sel.status}: greedy selection used")
            slot_of, method = dict(greedy), "greedy"
    else:
        # Big events: exact pieces of the same model around participants (select_lns.py).
        slot_of, st1 = lns_select(comp, greedy, time_limit=left * phase1_share, seed=seed)
        timings["phase1"] = st1.seconds
        notes.append(
            f"phase 1 LNS: {st1.steps} steps, {st1.improved} improving; meetings "
            f"{st1.start[1]} -> {st1.end[1]}, weight {st1.start[2]} -> {st1.end[2]}, "
            f"shortfall below K {st1.start[0]} -> {st1.end[0]}"
        )
    progress("phase 2: re-timing for breaks", 0.5)
    prob, order = timing_problem(comp, slot_of)
    left = time_limit - (time.perf_counter() - t0) - 0.5
    cands = [[slot_of[ci] for ci in order]]
    if set(slot_of) == set(greedy):
        cands.append([greedy[ci] for ci in order])
    start = _best_hint(prob, cands)
    if len(prob.meetings) <= lns_above:
        res = solve_timing(
            prob,
            time_limit=max(1.0, left),
            fairness=event.fairness,
            soft_fairness=True,  # availability can force more spread than d: penalise, do not fail
            workers=workers,
            hint=start,
        )
        timings["phase2"] = res.seconds
        notes.append(f"phase 2 {res.status}: breaks {res.breaks}, bound {res.lower_bound}")
        if res.slots is not None:
            slot_of = {ci: res.slots[i] for i, ci in enumerate(order)}
        else:
            notes.append(f"phase 2 {res.status}: phase 1 timing kept")
        status, proved2 = res.status, res.proved_optimal
    else:
        # Large events: the full model presolves slowly; an exact-piece LNS improves faster.
        t2 = time.perf_counter()
        slots, steps = lns_timing(prob, start, max(1.0, left), fairness=event.fairness)
        timings["phase2"] = time.perf_counter() - t2
        notes.append(f"phase 2 LNS: {steps} steps")
        slot_of = {ci: slots[i] for i, ci in enumerate(order)}
        status, proved2 = "feasible", False
    added = _fill(comp, slot_of)
    if added:
        notes.append(f"fill: {added} more meetings fitted into free capacity")
    progress("tables", 0.95)
    t_tab = time.perf_counter()
    loc = assign_tables(comp, slot_of)
    timings["tables"] = time.perf_counter() - t_tab
    meetings = _meetings(comp, slot_of, loc)
    rep, q = check_event(event, meetings)
    notes.extend(f"check: {e}" for e in rep.errors)
    timings["total"] = time.perf_counter() - t0
    progress("done", 1.0)
    return Schedule(
        meetings,
        q,
        status=status if method == "cp-sat" else "greedy",
        proved_optimal=proved1 and proved2,
        method=method,
        timings=timings,
        notes=notes,
    )


def repair(
    event: Event,
    current: list[Meeting],
    cancelled: Iterable[str],
    max_moves: int = 0,
    time_limit: float = 8.0,
    workers: int = 2,
) -> Schedule:
    """After late cancellations, fill the freed slots, moving at most ``max_moves`` meetings.

    Meetings of the cancelled participants go; the others stay at their slot and table unless
    ``max_moves > 0``, and then each move costs more than any gain but a new meeting for someone
    under K. New meetings come from accepted requests not yet scheduled.
    """
    t0 = time.perf_counter()
    gone = set(cancelled)
    comp = compile_event(event)
    for pid in gone:
        if pid not in comp.pidx:
            raise SchedulerInputError(f"cancelled: unknown participant {pid!r}")
    key_of = {frozenset((comp.cands[ci].a, comp.cands[ci].b)): ci for ci in range(len(comp.cands))}
    kept: dict[int, tuple[int, str]] = {}
    for i, m in enumerate(current):
        if m.a in gone or m.b in gone:
            continue
        if m.a not in comp.pidx or m.b not in comp.pidx or m.slot not in comp.sidx:
            raise SchedulerInputError(f"current[{i}]: unknown participant or slot")
        ci = key_of.get(frozenset((comp.pidx[m.a], comp.pidx[m.b])))
        if ci is None:
            raise SchedulerInputError(f"current[{i}]: {m.a}-{m.b} is no accepted request")
        kept[ci] = (comp.sidx[m.slot], m.location)
    alive = [p not in gone for p in comp.pids]
    new_cands = [
        ci
        for ci, c in enumerate(comp.cands)
        if ci not in kept and alive[c.a] and alive[c.b] and c.pin_slot is None
    ]
    model = cp_model.CpModel()
    x: dict[int, dict[int, cp_model.IntVar]] = {}
    moved: list[cp_model.IntVar] = []
    st = GreedyState(comp)
    if max_moves == 0:
        for ci, (s, _) in kept.items():
            st.place(ci, s)
    for ci in list(kept) + new_cands:
        c = comp.cands[ci]
        if ci in kept and max_moves == 0:
            continue
        slots = comp.allowed(c) if ci in new_cands or c.pin_slot is None else [c.pin_slot]
        if max_moves == 0:
            slots = [s for s in slots if st.can(ci, s)]
        if not slots:
            continue
        x[ci] = {s: model.new_bool_var(f"x{ci}_{s}") for s in slots}
        if ci in kept:
            orig = kept[ci][0]
            if orig not in x[ci]:
                x[ci][orig] = model.new_bool_var(f"x{ci}_{orig}")
            model.add_exactly_one(x[ci].values())
            mv = model.new_bool_var(f"mv{ci}")
            model.add(mv == 1 - x[ci][orig])
            moved.append(mv)
            model.add_hint(x[ci][orig], 1)
        else:
            model.add_at_most_one(x[ci].values())
    if moved:
        model.add(sum(moved) <= max_moves)
    # Occupancy: fixed meetings (max_moves == 0) are already excluded through st.can.
    per_ps: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    per_s: dict[int, list[cp_model.IntVar]] = {}
    for ci, row in x.items():
        c = comp.cands[ci]
        for s, v in row.items():
            per_ps.setdefault((c.a, s), []).append(v)
            per_ps.setdefault((c.b, s), []).append(v)
            if c.booth is None:
                per_s.setdefault(s, []).append(v)
    for vs in per_ps.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    for s, vs in per_s.items():
        model.add(sum(vs) <= comp.n_tables - st.tables_used[s])
    count = [0] * len(comp.pids)
    for ci in kept:
        count[comp.cands[ci].a] += 1
        count[comp.cands[ci].b] += 1
    # Objective: K shortfall first, then priority, then adjacency (fewer new breaks), then moves.
    gain = []
    for ci in new_cands:
        if ci not in x:
            continue
        c = comp.cands[ci]
        under = int(count[c.a] < comp.target[c.a]) + int(count[c.b] < comp.target[c.b])
        for s, v in x[ci].items():
            near = sum(
                int(s - 1 in st.busy[p] or s + 1 in st.busy[p])
                - int(bool(st.busy[p]) and not (s - 1 in st.busy[p] or s + 1 in st.busy[p]))
                for p in (c.a, c.b)
            )
            gain.append((10_000 * under + 100 * c.priority + 10 * near) * v)
    model.maximize(sum(gain) - 100_000 * sum(moved))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers
    code = solver.solve(model)
    slot_of = {ci: s for ci, (s, _) in kept.items()}
    keep_loc = {ci: loc for ci, (_, loc) in kept.items()}
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for ci, row in x.items():
            for s, v in row.items():
                if solver.boolean_value(v):
                    if ci in kept and s != kept[ci][0]:
                        keep_loc.pop(ci, None)  # moved: it gets a table in its new slot
                    slot_of[ci] = s
    # Pins of cancelled participants disappear with them.
    comp.cands = [replace(c) for c in comp.cands]
    loc = _tables_for_repair(comp, slot_of, keep_loc)
    meetings = _meetings(comp, slot_of, loc)
    rep, q = check_event(
        replace(event, pins=[p for p in event.pins if p.a not in gone and p.b not in gone]),
        meetings,
    )
    n_moved = sum(1 for ci in kept if slot_of.get(ci) != kept[ci][0] or loc.get(ci) != kept[ci][1])
    return Schedule(
        meetings,
        q,
        status="optimal" if code == cp_model.OPTIMAL else "feasible",
        proved_optimal=code == cp_model.OPTIMAL,
        method="repair",
        timings={"total": time.perf_counter() - t0},
        notes=[f"moved {n_moved}", f"added {len(slot_of) - len(kept)}", *rep.errors],
    )


def _tables_for_repair(
    comp: Compiled, slot_of: dict[int, int], keep: dict[int, str]
) -> dict[int, str]:
    """Existing meetings keep their table; new or moved ones take a free table in their slot."""
    return assign_tables(comp, slot_of, keep=keep)
