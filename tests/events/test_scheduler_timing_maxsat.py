"""The MaxSAT (RC2) timing model against brute force, and the CP-SAT stop hook of the portfolio."""

from __future__ import annotations

import random

import pytest

from alpsbio.events.scheduler.checker import check_timing
from alpsbio.events.scheduler.cpsat_timing import Stopper, solve_timing
from alpsbio.events.scheduler.timing import Session, TimedMeeting, TimingProblem

from .test_scheduler_timing import brute_force, random_problem

pytest.importorskip("pysat")

from alpsbio.events.scheduler.maxsat_timing import encode, solve_timing_maxsat


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fairness", [None, 0, 1])
def test_maxsat_matches_brute_force(seed: int, fairness: int | None) -> None:
    prob = random_problem(random.Random(seed))
    expected = brute_force(prob, fairness)
    res = solve_timing_maxsat(prob, time_limit=30, fairness=fairness)
    if expected is None:
        assert res.status == "infeasible"
        assert res.slots is None
    else:
        assert res.status == "optimal"
        assert res.breaks == expected
        rep = check_timing(prob, res.slots, fairness)
        assert rep.valid, rep.errors
        assert rep.total_breaks == expected


def test_fairness_without_single_meeting_participants() -> None:
    # Everybody has two meetings, so the minimum is not forced to 0: the general max-min encoding.
    # Participant 0 must have a break (slots 0 and 2 only); with d = 0 everybody needs one.
    meetings = [
        TimedMeeting(0, 1, fixed_slot=0),
        TimedMeeting(0, 2, fixed_slot=2),
        TimedMeeting(1, 3),
        TimedMeeting(2, 3),
    ]
    prob = TimingProblem(4, 4, 4, 2, meetings)
    for d in (0, 1, None):
        expected = brute_force(prob, d)
        res = solve_timing_maxsat(prob, time_limit=30, fairness=d)
        assert res.breaks == expected, d
        assert check_timing(prob, res.slots, d).valid


def test_precedences_and_sessions_are_encoded() -> None:
    # Meeting 1 (afternoon) must come before meeting 0 (either): meeting 0 lands in the afternoon.
    prob = TimingProblem(
        3,
        4,
        2,
        2,
        [TimedMeeting(0, 1, Session.EITHER), TimedMeeting(0, 2, Session.AFTERNOON)],
        precedences=[(1, 0)],
    )
    res = solve_timing_maxsat(prob, time_limit=30)
    assert res.slots is not None
    assert res.slots[1] < res.slots[0]
    assert res.slots[0] >= 2
    assert res.breaks == 0


def test_empty_domain_is_infeasible_without_solving() -> None:
    prob = TimingProblem(
        2, 2, 1, 1, [TimedMeeting(0, 1, Session.MORNING)], forbidden=[frozenset({0}), frozenset()]
    )
    assert encode(prob) is None
    assert solve_timing_maxsat(prob, time_limit=5).status == "infeasible"


def test_stopped_cpsat_returns_at_once() -> None:
    prob = random_problem(random.Random(3))
    stopper = Stopper()
    stopper.stop()
    res = solve_timing(prob, time_limit=10, workers=1, stopper=stopper)
    assert res.status == "unknown"
    assert res.slots is None
