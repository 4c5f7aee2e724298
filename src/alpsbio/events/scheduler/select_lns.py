"""Phase 1 by large-neighbourhood search: more meetings than the greedy, K first.

The time-indexed CP-SAT model of a 300-participant event (about 29,000 ``x[r,s]`` literals) finds
barely better selections than the greedy in a minute; small pieces of it solve in a fraction of a
second. Each step takes a participant with unscheduled requests and free slots, grows a group of
``piece_participants`` (6) through request partners, frees every meeting of the group and
re-solves exactly which of the group's requests are held and when (any slot where the other side
is free and a table or the booth is left), everything else fixed. Pieces of 6 participants gave
the most meetings per second on the benchmark (12: fewer, 24: much fewer); pieces made of two to
four whole slots (Kempe-chain exchanges) were tried and never improved the selection.

A piece is accepted when the global objective does not get worse (ties are accepted, so the
search drifts across plateaus). Objective, lexicographic through weights: total shortfall below
K, then the number of meetings, then the sum of priorities.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .compiled import Compiled


@dataclass
class LnsStats:
    steps: int = 0
    improved: int = 0
    seconds: float = 0.0
    start: tuple[int, int, int] = (0, 0, 0)  # (shortfall, meetings, weight) of the start
    end: tuple[int, int, int] = (0, 0, 0)


def selection_key(comp: Compiled, slot_of: dict[int, int]) -> tuple[int, int, int]:
    """(shortfall below K, meetings, priority weight) of a selection."""
    count = [0] * len(comp.pids)
    weight = 0
    for ci in slot_of:
        c = comp.cands[ci]
        count[c.a] += 1
        count[c.b] += 1
        weight += c.priority
    shortfall = sum(max(0, t - n) for t, n in zip(comp.target, count, strict=True))
    return shortfall, len(slot_of), weight


def _better_or_equal(
    new: tuple[int, int, int], old: tuple[int, int, int], objective: str = "meetings"
) -> bool:
    if objective == "priority":  # shortfall, then priority weight, then meetings
        return (-new[0], new[2], new[1]) >= (-old[0], old[2], old[1])
    return (-new[0], new[1], new[2]) >= (-old[0], old[1], old[2])


class _State:
    def __init__(self, comp: Compiled, slot_of: dict[int, int]) -> None:
        self.comp = comp
        self.slot_of = dict(slot_of)
        self.at: list[dict[int, int]] = [{} for _ in comp.pids]  # participant -> slot -> cand
        self.tables = [0] * comp.n_slots
        self.count = [0] * len(comp.pids)
        for ci, s in slot_of.items():
            self._add(ci, s)

    def _add(self, ci: int, s: int) -> None:
        c = self.comp.cands[ci]
        self.at[c.a][s] = ci
        self.at[c.b][s] = ci
        self.count[c.a] += 1
        self.count[c.b] += 1
        if c.booth is None:
            self.tables[s] += 1
        self.slot_of[ci] = s

    def _remove(self, ci: int) -> None:
        c = self.comp.cands[ci]
        s = self.slot_of.pop(ci)
        del self.at[c.a][s]
        del self.at[c.b][s]
        self.count[c.a] -= 1
        self.count[c.b] -= 1
        if c.booth is None:
            self.tables[s] -= 1

    def apply(self, freed: list[int], new: dict[int, int]) -> None:
        for ci in freed:
            self._remove(ci)
        for ci, s in new.items():
            self._add(ci, s)


def _solve_piece(
    st: _State,
    freed: set[int],
    cands: list[int],
    time_limit: float,
    seed: int,
) -> dict[int, int] | None:
    """Best placement of ``cands`` (which include ``freed``) with everything else fixed.

    Returns candidate -> slot for the chosen ones, or None when CP-SAT found nothing (the caller
    then keeps the current state).
    """
    comp = st.comp
    model = cp_model.CpModel()
    residual = [comp.n_tables - used for used in st.tables]  # free tables per slot
    for ci in freed:
        if comp.cands[ci].booth is None:
            residual[st.slot_of[ci]] += 1
    x: dict[int, dict[int, cp_model.IntVar]] = {}
    per_ps: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    per_s: dict[int, list[cp_model.IntVar]] = {}
    y: dict[int, cp_model.IntVar] = {}
    for ci in cands:
        c = comp.cands[ci]
        if c.pin_slot is not None and ci not in freed:
            continue
        row: dict[int, cp_model.IntVar] = {}
        for s in comp.allowed(c):
            oa = st.at[c.a].get(s)
            ob = st.at[c.b].get(s)
            if (oa is not None and oa not in freed) or (ob is not None and ob not in freed):
                continue
            if c.booth is None and residual[s] <= 0:
                continue
            v = model.new_bool_var("")
            row[s] = v
            per_ps.setdefault((c.a, s), []).append(v)
            per_ps.setdefault((c.b, s), []).append(v)
            if c.booth is None:
                per_s.setdefault(s, []).append(v)
        if not row:
            if ci in freed:
                return None  # cannot happen (its own slot is free), but never lose a meeting
            continue
        yy = model.new_bool_var("")
        model.add(sum(row.values()) == yy)
        y[ci] = yy
        x[ci] = row
        cur = st.slot_of.get(ci) if ci in freed else None
        for s, v in row.items():
            model.add_hint(v, s == cur)
        model.add_hint(yy, cur is not None)
    for vs in per_ps.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    for s, vs in per_s.items():
        if len(vs) > residual[s]:
            model.add(sum(vs) <= residual[s])
    # Participants touched: their count = fixed meetings + chosen ones in the piece.
    touched: dict[int, list[cp_model.IntVar]] = {}
    for ci, yy in y.items():
        c = comp.cands[ci]
        touched.setdefault(c.a, []).append(yy)
        touched.setdefault(c.b, []).append(yy)
    n_free: dict[int, int] = {}
    for ci in freed:
        c = comp.cands[ci]
        n_free[c.a] = n_free.get(c.a, 0) + 1
        n_free[c.b] = n_free.get(c.b, 0) + 1
    total_priority = 3 * len(y) + 1
    if comp.event.objective == "meetings":
        w_meeting, w_short = total_priority, total_priority * (len(y) + 1)
    else:
        w_meeting, w_short = 0, total_priority
    shortfall = []
    for p, vs in touched.items():
        fixed = st.count[p] - n_free.get(p, 0)
        need = comp.target[p] - fixed
        if need <= 0:
            continue
        sf = model.new_int_var(0, need, "")
        model.add(sf >= need - sum(vs))
        shortfall.append(sf)
    model.maximize(
        sum((w_meeting + comp.cands[ci].priority) * yy for ci, yy in y.items())
        - w_short * sum(shortfall)
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    # The full LP relaxation (odd-cycle-free pieces are near-integral) proves a piece optimal in
    # tens of milliseconds; with the default level most pieces of 6 participants ran into the
    # time limit unproved (17 benchmark pieces: 17 proved in 0.8 s of CPU against 1).
    solver.parameters.linearization_level = 2
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[int, int] = {}
    for ci, row in x.items():
        for s, v in row.items():
            if solver.boolean_value(v):
                out[ci] = s
    return out


def lns_select(
    comp: Compiled,
    slot_of: dict[int, int],
    time_limit: float,
    seed: int = 0,
    step_limit: float = 0.3,
    piece_participants: int = 6,
) -> tuple[dict[int, int], LnsStats]:
    """Improve a valid selection (candidate -> slot); never returns a worse one."""
    t0 = time.perf_counter()
    t_end = t0 + time_limit
    rng = random.Random(seed)
    st = _State(comp, slot_of)
    stats = LnsStats()
    best = selection_key(comp, st.slot_of)
    stats.start = best
    per_p = comp.by_participant()
    n_p = len(comp.pids)
    stuck: set[int] = set()
    fails: Counter[int] = Counter()
    while time.perf_counter() < t_end - 0.05:
        # A piece around someone with unscheduled requests and free slots, grown breadth-first
        # through request partners (scheduled or not) up to ``piece_participants``.
        hungry = [
            p
            for p in range(n_p)
            if st.count[p] < len(comp.avail[p]) and any(ci not in st.slot_of for ci in per_p[p])
        ]
        if not hungry:
            break
        stats.steps += 1
        # Half of the pieces start at someone still under K while there is such a participant
        # not stuck (three pieces from it that did not lower the shortfall; without this, half of
        # the steps on the 1,000-participant benchmark went to two participants who stayed under).
        under = [p for p in hungry if st.count[p] < comp.target[p] and p not in stuck]
        from_under = bool(under) and rng.random() < 0.5
        p0 = rng.choice(under if from_under else hungry)
        group = [p0]
        seen = {p0}
        frontier = [p0]
        while frontier and len(group) < piece_participants:
            p = frontier.pop(0)
            nbrs = [comp.cands[ci].a ^ comp.cands[ci].b ^ p for ci in per_p[p]]
            rng.shuffle(nbrs)
            for q in nbrs:
                if q not in seen and len(group) < piece_participants:
                    seen.add(q)
                    group.append(q)
                    frontier.append(q)
        freed = {ci for p in group for ci in st.at[p].values() if comp.cands[ci].pin_slot is None}
        cands = sorted({ci for p in group for ci in per_p[p]} - set(st.slot_of) | freed)
        left = t_end - time.perf_counter()
        if left < 0.05:
            break
        new = _solve_piece(st, freed, cands, min(step_limit, left), stats.steps)
        if new is None:
            continue
        trial = dict(st.slot_of)
        for ci in freed:
            del trial[ci]
        trial.update(new)
        key = selection_key(comp, trial)
        if from_under and key[0] >= best[0]:
            fails[p0] += 1
            if fails[p0] >= 3:
                stuck.add(p0)
        if _better_or_equal(key, best, comp.event.objective):
            if key != best:
                stats.improved += 1
            st.apply(sorted(freed), new)
            best = key
    stats.end = best
    stats.seconds = time.perf_counter() - t0
    return st.slot_of, stats
