"""Phase 2 (B2BSOP timing): the CP-SAT model against brute force, the checker, the greedy."""

from __future__ import annotations

import itertools
import random

import pytest

from alpsbio.events.scheduler.checker import check_timing, count_breaks, idle_slots
from alpsbio.events.scheduler.cpsat_timing import solve_timing
from alpsbio.events.scheduler.greedy_timing import greedy_timing
from alpsbio.events.scheduler.timing import Session, TimedMeeting, TimingProblem


def brute_force(prob: TimingProblem, fairness: int | None) -> int | None:
    best: int | None = None
    choices = [prob.allowed_slots(m) for m in range(len(prob.meetings))]
    for slots in itertools.product(*choices):
        rep = check_timing(prob, list(slots), fairness)
        if rep.valid and (best is None or rep.total_breaks < best):
            best = rep.total_breaks
    return best


def random_problem(rng: random.Random) -> TimingProblem:
    n_p, n_s = rng.randint(3, 5), rng.randint(3, 5)
    pairs = [(a, b) for a in range(n_p) for b in range(a + 1, n_p)]
    chosen = rng.sample(pairs, min(len(pairs), rng.randint(3, 6)))
    meetings = [TimedMeeting(a, b, Session(rng.choice((1, 2, 3, 3)))) for a, b in chosen]
    forbidden = [
        frozenset(rng.sample(range(n_s), 1)) if rng.random() < 0.3 else frozenset()
        for _ in range(n_p)
    ]
    precedences = [(0, 1)] if rng.random() < 0.3 and len(meetings) > 1 else []
    return TimingProblem(
        n_p, n_s, rng.randint(1, n_s), rng.randint(1, 3), meetings, forbidden, precedences
    )


def test_count_breaks_and_idle() -> None:
    assert count_breaks([]) == 0
    assert count_breaks([3]) == 0
    assert count_breaks([1, 2, 3]) == 0
    assert count_breaks([0, 2, 3, 6]) == 2  # idle runs {1} and {4, 5}
    assert idle_slots([0, 2, 3, 6]) == 3


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fairness", [None, 0])
def test_cpsat_matches_brute_force(seed: int, fairness: int | None) -> None:
    prob = random_problem(random.Random(seed))
    expected = brute_force(prob, fairness)
    res = solve_timing(prob, time_limit=10, fairness=fairness, workers=1)
    if expected is None:
        assert res.status == "infeasible"
        assert res.slots is None
    else:
        assert res.proved_optimal
        assert res.breaks == expected
        assert check_timing(prob, res.slots, fairness).valid


def test_forced_break_and_fairness_infeasible() -> None:
    # Participant 0 meets 1, 2, 3 in 4 slots but is forbidden in slot 2 (index 1) and the first
    # meeting is fixed at slot 1: a break is unavoidable.
    prob = TimingProblem(
        4, 4, 4, 3,
        [TimedMeeting(0, 1, fixed_slot=0), TimedMeeting(0, 2), TimedMeeting(0, 3)],
        forbidden=[frozenset({1}), frozenset(), frozenset(), frozenset()],
    )  # fmt: skip
    res = solve_timing(prob, time_limit=5, fairness=2, workers=1)
    assert res.breaks == 1
    assert res.proved_optimal
    # With d = 0 participant 0's break cannot be matched by the others: infeasible.
    assert solve_timing(prob, time_limit=5, fairness=0, workers=1).status == "infeasible"


def test_checker_catches_each_violation() -> None:
    prob = TimingProblem(
        3, 3, 1, 1,
        [TimedMeeting(0, 1, Session.MORNING), TimedMeeting(0, 2, fixed_slot=2), TimedMeeting(1, 2)],
        forbidden=[frozenset(), frozenset({1}), frozenset()],
        precedences=[(2, 0)],
    )  # fmt: skip
    errors = check_timing(prob, [1, 1, 1], fairness=None).errors
    text = "\n".join(errors)
    for needle in (
        "morning meeting in afternoon",
        "fixed at slot 3",
        "forbidden at slot 2",
        "2 meetings in slot 2",
        "3 meetings for 1 tables",
        "not before",
    ):
        assert needle in text, needle
    assert not check_timing(prob, [0, 2, 1], fairness=None).errors[:0]


def test_greedy_is_valid_when_it_succeeds() -> None:
    for seed in range(20):
        prob = random_problem(random.Random(100 + seed))
        slots = greedy_timing(prob)
        if slots is not None:
            assert check_timing(prob, slots, fairness=None).valid


def test_busy_fixed_slots_count_in_breaks() -> None:
    # Participant 0 already meets someone outside this piece in slot 1: the free meeting goes
    # next to it (slot 2), not to slot 3 (which would make a break).
    prob = TimingProblem(
        2, 3, 3, 1, [TimedMeeting(0, 1)],
        forbidden=[frozenset(), frozenset({0})],
        busy_fixed=[frozenset({0}), frozenset()],
    )  # fmt: skip
    res = solve_timing(prob, time_limit=5, fairness=None, workers=1)
    assert res.slots == [1]
    assert res.breaks == 0


def test_lns_never_worsens_and_stays_valid() -> None:
    from alpsbio.events.scheduler.lns import _objective, lns_timing

    rng = random.Random(7)
    n_p, n_s = 12, 6
    pairs = rng.sample([(a, b) for a in range(n_p) for b in range(a + 1, n_p)], 24)
    prob = TimingProblem(n_p, n_s, 3, 6, [TimedMeeting(a, b) for a, b in pairs])
    start = greedy_timing(prob)
    assert start is not None
    before = _objective(prob, start, 2)
    slots, _ = lns_timing(prob, start, time_limit=1.0, fairness=2)
    assert check_timing(prob, slots, fairness=None).valid
    after = _objective(prob, slots, 2)
    assert before is not None
    assert after is not None
    assert after <= before
