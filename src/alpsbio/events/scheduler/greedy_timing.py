"""Fast greedy timing: instant feedback, CP-SAT hint, fallback when CP-SAT finds nothing.

Meetings go in order of fewest allowed slots, participants with most meetings first; each takes the
feasible slot that adds the fewest breaks for its two participants (ties: the slot next to their
existing meetings, then the earliest). Fixed meetings and precedences are honoured when possible.
"""

from __future__ import annotations

import itertools

from .timing import TimingProblem


def _breaks(busy: set[int]) -> int:
    if not busy:
        return 0
    ordered = sorted(busy)
    return sum(1 for a, b in itertools.pairwise(ordered) if b > a + 1)


def greedy_timing(problem: TimingProblem) -> list[int] | None:
    """A feasible timing or None if the greedy got stuck (it does not backtrack)."""
    n = len(problem.meetings)
    allowed = [problem.allowed_slots(m) for m in range(n)]
    per_p = problem.meetings_of()
    load = [len(x) for x in per_p]
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in problem.precedences:
        preds[b].append(a)
        succs[a].append(b)
    order = sorted(
        range(n),
        key=lambda m: (
            problem.meetings[m].fixed_slot is None,
            len(allowed[m]),
            -(load[problem.meetings[m].a] + load[problem.meetings[m].b]),
        ),
    )
    busy: list[set[int]] = [set() for _ in range(problem.n_participants)]
    used = [0] * problem.n_slots
    slot: list[int | None] = [None] * n
    for m in order:
        mt = problem.meetings[m]
        lo = max((s for p in preds[m] if (s := slot[p]) is not None), default=-1)
        hi = min((s for q in succs[m] if (s := slot[q]) is not None), default=problem.n_slots)
        best: tuple[int, int, int] | None = None
        best_s = -1
        for s in allowed[m]:
            if not lo < s < hi or s in busy[mt.a] or s in busy[mt.b]:
                continue
            if mt.uses_table and used[s] >= problem.tables_at(s):
                continue
            added = 0
            near = 0
            for p in (mt.a, mt.b):
                before = _breaks(busy[p])
                busy[p].add(s)
                added += _breaks(busy[p]) - before
                busy[p].discard(s)
                near += int(s - 1 in busy[p] or s + 1 in busy[p])
            key = (added, -near, s)
            if best is None or key < best:
                best, best_s = key, s
        if best is None:
            return None
        slot[m] = best_s
        busy[mt.a].add(best_s)
        busy[mt.b].add(best_s)
        if mt.uses_table:
            used[best_s] += 1
    return [s for s in slot if s is not None] if all(s is not None for s in slot) else None
