from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alpsbio.events import queries, scheduling, services
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Meeting,
    MeetingRequest,
    ScheduleRun,
)


def _accepted(a: B2BProfile, b: B2BProfile, priority: int = 2) -> MeetingRequest:
    req = services.send_meeting_request(a.registration.user, a, b, priority=priority)
    return services.respond_to_request(b.registration.user, req, accept=True)


def _run(session: B2BSession, manager: Any, capture: Any) -> ScheduleRun:
    with capture(execute=True):
        run = services.start_schedule_run(manager, session, time_limit=5)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.SUCCEEDED, run.message
    return run


def _assert_no_double_booking(session: B2BSession) -> None:
    meetings = list(
        Meeting.objects.filter(session=session, status=Meeting.Status.SCHEDULED).select_related(
            "request", "slot"
        )
    )
    per_person = Counter()
    per_table = Counter()
    for m in meetings:
        assert not m.slot.is_break
        per_table[(m.slot_id, m.table_id)] += 1
        for p in (m.request.requester_id, m.request.recipient_id):
            per_person[(m.slot_id, p)] += 1
            assert not m.slot.unavailable_profiles.filter(pk=p).exists()
    assert all(v == 1 for v in per_person.values())
    assert all(v == 1 for v in per_table.values())


def test_profile_requires_confirmed_registration(
    event: Any, b2b: B2BSession, make_user: Any, orgs: dict[str, Any]
) -> None:
    from alpsbio.events.models import Registration

    user = make_user(orgs["uga"])
    reg = services.register(user, event)
    profile = services.save_b2b_profile(
        user,
        reg,
        headline="Microfluidics for diagnosis",
        offers="lab-on-chip",
        needs="clinical partner",
    )
    assert profile.organisation == orgs["uga"]
    with pytest.raises(ValidationError) as exc:
        services.save_b2b_profile(user, reg, headline="")
    assert "headline" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.save_b2b_profile(make_user(), reg, headline="hijack")
    Registration.objects.filter(pk=reg.pk).update(status="waiting")
    reg.refresh_from_db()
    with pytest.raises(ValidationError):
        services.save_b2b_profile(user, reg, headline="x")


def test_requests_accept_decline_withdraw(make_participant: Any) -> None:
    a, b, c = make_participant("uga"), make_participant("hcl"), make_participant("unimi")
    ua, ub = a.registration.user, b.registration.user
    with pytest.raises(ValidationError) as exc:
        services.send_meeting_request(ua, a, a)
    assert "recipient" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.send_meeting_request(ua, a, b, priority=5)
    assert "priority" in exc.value.message_dict
    req = services.send_meeting_request(ua, a, b, message="Let's talk", priority=3)
    with pytest.raises(ValidationError):  # no duplicate, in either direction
        services.send_meeting_request(ub, b, a)
    with pytest.raises(PermissionDenied):
        services.respond_to_request(ua, req, accept=True)  # only the recipient answers
    services.respond_to_request(ub, req, accept=False)
    assert req.status == MeetingRequest.Status.DECLINED
    with pytest.raises(ValidationError):
        services.respond_to_request(ub, req, accept=True)
    req2 = services.send_meeting_request(ua, a, c)
    with pytest.raises(PermissionDenied):
        services.withdraw_request(c.registration.user, req2)
    services.withdraw_request(ua, req2)
    assert req2.status == MeetingRequest.Status.WITHDRAWN
    # After withdrawal a new request is possible.
    again = services.send_meeting_request(ua, a, c, priority=1)
    assert again.status == MeetingRequest.Status.PENDING


def test_availability(make_participant: Any, b2b: B2BSession) -> None:
    a = make_participant("uga")
    slot = b2b.slots.filter(is_break=False).first()
    assert slot is not None
    services.set_availability(a.registration.user, a, unavailable_slot_ids=[slot.pk])
    assert list(a.unavailable_slots.all()) == [slot]
    with pytest.raises(ValidationError):
        services.set_availability(a.registration.user, a, unavailable_slot_ids=[999999])


def test_marketplace_filters(make_participant: Any, b2b: B2BSession) -> None:
    make_participant("uga", headline="Microfluidics")
    make_participant("unimi", headline="Proteomics platform")
    make_participant("epfl", headline="Medical imaging")
    assert queries.marketplace(b2b, queries.ProfileFilter(country="IT")).count() == 1
    assert queries.marketplace(b2b, queries.ProfileFilter(q="imaging")).count() == 1
    assert queries.marketplace(b2b, queries.ProfileFilter(org_type="university")).count() == 3
    assert queries.marketplace(b2b, queries.ProfileFilter(org_type="hospital")).count() == 0


def test_schedule_run_places_meetings_without_clashes(
    make_participant: Any,
    b2b: B2BSession,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The background run schedules every accepted request it can, with no double booking,
    honouring availability, breaks and booths."""
    ps = [make_participant(k) for k in ("uga", "hcl", "unimi", "epfl", "uga", "hcl")]
    busy_slot = b2b.slots.filter(is_break=False).first()
    services.set_availability(ps[0].registration.user, ps[0], unavailable_slot_ids=[busy_slot.pk])
    booth = b2b.tables.get(number=3)
    services.assign_booth(personas["manager_fr"], booth, ps[1])
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (4, 5), (4, 0), (5, 1)]
    for i, j in pairs:
        _accepted(ps[i], ps[j], priority=1 + (i + j) % 3)
    run = _run(b2b, personas["manager_fr"], django_capture_on_commit_callbacks)
    assert run.progress == 100
    assert run.stats["meetings"] == len(pairs)  # small instance: everything fits
    _assert_no_double_booking(b2b)
    for m in Meeting.objects.filter(session=b2b).select_related("request"):
        if ps[1].pk in (m.request.requester_id, m.request.recipient_id):
            assert m.table_id == booth.pk  # the booth owner meets at the booth
        else:
            assert m.table_id != booth.pk
    q = scheduling.quality(b2b)
    assert q["below_k"] == 0
    assert q["meetings"] == len(pairs)


def test_move_and_pin_are_validated_and_kept(
    make_participant: Any,
    b2b: B2BSession,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = personas["manager_fr"]
    a, b, c = make_participant("uga"), make_participant("hcl"), make_participant("unimi")
    _accepted(a, b)
    _accepted(a, c)
    _run(b2b, manager, django_capture_on_commit_callbacks)
    m_ab = Meeting.objects.get(request__recipient=b)
    m_ac = Meeting.objects.get(request__recipient=c)
    with pytest.raises(ValidationError) as exc:  # a would be in two meetings at once
        services.move_meeting(manager, m_ab, slot=m_ac.slot, table=m_ab.table)
    assert "slot" in exc.value.message_dict
    brk = b2b.slots.get(is_break=True)
    with pytest.raises(ValidationError):
        services.move_meeting(manager, m_ab, slot=brk, table=m_ab.table)
    with pytest.raises(PermissionDenied):
        services.move_meeting(a.registration.user, m_ab, slot=m_ab.slot, table=m_ab.table)
    used = {m_ab.slot_id, m_ac.slot_id}
    target = b2b.slots.filter(is_break=False).exclude(pk__in=used).last()
    services.move_meeting(manager, m_ab, slot=target, table=b2b.tables.get(number=2))
    m_ab.refresh_from_db()
    assert m_ab.pinned
    _run(b2b, manager, django_capture_on_commit_callbacks)
    m_ab.refresh_from_db()
    assert (m_ab.slot_id, m_ab.table.number, m_ab.pinned) == (target.pk, 2, True)
    _assert_no_double_booking(b2b)


def test_late_cancellation_repairs_without_moving_others(
    make_participant: Any,
    b2b: B2BSession,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A cancellation cancels that participant's meetings and queues a repair that keeps every
    other meeting where it was."""
    manager = personas["manager_fr"]
    ps = [make_participant(k) for k in ("uga", "hcl", "unimi", "epfl")]
    for i, j in [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)]:
        _accepted(ps[i], ps[j])
    _run(b2b, manager, django_capture_on_commit_callbacks)
    before = {
        m.request_id: (m.slot_id, m.table_id)
        for m in Meeting.objects.filter(session=b2b)
        .exclude(request__requester=ps[0])
        .exclude(request__recipient=ps[0])
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(ps[0].registration.user, ps[0].registration)
    repair = ScheduleRun.objects.filter(session=b2b, kind=ScheduleRun.Kind.REPAIR).get()
    assert repair.status == ScheduleRun.Status.SUCCEEDED, repair.message
    after = {
        m.request_id: (m.slot_id, m.table_id)
        for m in Meeting.objects.filter(session=b2b, status=Meeting.Status.SCHEDULED)
    }
    assert after == before  # nothing moved, the cancelled participant's meetings are gone
    assert Meeting.objects.filter(session=b2b, status=Meeting.Status.CANCELLED).count() == 3


def test_publish_and_statistics(
    make_participant: Any,
    b2b: B2BSession,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = personas["manager_fr"]
    with pytest.raises(ValidationError):
        services.publish_agendas(manager, b2b)  # nothing scheduled yet
    a, b, c = make_participant("uga"), make_participant("unimi"), make_participant("hcl")
    _accepted(a, b)
    _accepted(a, c)
    services.send_meeting_request(b.registration.user, b, c)
    _run(b2b, manager, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_agendas(manager, b2b)
    b2b.refresh_from_db()
    assert b2b.agendas_published_at is not None
    m = Meeting.objects.get(request__recipient=b)
    services.set_meeting_held(manager, m)
    stats = queries.b2b_statistics(b2b)
    assert stats["requested"] == 3
    assert stats["accepted"] == 2
    assert stats["scheduled"] == 2
    assert stats["held"] == 1
    assert stats["basis"] == "held"
    assert stats["cross_border_share"] == 1.0  # UGA (FR) with Milano (IT)
    assert stats["cross_sector_share"] == 0.0  # two universities
    assert dict(stats["by_region"])  # counted by region


def test_demo_is_idempotent_and_marked(
    orgs: dict[str, Any], networks: dict[str, Any], personas: dict[str, Any]
) -> None:
    """The demo uses real regions/organisations, is flagged, and loads only once."""
    from alpsbio.events.models import Event

    first = services.load_events_demo()
    assert first["events"] >= 5
    assert first["participants"] == 4  # the four real organisations of the fixtures
    n_events = Event.objects.count()
    second = services.load_events_demo()
    assert second["events"] == 0
    assert Event.objects.count() == n_events
    assert not Event.objects.filter(is_demo=False).exists()
    assert all("Demo" in e.display_title for e in Event.objects.all())


def test_profile_links_own_published_opportunities(
    event: Any, b2b: B2BSession, make_user: Any, orgs: dict[str, Any], client: Any
) -> None:
    """A profile may point to its organisation's published opportunities, and only those."""
    import datetime as dt

    from alpsbio.matching.models import Opportunity

    def opp(ref: str, org: Any, status: str) -> Opportunity:
        return Opportunity.objects.create(
            reference=ref,
            organisation=org,
            kind="TO",
            status=status,
            title={"en": f"Offer {ref}"},
            expires_on=dt.date(2040, 1, 1),
        )

    mine = opp("TOFR1", orgs["uga"], "published")
    draft = opp("TOFR2", orgs["uga"], "draft")
    theirs = opp("TOIT1", orgs["unimi"], "published")
    user = make_user(orgs["uga"])
    reg = services.register(user, event)
    for bad in ([draft.pk], [theirs.pk]):
        with pytest.raises(ValidationError) as exc:
            services.save_b2b_profile(user, reg, headline="Chips", opportunity_ids=bad)
        assert "opportunities" in exc.value.message_dict
    profile = services.save_b2b_profile(user, reg, headline="Chips", opportunity_ids=[mine.pk])
    assert list(profile.opportunities.all()) == [mine]
    services.save_b2b_profile(user, reg, headline="Chips v2")  # None keeps the links
    assert list(profile.opportunities.all()) == [mine]
    client.force_login(user)
    page = client.get(f"/en/events/{event.slug}/b2b/").content.decode()
    assert "TOFR1 Offer TOFR1" in page
    form = client.get(f"/en/events/{event.slug}/b2b/profile/").content.decode()
    assert "TOFR1" in form
    assert "TOFR2" not in form


def test_repair_fills_freed_slots(
    make_participant: Any,
    b2b: B2BSession,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """With one table and five meeting slots, six accepted requests leave one out; when a
    participant outside that pair cancels, the repair schedules it without moving the rest."""
    manager = personas["manager_fr"]
    services.set_tables(manager, b2b, n_tables=1)
    ps = [make_participant(k) for k in ("uga", "hcl", "unimi", "epfl")]
    for i in range(4):
        for j in range(i + 1, 4):
            _accepted(ps[i], ps[j])
    _run(b2b, manager, django_capture_on_commit_callbacks)
    scheduled = {m.request_id for m in Meeting.objects.filter(session=b2b)}
    left_out = MeetingRequest.objects.filter(session=b2b).exclude(pk__in=scheduled).get()
    leaver = next(p for p in ps if p.pk not in (left_out.requester_id, left_out.recipient_id))
    kept = {
        m.request_id: (m.slot_id, m.table_id)
        for m in Meeting.objects.filter(session=b2b)
        .exclude(request__requester=leaver)
        .exclude(request__recipient=leaver)
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(leaver.registration.user, leaver.registration)
    after = {
        m.request_id: (m.slot_id, m.table_id)
        for m in Meeting.objects.filter(session=b2b, status=Meeting.Status.SCHEDULED)
    }
    assert left_out.pk in after  # the freed slot was filled
    assert {k: v for k, v in after.items() if k != left_out.pk} == kept  # nothing moved
    _assert_no_double_booking(b2b)
