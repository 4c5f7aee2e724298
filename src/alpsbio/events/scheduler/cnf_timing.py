"""The paper's clause (MaxSAT) encoding of the timing problem (B2BSOP, Bofill et al., JAIR 2022).

Pure Python, no solver here: :mod:`.portfolio_timing` adds ``total breaks <= k`` and hands the
clauses to Kissat or CaDiCaL (python-sat) as SAT probes. (RC2, a core-guided MaxSAT solver, ran
on this encoding before; the pseudo-Boolean model proves the same bounds faster.)

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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .cpsat_timing import _reversible
from .timing import TimingProblem


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


class Cnf(NamedTuple):
    """The clause encoding: hard clauses, soft literals (one per possible break, weight 1), the
    ``x[m,t]`` literals, and the break literals of each participant who can have breaks."""

    hard: list[list[int]]
    soft: list[int]
    x: dict[tuple[int, int], int]
    holes: list[list[int]]


def encode(
    problem: TimingProblem,
    fairness: int | None = 2,
    implied: bool = False,
    symmetry: bool = True,
    windows: bool = False,
    cap_each: bool = False,
) -> Cnf | None:
    """The clause encoding of ``problem``; None if a meeting has no allowed slot.

    ``cap_each`` states fairness as "nobody above d", which is exact whenever somebody is known
    to have no break (the SAT probes with few breaks in all), and far smaller.
    """
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
        if single or cap_each:
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
    return Cnf(hard, soft, x, [h for _, h in counts])
