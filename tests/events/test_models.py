from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from alpsbio.events.models import Event, MeetingRequest, Registration


def test_title_is_localised_with_fallback(event: Event) -> None:
    """The title follows the active language and falls back to English."""
    with translation.override("fr"):
        assert event.display_title == "Journée de partenariat Lyon"
        assert event.title_lang == "fr"
    with translation.override("de"):
        assert event.display_title == "Partnering day Lyon"
        assert event.title_lang == "en"
    assert str(event) == event.display_title


def test_one_registration_per_user_and_event(event: Event, personas: dict[str, Any]) -> None:
    """The database refuses a second registration row for the same person."""
    from django.utils import timezone

    Registration.objects.create(event=event, user=personas["member"], queued_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(event=event, user=personas["member"], queued_at=timezone.now())


def test_priority_constraint(make_participant: Any) -> None:
    """Priorities outside 1..3 are refused by the database too."""
    a, b = make_participant("uga"), make_participant("hcl")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingRequest.objects.create(session=a.session, requester=a, recipient=b, priority=7)


def test_tokens_are_unique_and_secret(event: Event, make_user: Any) -> None:
    """Each registration gets its own unguessable agenda token."""
    from alpsbio.events import services

    r1 = services.register(make_user(), event)
    r2 = services.register(make_user(), event)
    assert r1.agenda_token != r2.agenda_token
    assert len(r1.agenda_token) >= 30
