"""Optimal timing (B2BSOP) on two cores: a pseudo-Boolean optimiser beside SAT probes.

Two engines, each in its own child process, talk to a small coordinator:

- **Exact** (cutting-planes pseudo-Boolean solver, hybrid core-guided/linear optimisation) on a
  native 0-1 linear model: capacity and "one meeting per slot" stay linear constraints, which
  is where clause encodings lose the reasoning a proof of the lower bound needs. It reports its
  proved lower bound and every better timing while it runs, in slices.
- **SAT probes** on the paper's clause encoding (:mod:`.cnf_timing`) with a totaliser
  ``total breaks <= k``, always at ``k`` = the best proved lower bound: a satisfiable probe is
  therefore optimal at once, an unsatisfiable one raises the bound by one. Kissat and CaDiCaL
  take turns when a probe runs past its budget (each finds timings the other misses), and a
  probe restarts when Exact raises the bound past it.

The answer is proved optimal as soon as a timing's breaks equal a proved bound, from either side.
Neither SAT solver can be interrupted from Python, so both engines run in forked children that
the coordinator kills when it is done.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from .checker import check_timing
from .timing import TimingProblem, TimingResult

# Probe solvers in turn, and the first budget (seconds); each switch multiplies it by 1.5.
PROBE_SOLVERS = ("kissat404", "cadical195")
PROBE_BUDGET = 12.0
EXACT_SLICE = 0.5  # seconds between two progress reports of Exact


def available() -> bool:
    """Both engines installed (``exact`` and ``python-sat``)."""
    try:
        import exact  # noqa: F401
        import pysat  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The 0-1 linear model for Exact


@dataclass
class PbModel:
    """Exact's solver with the model posted, and the names of the ``x[m,t]`` variables."""

    solver: Any
    x: dict[tuple[int, int], str]


def build_pb(
    problem: TimingProblem, fairness: int | None = 2, options: Sequence[tuple[str, str]] = ()
) -> PbModel | None:
    """Post the B2BSOP as a 0-1 linear program; None when it is infeasible on its face (a meeting
    with no allowed slot, or fixed busy slots that already break the fairness bound).

    Breaks are counted as runs: ``start[p,t] >= used[p,t] - used[p,t-1]`` (with the upper sides,
    so the count is exact), breaks of p = runs - 1; the same semantics as the clause encoding,
    where busy slots fixed outside the problem (repair pieces) count as busy. The checker sees
    only the problem's meetings, so it agrees whenever there are none (the JAIR instances).
    """
    from exact import Exact

    n, S = len(problem.meetings), problem.n_slots
    allowed = [problem.allowed_slots(m) for m in range(n)]
    if any(not al for al in allowed):
        return None
    ex = Exact([(k, v) for k, v in options])

    def var(name: str) -> str:
        ex.addVariable(name)
        return name

    def post(terms: list[tuple[int, str]], lo: int | None = None, hi: int | None = None) -> None:
        ex.addConstraint(terms, lo is not None, lo or 0, hi is not None, hi or 0)

    x = {(m, t): var(f"x{m}_{t}") for m in range(n) for t in allowed[m]}
    for m in range(n):
        post([(1, x[m, t]) for t in allowed[m]], 1, 1)
    for t in range(S):
        users = [x[m, t] for m in range(n) if problem.meetings[m].uses_table and (m, t) in x]
        if len(users) > problem.tables_at(t):
            post([(1, v) for v in users], None, problem.tables_at(t))
    for a, b in problem.precedences:
        post([(t, x[b, t]) for t in allowed[b]] + [(-t, x[a, t]) for t in allowed[a]], 1, None)

    per_p = problem.meetings_of()
    objective: list[tuple[int, str]] = []
    offset = 0
    breaks_of: list[tuple[list[tuple[int, str]], int]] = []  # (start terms, constant part)
    single = False
    for p, ms in enumerate(per_p):
        if not ms:
            continue
        pre = problem.busy_fixed[p]
        single |= len(ms) + len(pre) <= 1
        used: list[str | int] = []
        for t in range(S):
            xs = [x[m, t] for m in ms if (m, t) in x]
            if t in pre:
                used.append(1)
            elif not xs:
                used.append(0)
            else:
                u = var(f"u{p}_{t}")
                post([(1, v) for v in xs] + [(-1, u)], 0, 0)  # also: one meeting per slot
                used.append(u)
        var_used = [(1, u) for u in used if isinstance(u, str)]
        if var_used:
            post(var_used, len(ms), len(ms))  # redundant: p is busy in exactly |ms| slots
        starts: list[tuple[int, str]] = []
        const = -1  # breaks = runs - 1
        for t in range(S):
            cur, prev = used[t], used[t - 1] if t > 0 else 0
            if cur == 0 or prev == 1:
                continue
            if cur == 1 and prev == 0:
                const += 1
                continue
            st = var(f"s{p}_{t}")
            lower, rhs = [(1, st)], 1 if cur == 1 else 0  # st >= cur - prev
            if isinstance(cur, str):
                lower.append((-1, cur))
                post([(1, st), (-1, cur)], None, 0)  # a run starts only where p is busy
            if isinstance(prev, str):
                lower.append((1, prev))
                post([(1, st), (1, prev)], None, 1)  # ... and was idle just before
            post(lower, rhs, None)
            starts.append((1, st))
        objective.extend(starts)
        offset += const
        breaks_of.append((starts, const))
    if fairness is not None and breaks_of:
        if single:  # somebody has no break, so nobody may have more than d
            for starts, const in breaks_of:
                if not starts and const > fairness:
                    return None  # busy slots fixed outside the problem already break the bound
                if starts:
                    post(starts, None, fairness - const)
        else:
            top = max(len(s) for s, _ in breaks_of) + max(c for _, c in breaks_of) + 1
            ex.addVariable("lo", 0, top, "order")
            ex.addVariable("hi", 0, top, "order")
            for starts, const in breaks_of:
                post([*starts, (-1, "lo")], -const, None)
                post([*starts, (-1, "hi")], None, -const)
            post([(1, "hi"), (-1, "lo")], None, fairness)
    ex.setObjective(objective, True, offset)
    return PbModel(ex, x)


def _slots_of(chosen: Any, n: int) -> list[int]:
    """Slot per meeting from the chosen ``(meeting, slot)`` pairs."""
    slots = [-1] * n
    for m, t in chosen:
        slots[m] = t
    return slots


def _exact_worker(
    problem: TimingProblem, fairness: int | None, conn: Connection
) -> None:  # pragma: no cover - child
    model = build_pb(problem, fairness)
    if model is None:
        conn.send(("end", "infeasible"))
        return
    ex, names = model.solver, list(model.x.values())
    keys = list(model.x.keys())
    lb, best = -1, None
    while True:
        state = ex.runFull(True, EXACT_SLICE)
        if ex.hasSolution():
            val = ex.getBestSoFar()
            if best is None or val < best:
                best = val
                vals = ex.getLastSolutionFor(names)
                true = {k for k, v in zip(keys, vals, strict=True) if v}
                conn.send(("sol", _slots_of(true, len(problem.meetings))))
        dual = ex.getDualBound()
        if dual > lb:
            lb = dual
            conn.send(("lb", int(dual)))
        if state != "TIMEOUT":
            conn.send(("end", "optimal" if ex.hasSolution() else "infeasible"))
            return


def sat_probe(
    problem: TimingProblem, fairness: int | None, k: int, solver: str = PROBE_SOLVERS[0]
) -> list[int] | None:
    """A timing with at most ``k`` breaks in all (and the fairness bound), or None if none exists.

    Runs to the end (SAT solvers cannot be interrupted from Python): the portfolio calls it in a
    child process it can kill.
    """
    from pysat.card import CardEnc, EncType
    from pysat.solvers import Solver

    from .cnf_timing import encode

    # With at most k breaks in all and more than k participants, somebody has none, so the
    # fairness bound is just "nobody above d": far fewer clauses than the max-min counters.
    counted = sum(1 for ms in problem.meetings_of() if ms)
    enc = encode(problem, fairness, cap_each=fairness is not None and k < counted)
    if enc is None:
        return None
    clauses = list(enc.hard)
    if enc.soft:
        top = max(abs(lit) for c in enc.hard for lit in c)
        clauses += CardEnc.atmost(enc.soft, k, top_id=top, encoding=EncType.totalizer).clauses
    with Solver(name=solver, bootstrap_with=clauses) as sat:
        if not sat.solve():
            return None
        model = {v for v in sat.get_model() or [] if v > 0}
    return _slots_of([key for key, v in enc.x.items() if v in model], len(problem.meetings))


def _probe_worker(
    problem: TimingProblem, fairness: int | None, k: int, solver: str, conn: Connection
) -> None:  # pragma: no cover - child
    slots = sat_probe(problem, fairness, k, solver)
    conn.send(("unsat", None) if slots is None else ("sat", slots))


class _Child:
    def __init__(self, target: Any, *args: Any) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=target, args=(*args, child), daemon=True)
        self.proc.start()
        child.close()
        self.started = time.perf_counter()

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(1.0)
        self.conn.close()


def solve_timing_portfolio(
    problem: TimingProblem,
    time_limit: float = 60.0,
    fairness: int | None = 2,
    probes: bool = True,
    trace: list[str] | None = None,
) -> TimingResult:
    """Best timing within ``time_limit``; ``proved_optimal`` once breaks equal a proved bound.

    ``probes=False`` runs Exact alone (one core); ``trace`` collects a timeline of the events.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    n = len(problem.meetings)
    if any(not problem.allowed_slots(m) for m in range(n)):
        return TimingResult(None, None, "infeasible", True, None, 0.0, "exact")
    lb = 0
    best: tuple[int, list[int], str] | None = None
    status = "unknown"
    # Nobody can have more breaks than meetings - 1: a probe above this sum bounds nothing, so
    # its "no timing" means no timing at all.
    most = sum(
        max(0, len(ms) + len(problem.busy_fixed[p]) - 1)
        for p, ms in enumerate(problem.meetings_of())
        if ms
    )
    exact: _Child | None = _Child(_exact_worker, problem, fairness)
    probe: _Child | None = None
    probe_k, turn, budget = 0, 0, PROBE_BUDGET

    def note(what: str) -> None:
        if trace is not None:
            trace.append(f"{time.perf_counter() - t0:6.1f} s  {what}")

    def offer(slots: list[int], by: str) -> None:
        nonlocal best
        rep = check_timing(problem, slots, fairness)
        if rep.valid and (best is None or rep.total_breaks < best[0]):
            best = (rep.total_breaks, slots, by)
            note(f"{by}: timing with {rep.total_breaks} breaks")

    try:
        while time.perf_counter() < deadline:
            if best is not None and best[0] <= lb:
                status = "optimal"
                break
            if probes and (probe is None or probe_k < lb):
                if probe is not None:
                    probe.kill()
                probe_k = lb
                probe = _Child(_probe_worker, problem, fairness, lb, PROBE_SOLVERS[turn])
                note(f"probe k={lb} with {PROBE_SOLVERS[turn]}")
            elif probe is not None and time.perf_counter() - probe.started > budget:
                probe.kill()
                turn, budget = (turn + 1) % len(PROBE_SOLVERS), budget * 1.5
                probe = _Child(_probe_worker, problem, fairness, lb, PROBE_SOLVERS[turn])
                note(f"probe k={lb} with {PROBE_SOLVERS[turn]} (budget {budget:.0f} s)")
            conns = [c.conn for c in (exact, probe) if c is not None]
            if not conns:
                break
            ready = wait(conns, timeout=max(0.0, min(0.1, deadline - time.perf_counter())))
            for conn in cast(list[Connection], ready):
                try:
                    kind, val = cast(tuple[str, Any], conn.recv())
                except (EOFError, OSError):  # a child died (memory, signal): drop it
                    if exact is not None and conn is exact.conn:
                        exact.kill()
                        exact = None
                    elif probe is not None:
                        probe.kill()
                        probe = None
                        probes = False
                    continue
                if kind == "lb":
                    if val > lb:
                        note(f"exact: lower bound {val}")
                    lb = max(lb, val)
                elif kind == "sol":
                    offer(val, "exact")
                elif kind == "end" and val == "infeasible":
                    status = "infeasible"
                elif kind == "end":
                    if best is not None:
                        lb = max(lb, best[0])  # Exact finished: its best is optimal
                    if exact is not None:
                        exact.kill()
                    exact = None
                elif kind == "sat":
                    # probe_k is the proved bound the probe started at: this timing is optimal
                    offer(val, PROBE_SOLVERS[turn].rstrip("0123456789"))
                    if probe is not None:
                        probe.kill()
                    probe = None
                elif kind == "unsat" and probe_k >= most:
                    note(f"probe k={probe_k} (no bound): infeasible")
                    status = "infeasible"
                elif kind == "unsat":
                    note(f"probe k={probe_k}: no timing, lower bound {probe_k + 1}")
                    lb = max(lb, probe_k + 1)
                    if probe is not None:
                        probe.kill()
                    probe = None
            if status == "infeasible":
                break
        if best is not None and best[0] <= lb:
            status = "optimal"
    finally:
        for child in (exact, probe):
            if child is not None:
                child.kill()
    secs = time.perf_counter() - t0
    if status == "infeasible":
        return TimingResult(None, None, "infeasible", True, None, secs, "exact")
    if best is None:
        return TimingResult(None, None, "unknown", False, lb, secs, "exact")
    cost, slots, by = best
    return TimingResult(
        slots,
        cost,
        status if status == "optimal" else "feasible",
        status == "optimal",
        lb,
        secs,
        by,
    )
