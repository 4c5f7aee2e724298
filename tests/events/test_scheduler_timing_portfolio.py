"""The timing portfolio against brute force: Exact's 0-1 model, the SAT probes, and both together."""

from __future__ import annotations

import random
import time

import pytest

from alpsbio.events.scheduler import portfolio_timing
from alpsbio.events.scheduler.checker import check_timing
from alpsbio.events.scheduler.cnf_timing import encode
from alpsbio.events.scheduler.portfolio_timing import (
    PROBE_SOLVERS,
    available,
    sat_probe,
    solve_timing_portfolio,
)
from alpsbio.events.scheduler.timing import Session, TimedMeeting, TimingProblem

from .test_scheduler_timing import brute_force, random_problem


def test_both_engines_are_installed() -> None:
    # exact and python-sat are dependencies: without them solve-dzn would quietly use CP-SAT
    assert available()


def _assert_optimal(prob: TimingProblem, fairness: int | None, probes: bool) -> None:
    expected = brute_force(prob, fairness)
    res = solve_timing_portfolio(prob, time_limit=30, fairness=fairness, probes=probes)
    if expected is None:
        assert res.status == "infeasible"
        assert res.slots is None
    else:
        assert res.status == "optimal", res
        assert res.proved_optimal
        assert res.breaks == expected
        rep = check_timing(prob, res.slots, fairness)
        assert rep.valid, rep.errors
        assert rep.total_breaks == expected


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fairness", [None, 0, 1])
def test_exact_model_matches_brute_force(seed: int, fairness: int | None) -> None:
    _assert_optimal(random_problem(random.Random(seed)), fairness, probes=False)


@pytest.mark.parametrize("seed", range(8, 12))
def test_portfolio_matches_brute_force(seed: int) -> None:
    _assert_optimal(random_problem(random.Random(seed)), 1, probes=True)


@pytest.mark.parametrize("solver", PROBE_SOLVERS)
@pytest.mark.parametrize("seed", range(6))
def test_sat_probe_is_satisfiable_exactly_from_the_optimum(seed: int, solver: str) -> None:
    prob = random_problem(random.Random(seed))
    expected = brute_force(prob, 1)
    if expected is None:
        assert sat_probe(prob, 1, 10, solver) is None
        return
    slots = sat_probe(prob, 1, expected, solver)
    assert slots is not None
    rep = check_timing(prob, slots, 1)
    assert rep.valid, rep.errors
    assert rep.total_breaks == expected
    if expected > 0:
        assert sat_probe(prob, 1, expected - 1, solver) is None


def test_fairness_without_single_meeting_participants() -> None:
    # Everybody has two meetings, so the minimum is not forced to 0: the general max-min model.
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
        res = solve_timing_portfolio(prob, time_limit=30, fairness=d, probes=False)
        assert res.breaks == expected, d
        assert check_timing(prob, res.slots, d).valid
        # the probes state fairness in full when every participant may have a break (k >= 4)
        for k in (expected or 0, 4):
            slots = sat_probe(prob, d, k)
            assert slots is not None
            assert check_timing(prob, slots, d).valid


def test_precedences_and_sessions_are_modelled() -> None:
    # Meeting 1 (afternoon) must come before meeting 0 (either): meeting 0 lands in the afternoon.
    prob = TimingProblem(
        3,
        4,
        2,
        2,
        [TimedMeeting(0, 1, Session.EITHER), TimedMeeting(0, 2, Session.AFTERNOON)],
        precedences=[(1, 0)],
    )
    for probes in (False, True):
        res = solve_timing_portfolio(prob, time_limit=30, probes=probes)
        assert res.slots is not None
        assert res.slots[1] < res.slots[0]
        assert res.slots[0] >= 2
        assert res.breaks == 0
        assert res.proved_optimal


def test_booth_meetings_and_busy_slots_of_repair_pieces() -> None:
    # The LNS pieces: participant 0 is already busy in slot 1 (outside the piece), one table per
    # slot but meeting 2 is at a booth. Slot 1 is taken for 0, so 0-1 and 0-2 go to 0 and 2
    # (no break for 0), and the booth meeting 1-2 shares a slot with a table meeting.
    prob = TimingProblem(
        3,
        4,
        4,
        1,
        [TimedMeeting(0, 1), TimedMeeting(0, 2), TimedMeeting(1, 2, uses_table=False)],
        busy_fixed=[frozenset({1}), frozenset(), frozenset()],
    )
    res = solve_timing_portfolio(prob, time_limit=30, fairness=None, probes=False)
    assert res.proved_optimal
    assert res.slots is not None
    assert 1 not in (res.slots[0], res.slots[1])
    assert sorted((res.slots[0], res.slots[1])) == [0, 2]
    # the checker sees this piece's meetings only: participant 0's fixed slot 1 looks idle
    assert res.breaks == 1


def test_empty_domain_and_infeasible_precedences() -> None:
    prob = TimingProblem(
        2, 2, 1, 1, [TimedMeeting(0, 1, Session.MORNING)], forbidden=[frozenset({0}), frozenset()]
    )
    assert encode(prob) is None
    assert solve_timing_portfolio(prob, time_limit=5).status == "infeasible"
    cycle = TimingProblem(
        3, 3, 3, 2, [TimedMeeting(0, 1), TimedMeeting(1, 2)], precedences=[(0, 1), (1, 0)]
    )
    res = solve_timing_portfolio(cycle, time_limit=10)
    assert res.status == "infeasible"
    assert res.proved_optimal
    assert res.slots is None


def _silent_exact(*args: object) -> None:
    time.sleep(60)  # an engine that never answers (killed by the coordinator)


def _crashing_probe(*args: object) -> None:
    raise MemoryError("probe died")


def test_probes_alone_detect_infeasibility(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both meetings of 0 are fixed in slot 0: no timing at all. With Exact silent, the probes
    # climb to a bound that bounds nothing, and "no timing" there means infeasible.
    prob = TimingProblem(
        3, 3, 3, 2, [TimedMeeting(0, 1, fixed_slot=0), TimedMeeting(0, 2, fixed_slot=0)]
    )
    assert sat_probe(prob, 2, 10) is None
    monkeypatch.setattr(portfolio_timing, "_exact_worker", _silent_exact)
    res = solve_timing_portfolio(prob, time_limit=20)
    assert res.status == "infeasible"  # a time-out would leave it "unknown"


def test_a_dying_probe_leaves_exact_to_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    prob = random_problem(random.Random(5))
    expected = brute_force(prob, 2)
    monkeypatch.setattr(portfolio_timing, "_probe_worker", _crashing_probe)
    res = solve_timing_portfolio(prob, time_limit=20)
    assert res.breaks == expected
    assert res.method == "exact"


def test_fixed_busy_slots_that_break_fairness_make_both_models_infeasible() -> None:
    # Participant 0 is busy outside the problem in slots 0, 2, 4 and 6 and meets 1 in slot 7
    # (right after a busy slot, so the meeting starts no run): three breaks that no timing can
    # remove, against d = 2 with a single-meeting participant.
    prob = TimingProblem(
        2,
        8,
        8,
        1,
        [TimedMeeting(0, 1, fixed_slot=7)],
        busy_fixed=[frozenset({0, 2, 4, 6}), frozenset()],
    )
    assert sat_probe(prob, 2, 10) is None
    assert solve_timing_portfolio(prob, time_limit=10, probes=False).status == "infeasible"
    assert solve_timing_portfolio(prob, time_limit=10, fairness=3, probes=False).breaks == 0
