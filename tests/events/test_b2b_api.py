"""The organisers' B2B API: set-up (slots, breaks, tables, booths, K, availability), the grid,
moving/pinning/cancelling meetings, quality figures, statistics, runs and publishing; the same
services and permission checks as the pages, field-level 422s, never a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail

from alpsbio.accounts.models import ApiToken
from alpsbio.core.models import AuditEntry
from alpsbio.events import scheduling, services
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Meeting,
    MeetingRequest,
    ScheduleRun,
    Table,
    TimeSlot,
)


def _token(user: Any) -> dict[str, str]:
    _t, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _call(client: Any, method: str, url: str, data: Any = None, auth: Any = None) -> Any:
    auth = auth or {}
    if method == "get":
        return client.get(url, data or {}, **auth)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(url, body, content_type="application/json", **auth)


def _fields(resp: Any) -> set[str]:
    return {e["field"] for e in resp.json()["errors"]}


def _accepted(a: B2BProfile, b: B2BProfile, priority: int = 2) -> MeetingRequest:
    req = services.send_meeting_request(a.registration.user, a, b, priority=priority)
    return services.respond_to_request(b.registration.user, req, accept=True)


@pytest.fixture
def scheduled(
    event: Any,
    b2b: B2BSession,
    make_participant: Any,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    """a meets b and c; b reads French; the agendas are published."""
    a = make_participant("uga")
    b = make_participant("hcl", lang="fr")
    c = make_participant("unimi", lang="it")
    _accepted(a, b)
    _accepted(a, c)
    manager = personas["manager_fr"]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_schedule_run(manager, b2b, time_limit=5)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.SUCCEEDED, run.message
    services.publish_agendas(manager, b2b, notify=False)
    mail.outbox.clear()
    return {
        "a": a,
        "b": b,
        "c": c,
        "ab": Meeting.objects.get(request__recipient=b),
        "ac": Meeting.objects.get(request__recipient=c),
        "base": f"/api/v1/events/{event.slug}/b2b",
    }


def test_setup_slots_tables_booths_and_k(
    event: Any,
    make_event: Any,
    client: Any,
    personas: dict[str, Any],
    make_user: Any,
    orgs: dict[str, Any],
    future: dt.datetime,
) -> None:
    manager = _token(personas["manager_fr"])
    base = f"/api/v1/events/{event.slug}/b2b"
    assert _call(client, "get", base, auth=manager).status_code == 404  # no B2B yet
    r = _call(client, "post", base, {"min_meetings": 4}, manager)
    assert r.status_code == 201, r.content
    assert r.json()["min_meetings"] == 4
    assert _call(client, "post", base, {"min_meetings": 4}, manager).status_code == 422
    r = _call(client, "patch", base, {"min_meetings": 2, "requests_open": False}, manager)
    assert (r.json()["min_meetings"], r.json()["requests_open"]) == (2, False)
    assert _fields(_call(client, "patch", base, {"min_meetings": 99}, manager)) == {"min_meetings"}
    assert r.json()["objective"] == "meetings"
    r = _call(client, "patch", base, {"objective": "priority"}, manager)
    assert (r.json()["objective"], r.json()["min_meetings"]) == ("priority", 2)
    session = B2BSession.objects.get(event=event)
    assert scheduling.build_input(session).event.objective == "priority"
    assert _fields(_call(client, "patch", base, {"objective": "random"}, manager)) == {"objective"}

    t0 = future + dt.timedelta(hours=1)
    iso = dt.datetime.isoformat
    r = _call(
        client,
        "post",
        f"{base}/slots",
        {"starts_at": iso(t0), "ends_at": iso(t0 + dt.timedelta(minutes=20))},
        manager,
    )
    assert r.status_code == 201, r.content
    first = r.json()["id"]
    r = _call(
        client,
        "post",
        f"{base}/slots",
        {
            "starts_at": iso(t0 + dt.timedelta(minutes=20)),
            "ends_at": iso(t0 + dt.timedelta(minutes=50)),
            "is_break": True,
        },
        manager,
    )
    assert r.status_code == 201
    brk = r.json()["id"]
    assert r.json()["is_break"] is True
    # Overlapping, ending before starting, naive times: field-level 422s.
    r = _call(
        client,
        "post",
        f"{base}/slots",
        {
            "starts_at": iso(t0 + dt.timedelta(minutes=10)),
            "ends_at": iso(t0 + dt.timedelta(minutes=30)),
        },
        manager,
    )
    assert r.status_code == 422
    assert _fields(r) == {"starts_at"}
    assert "overlaps" in r.json()["errors"][0]["message"]
    r = _call(client, "post", f"{base}/slots", {"starts_at": iso(t0), "ends_at": iso(t0)}, manager)
    assert _fields(r) == {"ends_at"}
    r = _call(
        client,
        "post",
        f"{base}/slots",
        {"starts_at": "2031-01-01T09:00:00", "ends_at": "2031-01-01T09:20:00"},
        manager,
    )
    assert r.status_code == 422
    assert _fields(r) == {"starts_at", "ends_at"}
    # Moving a slot onto another one is refused too; making it a meeting slot is fine.
    r = _call(
        client,
        "patch",
        f"{base}/slots/{first}",
        {"ends_at": iso(t0 + dt.timedelta(minutes=25))},
        manager,
    )
    assert _fields(r) == {"starts_at"}
    r = _call(client, "patch", f"{base}/slots/{brk}", {"is_break": False}, manager)
    assert r.json()["is_break"] is False
    assert len(_call(client, "get", f"{base}/slots", auth=manager).json()) == 2

    # Tables: next free number, duplicates refused, booths only for this session's participants.
    r = _call(client, "post", f"{base}/tables", {}, manager)
    assert (r.status_code, r.json()["number"]) == (201, 1)
    table_id = r.json()["id"]
    r = _call(client, "post", f"{base}/tables", {"number": 7, "label": "Window"}, manager)
    assert r.json()["number"] == 7
    assert _fields(_call(client, "post", f"{base}/tables", {"number": 7}, manager)) == {"number"}
    assert _call(client, "post", f"{base}/tables", {}, manager).json()["number"] == 8
    user = make_user(orgs["uga"])
    reg = services.register(user, event)
    profile = services.save_b2b_profile(user, reg, headline="Booth holder")
    r = _call(client, "patch", f"{base}/tables/{table_id}", {"owner": profile.pk}, manager)
    assert r.status_code == 200
    assert r.json()["owner"] == profile.pk
    # A participant of another event, a cancelled participant: not a booth owner here.
    other_event = make_event("other-day")
    other_session = services.enable_b2b(personas["manager_fr"], other_event)
    stranger = make_user(orgs["hcl"])
    other_reg = services.register(stranger, other_event)
    other_profile = services.save_b2b_profile(stranger, other_reg, headline="Elsewhere")
    assert other_profile.session_id == other_session.pk
    r = _call(client, "patch", f"{base}/tables/{table_id}", {"owner": other_profile.pk}, manager)
    assert (r.status_code, _fields(r)) == (422, {"owner"})
    services.cancel_registration(user, reg)  # also gives the booth back
    assert Table.objects.get(pk=table_id).owner_id is None
    r = _call(client, "post", f"{base}/tables", {"owner": profile.pk}, manager)
    assert (r.status_code, _fields(r)) == (422, {"owner"})
    r = _call(client, "patch", f"{base}/tables/{table_id}", {"owner": None}, manager)
    assert r.json()["owner"] is None
    assert len(_call(client, "get", f"{base}/tables", auth=manager).json()) == 3
    r = _call(client, "delete", f"{base}/tables/{table_id}", auth=manager)
    assert r.json() == {"id": table_id, "meetings_removed": 0}

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "b2b.configured",
        "b2b.slot_added",
        "b2b.slot_updated",
        "b2b.table_added",
        "b2b.table_updated",
        "b2b.table_deleted",
    } <= actions


def test_availability_of_a_participant_set_by_the_organiser(
    b2b: B2BSession, make_participant: Any, client: Any, personas: dict[str, Any], event: Any
) -> None:
    a = make_participant("uga")
    base = f"/api/v1/events/{event.slug}/b2b"
    manager = _token(personas["manager_fr"])
    slots = list(b2b.slots.filter(is_break=False))
    r = _call(
        client,
        "put",
        f"{base}/profiles/{a.pk}/availability",
        {"unavailable_slots": [slots[0].pk, slots[1].pk]},
        manager,
    )
    assert r.status_code == 200, r.content
    assert [s["available"] for s in r.json()][:2] == [False, False]
    assert set(a.unavailable_slots.values_list("pk", flat=True)) == {slots[0].pk, slots[1].pk}
    got = _call(client, "get", f"{base}/profiles/{a.pk}/availability", auth=manager).json()
    assert sum(1 for s in got if s["available"]) == len(slots) - 2
    # The participant uses their own endpoint; the organisers' one is refused to them.
    mine = _token(a.registration.user)
    r = _call(client, "get", f"{base}/profiles/{a.pk}/availability", auth=mine)
    assert r.status_code == 403
    assert AuditEntry.objects.filter(action="b2b.availability_set").exists()


def test_grid_move_pin_hold_and_quality(
    scheduled: dict[str, Any], client: Any, personas: dict[str, Any], b2b: B2BSession
) -> None:
    base, ab, ac = scheduled["base"], scheduled["ab"], scheduled["ac"]
    manager = _token(personas["manager_fr"])
    grid = _call(client, "get", f"{base}/grid", auth=manager).json()
    assert {m["id"] for m in grid["meetings"]} == {ab.pk, ac.pk}
    assert len(grid["slots"]) == 6
    assert len(grid["tables"]) == 3
    q = _call(client, "get", f"{base}/quality", auth=manager).json()
    assert q["meetings"] == 2
    # Into a's other meeting's slot: refused (a would be in two meetings).
    r = _call(client, "patch", f"{base}/meetings/{ab.pk}", {"slot": ac.slot_id}, manager)
    assert r.status_code == 422
    assert "slot" in _fields(r)
    brk = b2b.slots.get(is_break=True)
    r = _call(client, "patch", f"{base}/meetings/{ab.pk}", {"slot": brk.pk}, manager)
    assert (r.status_code, _fields(r)) == (422, {"slot"})
    free = b2b.slots.filter(is_break=False).exclude(pk__in=[ab.slot_id, ac.slot_id]).last()
    assert free is not None
    table = b2b.tables.get(number=3)
    r = _call(
        client, "patch", f"{base}/meetings/{ab.pk}", {"slot": free.pk, "table": table.pk}, manager
    )
    assert r.status_code == 200, r.content
    assert (r.json()["slot"], r.json()["table_number"], r.json()["pinned"]) == (free.pk, 3, True)
    r = _call(client, "patch", f"{base}/meetings/{ab.pk}", {"pinned": False}, manager)
    assert r.json()["pinned"] is False
    r = _call(client, "patch", f"{base}/meetings/{ab.pk}", {"held": True}, manager)
    assert r.json()["status"] == "held"
    stats = _call(client, "get", f"{base}/statistics", auth=manager).json()
    assert (stats["held"], stats["basis"]) == (1, "held")
    assert stats["cross_border_share"] == 0.0  # uga and hcl are both French
    assert stats["by_org_type"]


def test_cancel_by_participant_notifies_the_other_in_their_language(
    scheduled: dict[str, Any],
    client: Any,
    personas: dict[str, Any],
    b2b: B2BSession,
    django_capture_on_commit_callbacks: Any,
) -> None:
    base, a, b, ab = scheduled["base"], scheduled["a"], scheduled["b"], scheduled["ab"]
    with django_capture_on_commit_callbacks(execute=True):
        r = _call(
            client,
            "post",
            f"{base}/meetings/{ab.pk}/cancel",
            {"reason": "Flight cancelled"},
            _token(a.registration.user),
        )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled"
    assert len(mail.outbox) == 1  # only the other side
    msg = mail.outbox[0]
    assert msg.to == [b.registration.user.email]
    assert "Flight cancelled" in msg.body
    assert "/fr/events/" in msg.body  # links in b's language
    ab.refresh_from_db()
    assert ab.request.status == MeetingRequest.Status.WITHDRAWN
    assert scheduling.quality(b2b)["meetings"] == 1
    manager = _token(personas["manager_fr"])
    assert _call(client, "get", f"{base}/quality", auth=manager).json()["meetings"] == 1
    # Twice: a clear 422, not a 500.
    r = _call(client, "delete", f"{base}/meetings/{ab.pk}", auth=_token(b.registration.user))
    assert r.status_code == 422
    entry = AuditEntry.objects.get(action="b2b.meeting_cancelled")
    assert entry.data["by"] == "participant"


def test_organiser_cancels_both_are_told_and_repair_refills(
    scheduled: dict[str, Any],
    client: Any,
    personas: dict[str, Any],
    b2b: B2BSession,
    make_participant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    base, a, ab, ac = scheduled["base"], scheduled["a"], scheduled["ab"], scheduled["ac"]
    d = make_participant("epfl")
    _accepted(a, d)  # accepted after the run: no meeting yet
    manager = _token(personas["manager_fr"])
    with django_capture_on_commit_callbacks(execute=True):
        r = _call(client, "delete", f"{base}/meetings/{ab.pk}", auth=manager)
    assert r.status_code == 200
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [a.registration.user.email, scheduled["b"].registration.user.email]
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = _call(
            client, "post", f"{base}/schedule-runs", {"kind": "repair", "time_limit": 5}, manager
        )
    assert r.status_code == 201, r.content
    run = _call(client, "get", f"{base}/schedule-runs/{r.json()['id']}", auth=manager).json()
    assert (run["kind"], run["status"]) == ("repair", "succeeded")
    ac_before = (ac.slot_id, ac.table_id)
    ac.refresh_from_db()
    assert (ac.slot_id, ac.table_id) == ac_before  # nothing moved
    assert Meeting.objects.filter(request__recipient=d, status="scheduled").exists()
    ab.refresh_from_db()
    assert ab.status == Meeting.Status.CANCELLED  # the cancelled pair is not brought back
    runs = _call(client, "get", f"{base}/schedule-runs", auth=manager).json()
    assert [x["kind"] for x in runs][:2] == ["repair", "full"]
    assert _call(client, "get", f"{base}/quality", auth=manager).json()["meetings"] == 2


def test_deleting_a_slot_or_table_with_meetings_needs_cascade(
    scheduled: dict[str, Any], client: Any, personas: dict[str, Any], b2b: B2BSession
) -> None:
    base, ab = scheduled["base"], scheduled["ab"]
    manager = _token(personas["manager_fr"])
    r = _call(client, "delete", f"{base}/slots/{ab.slot_id}", auth=manager)
    assert (r.status_code, _fields(r)) == (422, {"slot"})
    r = _call(client, "delete", f"{base}/tables/{ab.table_id}", auth=manager)
    assert (r.status_code, _fields(r)) == (422, {"table"})
    r = _call(client, "patch", f"{base}/slots/{ab.slot_id}", {"is_break": True}, manager)
    assert (r.status_code, _fields(r)) == (422, {"is_break"})
    r = _call(client, "delete", f"{base}/slots/{ab.slot_id}?cascade=true", auth=manager)
    assert r.status_code == 200, r.content
    assert r.json()["meetings_removed"] >= 1
    assert not TimeSlot.objects.filter(pk=ab.slot_id).exists()
    assert not Meeting.objects.filter(pk=ab.pk).exists()
    # The request stays accepted: a repair run can place it again.
    assert MeetingRequest.objects.get(pk=ab.request_id).status == MeetingRequest.Status.ACCEPTED
    assert AuditEntry.objects.filter(action="b2b.slot_deleted").exists()


def test_publish_and_unpublish(
    scheduled: dict[str, Any], client: Any, personas: dict[str, Any], b2b: B2BSession
) -> None:
    base, a = scheduled["base"], scheduled["a"]
    manager = _token(personas["manager_fr"])
    mine = _token(a.registration.user)
    r = _call(client, "delete", f"{base}/publish", auth=manager)
    assert r.json()["agendas_published_at"] is None
    assert _call(client, "get", f"{base}/meetings", auth=mine).json() == []
    r = _call(client, "post", f"{base}/publish", {"notify": False}, manager)
    assert r.json()["agendas_published_at"] is not None
    assert len(_call(client, "get", f"{base}/meetings", auth=mine).json()) == 2
    assert len(_call(client, "get", f"{base}/meetings", auth=manager).json()) == 2


def test_cancelled_registration_tells_the_other_sides(
    scheduled: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, b, c = scheduled["a"], scheduled["b"], scheduled["c"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = _call(
            client,
            "delete",
            "/api/v1/events/partnering-lyon/registration",
            auth=_token(a.registration.user),
        )
    assert r.status_code == 200, r.content
    # Each other side is told once, in its own language (HCL's contact in French, UNIMI's in
    # Italian), so the subject is matched by recipient rather than by English words.
    told = sorted(m.to[0] for m in mail.outbox if m.to[0] != a.registration.user.email)
    assert told == sorted([b.registration.user.email, c.registration.user.email])
