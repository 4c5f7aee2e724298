"""Phase 1 beyond the greedy: the meeting upper bound and the LNS selection (pure, no database)."""

from __future__ import annotations

from dataclasses import replace

from alpsbio.events.scheduler.bounds import meeting_upper_bound
from alpsbio.events.scheduler.checker import check_event
from alpsbio.events.scheduler.compiled import compile_event
from alpsbio.events.scheduler.generate import generate_event
from alpsbio.events.scheduler.greedy import greedy_select
from alpsbio.events.scheduler.model import Event, Part, Participant, Pin, Request, Slot
from alpsbio.events.scheduler.pipeline import _meetings, greedy_schedule, solve_event
from alpsbio.events.scheduler.select_lns import lns_select, selection_key
from alpsbio.events.scheduler.tables import assign_tables


def crowded_event(seed: int = 5) -> Event:
    """Few tables for many requests: the greedy leaves room that a better selection uses."""
    return generate_event(
        n_participants=40, n_requests=260, n_slots=8, n_tables=6, n_booths=4, k=2, seed=seed
    )


def test_upper_bound_is_exact_on_a_triangle() -> None:
    # Three people who all want to meet each other, one slot: one meeting at most.
    ev = Event(
        participants=[Participant("a"), Participant("b"), Participant("c")],
        slots=[Slot("s1")],
        tables=["T1", "T2"],
        requests=[Request("a", "b"), Request("b", "c"), Request("a", "c")],
        min_meetings=1,
    )
    ub = meeting_upper_bound(compile_event(ev), time_limit=5)
    assert ub.bound == 1
    assert ub.proved


def test_upper_bound_counts_tables_per_half_day() -> None:
    # Four disjoint morning-only pairs, one morning slot and one table: one meeting at most,
    # although the whole day has two slots.
    people = [Participant(f"p{i}") for i in range(8)]
    ev = Event(
        participants=people,
        slots=[Slot("m1"), Slot("a1", Part.AFTERNOON)],
        tables=["T1"],
        requests=[Request(f"p{2 * i}", f"p{2 * i + 1}") for i in range(4)],
        unavailable={p.id: frozenset({"a1"}) for p in people},
        min_meetings=1,
    )
    ub = meeting_upper_bound(compile_event(ev), time_limit=5)
    assert ub.bound == 1
    assert ub.simple == 2  # the counting bound does not see the half-day


def test_upper_bound_is_above_every_schedule() -> None:
    ev = crowded_event()
    comp = compile_event(ev)
    ub = meeting_upper_bound(comp, time_limit=10)
    greedy = greedy_schedule(ev)
    solved = solve_event(ev, time_limit=6, exact_below=0)
    assert greedy.quality.meetings <= solved.quality.meetings <= ub.bound <= ub.simple


def test_lns_selection_is_valid_and_never_worse() -> None:
    ev = crowded_event()
    comp = compile_event(ev)
    greedy = greedy_select(comp)
    slot_of, stats = lns_select(comp, greedy, time_limit=3, seed=1)
    assert stats.steps > 0
    start, end = selection_key(comp, greedy), selection_key(comp, slot_of)
    assert stats.start == start
    assert stats.end == end
    # Lexicographic: shortfall below K no larger; then meetings, then priority weight.
    assert (-end[0], end[1], end[2]) >= (-start[0], start[1], start[2])
    meetings = _meetings(comp, slot_of, assign_tables(comp, slot_of))
    rep, q = check_event(ev, meetings)
    assert rep.valid, rep.errors
    assert q.meetings == end[1]


def test_lns_keeps_pins() -> None:
    ev = crowded_event()
    req = next(r for r in ev.requests if r.accepted and r.a not in ev.unavailable)
    pinned = replace(ev, pins=[Pin(req.a, req.b, "s02")], unavailable={})
    comp = compile_event(pinned)
    slot_of, _ = lns_select(comp, greedy_select(comp), time_limit=2, seed=2)
    pin_ci = next(ci for ci, c in enumerate(comp.cands) if c.pin_slot is not None)
    assert slot_of[pin_ci] == comp.sidx["s02"]
    rep, _ = check_event(pinned, _meetings(comp, slot_of, assign_tables(comp, slot_of)))
    assert rep.valid, rep.errors


def test_pipeline_takes_the_lns_path_on_big_events() -> None:
    ev = crowded_event(seed=6)
    sched = solve_event(ev, time_limit=6, exact_below=0)
    assert any(n.startswith("phase 1 LNS") for n in sched.notes), sched.notes
    rep, q = check_event(ev, sched.meetings)
    assert rep.valid, rep.errors
    assert q.meetings >= greedy_schedule(ev).quality.meetings


def test_the_organisers_objective_decides_between_more_meetings_and_higher_priority() -> None:
    # One slot: x can meet y (priority 3) or z (priority 1), and then y can meet w (priority 1).
    # Most meetings: x-z and y-w (2 meetings, priority 2); highest priority: x-y (1, priority 3).
    ev = Event(
        participants=[Participant(p) for p in "xyzw"],
        slots=[Slot("s1")],
        tables=["T1", "T2"],
        requests=[Request("x", "y", priority=3), Request("x", "z", 1), Request("y", "w", 1)],
        min_meetings=0,
    )
    by_count = solve_event(ev, time_limit=5, workers=1)
    assert sorted((m.a, m.b) for m in by_count.meetings) == [("x", "z"), ("y", "w")]
    by_priority = solve_event(replace(ev, objective="priority"), time_limit=5, workers=1)
    assert [(m.a, m.b) for m in by_priority.meetings] == [("x", "y")]
    report, _ = check_event(replace(ev, objective="priority"), by_priority.meetings)
    assert report.valid, report.errors
    # The large-event search (LNS over pieces) follows the same objective.
    for objective, expected in (("meetings", 2), ("priority", 1)):
        lns = solve_event(replace(ev, objective=objective), time_limit=5, exact_below=0)
        assert len(lns.meetings) == expected, lns.notes
