"""Phases 1+2, tables, pins, repair and the greedy on small generated events (pure, no database)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from alpsbio.events.scheduler.checker import check_event
from alpsbio.events.scheduler.generate import generate_event
from alpsbio.events.scheduler.model import Event, Meeting, Pin, Request, SchedulerInputError
from alpsbio.events.scheduler.pipeline import greedy_schedule, repair, solve_event


def small_event(seed: int = 3) -> Event:
    return generate_event(
        n_participants=24, n_requests=90, n_slots=6, n_tables=5, n_booths=3, k=2, seed=seed
    )


@pytest.fixture(scope="module")
def solved() -> tuple[Event, list[Meeting]]:
    ev = small_event()
    sched = solve_event(ev, time_limit=8, workers=2)
    return ev, sched.meetings


def test_greedy_is_valid_and_fast() -> None:
    ev = small_event()
    g = greedy_schedule(ev)
    rep, q = check_event(ev, g.meetings)
    assert rep.valid, rep.errors
    assert q.meetings == len(g.meetings) > 0


def test_solve_is_valid_and_at_least_as_good_as_greedy(solved: tuple[Event, list[Meeting]]) -> None:
    ev, meetings = solved
    rep, q = check_event(ev, meetings)
    assert rep.valid, rep.errors
    _, qg = check_event(ev, greedy_schedule(ev).meetings)
    assert q.below_k_feasible <= qg.below_k_feasible
    assert (q.below_k_feasible, -q.weighted) <= (qg.below_k_feasible, -qg.weighted)


def test_booth_owners_meet_at_their_booth(solved: tuple[Event, list[Meeting]]) -> None:
    ev, meetings = solved
    booth = {p.id: p.booth for p in ev.participants if p.booth}
    at_booth = [m for m in meetings if m.a in booth or m.b in booth]
    assert at_booth
    for m in at_booth:
        assert m.location in (booth.get(m.a), booth.get(m.b))


def test_pins_stay() -> None:
    ev = small_event()
    req = next(r for r in ev.requests if r.accepted and r.a not in ev.unavailable)
    free_table = ev.tables[0]
    has_booth = {p.id for p in ev.participants if p.booth}
    table = None if req.a in has_booth or req.b in has_booth else free_table
    pinned = replace(ev, pins=[Pin(req.a, req.b, "s03", table)], unavailable={})
    sched = solve_event(pinned, time_limit=5, workers=2)
    rep, _ = check_event(pinned, sched.meetings)
    assert rep.valid, rep.errors
    got = [m for m in sched.meetings if {m.a, m.b} == {req.a, req.b}]
    assert len(got) == 1
    assert got[0].slot == "s03"
    assert got[0].pinned
    if table:
        assert got[0].location == table


def test_repair_moves_nothing_and_fills_freed_slots(solved: tuple[Event, list[Meeting]]) -> None:
    ev, meetings = solved
    busiest = Counter(p for m in meetings for p in (m.a, m.b)).most_common(1)[0][0]
    fixed = repair(ev, meetings, [busiest], max_moves=0, time_limit=5)
    rep, _ = check_event(ev, fixed.meetings)
    assert rep.valid, rep.errors
    assert all(busiest not in (m.a, m.b) for m in fixed.meetings)
    before = {(m.pair, m.slot, m.location) for m in meetings if busiest not in m.pair}
    after = {(m.pair, m.slot, m.location) for m in fixed.meetings}
    assert before <= after  # nobody moved
    assert "moved 0" in fixed.notes


def test_bad_input_is_a_clear_error() -> None:
    ev = small_event()
    with pytest.raises(SchedulerInputError, match=r"requests\[0\]: unknown participant"):
        solve_event(replace(ev, requests=[Request("nobody", ev.participants[0].id)]), time_limit=1)
    with pytest.raises(SchedulerInputError, match=r"requests\[0\]\.priority"):
        greedy_schedule(
            replace(ev, requests=[Request(ev.participants[0].id, ev.participants[1].id, 7)])
        )
    with pytest.raises(SchedulerInputError, match=r"pins\[0\]\.slot"):
        greedy_schedule(
            replace(ev, pins=[Pin(ev.participants[0].id, ev.participants[1].id, "lunch")])
        )


def test_checker_flags_double_booking_and_wrong_place(solved: tuple[Event, list[Meeting]]) -> None:
    ev, meetings = solved
    m = next(m for m in meetings if not m.pinned)
    other = next(x for x in meetings if x.slot != m.slot and x.a != m.a and x.b != m.a)
    clash = replace(other, a=m.a) if other.a != m.b and other.b != m.b else other
    rep, _ = check_event(ev, [*meetings, clash, replace(m, location="nowhere")])
    assert not rep.valid
