from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alpsbio.events import services
from alpsbio.events.models import Meeting, Registration


def test_calendar_lists_and_filters(
    make_event: Any, client_for: Any, regions: dict[str, Any], networks: dict[str, Any]
) -> None:
    make_event("lyon", network=networks["autonomy"])
    make_event(
        "grenoble",
        region=regions["FRK24"],
        event_type="summer_school",
        title={"en": "Summer school Grenoble"},
    )
    client = client_for("anonymous")
    url = reverse("events:calendar")
    assert url == "/en/events/"
    body = client.get(url).content.decode()
    assert "Partnering day Lyon" in body
    assert "Summer school Grenoble" in body
    body = client.get(url, {"type": "summer_school"}).content.decode()
    assert "Summer school Grenoble" in body
    assert "Partnering day Lyon" not in body
    body = client.get(url, {"network": "autonomy-healthcare"}).content.decode()
    assert "Partnering day Lyon" in body
    assert "Summer school Grenoble" not in body
    body = client.get(url, {"region": "ITC4"}).content.decode()
    assert "No events match" in body
    assert client.get(url, {"year": "abc", "region": "<script>"}).status_code == 200


def test_event_page_in_french(event: Any, client_for: Any) -> None:
    resp = client_for("anonymous").get(f"/fr/events/{event.slug}/")
    assert resp.status_code == 200
    assert "Journée de partenariat Lyon" in resp.content.decode()


def test_register_and_cancel_through_pages(
    event: Any, client_for: Any, personas: dict[str, Any]
) -> None:
    services.add_question(personas["manager_fr"], event, label={"en": "Diet"}, required=True)
    client = client_for("member")
    detail = reverse("events:detail", args=[event.slug])
    assert "Register" in client.get(detail).content.decode()
    resp = client.post(reverse("events:register", args=[event.slug]), {})
    assert resp.status_code == 422  # the required answer is missing
    q = event.questions.get()
    resp = client.post(reverse("events:register", args=[event.slug]), {f"q_{q.pk}": "vegan"})
    assert resp.status_code == 302
    reg = Registration.objects.get(event=event, user=personas["member"])
    assert reg.status == "confirmed"
    assert reg.answers == {str(q.pk): "vegan"}
    assert reg.organisation is not None  # the member's organisation (UGA)
    client.post(reverse("events:cancel", args=[event.slug]))
    reg.refresh_from_db()
    assert reg.status == "cancelled"
    anon = client_for("anonymous").post(reverse("events:register", args=[event.slug]))
    assert anon.status_code == 302
    assert "/accounts/login/" in anon["Location"]


@pytest.mark.parametrize(
    "name", ["manage", "edit", "questions", "checkin_list", "b2b_setup", "badges"]
)
def test_organiser_pages_are_protected(event: Any, client_for: Any, name: str) -> None:
    url = reverse(f"events:{name}", args=[event.slug])
    assert client_for("member").get(url).status_code == 403
    assert client_for("manager_it").get(url).status_code == 403
    assert client_for("manager_fr").get(url).status_code == 200


def test_create_event_page(
    client_for: Any, regions: dict[str, Any], personas: dict[str, Any]
) -> None:
    client = client_for("manager_fr")
    assert client.get(reverse("events:create")).status_code == 200
    assert client_for("member").get(reverse("events:create")).status_code == 403
    resp = client.post(
        reverse("events:create"),
        {
            "slug": "annecy-workshop",
            "event_type": "workshop",
            "region": regions["FRK24"].pk,
            "starts_at": "2031-06-01T09:00",
            "ends_at": "2031-06-01T17:00",
            "capacity": "30",
            "title_en": "Workshop",
            "title_de": "Werkstatt",
            "registration_open": "on",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    # A region the manager does not manage is refused with a message, not a crash.
    resp = client.post(
        reverse("events:create"),
        {
            "slug": "milano",
            "event_type": "workshop",
            "region": regions["ITC4C"].pk,
            "starts_at": "2031-06-01T09:00",
            "ends_at": "2031-06-01T17:00",
            "capacity": "30",
            "title_en": "Milano",
        },
    )
    assert resp.status_code == 403


def test_check_in_with_htmx(event: Any, client_for: Any, make_user: Any) -> None:
    reg = services.register(make_user(), event)
    client = client_for("manager_fr")
    page = client.get(reverse("events:checkin_list", args=[event.slug])).content.decode()
    assert reg.user.last_name in page
    resp = client.post(reverse("events:checkin", args=[event.slug, reg.pk]), HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert f'id="reg-{reg.pk}"' in resp.content.decode()
    reg.refresh_from_db()
    assert reg.status == "attended"


def test_exports_and_badges(event: Any, client_for: Any, make_user: Any) -> None:
    services.register(make_user(), event)
    client = client_for("manager_fr")
    csv_resp = client.get(reverse("events:export", args=[event.slug, "registrations", "csv"]))
    assert csv_resp.status_code == 200
    assert csv_resp["Content-Type"].startswith("text/csv")
    xlsx = client.get(reverse("events:export", args=[event.slug, "attendance", "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert (
        client.get(reverse("events:export", args=[event.slug, "secrets", "csv"])).status_code == 404
    )
    pdf = client.get(reverse("events:badges", args=[event.slug]))
    assert pdf.status_code == 200
    assert pdf.content[:5] == b"%PDF-"


def test_b2b_pages_end_to_end(
    event: Any,
    b2b: Any,
    client_for: Any,
    personas: dict[str, Any],
    make_participant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Profile, browse, request, accept, schedule, grid, publish, agenda HTML/PDF, statistics."""
    services.register(personas["member"], event)
    member = client_for("member")
    resp = member.post(
        reverse("events:b2b_profile", args=[event.slug]),
        {
            "p-headline": "Cell therapy lab",
            "p-offers": "GMP facility",
            "p-is_published": "on",
        },
    )
    assert resp.status_code == 302
    other = make_participant("unimi", headline="Proteomics")
    page = member.get(reverse("events:b2b_marketplace", args=[event.slug]), {"country": "IT"})
    assert "Proteomics" in page.content.decode()
    resp = member.post(
        reverse("events:b2b_request", args=[event.slug, other.pk]),
        {"message": "Hello", "priority": "3"},
    )
    assert resp.status_code == 302
    req = other.received.get()
    services.respond_to_request(other.registration.user, req, accept=True)
    assert (
        "Cell therapy lab"
        not in client_for("outsider")
        .get(reverse("events:b2b_marketplace", args=[event.slug]))
        .content.decode()
    )
    manager = client_for("manager_fr")
    with django_capture_on_commit_callbacks(execute=True):
        resp = manager.post(
            reverse("events:b2b_schedule_run", args=[event.slug]), {"time_limit": "3"}
        )
    assert resp.status_code == 302
    page = manager.get(reverse("events:b2b_schedule", args=[event.slug])).content.decode()
    assert other.registration.display_name in page  # the meeting is in the grid
    assert Meeting.objects.filter(session=b2b).count() == 1
    run = b2b.runs.first()
    status = manager.get(
        reverse("events:b2b_run_status", args=[event.slug, run.pk]), HTTP_HX_REQUEST="true"
    )
    assert status.status_code == 200
    assert status["HX-Refresh"] == "true"
    # Not published yet: the participant sees a notice, not the agenda.
    agenda = member.get(reverse("events:agenda", args=[event.slug])).content.decode()
    assert "not published yet" in agenda
    manager.post(reverse("events:b2b_publish", args=[event.slug]))
    agenda = member.get(reverse("events:agenda", args=[event.slug])).content.decode()
    assert other.registration.display_name in agenda
    assert "Università degli Studi di Milano" in agenda
    pdf = member.get(reverse("events:agenda_pdf", args=[event.slug]))
    assert pdf.status_code == 200
    assert pdf.content[:5] == b"%PDF-"
    # Another participant cannot read the member's agenda by passing ?profile=.
    mine = personas["member"].event_registrations.get().b2b_profile
    spy = other.registration.user
    from django.test import Client

    spy_client = Client()
    spy_client.force_login(spy)
    spied = spy_client.get(reverse("events:agenda", args=[event.slug]), {"profile": mine.pk})
    assert "Cell therapy" not in spied.content.decode()
    stats = manager.get(reverse("events:b2b_statistics", args=[event.slug]))
    assert stats.status_code == 200
    assert "100 %" in stats.content.decode()
    assert (
        client_for("member").get(reverse("events:b2b_statistics", args=[event.slug])).status_code
        == 403
    )


def test_requests_page_shows_only_own(make_participant: Any, event: Any) -> None:
    from django.test import Client

    a, b, c = make_participant("uga"), make_participant("hcl"), make_participant("unimi")
    services.send_meeting_request(a.registration.user, a, b, message="secret-ab")
    client = Client()
    client.force_login(c.registration.user)
    page = client.get(reverse("events:b2b_requests", args=[event.slug])).content.decode()
    assert "secret-ab" not in page
    client.force_login(b.registration.user)
    page = client.get(reverse("events:b2b_requests", args=[event.slug])).content.decode()
    assert "secret-ab" in page


def test_dashboard_panel_lists_my_events(
    event: Any, client_for: Any, personas: dict[str, Any]
) -> None:
    """The member dashboard shows the events I registered for and those I organise."""
    services.register(personas["member"], event)
    page = client_for("member").get(reverse("accounts:dashboard")).content.decode()
    assert "My events" in page
    assert event.display_title in page
    page = client_for("manager_fr").get(reverse("accounts:dashboard")).content.decode()
    assert reverse("events:manage", args=[event.slug]) in page
