"""Who may do what with events, registrations and B2B meetings (pages, admin and API alike).

- An event is managed by its organisers, by the cluster managers of its region and by platform
  admins. Only cluster managers (or admins) create events, in a region they manage, and only
  cluster managers may be organisers.
- Any signed-in user may register for an open event; a registration, its answers, its B2B profile,
  its meeting requests and its agenda are seen by its participant and by the event's managers only.
- Published B2B profiles are seen by the session's participants and managers.
- A B2B session's set-up (slots, tables, booths, K, availability of anyone), its grid, quality
  figures, statistics and scheduling runs are the managers' business; a participant sees the slots
  and their own meetings, and cancels a scheduled meeting of their own.
"""

from __future__ import annotations

from typing import Any

from alpsbio.accounts.permissions import (
    is_cluster_manager,
    is_platform_admin,
    manages_region,
)
from alpsbio.events.models import B2BProfile, Event, Meeting, MeetingRequest, Registration


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_create_event(user: Any, region_code: str | None = None) -> bool:
    if not is_cluster_manager(user):
        return False
    return region_code is None or manages_region(user, region_code)


def can_be_organiser(user: Any) -> bool:
    return _signed_in(user) and is_cluster_manager(user)


def can_manage_event(user: Any, event: Event) -> bool:
    if not _signed_in(user):
        return False
    if is_platform_admin(user) or manages_region(user, event.region.code):
        return True
    return event.organisers.filter(pk=user.pk).exists()


def can_register(user: Any, event: Event) -> bool:
    return _signed_in(user)


def can_view_registration(user: Any, registration: Registration) -> bool:
    if not _signed_in(user):
        return False
    return registration.user_id == user.pk or can_manage_event(user, registration.event)


def can_edit_registration(user: Any, registration: Registration) -> bool:
    return can_view_registration(user, registration)


def is_b2b_participant(user: Any, event: Event) -> bool:
    if not _signed_in(user):
        return False
    return Registration.objects.filter(
        event=event, user=user, status__in=Registration.SEATED
    ).exists()


def can_browse_profiles(user: Any, event: Event) -> bool:
    return is_b2b_participant(user, event) or can_manage_event(user, event)


def can_edit_profile(user: Any, profile: B2BProfile) -> bool:
    return can_view_registration(user, profile.registration)


def can_view_request(user: Any, request: MeetingRequest) -> bool:
    if not _signed_in(user):
        return False
    if user.pk in (request.requester.registration.user_id, request.recipient.registration.user_id):
        return True
    return can_manage_event(user, request.session.event)


def can_answer_request(user: Any, request: MeetingRequest) -> bool:
    return _signed_in(user) and request.recipient.registration.user_id == user.pk


def can_withdraw_request(user: Any, request: MeetingRequest) -> bool:
    return _signed_in(user) and request.requester.registration.user_id == user.pk


def can_view_agenda(user: Any, registration: Registration) -> bool:
    return can_view_registration(user, registration)


def can_manage_b2b(user: Any, event: Event) -> bool:
    """Set up the brokerage, see the grid, move/pin/cancel any meeting, run the scheduler."""
    return can_manage_event(user, event)


def is_meeting_participant(user: Any, meeting: Meeting) -> bool:
    if not _signed_in(user):
        return False
    req = meeting.request
    return user.pk in (req.requester.registration.user_id, req.recipient.registration.user_id)


def can_view_meeting(user: Any, meeting: Meeting) -> bool:
    return is_meeting_participant(user, meeting) or can_manage_event(user, meeting.session.event)


def can_cancel_meeting(user: Any, meeting: Meeting) -> bool:
    """Either participant of the meeting, or the event's managers."""
    return can_view_meeting(user, meeting)
