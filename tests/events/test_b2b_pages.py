"""The B2B pages for the same actions as the API: single slots, breaks and tables on the set-up
page, cancelling meetings from the grid and from a participant's agenda, the repair button."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alpsbio.events import services
from alpsbio.events.models import B2BSession, Meeting, ScheduleRun, Table, TimeSlot


@pytest.fixture
def scheduled(
    event: Any,
    b2b: B2BSession,
    make_participant: Any,
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    a, b, c = make_participant("uga"), make_participant("hcl", lang="fr"), make_participant("unimi")
    for x, y in ((a, b), (a, c)):
        req = services.send_meeting_request(x.registration.user, x, y)
        services.respond_to_request(y.registration.user, req, accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_schedule_run(personas["manager_fr"], b2b, time_limit=5)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.SUCCEEDED, run.message
    services.publish_agendas(personas["manager_fr"], b2b, notify=False)
    mail.outbox.clear()
    return {"a": a, "b": b, "c": c, "ab": Meeting.objects.get(request__recipient=b)}


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_setup_page_single_slots_and_tables(
    event: Any, b2b: B2BSession, client_for: Any, future: dt.datetime
) -> None:
    manager = client_for("manager_fr")
    setup = reverse("events:b2b_setup", args=[event.slug])
    body = manager.get(setup).content.decode()
    assert "Add a slot" in body
    assert "Add a table" in body
    last = b2b.slots.order_by("starts_at").last()
    assert last is not None
    start = last.ends_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    fmt = "%Y-%m-%dT%H:%M"
    url = reverse("events:b2b_slot_add", args=[event.slug])
    # Overlapping the last slot: refused with the service's message.
    resp = manager.post(
        url,
        {
            "starts_at": (start - dt.timedelta(minutes=10)).strftime(fmt),
            "ends_at": (start + dt.timedelta(minutes=10)).strftime(fmt),
        },
        follow=True,
    )
    assert "overlaps" in resp.content.decode()
    n = b2b.slots.count()
    resp = manager.post(
        url,
        {
            "starts_at": start.strftime(fmt),
            "ends_at": (start + dt.timedelta(minutes=20)).strftime(fmt),
            "is_break": "on",
        },
    )
    assert resp.status_code == 302
    assert b2b.slots.count() == n + 1
    new = b2b.slots.order_by("starts_at").last()
    assert new is not None
    assert new.is_break
    manager.post(reverse("events:b2b_slot_break", args=[event.slug, new.pk]), {"is_break": "0"})
    new.refresh_from_db()
    assert not new.is_break
    manager.post(reverse("events:b2b_slot_delete", args=[event.slug, new.pk]))
    assert not TimeSlot.objects.filter(pk=new.pk).exists()
    manager.post(reverse("events:b2b_table_add", args=[event.slug]), {"label": "Terrace"})
    table = b2b.tables.get(label="Terrace")
    assert table.number == 4
    manager.post(reverse("events:b2b_table_delete", args=[event.slug, table.pk]))
    assert not Table.objects.filter(pk=table.pk).exists()
    # Others may not.
    member = client_for("member")
    assert member.post(url, {}).status_code == 403
    assert member.post(reverse("events:b2b_table_add", args=[event.slug]), {}).status_code == 403


def test_grid_cancel_repair_and_cascade(
    scheduled: dict[str, Any],
    event: Any,
    b2b: B2BSession,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = client_for("manager_fr")
    ab = scheduled["ab"]
    page = reverse("events:b2b_schedule", args=[event.slug])
    body = manager.get(page).content.decode()
    assert "Cancel the meeting" in body
    assert "Fill freed slots" in body
    # A slot that holds a meeting: removed only with its meetings.
    other = Meeting.objects.exclude(pk=ab.pk).get()
    resp = manager.post(
        reverse("events:b2b_slot_delete", args=[event.slug, other.slot_id]), follow=True
    )
    assert "cascade" in resp.content.decode()
    assert TimeSlot.objects.filter(pk=other.slot_id).exists()
    manager.post(
        reverse("events:b2b_slot_delete", args=[event.slug, other.slot_id]), {"cascade": "1"}
    )
    assert not Meeting.objects.filter(pk=other.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        resp = manager.post(
            reverse("events:b2b_meeting_cancel", args=[event.slug, ab.pk]),
            {"reason": "Room closed"},
        )
    assert resp.status_code == 302
    ab.refresh_from_db()
    assert ab.status == Meeting.Status.CANCELLED
    assert len(mail.outbox) == 2  # both participants
    assert all("Room closed" in m.body for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("events:b2b_schedule_repair", args=[event.slug]))
    run = ScheduleRun.objects.filter(session=b2b, kind=ScheduleRun.Kind.REPAIR).get()
    assert run.status == ScheduleRun.Status.SUCCEEDED, run.message
    # The a-c request stayed accepted when its slot went: the repair placed it again.
    assert Meeting.objects.filter(
        request__recipient=scheduled["c"], status=Meeting.Status.SCHEDULED
    ).exists()
    body = manager.get(page).content.decode()
    assert '<div class="stat"><strong>1</strong>' in body  # one meeting now


def test_participant_cancels_from_the_agenda(
    scheduled: dict[str, Any], event: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    a, b, c, ab = scheduled["a"], scheduled["b"], scheduled["c"], scheduled["ab"]
    url = reverse("events:b2b_meeting_cancel", args=[event.slug, ab.pk])
    assert _as(c.registration.user).post(url).status_code == 404  # not c's meeting
    assert client_for("outsider").post(url).status_code == 404
    assert client_for("member").post(url).status_code in (403, 404)
    mine = _as(a.registration.user)
    body = mine.get(reverse("events:agenda", args=[event.slug])).content.decode()
    assert "Cancel this meeting" in body
    with django_capture_on_commit_callbacks(execute=True):
        resp = mine.post(url, {"reason": "Ill", "next": "agenda"})
    assert resp.status_code == 302
    assert resp["Location"] == reverse("events:agenda", args=[event.slug])
    ab.refresh_from_db()
    assert ab.status == Meeting.Status.CANCELLED
    assert [m.to for m in mail.outbox] == [[b.registration.user.email]]
    assert "/fr/events/" in mail.outbox[0].body


def test_organiser_sets_a_participants_availability(
    event: Any, b2b: B2BSession, make_participant: Any, client_for: Any
) -> None:
    a = make_participant("uga")
    slot = b2b.slots.filter(is_break=False).first()
    assert slot is not None
    url = reverse("events:b2b_availability", args=[event.slug, a.pk])
    manager = client_for("manager_fr")
    assert url in manager.get(reverse("events:b2b_setup", args=[event.slug])).content.decode()
    assert manager.get(url).status_code == 200
    assert manager.post(url, {"unavailable": [str(slot.pk)]}).status_code == 302
    assert list(a.unavailable_slots.values_list("pk", flat=True)) == [slot.pk]
    assert manager.post(url, {"unavailable": ["999999"]}).status_code == 200  # not a choice
    assert _as(a.registration.user).get(url).status_code == 403
    assert (
        manager.get(reverse("events:b2b_availability", args=[event.slug, 999999])).status_code
        == 404
    )
