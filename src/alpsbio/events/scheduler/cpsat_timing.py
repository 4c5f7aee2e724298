"""CP-SAT model of the timing problem (phase 2, B2BSOP).

Encoding (see docs/algorithms/scheduler.md):
- ``x[m,s]``: meeting m in slot s, only for its allowed slots; exactly one per meeting.
- ``busy[p,s] = sum x[m,s]`` over p's meetings (at most one meeting per participant per slot).
- ``start[p,s] <-> busy[p,s] and not busy[p,s-1]``: a run of meetings begins at s. A participant's
  breaks are (number of runs) - 1, exactly the maximal idle runs between two of its meetings; this
  needs no "before/after" helpers and every variable is fully defined, which fairness requires.
- redundant: each participant with meetings has at least one run, and at least as many runs as
  the pieces its allowed slots are split into force (computed per participant as a lower bound).
- fairness: ``lo <= breaks[p] <= hi`` and ``hi - lo <= d`` (hard) or a penalty (soft).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ortools.sat.python import cp_model

from .greedy_timing import greedy_timing
from .timing import Session, TimingProblem, TimingResult


def _status_name(code: Any, has_solution: bool) -> str:
    if code == cp_model.OPTIMAL:
        return "optimal"
    if code == cp_model.FEASIBLE or has_solution:
        return "feasible"
    if code == cp_model.INFEASIBLE:
        return "infeasible"
    if code == cp_model.MODEL_INVALID:
        return "invalid"
    return "unknown"


def count_runs(busy: set[int]) -> int:
    """Maximal runs of consecutive busy slots."""
    return sum(1 for s in busy if s - 1 not in busy)


def _reversible(problem: TimingProblem) -> bool:
    kinds = {m.session for m in problem.meetings}
    single_session = problem.n_morning in (0, problem.n_slots) or kinds == {Session.EITHER}
    return (
        single_session
        and not problem.precedences
        and all(m.fixed_slot is None for m in problem.meetings)
        and not any(problem.forbidden)
    )


def _add_windows(
    model: cp_model.CpModel,
    busy: list[cp_model.IntVar | int],
    n_meet: int,
    breaks: cp_model.IntVar,
    p: int,
    hinted: set[int] | None,
) -> None:
    """Redundant: a participant without breaks occupies one window of n consecutive slots.

    ``zero <-> breaks == 0``; ``zero -> exactly one window w[f]``; ``w[f] -> busy`` on the window.
    The number of runs alone propagates weakly (a linear sum); the windows let the SAT engine
    reason about contiguity directly, which is what closes the zero-break instances.
    """
    S = len(busy)
    wins: list[tuple[int, cp_model.IntVar]] = []
    for f in range(S - n_meet + 1):
        if any(isinstance(busy[s], int) and busy[s] == 0 for s in range(f, f + n_meet)):
            continue  # a slot in this window cannot host any of p's meetings
        wins.append((f, model.new_bool_var(f"w{p}_{f}")))
    zero = model.new_bool_var(f"zero{p}")
    if hinted is not None:
        # Complete hints (every auxiliary variable) let CP-SAT accept the start at once.
        first = min(hinted, default=0)
        contiguous = bool(hinted) and max(hinted) - first + 1 == len(hinted)
        model.add_hint(zero, contiguous)
        for f, w in wins:
            model.add_hint(w, contiguous and f == first)
    model.add(breaks == 0).only_enforce_if(zero)
    model.add(breaks >= 1).only_enforce_if(zero.Not())
    model.add(sum(v for _, v in wins) == zero)
    for f, w in wins:
        for s in range(f, f + n_meet):
            b = busy[s]
            if not isinstance(b, int):
                model.add_implication(w, b)
    for s in range(S):
        b = busy[s]
        if isinstance(b, int) and b == 0:
            continue
        cover = [w for f, w in wins if f <= s < f + n_meet]
        if isinstance(b, int):
            model.add_bool_or([zero.Not(), *cover])  # already busy here: a window covers s
        else:
            model.add_bool_or([zero.Not(), b.Not(), *cover])


def solve_timing(
    problem: TimingProblem,
    time_limit: float = 60.0,
    fairness: int | None = 2,
    soft_fairness: bool = False,
    workers: int = 2,
    hint: Sequence[int] | None = None,
    seed: int = 0,
    log: bool = False,
    params: dict[str, object] | None = None,
    windows: bool = True,
    max_total: int | None = None,
) -> TimingResult:
    """Minimise total breaks; returns the best timing found within ``time_limit`` seconds."""
    t0 = time.perf_counter()
    n = len(problem.meetings)
    S = problem.n_slots
    model = cp_model.CpModel()
    allowed = [problem.allowed_slots(m) for m in range(n)]
    for al in allowed:
        if not al:
            return TimingResult(None, None, "infeasible", True, None, time.perf_counter() - t0)
    start_hint = list(hint) if hint is not None else greedy_timing(problem)
    if start_hint is not None and len(start_hint) != n:
        start_hint = None
    per_p = problem.meetings_of()
    # Symmetry: with one kind of session and no forbidden/fixed/precedence data, reversing time maps
    # solutions to solutions of equal cost; keep the half where a busiest participant's first
    # meeting is in the first half of the day (and mirror the hint into that half).
    m0: int | None = None
    if _reversible(problem) and n:
        busiest = max(range(problem.n_participants), key=lambda q: len(per_p[q]))
        if 0 < len(per_p[busiest]) < S:
            m0 = per_p[busiest][0]
            if start_hint is not None and 2 * start_hint[m0] > S - 1:
                start_hint = [S - 1 - sl for sl in start_hint]
    hb: list[set[int]] | None = None
    if start_hint is not None:
        hb = [set() for _ in range(problem.n_participants)]
        for mt, sl in zip(problem.meetings, start_hint, strict=True):
            hb[mt.a].add(sl)
            hb[mt.b].add(sl)
        for q, fixed_busy in enumerate(problem.busy_fixed):
            hb[q] |= fixed_busy
    x: list[dict[int, cp_model.IntVar]] = []
    for m in range(n):
        row = {s: model.new_bool_var(f"x{m}_{s}") for s in allowed[m]}
        model.add_exactly_one(row.values())
        x.append(row)
    # Capacity: shared tables per slot (booth meetings do not use them).
    for s in range(S):
        users = [x[m][s] for m in range(n) if problem.meetings[m].uses_table and s in x[m]]
        if len(users) > problem.tables_at(s):
            model.add(sum(users) <= problem.tables_at(s))
    # Precedences on the slot index.
    slot_expr = [sum(s * v for s, v in x[m].items()) for m in range(n)]
    for a, b in problem.precedences:
        model.add(slot_expr[a] + 1 <= slot_expr[b])

    breaks_vars: list[cp_model.IntVar] = []
    hint_breaks: list[int] = []
    for p in range(problem.n_participants):
        ms = per_p[p]
        if not ms:
            continue
        pre = problem.busy_fixed[p]
        busy: list[cp_model.IntVar | int] = []
        for s in range(S):
            terms = [x[m][s] for m in ms if s in x[m]]
            if s in pre:
                busy.append(1)
            elif not terms:
                busy.append(0)
            elif len(terms) == 1:
                busy.append(terms[0])
            else:
                bv = model.new_bool_var(f"busy{p}_{s}")
                model.add(sum(terms) == bv)
                if hb:
                    model.add_hint(bv, s in hb[p])
                busy.append(bv)
        starts: list[cp_model.LiteralT] = []
        const_starts = 0
        for s in range(S):
            cur = busy[s]
            prev = busy[s - 1] if s > 0 else 0
            if isinstance(cur, int):
                if cur == 1 and isinstance(prev, int):
                    const_starts += 1 - prev
                elif cur == 1 and not isinstance(prev, int):
                    starts.append(prev.Not())
                continue
            if isinstance(prev, int):
                # Without a possible meeting just before, a meeting at s starts a run.
                if prev == 0:
                    starts.append(cur)
                continue
            st = model.new_bool_var(f"st{p}_{s}")
            model.add_bool_or([cur.Not(), prev, st])
            model.add_implication(st, cur)
            model.add_implication(st, prev.Not())
            if hb:
                model.add_hint(st, s in hb[p] and s - 1 not in hb[p])
            starts.append(st)
        n_busy = len(ms) + len(pre)
        nb = model.new_int_var(0, max(0, n_busy - 1), f"breaks{p}")
        model.add(sum(starts) + const_starts - 1 == nb)
        if hb:
            model.add_hint(nb, count_runs(hb[p]) - 1)
            hint_breaks.append(count_runs(hb[p]) - 1)
        breaks_vars.append(nb)
        if windows and n_busy > 1:
            _add_windows(model, busy, n_busy, nb, p, hb[p] if hb else None)
    # Fairness: a participant with a single meeting has 0 breaks, so with a hard bound d nobody may
    # exceed d; stating it as bounds helps presolve and the window reasoning.
    if fairness is not None and not soft_fairness and any(len(ms) == 1 for ms in per_p):
        for v in breaks_vars:
            model.add(v <= fairness)
    if m0 is not None:
        model.add(2 * slot_expr[m0] <= S - 1)
    total = sum(breaks_vars)
    objective: cp_model.LinearExprT = total
    if fairness is not None and breaks_vars:
        ub = max(1, S - 1)
        lo = model.new_int_var(0, ub, "lo")
        hi = model.new_int_var(0, ub, "hi")
        for v in breaks_vars:
            model.add(lo <= v)
            model.add(v <= hi)
        if hint_breaks:
            model.add_hint(lo, min(hint_breaks))
            model.add_hint(hi, max(hint_breaks))
        if soft_fairness:
            excess = model.new_int_var(0, ub, "excess")
            model.add(hi - lo - fairness <= excess)
            if hint_breaks:
                model.add_hint(excess, max(0, max(hint_breaks) - min(hint_breaks) - fairness))
            objective = total + 10 * excess
        else:
            model.add(hi - lo <= fairness)
    if max_total is not None:
        model.add(total <= max_total)
    model.minimize(objective)

    if start_hint is not None:
        for m in range(n):
            for s, v in x[m].items():
                model.add_hint(v, s == start_hint[m])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    for key, val in (params or {}).items():
        if isinstance(val, list):
            getattr(solver.parameters, key).extend(val)
        else:
            setattr(solver.parameters, key, val)
    code = solver.solve(model)
    has = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    slots: list[int] | None = None
    brk: int | None = None
    if has:
        slots = [next(s for s, v in x[m].items() if solver.boolean_value(v)) for m in range(n)]
        brk = int(sum(solver.value(v) for v in breaks_vars))
    lb = int(solver.best_objective_bound) if has or code == cp_model.UNKNOWN else None
    return TimingResult(
        slots=slots,
        breaks=brk,
        status=_status_name(code, has),
        proved_optimal=code == cp_model.OPTIMAL,
        lower_bound=lb,
        seconds=time.perf_counter() - t0,
    )
