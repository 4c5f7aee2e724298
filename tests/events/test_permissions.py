from __future__ import annotations

from typing import Any

import pytest

from alpsbio.events import permissions
from alpsbio.events.models import Event


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("admin", True),
        ("manager_fr", True),  # organiser and manager of FRK2
        ("manager_it", False),
        ("editor", False),
        ("member", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_who_manages_an_event(
    event: Event, personas: dict[str, Any], persona: str, allowed: bool
) -> None:
    """Organisers, the region's cluster managers and admins manage an event; nobody else."""
    assert permissions.can_manage_event(personas[persona], event) is allowed


def test_an_organiser_from_another_region_manages(event: Event, personas: dict[str, Any]) -> None:
    """An organiser manages the event even outside their own region."""
    event.organisers.add(personas["manager_it"])
    assert permissions.can_manage_event(personas["manager_it"], event)


def test_only_managers_create_events_in_their_region(personas: dict[str, Any]) -> None:
    assert permissions.can_create_event(personas["manager_fr"], "FRK24")
    assert not permissions.can_create_event(personas["manager_fr"], "ITC4C")
    assert not permissions.can_create_event(personas["editor"])
    assert permissions.can_create_event(personas["admin"], "ITC4C")


def test_participants_see_only_their_requests(
    make_participant: Any, personas: dict[str, Any]
) -> None:
    """A request is visible to its two participants and to the organisers only."""
    from alpsbio.events import services

    a, b, c = make_participant("uga"), make_participant("hcl"), make_participant("unimi")
    req = services.send_meeting_request(a.registration.user, a, b, priority=2)
    assert permissions.can_view_request(a.registration.user, req)
    assert permissions.can_view_request(b.registration.user, req)
    assert not permissions.can_view_request(c.registration.user, req)
    assert permissions.can_view_request(personas["manager_fr"], req)
    assert permissions.can_answer_request(b.registration.user, req)
    assert not permissions.can_answer_request(a.registration.user, req)


def test_admin_is_read_only_and_filtered(make_event: Any, client_for: Any) -> None:
    """The admin shows managers only the events they manage, and changes nothing."""
    event = make_event("lyon-admin")
    url = "/en/admin/events/event/"
    assert event.slug in client_for("manager_fr").get(url).content.decode()
    assert event.slug not in client_for("manager_it").get(url).content.decode()
    assert client_for("admin").get(f"{url}add/").status_code == 403
