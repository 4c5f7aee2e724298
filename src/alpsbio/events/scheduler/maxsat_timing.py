"""MaxSAT model of the timing problem (B2BSOP), solved by RC2 (python-sat).

The paper's best approach (Bofill et al., JAIR 2022) is a MaxSAT encoding solved by a core-guided
solver; this is that encoding, with the redundant constraints of the paper, for ``python-sat``'s
RC2 (core-guided, stratified, with core exhaustion and minimisation). Core-guided search proves
lower bounds one core at a time, so it shines where the optimum is small, which is where CP-SAT's
objective search struggles on the two-session instances.

Literals (all fully defined, both directions, which the fairness bound requires):

- ``x[m,t]``: meeting m in slot t (allowed slots only); exactly one per meeting (pairwise AMO).
- ``used[p,t] <-> OR_m x[m,t]`` over p's meetings; at most one meeting of p per slot (pairwise).
- ``held[p,t] <-> used[p,0] or ... or used[p,t]`` (p has met by slot t).
- ``hole[p,t] <-> not used[p,t] and held[p,t] and used[p,t+1]``: an idle run of p ends at t, so
  ``sum_t hole[p,t]`` = breaks of p (maximal idle runs between two meetings).
- capacity: per slot, meetings sharing a participant are mutually exclusive, so meetings are
  grouped into clusters (the paper's constraints (46)-(47)); ``active[c,t] <- x[m,t]`` and a
  sequential counter ``sum_c active[c,t] <= tables``.
- redundant (paper's (43)): ``sum_t used[p,t] = |meetings of p|``.
- fairness d: when some participant counted by the checker has at most one meeting the minimum is
  0, so ``sum_t hole[p,t] <= d`` for each p. Otherwise exact unary counters ``ge[p,k]`` (p has at
  least k breaks) with ``ge[p,k+d] -> ge[q,k]`` for all p, q (via a shared max/min literal).
- soft: ``not hole[p,t]`` with weight 1 each.

RC2's first model is optimal. It cannot be interrupted cleanly, so it runs in a child process
(:func:`solve_timing_maxsat`) that is killed at the time limit.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Sequence
from typing import Any

import pysat  # noqa: F401  (ImportError here lets the caller fall back to CP-SAT alone)

from .cpsat_timing import _reversible
from .timing import TimingProblem, TimingResult


class _Pool:
    def __init__(self) -> None:
        self.top = 0

    def new(self) -> int:
        self.top += 1
        return self.top


def _amo_pairwise(lits: Sequence[int], out: list[list[int]]) -> None:
    for i in range(len(lits)):
        for j in range(i + 1, len(lits)):
            out.append([-lits[i], -lits[j]])


def _seq_atmost(lits: Sequence[int], k: int, pool: _Pool, out: list[list[int]]) -> None:
    """Sinz's sequential counter: at most k of ``lits`` true."""
    n = len(lits)
    if k >= n:
        return
    if k == 0:
        out.extend([[-v] for v in lits])
        return
    s = [[pool.new() for _ in range(k)] for _ in range(n - 1)]
    out.append([-lits[0], s[0][0]])
    for j in range(1, k):
        out.append([-s[0][j]])
    for i in range(1, n - 1):
        out.append([-lits[i], s[i][0]])
        out.append([-s[i - 1][0], s[i][0]])
        for j in range(1, k):
            out.append([-lits[i], -s[i - 1][j - 1], s[i][j]])
            out.append([-s[i - 1][j], s[i][j]])
        out.append([-lits[i], -s[i - 1][k - 1]])
    out.append([-lits[n - 1], -s[n - 2][k - 1]])


def _sorted(lits: Sequence[int], pool: _Pool, out: list[list[int]]) -> list[int]:
    """Batcher odd-even merge sort with exact comparators: ``res[k-1] <-> at least k true``."""
    if len(lits) <= 1:
        return list(lits)
    size = 1
    while size < len(lits):
        size *= 2
    false = pool.new()
    out.append([-false])
    wires = list(lits) + [false] * (size - len(lits))

    def compare(i: int, j: int) -> None:
        a, b = wires[i], wires[j]
        hi, lo = pool.new(), pool.new()
        out.extend([[-a, hi], [-b, hi], [a, b, -hi], [a, -lo], [b, -lo], [-a, -b, lo]])
        wires[i], wires[j] = hi, lo

    def merge(lo: int, n: int, r: int) -> None:
        step = r * 2
        if step < n:
            merge(lo, n, step)
            merge(lo + r, n, step)
            for i in range(lo + r, lo + n - r, step):
                compare(i, i + r)
        else:
            compare(lo, lo + r)

    def sort(lo: int, n: int) -> None:
        if n > 1:
            half = n // 2
            sort(lo, half)
            sort(lo + half, half)
            merge(lo, n, 1)

    sort(0, size)
    return wires[: len(lits)]


def _unary_counts(lits: Sequence[int], kmax: int, pool: _Pool, out: list[list[int]]) -> list[int]:
    """``ge[k-1] <-> at least k of lits`` for k = 1..kmax (exact, both directions)."""
    true = pool.new()
    out.append([true])
    prev = [true] + [-true] * kmax  # prev[k]: at least k among the first i literals
    for v in lits:
        cur = [true]
        for k in range(1, kmax + 1):
            c = pool.new()
            a, b = prev[k], prev[k - 1]
            # c <-> a or (b and v)
            out.append([-a, c])
            out.append([-b, -v, c])
            out.append([-c, a, b])
            out.append([-c, a, v])
            cur.append(c)
        prev = cur
    return prev[1:]


def _clusters(problem: TimingProblem, meetings: Sequence[int]) -> list[list[int]]:
    """Greedy partition of meetings into groups that share a participant (paper's (46))."""
    left = set(meetings)
    per_p = problem.meetings_of()
    out: list[list[int]] = []
    while left:
        best: list[int] = []
        for ms in per_p:
            cand = [m for m in ms if m in left]
            if len(cand) > len(best):
                best = cand
        if not best:
            best = [min(left)]
        out.append(best)
        left.difference_update(best)
    return out


def encode(
    problem: TimingProblem,
    fairness: int | None = 2,
    implied: bool = False,
    symmetry: bool = True,
    windows: bool = False,
) -> tuple[list[list[int]], list[int], dict[tuple[int, int], int]] | None:
    """Hard clauses, soft literals (weight 1 each) and the ``x`` literals; None if trivially UNSAT."""
    pool = _Pool()
    hard: list[list[int]] = []
    n = len(problem.meetings)
    S = problem.n_slots
    allowed = [problem.allowed_slots(m) for m in range(n)]
    if any(not al for al in allowed):
        return None
    x: dict[tuple[int, int], int] = {}
    for m in range(n):
        lits = []
        for t in allowed[m]:
            x[m, t] = pool.new()
            lits.append(x[m, t])
        hard.append(lits)
        _amo_pairwise(lits, hard)
    per_p = problem.meetings_of()
    if symmetry and _reversible(problem) and n:
        # Reversing time maps timings to timings of equal cost: keep the half where the first
        # meeting of a busiest (not full) participant is in the first half of the day.
        busiest = max(range(problem.n_participants), key=lambda q: len(per_p[q]))
        if 0 < len(per_p[busiest]) < S:
            m0 = per_p[busiest][0]
            hard.extend([-x[m0, t]] for t in allowed[m0] if 2 * t > S - 1)
    for a, b in problem.precedences:
        # a strictly before b: x[a,ta] -> not x[b,tb] for tb <= ta
        for ta in allowed[a]:
            for tb in allowed[b]:
                if tb <= ta:
                    hard.append([-x[a, ta], -x[b, tb]])
    # Capacity through clusters of mutually exclusive meetings.
    table_ms = [m for m in range(n) if problem.meetings[m].uses_table]
    clusters = _clusters(problem, table_ms)
    for t in range(S):
        act: list[int] = []
        for cl in clusters:
            xs = [x[m, t] for m in cl if (m, t) in x]
            if not xs:
                continue
            if len(xs) == 1:
                act.append(xs[0])
                continue
            a = pool.new()
            for v in xs:
                hard.append([-v, a])
            act.append(a)
        _seq_atmost(act, problem.tables_at(t), pool, hard)
    used_at: list[list[int]] = [[] for _ in range(S)]
    soft: list[int] = []
    counts: list[tuple[int, list[int]]] = []
    single = False
    for p in range(problem.n_participants):
        ms = per_p[p]
        pre = problem.busy_fixed[p]
        n_busy = len(ms) + len(pre)
        if not ms:
            continue
        if n_busy <= 1:
            single = True
        used: list[int | bool] = []
        for t in range(S):
            xs = [x[m, t] for m in ms if (m, t) in x]
            if t in pre:
                used.append(True)
            elif not xs:
                used.append(False)
            else:
                _amo_pairwise(xs, hard)
                lit = xs[0]
                if len(xs) > 1:
                    lit = pool.new()
                    hard.append([-lit, *xs])
                    for v in xs:
                        hard.append([-v, lit])
                used.append(lit)
                used_at[t].append(lit)
        var_used = [u for u in used if not isinstance(u, bool)]
        n_var_busy = n_busy - sum(1 for u in used if u is True)
        if 0 < n_var_busy < len(var_used) and len(var_used) > 1:
            # redundant (43): exactly n_var_busy of the variable slots are busy
            _seq_atmost(var_used, n_var_busy, pool, hard)
            _seq_atmost([-v for v in var_used], len(var_used) - n_var_busy, pool, hard)
        if n_busy <= 1:
            continue
        holes: list[int] = []
        held: int | bool = False
        for t in range(S):
            u = used[t]
            # held_t <-> held_{t-1} or used_t
            if u is True or held is True:
                new_held: int | bool = True
            elif u is False:
                new_held = held
            elif held is False:
                new_held = u
            else:
                h = pool.new()
                hard.append([-h, held, u])
                hard.append([-held, h])
                hard.append([-u, h])
                new_held = h
            held = new_held
            if t + 1 >= S:
                break
            nxt = used[t + 1]
            if u is True or held is False or nxt is False:
                continue
            # hole <-> not u and held and nxt
            conj: list[int] = []
            if u is not False:
                conj.append(-u)
            if held is not True:
                conj.append(held)
            if nxt is not True:
                conj.append(nxt)
            hv = pool.new()
            for c in conj:
                hard.append([-hv, c])
            hard.append([hv, *[-c for c in conj]])
            holes.append(hv)
        soft.extend(holes)
        counts.append((n_busy, holes))
        if windows and holes and n_busy < S:
            # redundant (the CP-SAT model's windows): without holes p's meetings fill one window
            # of n_busy consecutive slots. zero -> exactly one window; window -> busy on it.
            zero = pool.new()
            for hv in holes:
                hard.append([-zero, -hv])
            hard.append([zero, *holes])
            wins: list[int] = []
            for f in range(S - n_busy + 1):
                span = used[f : f + n_busy]
                if any(u is False for u in span):
                    continue
                w = pool.new()
                wins.append(w)
                hard.append([-w, zero])
                for u in span:
                    if u is not True:
                        hard.append([-w, u])
            hard.append([-zero, *wins])
            _amo_pairwise(wins, hard)
    if implied and all(mt.uses_table for mt in problem.meetings) and not any(problem.busy_fixed):
        # redundant (44), (45): at most two busy participants per table in a slot, and an even
        # number of them (each meeting has two), on the outputs of a sorting network
        for t in range(S):
            cap = 2 * problem.tables_at(t)
            srt = _sorted(used_at[t], pool, hard)
            if len(srt) > cap:
                hard.append([-srt[cap]])
            for i in range(0, min(cap, len(srt)), 2):
                hard.append([-srt[i], srt[i + 1]] if i + 1 < len(srt) else [-srt[i]])
    if fairness is not None:
        if single:
            for _, holes in counts:
                _seq_atmost(holes, fairness, pool, hard)
        elif counts:
            kmax = max(len(h) for _, h in counts)
            ge = [_unary_counts(h, kmax, pool, hard) for _, h in counts]
            for k in range(1, kmax - fairness + 1):
                # max >= k + d -> min >= k
                hi = pool.new()
                lo = pool.new()
                for g in ge:
                    hard.append([-g[k + fairness - 1], hi])
                    hard.append([-lo, g[k - 1]])
                hard.append([-hi, lo])
    return hard, soft, x


def _rc2_worker(
    hard: list[list[int]], soft: list[int], conn: Any, solver: str
) -> None:  # pragma: no cover - runs in a child process
    from pysat.examples.rc2 import RC2
    from pysat.formula import WCNF

    class _RC2(RC2):
        """RC2 that reports its lower bound (the cost of the cores so far) after each core."""

        sent = -1

        def process_core(self) -> None:
            super().process_core()
            if self.cost > self.sent:
                self.sent = self.cost
                conn.send(("lb", int(self.cost)))

    w = WCNF()
    for c in hard:
        w.append(c)
    for v in soft:
        w.append([-v], weight=1)
    with _RC2(w, solver=solver, adapt=True, exhaust=True, minz=True, trim=5) as rc2:
        model = rc2.compute()
        conn.send(("end", None if model is None else (list(model), int(rc2.cost))))
    conn.close()


class MaxSatRun:
    """RC2 on one instance in a child process; :meth:`wait` collects the answer or times out."""

    def __init__(self, problem: TimingProblem, fairness: int | None = 2, solver: str = "g4"):
        self.t0 = time.perf_counter()
        self.problem = problem
        self.result: TimingResult | None = None
        self.lower_bound = 0
        enc = encode(problem, fairness)
        self._proc: Any = None
        if enc is None:
            self.result = self._make(None, None, "infeasible")
            return
        hard, soft, self._x = enc
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_rc2_worker, args=(hard, soft, child, solver), daemon=True)
        self._proc.start()
        child.close()

    def _make(self, slots: list[int] | None, cost: int | None, status: str) -> TimingResult:
        proved = status in ("optimal", "infeasible")
        secs = time.perf_counter() - self.t0
        return TimingResult(slots, cost, status, proved, cost, secs, "maxsat")

    def wait(self, timeout: float) -> TimingResult | None:
        """The answer if it arrives within ``timeout`` seconds (then the child is gone), else None.

        Meanwhile :attr:`lower_bound` follows RC2's proved lower bound, core by core.
        """
        if self.result is not None or self._proc is None:
            return self.result
        deadline = time.perf_counter() + max(0.0, timeout)
        while True:
            try:
                if not self._conn.poll(max(0.0, deadline - time.perf_counter())):
                    return None
                kind, got = self._conn.recv()
            except (EOFError, OSError):
                self.result = self._make(None, None, "unknown")
                self.close()
                return self.result
            if kind == "lb":
                self.lower_bound = max(self.lower_bound, got)
                continue
            break
        if got is None:
            self.result = self._make(None, None, "infeasible")
        else:
            model, cost = got
            true = {v for v in model if v > 0}
            slots = [-1] * len(self.problem.meetings)
            for (m, t), v in self._x.items():
                if v in true:
                    slots[m] = t
            self.lower_bound = cost
            self.result = self._make(slots, cost, "optimal")
        self.close()
        return self.result

    def close(self) -> None:
        """Kill the child if it still runs."""
        if self._proc is None:
            return
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(1.0)
        self._conn.close()
        self._proc = None


def solve_timing_maxsat(
    problem: TimingProblem,
    time_limit: float = 60.0,
    fairness: int | None = 2,
    solver: str = "g4",
) -> TimingResult:
    """Optimal timing by RC2 within ``time_limit`` (status "unknown" with no slots at time-out)."""
    run = MaxSatRun(problem, fairness, solver)
    try:
        res = run.wait(time_limit - (time.perf_counter() - run.t0))
    finally:
        run.close()
    return res or run._make(None, None, "unknown")
