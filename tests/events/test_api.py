from __future__ import annotations

import json
from typing import Any

from alpsbio.accounts.models import ApiToken
from alpsbio.events.models import Meeting, Registration


def _token(user: Any) -> dict[str, str]:
    _t, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _post(client: Any, url: str, data: Any, auth: dict[str, str], method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(data), content_type="application/json", **auth)


def test_list_filter_and_detail(make_event: Any, client: Any, regions: dict[str, Any]) -> None:
    make_event("lyon")
    make_event(
        "isere", region=regions["FRK24"], event_type="workshop", title={"en": "Isère workshop"}
    )
    data = client.get("/api/v1/events/", {"region": "FRK24"}).json()
    assert data["total"] == 1
    assert data["items"][0]["slug"] == "isere"
    data = client.get("/api/v1/events/", {"type": "partnering_day"}).json()
    assert [e["slug"] for e in data["items"]] == ["lyon"]
    bad = client.get("/api/v1/events/", {"type": "party", "limit": "0"})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"type", "limit"} <= fields
    data = client.get("/api/v1/events/", {"q": "journée"}).json()
    assert [e["slug"] for e in data["items"]] == ["lyon"]  # matches the French title
    data = client.get("/api/v1/events/", {"q": "ISÈRE Workshop"}).json()
    assert [e["slug"] for e in data["items"]] == ["isere"]
    detail = client.get("/api/v1/events/lyon").json()
    assert detail["titles"]["fr"] == "Journée de partenariat Lyon"
    assert detail["seats"]["free"] == 50
    assert client.get("/api/v1/events/nope").status_code == 404


def test_create_event_via_api(client: Any, personas: dict[str, Any]) -> None:
    auth = _token(personas["manager_fr"])
    payload = {
        "slug": "api-event",
        "title": {"en": "API event"},
        "region": "FRK24",
        "starts_at": "2031-05-01T09:00:00+02:00",
        "ends_at": "2031-05-01T17:00:00+02:00",
    }
    resp = _post(client, "/api/v1/events/", payload, auth)
    assert resp.status_code == 201, resp.content
    resp = _post(client, "/api/v1/events/", {**payload, "slug": "x2", "region": "ITC4C"}, auth)
    assert resp.status_code == 403
    resp = _post(client, "/api/v1/events/", {**payload, "slug": "x3", "region": "ZZ9"}, auth)
    assert resp.status_code == 422
    resp = _post(
        client,
        "/api/v1/events/",
        {**payload, "slug": "x4", "ends_at": "2031-04-01T09:00:00+02:00"},
        auth,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "ends_at"
    assert _post(client, "/api/v1/events/", payload, {}).status_code == 401


def test_register_cancel_and_waiting_list(make_event: Any, client: Any, make_user: Any) -> None:
    make_event("small", capacity=1)
    u1, u2 = make_user(), make_user()
    a1, a2 = _token(u1), _token(u2)
    r = _post(client, "/api/v1/events/small/registration", {}, a1)
    assert r.status_code == 201
    assert r.json()["status"] == "confirmed"
    r = _post(client, "/api/v1/events/small/registration", {"language": "de"}, a2)
    assert r.json()["status"] == "waiting"
    assert _post(client, "/api/v1/events/small/registration", {}, a2).status_code == 422
    r = client.delete("/api/v1/events/small/registration", **a1)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    assert client.get("/api/v1/events/small/registration", **a2).json()["status"] == "confirmed"
    assert client.get("/api/v1/events/small/registrations", **a2).status_code == 403
    bad = _post(client, "/api/v1/events/small/registration", {"answers": {"1": ["x"]}}, a1)
    assert bad.status_code == 422


def test_b2b_flow_via_api(
    event: Any,
    b2b: Any,
    client: Any,
    make_user: Any,
    orgs: dict[str, Any],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    users = [make_user(orgs[k]) for k in ("uga", "unimi")]
    auths = [_token(u) for u in users]
    base = f"/api/v1/events/{event.slug}"
    profiles = []
    for auth in auths:
        assert _post(client, f"{base}/registration", {}, auth).status_code == 201
        r = _post(client, f"{base}/b2b/profile", {"headline": "We do X"}, auth, "put")
        assert r.status_code == 200
        profiles.append(r.json()["id"])
    listing = client.get(f"{base}/b2b/profiles", {"country": "IT"}, **auths[0]).json()
    assert [p["id"] for p in listing] == [profiles[1]]
    outsider = _token(personas["outsider"])
    assert client.get(f"{base}/b2b/profiles", **outsider).status_code == 403
    slots = client.get(f"{base}/b2b/availability", **auths[0]).json()
    r = _post(
        client, f"{base}/b2b/availability", {"unavailable_slots": [slots[0]["id"]]}, auths[0], "put"
    )
    assert r.status_code == 200
    assert r.json()[0]["available"] is False
    r = _post(
        client,
        f"{base}/b2b/requests",
        {"recipient": profiles[1], "message": "Hi", "priority": 4},
        auths[0],
    )
    assert r.status_code == 422
    r = _post(client, f"{base}/b2b/requests", {"recipient": profiles[1], "priority": 3}, auths[0])
    assert r.status_code == 201
    req_id = r.json()["id"]
    assert _post(client, f"{base}/b2b/requests/{req_id}/accept", {}, auths[0]).status_code == 403
    r = _post(client, f"{base}/b2b/requests/{req_id}/accept", {}, auths[1])
    assert r.json()["status"] == "accepted"
    assert _post(client, f"{base}/b2b/requests/{req_id}/accept", {}, outsider).status_code == 404
    manager = _token(personas["manager_fr"])
    assert (
        _post(client, f"{base}/b2b/schedule-runs", {"time_limit": 2}, auths[0]).status_code == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(client, f"{base}/b2b/schedule-runs", {"time_limit": 2}, manager)
    assert r.status_code == 201
    run = client.get(f"{base}/b2b/schedule-runs/{r.json()['id']}", **manager).json()
    assert run["status"] == "succeeded"
    assert run["stats"]["meetings"] == 1
    assert client.get(f"{base}/b2b/agenda", **auths[0]).json() == []  # not published yet
    assert len(client.get(f"{base}/b2b/agenda", {"profile": profiles[0]}, **manager).json()) == 1
    m = Meeting.objects.get()
    m.session.agendas_published_at = m.created_at
    m.session.save()
    agenda = client.get(f"{base}/b2b/agenda", **auths[1]).json()
    assert agenda[0]["with_profile"] == profiles[0]
    assert agenda[0]["table"]
    mine = client.get(f"{base}/b2b/requests", **auths[1]).json()
    assert [x["id"] for x in mine] == [req_id]
    reg = Registration.objects.get(user=users[0])
    r = _post(client, f"{base}/registrations/{reg.pk}/check-in", {}, manager)
    assert r.json()["status"] == "attended"


def test_bad_ids_are_404_or_422_never_500(
    event: Any, b2b: Any, client: Any, make_participant: Any, client_for: Any
) -> None:
    """Huge or malformed ids never crash the API (both databases)."""
    profile = make_participant("uga")
    auth = _token(profile.registration.user)
    base = f"/api/v1/events/{event.slug}"
    huge = "9" * 30
    assert _post(client, f"{base}/b2b/requests/{huge}/accept", {}, auth).status_code in (404, 422)
    assert _post(client, f"{base}/b2b/requests/abc/accept", {}, auth).status_code == 422
    r = _post(client, f"{base}/b2b/requests", {"recipient": int(huge)}, auth)
    assert r.status_code == 422
    r = _post(client, f"{base}/b2b/availability", {"unavailable_slots": [int(huge)]}, auth, "put")
    assert r.status_code == 422
    assert client.get(f"{base}/b2b/agenda", {"profile": huge}, **auth).status_code in (
        200,
        404,
        422,
    )
    manager = client_for("manager_fr")
    assert manager.post(f"/en/events/{event.slug}/check-in/{huge}/").status_code == 404
    assert manager.get(f"/en/events/{event.slug}/b2b/agenda/", {"profile": huge}).status_code == 404
