from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from alpsbio.events import ical, services


def test_escaping_rfc5545() -> None:
    """Backslash, semicolon, comma and newlines are escaped in TEXT values (3.3.11)."""
    assert ical.escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_folding_at_75_octets_without_splitting_utf8() -> None:
    line = "SUMMARY:" + "é" * 100  # 2 octets each
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert ical.unfold(folded) == [line]


def test_calendar_document_shape() -> None:
    ev = ical.VEvent(
        uid="x@alpsbio",
        start=dt.datetime(2031, 3, 17, 9, tzinfo=dt.UTC),
        end=dt.datetime(2031, 3, 17, 10, tzinfo=dt.UTC),
        summary="Meet, greet; talk",
    )
    text = ical.calendar([ev], "Test", stamp=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = ical.unfold(text)
    assert "DTSTART:20310317T090000Z" in lines
    assert "DTSTAMP:20300101T000000Z" in lines
    assert "SUMMARY:Meet\\, greet\\; talk" in lines
    assert "\n" not in text.replace("\r\n", "")


def test_feeds(
    make_event: Any,
    client_for: Any,
    regions: dict[str, Any],
    make_user: Any,
    b2b: Any,
    make_participant: Any,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    lyon = make_event("lyon-2", title={"en": "Lyon, biotech; day"})
    make_event("isere", region=regions["FRK24"], title={"en": "Isère workshop"}, city="Grenoble")
    client = client_for("anonymous")
    whole = client.get(reverse("events:ical_calendar"), {"region": "FRK24"})
    assert whole["Content-Type"].startswith("text/calendar")
    text = whole.content.decode()
    assert "Isère workshop" in text
    assert "lyon-2" not in text
    one = client.get(reverse("events:ical_event", args=[lyon.slug])).content.decode()
    assert "SUMMARY:Lyon\\, biotech\\; day" in ical.unfold(one)
    # A participant's agenda: the event, plus their meetings once agendas are published.
    a, b = make_participant("uga"), make_participant("unimi")
    req = services.send_meeting_request(a.registration.user, a, b)
    services.respond_to_request(b.registration.user, req, accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_schedule_run(personas["manager_fr"], b2b, time_limit=2)
    url = reverse("events:ical_agenda", args=[a.registration.agenda_token])
    text = client.get(url).content.decode()
    assert text.count("BEGIN:VEVENT") == 1
    services.publish_agendas(personas["manager_fr"], b2b, notify=False)
    lines = ical.unfold(client.get(url).content.decode())
    assert sum(1 for line in lines if line == "BEGIN:VEVENT") == 2
    assert any(line.startswith("LOCATION:Table ") for line in lines)
    assert client.get(reverse("events:ical_agenda", args=["wrong-token"])).status_code == 404
