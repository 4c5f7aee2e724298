"""The whole permission matrix of the B2B API, and bad input that must never answer 500.

Roles: the event's organiser (``manager_fr``), a platform admin, a cluster manager of another
region, participant ``a`` (in meeting a-b), participant ``c`` (not in a-b), a signed-in outsider
and an anonymous caller. Harmless requests only (idempotent, or invalid on purpose once the
permission check has passed: the organiser then gets a 422 where others get 403/404).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from alpsbio.accounts.models import ApiToken
from alpsbio.events import services
from alpsbio.events.models import B2BSession, Meeting, MeetingRequest, ScheduleRun

MANAGE = {"organiser", "admin"}
SEE_B2B = MANAGE | {"participant", "other_participant"}
SEE_AB = MANAGE | {"participant"}
ROLES = [
    "organiser",
    "admin",
    "manager_it",
    "participant",
    "other_participant",
    "outsider",
    "anonymous",
]


def _call(client: Any, method: str, url: str, data: Any, auth: dict[str, str]) -> Any:
    if method == "get":
        return client.get(url, **auth)
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(url, body, content_type="application/json", **auth)


@pytest.fixture
def world(
    event: Any,
    b2b: B2BSession,
    make_participant: Any,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    a, b, c = make_participant("uga"), make_participant("hcl"), make_participant("unimi")
    for x, y in ((a, b), (a, c)):
        req = services.send_meeting_request(x.registration.user, x, y)
        services.respond_to_request(y.registration.user, req, accept=True)
    manager = personas["manager_fr"]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_schedule_run(manager, b2b, time_limit=5)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.SUCCEEDED, run.message
    services.publish_agendas(manager, b2b, notify=False)
    return {
        "a": a,
        "c": c,
        "ab": Meeting.objects.get(request__recipient=b),
        "run": run,
        "users": {
            "organiser": manager,
            "admin": personas["admin"],
            "manager_it": personas["manager_it"],
            "participant": a.registration.user,
            "other_participant": c.registration.user,
            "outsider": personas["outsider"],
            "anonymous": None,
        },
    }


def _expect(role: str, allowed: set[str], ok: int, denied: int = 403) -> int:
    if role == "anonymous":
        return 401
    return ok if role in allowed else denied


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role: str, world: dict[str, Any], client: Any, event: Any) -> None:
    user = world["users"][role]
    auth = {}
    if user is not None:
        _t, key = ApiToken.issue(user, "matrix")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    base = f"/api/v1/events/{event.slug}/b2b"
    ab, a = world["ab"], world["a"]
    slot, table = ab.slot, ab.table
    t0 = slot.starts_at.isoformat()
    t1 = (slot.starts_at + dt.timedelta(minutes=10)).isoformat()
    cases: list[tuple[str, str, Any, set[str], int, int]] = [
        # method, path, body, who may, their status, everyone else's status
        ("get", "", None, SEE_B2B, 200, 403),
        ("get", "/slots", None, SEE_B2B, 200, 403),
        ("post", "", {"min_meetings": 2}, MANAGE, 422, 403),
        ("patch", "", {}, MANAGE, 200, 403),
        ("post", "/slots", {"starts_at": t0, "ends_at": t1}, MANAGE, 422, 403),
        ("patch", f"/slots/{slot.pk}", {"is_break": True}, MANAGE, 422, 403),
        ("delete", f"/slots/{slot.pk}", None, MANAGE, 422, 403),
        ("get", "/tables", None, MANAGE, 200, 403),
        ("post", "/tables", {"number": table.number}, MANAGE, 422, 403),
        ("patch", f"/tables/{table.pk}", {"label": "Window"}, MANAGE, 200, 403),
        ("delete", f"/tables/{table.pk}", None, MANAGE, 422, 403),
        ("get", f"/profiles/{a.pk}/availability", None, MANAGE, 200, 403),
        ("put", f"/profiles/{a.pk}/availability", {"unavailable_slots": []}, MANAGE, 200, 403),
        ("get", "/grid", None, MANAGE, 200, 403),
        ("get", "/quality", None, MANAGE, 200, 403),
        ("get", "/statistics", None, MANAGE, 200, 403),
        ("get", "/schedule-runs", None, MANAGE, 200, 403),
        ("get", f"/schedule-runs/{world['run'].pk}", None, MANAGE, 200, 403),
        ("post", "/publish", {"notify": False}, MANAGE, 200, 403),
        ("get", f"/meetings/{ab.pk}", None, SEE_AB, 200, 404),
        ("patch", f"/meetings/{ab.pk}", {"pinned": True}, MANAGE, 200, 404),
        ("post", "/schedule-runs", {"kind": "repair", "time_limit": 5}, MANAGE, 201, 403),
    ]
    for method, path, body, allowed, ok, denied in cases:
        if method == "patch" and path.startswith("/meetings/") and role == "participant":
            denied_here = 403  # sees the meeting, may not move or pin it
        else:
            denied_here = denied
        resp = _call(client, method, base + path, body, auth)
        expected = _expect(role, allowed, ok, denied_here)
        assert resp.status_code == expected, (method, path, resp.status_code, resp.content)
    # Meetings listed: everything for managers, only one's own for participants.
    resp = _call(client, "get", base + "/meetings", None, auth)
    if role == "anonymous":
        assert resp.status_code == 401
    elif role in MANAGE:
        assert len(resp.json()) == 2
    elif role in SEE_B2B:
        ids = {m["id"] for m in resp.json()}
        assert (ab.pk in ids) == (role == "participant")
        assert len(ids) == 1 + (role == "participant")
    else:
        assert resp.status_code == 404
    # Cancelling meeting a-b: the organisers and a; b too (not a role here).
    resp = _call(client, "post", f"{base}/meetings/{ab.pk}/cancel", {"reason": ""}, auth)
    assert resp.status_code == _expect(role, SEE_AB, 200, 404), resp.content
    ab.refresh_from_db()
    assert (ab.status == Meeting.Status.CANCELLED) == (role in SEE_AB)


def test_bad_input_never_500(
    world: dict[str, Any],
    client: Any,
    event: Any,
    make_event: Any,
    personas: dict[str, Any],
    future: dt.datetime,
) -> None:
    """Wrong ids, wrong types, another event's slots/tables/profiles: 404 or 422, never 500."""
    manager = personas["manager_fr"]
    other = make_event("other-day")
    other_session = services.enable_b2b(manager, other)
    services.set_time_slots(manager, other_session, first_start=future, n_slots=2, minutes=20)
    services.set_tables(manager, other_session, n_tables=1)
    other_slot = other_session.slots.first()
    other_table = other_session.tables.first()
    assert other_slot is not None
    assert other_table is not None
    _t, key = ApiToken.issue(manager, "bad")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    base = f"/api/v1/events/{event.slug}/b2b"
    ab, a = world["ab"], world["a"]
    huge = "9" * 30
    cases: list[tuple[str, str, Any]] = [
        ("get", f"/meetings/{huge}", None),
        ("get", "/meetings/abc", None),
        ("get", "/meetings/0", None),
        ("get", "/meetings?status=lost", None),
        ("patch", f"/meetings/{ab.pk}", {"slot": other_slot.pk}),
        ("patch", f"/meetings/{ab.pk}", {"table": other_table.pk}),
        ("patch", f"/meetings/{ab.pk}", {"slot": "first"}),
        ("patch", f"/meetings/{ab.pk}", {"slot": int(huge)}),
        ("patch", f"/meetings/{ab.pk}", {"pinned": "perhaps"}),
        ("patch", f"/meetings/{ab.pk}", {"held": [1]}),
        ("post", f"/meetings/{ab.pk}/cancel", {"reason": "x" * 501}),
        ("patch", f"/slots/{other_slot.pk}", {"is_break": True}),
        ("delete", f"/slots/{other_slot.pk}", None),
        ("delete", f"/slots/{huge}", None),
        ("delete", f"/slots/{ab.slot_id}?cascade=maybe", None),
        ("patch", f"/slots/{ab.slot_id}", {"starts_at": "yesterday"}),
        ("patch", f"/slots/{ab.slot_id}", {"ends_at": "2031-01-01T09:00:00+01:00"}),
        ("post", "/slots", {"starts_at": None, "ends_at": 5}),
        ("post", "/slots", {}),
        ("patch", f"/tables/{other_table.pk}", {"label": "x"}),
        ("patch", f"/tables/{ab.table_id}", {"number": 0}),
        ("patch", f"/tables/{ab.table_id}", {"number": 99999}),
        ("patch", f"/tables/{ab.table_id}", {"owner": int(huge)}),
        ("patch", f"/tables/{ab.table_id}", {"owner": "me"}),
        ("post", "/tables", {"label": "y" * 61}),
        ("delete", f"/tables/{other_table.pk}", None),
        ("put", f"/profiles/{a.pk}/availability", {"unavailable_slots": [other_slot.pk]}),
        ("put", f"/profiles/{a.pk}/availability", {"unavailable_slots": ["x"]}),
        ("put", f"/profiles/{huge}/availability", {"unavailable_slots": []}),
        ("get", f"/profiles/{huge}/availability", None),
        ("patch", "", {"min_meetings": "three"}),
        ("patch", "", {"min_meetings": -1}),
        ("post", "/schedule-runs", {"kind": "magic"}),
        ("post", "/schedule-runs", {"time_limit": 0}),
        ("get", f"/schedule-runs/{huge}", None),
        ("post", "/publish", {"notify": "loud"}),
    ]
    for method, path, body in cases:
        resp = _call(client, method, base + path, body, auth)
        assert resp.status_code in (404, 422), (method, path, resp.status_code, resp.content)
        if resp.status_code == 422:
            assert resp.json()["errors"], (method, path)
    # Not JSON at all: a client error.
    resp = client.patch(
        f"{base}/meetings/{ab.pk}", "{not json", content_type="application/json", **auth
    )
    assert 400 <= resp.status_code < 500
    # An unknown event.
    assert _call(client, "get", "/api/v1/events/nope/b2b/grid", None, auth).status_code == 404
    # Nothing was changed by all this.
    ab.refresh_from_db()
    assert ab.status == Meeting.Status.SCHEDULED
    assert MeetingRequest.objects.get(pk=ab.request_id).status == "accepted"
    assert other_session.slots.count() == 2
