"""The events app's part of a person's data: registrations (with their answers), B2B profiles
and meeting requests, and the events they organise. Registrations stay when the account is
erased, so attendance figures reported to the EU project do not change, but without the
person's name or answers."""

from __future__ import annotations

from typing import Any

from alpsbio.core.i18n import localized
from alpsbio.core.personal_data import iso
from alpsbio.events.models import B2BProfile, Event, MeetingRequest, Registration


def export_events(user: Any) -> dict[str, Any]:
    registrations = Registration.objects.filter(user=user).select_related("event", "organisation")
    profiles = B2BProfile.objects.filter(registration__user=user)
    requests = MeetingRequest.objects.filter(requester__registration__user=user) | (
        MeetingRequest.objects.filter(recipient__registration__user=user)
    )
    return {
        "registrations": [
            {
                "event": localized(r.event.title),
                "starts_at": iso(r.event.starts_at),
                "organisation": r.organisation.display_name if r.organisation else None,
                "status": r.status,
                "answers": r.answers,
                "checked_in_at": iso(r.checked_in_at),
            }
            for r in registrations.order_by("queued_at")
        ],
        "b2b_profiles": [
            {
                "headline": p.headline,
                "description": p.description,
                "offers": p.offers,
                "needs": p.needs,
                "published": p.is_published,
            }
            for p in profiles.order_by("pk")
        ],
        "meeting_requests": [
            {
                "from": m.requester.headline,
                "to": m.recipient.headline,
                "message": m.message,
                "priority": m.priority,
                "status": m.status,
            }
            for m in requests.select_related("requester", "recipient").distinct().order_by("pk")
        ],
        "events_organised": [
            localized(e.title) for e in Event.objects.filter(organisers=user).order_by("starts_at")
        ],
    }


def erase_events(user: Any) -> None:
    Registration.objects.filter(user=user).update(answers={})
    for event in Event.objects.filter(organisers=user):
        event.organisers.remove(user)
