"""Background work of the events app (django-tasks). Tasks take IDs and are thin shells.

E-mails are rendered in the participant's language (``alpsbio.core.i18n.language``).
"""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from alpsbio.core.i18n import language
from alpsbio.core.links import absolute
from alpsbio.events.models import B2BProfile, Event, Meeting, MeetingRequest, Registration


def _send(template: str, context: dict[str, object], to: str, lang: str) -> None:
    with language(lang):
        subject = render_to_string(f"events/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"events/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])


@task()
def send_registration_email(registration_id: int, kind: str) -> bool:
    """``kind``: confirmation (registered / on the waiting list) or promoted (got a seat)."""
    reg = (
        Registration.objects.select_related("event", "user", "event__region")
        .filter(pk=registration_id)
        .first()
    )
    if reg is None or not reg.user.email:
        return False
    with language(reg.language):
        url = absolute(reverse("events:detail", args=[reg.event.slug]))
        agenda = absolute(reverse("events:ical_agenda", args=[reg.agenda_token]))
    _send(
        "registration",
        {"reg": reg, "event": reg.event, "kind": kind, "url": url, "agenda_url": agenda},
        reg.user.email,
        reg.language,
    )
    return True


@task()
def send_request_email(request_id: int) -> bool:
    req = (
        MeetingRequest.objects.select_related(
            "session__event", "requester__registration__user", "recipient__registration__user"
        )
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        return False
    reg = req.recipient.registration
    with language(reg.language):
        url = absolute(reverse("events:b2b_requests", args=[req.session.event.slug]))
    _send(
        "meeting_request",
        {"req": req, "event": req.session.event, "url": url},
        reg.user.email,
        reg.language,
    )
    return True


@task()
def send_meeting_cancelled_email(meeting_id: int, profile_id: int, reason: str = "") -> bool:
    """Tell one participant that a meeting of theirs was cancelled (in their language)."""
    meeting = (
        Meeting.objects.select_related(
            "slot",
            "table",
            "session__event",
            "request__requester__registration__user",
            "request__recipient__registration__user",
            "request__requester__organisation",
            "request__recipient__organisation",
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        return False
    req = meeting.request
    if profile_id == req.requester_id:
        profile, other = req.requester, req.recipient
    elif profile_id == req.recipient_id:
        profile, other = req.recipient, req.requester
    else:
        return False
    reg = profile.registration
    if not reg.user.email:
        return False
    event = meeting.session.event
    with language(reg.language):
        url = absolute(reverse("events:agenda", args=[event.slug]))
        starts = timezone.localtime(meeting.slot.starts_at)
    _send(
        "meeting_cancelled",
        {
            "meeting": meeting,
            "event": event,
            "other": other,
            "starts": starts,
            "reason": reason,
            "url": url,
        },
        reg.user.email,
        reg.language,
    )
    return True


@task()
def send_agenda_emails(session_id: int) -> int:
    sent = 0
    for profile in B2BProfile.objects.filter(
        session_id=session_id, registration__status__in=Registration.SEATED
    ).select_related("registration__user", "session__event"):
        reg = profile.registration
        if not reg.user.email:
            continue
        with language(reg.language):
            url = absolute(reverse("events:agenda", args=[profile.session.event.slug]))
            ical = absolute(reverse("events:ical_agenda", args=[reg.agenda_token]))
        _send(
            "agenda",
            {"reg": reg, "event": profile.session.event, "url": url, "ical_url": ical},
            reg.user.email,
            reg.language,
        )
        sent += 1
    return sent


@task()
def send_event_reminders(event_id: int) -> int:
    """Remind every confirmed participant who has not been reminded yet."""
    from alpsbio.events.services import mark_reminder_sent

    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    regs = list(
        Registration.objects.filter(
            event=event, status=Registration.Status.CONFIRMED, reminder_sent_at__isnull=True
        ).select_related("user")
    )
    for reg in regs:
        with language(reg.language):
            url = absolute(reverse("events:detail", args=[event.slug]))
        _send("reminder", {"reg": reg, "event": event, "url": url}, reg.user.email, reg.language)
    mark_reminder_sent(r.pk for r in regs)
    return len(regs)


@task()
def send_due_reminders(days_ahead: int = 2) -> int:
    """Periodic: queue reminders for events starting within ``days_ahead`` days."""
    now = timezone.now()
    events = Event.objects.filter(
        starts_at__gte=now, starts_at__lte=now + dt.timedelta(days=days_ahead)
    )
    for event in events:
        send_event_reminders.enqueue(event.pk)
    return events.count()


@task()
def run_schedule(run_id: int) -> str:
    from alpsbio.events.services import execute_schedule_run

    return str(execute_schedule_run(run_id).status)
