"""Large-neighbourhood search for the timing of big events (phase 2 beyond a few hundred meetings).

The full CP-SAT model of a 300-participant event needs seconds just to presolve and its built-in
LNS moves slowly; small sub-problems solve to optimality in milliseconds. Each step frees the
meetings of a few participants (one with breaks and some of its partners), keeps everything else
fixed (their meetings become fixed meetings, the tables they use shrink the capacity), re-solves
that piece exactly with the same CP-SAT timing model and keeps the result if the global objective
(breaks + 10 x fairness excess) does not get worse.
"""

from __future__ import annotations

import random
import time

from .checker import check_timing
from .cpsat_timing import solve_timing
from .timing import TimedMeeting, TimingProblem


def _objective(problem: TimingProblem, slots: list[int], fairness: int | None) -> int | None:
    rep = check_timing(problem, slots, fairness=None)
    if not rep.valid:
        return None
    counted = [
        b for b, ms in zip(rep.breaks_per_participant, problem.meetings_of(), strict=True) if ms
    ]
    spread = max(counted, default=0) - min(counted, default=0)
    excess = max(0, spread - fairness) if fairness is not None else 0
    return rep.total_breaks + 10 * excess


def lns_timing(
    problem: TimingProblem,
    slots: list[int],
    time_limit: float,
    fairness: int | None = 2,
    seed: int = 0,
    free_participants: int = 6,
    step_limit: float = 2.0,
) -> tuple[list[int], int]:
    """Improve a valid timing; returns (slots, steps). Never returns a worse or invalid timing."""
    t_end = time.perf_counter() + time_limit
    rng = random.Random(seed)
    cur = list(slots)
    best = _objective(problem, cur, fairness)
    if best is None:
        return cur, 0
    per_p = problem.meetings_of()
    steps = 0
    while time.perf_counter() < t_end - 0.3:
        steps += 1
        busy: list[set[int]] = [set() for _ in range(problem.n_participants)]
        for mt, s in zip(problem.meetings, cur, strict=True):
            busy[mt.a].add(s)
            busy[mt.b].add(s)
        breaks = [sum(1 for s in b if s - 1 not in b) - 1 if b else 0 for b in busy]
        with_breaks = [p for p, b in enumerate(breaks) if b > 0]
        if not with_breaks:
            break
        p0 = rng.choice(with_breaks)
        partners = sorted({problem.meetings[m].a ^ problem.meetings[m].b ^ p0 for m in per_p[p0]})
        rng.shuffle(partners)
        chosen = {p0, *partners[: free_participants - 1]}
        free = sorted(
            {m for p in chosen for m in per_p[p] if problem.meetings[m].fixed_slot is None}
        )
        touched = sorted({q for m in free for q in (problem.meetings[m].a, problem.meetings[m].b)})
        # Sub-problem: the free meetings only; the touched participants' other meetings become
        # fixed busy slots (they count in breaks) and every other meeting only uses capacity.
        local = {q: i for i, q in enumerate(touched)}
        free_set = set(free)
        sub_meetings = [
            TimedMeeting(
                local[problem.meetings[m].a],
                local[problem.meetings[m].b],
                problem.meetings[m].session,
                None,
                problem.meetings[m].uses_table,
            )
            for m in free
        ]
        cap = [problem.tables_at(s) for s in range(problem.n_slots)]
        for m, mt in enumerate(problem.meetings):
            if mt.uses_table and m not in free_set:
                cap[cur[m]] -= 1
        pre = [frozenset(cur[m] for m in per_p[q] if m not in free_set) for q in touched]
        sub = TimingProblem(
            n_participants=len(touched),
            n_slots=problem.n_slots,
            n_morning=problem.n_morning,
            n_tables=problem.n_tables,
            meetings=sub_meetings,
            forbidden=[problem.forbidden[q] for q in touched],
            precedences=[],
            capacity=cap,
            busy_fixed=pre,
        )
        res = solve_timing(
            sub,
            time_limit=min(step_limit, max(0.2, t_end - time.perf_counter())),
            fairness=None,
            workers=1,
            hint=[cur[m] for m in free],
            seed=steps,
        )
        if res.slots is None:
            continue
        cand = list(cur)
        for m, s in zip(free, res.slots, strict=True):
            cand[m] = s
        val = _objective(problem, cand, fairness)
        if val is not None and val <= best:
            cur, best = cand, val
    return cur, steps
