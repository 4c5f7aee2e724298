"""Every state change of events, registrations and B2B meetings.

Each function checks permissions (``alpsbio.events.permissions``), owns its transaction, writes an
audit entry and raises ``PermissionDenied`` or a field-level ``ValidationError``. E-mails and the
scheduler run in tasks enqueued on commit (``alpsbio.events.tasks``).

Capacity: ``register`` and ``cancel_registration`` lock the event row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``), so two concurrent registrations for
the last seat cannot both be confirmed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.accounts.models import OrganisationRole, User
from alpsbio.core import audit
from alpsbio.core.i18n import LANGUAGE_CODES, clean_translations
from alpsbio.directory.models import Network, Organisation, Region
from alpsbio.events import permissions
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Event,
    EventType,
    Meeting,
    MeetingRequest,
    Question,
    Registration,
    ScheduleRun,
    Table,
    TimeSlot,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------

EVENT_FIELDS = (
    "title",
    "description",
    "event_type",
    "region",
    "network",
    "venue",
    "city",
    "starts_at",
    "ends_at",
    "capacity",
    "registration_open",
)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _clean_event_fields(data: Mapping[str, Any], event: Event | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for key in ("title", "description"):
        if key in data:
            try:
                out[key] = clean_translations(data[key], key)
            except ValueError as exc:
                errors.setdefault(key, []).append(str(exc))
    if ("title" in out and not out["title"]) or (event is None and not data.get("title")):
        errors.setdefault("title", []).append(_("Give the event a title in at least one language."))
    if "event_type" in data:
        if data["event_type"] not in EventType.values:
            errors.setdefault("event_type", []).append(_("Unknown event type."))
        out["event_type"] = data["event_type"]
    if "region" in data:
        if not isinstance(data["region"], Region):
            errors.setdefault("region", []).append(_("Choose a region."))
        out["region"] = data["region"]
    if "network" in data:
        if data["network"] is not None and not isinstance(data["network"], Network):
            errors.setdefault("network", []).append(_("Unknown network."))
        out["network"] = data["network"]
    for key in ("venue", "city"):
        if key in data:
            out[key] = str(data[key] or "").strip()[:200]
    for key in ("starts_at", "ends_at"):
        if key in data:
            value = data[key]
            if not isinstance(value, dt.datetime) or timezone.is_naive(value):
                errors.setdefault(key, []).append(_("Give a date and time with a time zone."))
            out[key] = value
    starts = out.get("starts_at", event.starts_at if event else None)
    ends = out.get("ends_at", event.ends_at if event else None)
    if event is None and (starts is None or ends is None):
        errors.setdefault("starts_at", []).append(_("Give the start and end."))
    elif (
        isinstance(starts, dt.datetime)
        and isinstance(ends, dt.datetime)
        and not errors.get("starts_at")
        and not errors.get("ends_at")
        and ends < starts
    ):
        errors.setdefault("ends_at", []).append(_("The event cannot end before it starts."))
    if "capacity" in data:
        cap = data["capacity"]
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1 or cap > 100_000:
            errors.setdefault("capacity", []).append(_("Capacity is a number from 1 to 100000."))
        out["capacity"] = cap
    if "registration_open" in data:
        out["registration_open"] = bool(data["registration_open"])
    if errors:
        raise ValidationError(errors)
    return out


def _check_organisers(organisers: Sequence[User]) -> None:
    if not organisers:
        raise ValidationError({"organisers": [_("An event needs at least one organiser.")]})
    bad = [u.get_username() for u in organisers if not permissions.can_be_organiser(u)]
    if bad:
        raise ValidationError(
            {"organisers": [_("Not a cluster manager: %(names)s") % {"names": ", ".join(bad)}]}
        )


@transaction.atomic
def create_event(
    actor: Any,
    *,
    slug: str,
    organisers: Sequence[User] | None = None,
    is_demo: bool = False,
    **data: Any,
) -> Event:
    """Create an event in a region the actor manages; the actor is an organiser by default."""
    region = data.get("region")
    if not isinstance(region, Region):
        raise ValidationError({"region": [_("Choose the region of the event.")]})
    _require(
        permissions.can_create_event(actor, region.code),
        _("Only the cluster managers of the event's region create events."),
    )
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    fields = _clean_event_fields(data)
    slug = (slug or "").strip()
    if not slug or Event.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [_("This short name is empty or already used.")]})
    organisers = list(organisers) if organisers else [actor]
    _check_organisers(organisers)
    event = Event.objects.create(slug=slug, is_demo=is_demo, **fields)
    event.organisers.set(organisers)
    audit.record("event.created", event, actor=actor, summary=event.display_title)
    return event


@transaction.atomic
def update_event(
    actor: Any, event: Event, *, organisers: Sequence[User] | None = None, **data: Any
) -> Event:
    _require(permissions.can_manage_event(actor, event), _("You do not manage this event."))
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    fields = _clean_event_fields(data, event)
    if "region" in fields and not permissions.can_create_event(actor, fields["region"].code):
        raise ValidationError({"region": [_("You do not manage this region.")]})
    for key, value in fields.items():
        setattr(event, key, value)
    event.save()
    if organisers is not None:
        _check_organisers(organisers)
        event.organisers.set(organisers)
    if "capacity" in fields:
        _promote_waiting(event, actor)
    audit.record("event.updated", event, actor=actor, summary=", ".join(sorted(fields)))
    return event


@transaction.atomic
def add_question(
    actor: Any,
    event: Event,
    *,
    label: Mapping[str, str],
    kind: str = Question.Kind.TEXT,
    choices: Sequence[str] = (),
    required: bool = False,
) -> Question:
    _require(permissions.can_manage_event(actor, event), _("You do not manage this event."))
    errors: dict[str, list[str]] = {}
    try:
        clean_label = clean_translations(label, "label")
    except ValueError as exc:
        errors["label"] = [str(exc)]
        clean_label = {}
    if not clean_label and "label" not in errors:
        errors["label"] = [_("Write the question in at least one language.")]
    if kind not in Question.Kind.values:
        errors["kind"] = [_("Unknown kind of question.")]
    clean_choices = [str(c).strip() for c in choices if str(c).strip()]
    if kind == Question.Kind.CHOICE and len(clean_choices) < 2:
        errors["choices"] = [_("A choice question needs at least two choices.")]
    if errors:
        raise ValidationError(errors)
    question = Question.objects.create(
        event=event,
        label=clean_label,
        kind=kind,
        choices=clean_choices if kind == Question.Kind.CHOICE else [],
        required=required,
        ordering=event.questions.count(),
    )
    audit.record("event.question_added", question, actor=actor, summary=question.display_label)
    return question


@transaction.atomic
def delete_question(actor: Any, question: Question) -> None:
    _require(
        permissions.can_manage_event(actor, question.event), _("You do not manage this event.")
    )
    audit.record("event.question_deleted", question, actor=actor, summary=question.display_label)
    question.delete()


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


def clean_answers(event: Event, answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate answers to the event's questions: keys are question ids (as text)."""
    answers = {str(k): v for k, v in (answers or {}).items()}
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    questions = {str(q.pk): q for q in event.questions.all()}
    for key in answers:
        if str(key) not in questions:
            errors[f"answers.{key}"] = [_("No such question.")]
    for key, q in questions.items():
        raw = answers.get(key)
        field = f"answers.{key}"
        if q.kind == Question.Kind.YES_NO:
            if raw in (None, ""):
                value: Any = None
            elif raw in (True, "yes", "true", "1", 1):
                value = True
            elif raw in (False, "no", "false", "0", 0):
                value = False
            else:
                errors[field] = [_("Answer yes or no.")]
                continue
        elif q.kind == Question.Kind.CHOICE:
            value = str(raw).strip() if raw not in (None, "") else None
            if value is not None and value not in q.choices:
                errors[field] = [_("Pick one of the choices.")]
                continue
        else:
            if raw is not None and not isinstance(raw, str | int | float):
                errors[field] = [_("Answer with text.")]
                continue
            value = str(raw).strip()[:2000] if raw is not None else None
            value = value or None
        if value is None:
            if q.required:
                errors[field] = [_("This question needs an answer.")]
            continue
        out[key] = value
    if errors:
        raise ValidationError(errors)
    return out


def _default_organisation(user: User) -> Organisation | None:
    role = OrganisationRole.objects.filter(user=user).select_related("organisation").first()
    if role:
        return role.organisation
    person = getattr(user, "person", None)
    return person.organisation if person is not None else None


def _seated_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status__in=Registration.SEATED).count()


def _lock_event(event: Event) -> Event:
    """Lock the event row for the rest of the transaction (serialises seat accounting)."""
    return Event.objects.select_for_update().select_related("region").get(pk=event.pk)


def _on_commit_task(name: str, *args: Any) -> None:
    from alpsbio.events import tasks

    task = getattr(tasks, name)
    transaction.on_commit(lambda: task.enqueue(*args))


@transaction.atomic
def register(
    actor: Any,
    event: Event,
    *,
    answers: Mapping[str, Any] | None = None,
    organisation: Organisation | None = None,
    language: str | None = None,
) -> Registration:
    """Register the actor: confirmed while seats remain, else on the waiting list."""
    _require(permissions.can_register(actor, event), _("Sign in to register."))
    event = _lock_event(event)
    if not event.registration_open:
        raise ValidationError({"__all__": [_("Registration for this event is closed.")]})
    if event.ends_at < timezone.now():
        raise ValidationError({"__all__": [_("This event is over.")]})
    clean = clean_answers(event, answers)
    if organisation is not None and not (
        OrganisationRole.objects.filter(user=actor, organisation=organisation).exists()
        or permissions.can_manage_event(actor, event)
        or getattr(getattr(actor, "person", None), "organisation_id", None) == organisation.pk
    ):
        raise ValidationError({"organisation": [_("You do not belong to this organisation.")]})
    org = organisation or _default_organisation(actor)
    lang = language or getattr(actor, "preferred_language", "en") or "en"
    if lang not in LANGUAGE_CODES:
        raise ValidationError({"language": [_("Unknown language.")]})
    existing = Registration.objects.select_for_update().filter(event=event, user=actor).first()
    if existing and existing.status != Registration.Status.CANCELLED:
        raise ValidationError({"__all__": [_("You are already registered for this event.")]})
    status = (
        Registration.Status.CONFIRMED
        if _seated_count(event) < event.capacity
        else Registration.Status.WAITING
    )
    now = timezone.now()
    if existing:
        reg = existing
        reg.status, reg.queued_at, reg.answers = status, now, clean
        reg.organisation, reg.language, reg.cancelled_at = org, lang, None
        reg.save()
    else:
        reg = Registration.objects.create(
            event=event,
            user=actor,
            organisation=org,
            status=status,
            queued_at=now,
            language=lang,
            answers=clean,
        )
    audit.record("event.registered", reg, actor=actor, summary=f"{event.slug}: {status}")
    _on_commit_task("send_registration_email", reg.pk, "confirmation")
    return reg


@transaction.atomic
def update_answers(actor: Any, registration: Registration, answers: Mapping[str, Any]) -> None:
    _require(
        permissions.can_edit_registration(actor, registration),
        _("This is not your registration."),
    )
    registration.answers = clean_answers(registration.event, answers)
    registration.save(update_fields=["answers", "updated_at"])
    audit.record("event.answers_updated", registration, actor=actor)


def _promote_waiting(event: Event, actor: Any) -> list[Registration]:
    """Fill free seats from the waiting list, first come first served (event row is locked)."""
    free = event.capacity - _seated_count(event)
    promoted: list[Registration] = []
    if free <= 0:
        return promoted
    waiting = (
        Registration.objects.select_for_update()
        .filter(event=event, status=Registration.Status.WAITING)
        .order_by("queued_at", "pk")[:free]
    )
    for reg in waiting:
        reg.status = Registration.Status.CONFIRMED
        reg.save(update_fields=["status", "updated_at"])
        audit.record("event.promoted", reg, actor=actor, summary=event.slug)
        _on_commit_task("send_registration_email", reg.pk, "promoted")
        promoted.append(reg)
    return promoted


@transaction.atomic
def cancel_registration(actor: Any, registration: Registration) -> list[Registration]:
    """Cancel; the first on the waiting list takes the seat. Returns who was promoted.

    A participant's scheduled B2B meetings are cancelled; if agendas were scheduled, a repair run
    fills the freed slots while keeping every other meeting where it is.
    """
    _require(
        permissions.can_edit_registration(actor, registration),
        _("This is not your registration."),
    )
    event = _lock_event(registration.event)
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if reg.status == Registration.Status.CANCELLED:
        raise ValidationError({"__all__": [_("This registration is already cancelled.")]})
    reg.status = Registration.Status.CANCELLED
    reg.cancelled_at = timezone.now()
    reg.save(update_fields=["status", "cancelled_at", "updated_at"])
    audit.record("event.cancelled", reg, actor=actor, summary=event.slug)
    promoted = _promote_waiting(event, actor)
    profile = B2BProfile.objects.filter(registration=reg).select_related("session").first()
    if profile is not None:
        _cancel_b2b_participation(actor, profile)
    registration.status = reg.status
    registration.cancelled_at = reg.cancelled_at
    return promoted


def _cancel_b2b_participation(actor: Any, profile: B2BProfile) -> None:
    session = profile.session
    freed = Meeting.objects.filter(
        Q(request__requester=profile) | Q(request__recipient=profile),
        status=Meeting.Status.SCHEDULED,
    )
    # The other side of each freed meeting is told (in their language) once this commits.
    others = [
        (m_id, b if a == profile.pk else a)
        for m_id, a, b in freed.values_list("pk", "request__requester_id", "request__recipient_id")
    ]
    n_freed = freed.update(status=Meeting.Status.CANCELLED)
    for meeting_id, other_id in others:
        _on_commit_task("send_meeting_cancelled_email", meeting_id, other_id, "")
    MeetingRequest.objects.filter(
        Q(requester=profile) | Q(recipient=profile),
        status__in=[MeetingRequest.Status.PENDING, MeetingRequest.Status.ACCEPTED],
    ).update(status=MeetingRequest.Status.WITHDRAWN, responded_at=timezone.now())
    profile.is_published = False
    profile.save(update_fields=["is_published", "updated_at"])
    Table.objects.filter(owner=profile).update(owner=None)
    if n_freed:
        run = ScheduleRun.objects.create(
            session=session,
            kind=ScheduleRun.Kind.REPAIR,
            started_by=None,
            params={"cancelled_profile": profile.pk},
            time_limit=10,
        )
        audit.record("b2b.repair_queued", run, actor=actor, summary=f"{n_freed} meetings freed")
        _on_commit_task("run_schedule", run.pk)


@transaction.atomic
def check_in(actor: Any, registration: Registration, *, undo: bool = False) -> Registration:
    _require(
        permissions.can_manage_event(actor, registration.event),
        _("Only the event's organisers check participants in."),
    )
    reg = Registration.objects.select_for_update().get(pk=registration.pk)
    if undo:
        if reg.status == Registration.Status.ATTENDED:
            reg.status = Registration.Status.CONFIRMED
        reg.checked_in_at = None
    else:
        if reg.status not in Registration.SEATED:
            raise ValidationError(
                {"__all__": [_("Only confirmed participants can be checked in.")]}
            )
        reg.status = Registration.Status.ATTENDED
        reg.checked_in_at = reg.checked_in_at or timezone.now()
    reg.save(update_fields=["status", "checked_in_at", "updated_at"])
    audit.record("event.checked_in" if not undo else "event.check_in_undone", reg, actor=actor)
    return reg


def mark_reminder_sent(registration_ids: Iterable[int]) -> None:
    """Called by the reminder task once the e-mails are out."""
    with transaction.atomic():
        Registration.objects.filter(pk__in=list(registration_ids)).update(
            reminder_sent_at=timezone.now()
        )


# --------------------------------------------------------------------------------------------
# B2B session set-up (organisers)
# --------------------------------------------------------------------------------------------


@transaction.atomic
def enable_b2b(
    actor: Any, event: Event, *, min_meetings: int = 3, objective: str | None = None
) -> B2BSession:
    _require(permissions.can_manage_event(actor, event), _("You do not manage this event."))
    if not 0 <= min_meetings <= 50:
        raise ValidationError({"min_meetings": [_("K is a number from 0 to 50.")]})
    if objective is not None and objective not in B2BSession.Objective.values:
        raise ValidationError({"objective": [_("Choose one of the offered objectives.")]})
    defaults: dict[str, Any] = {"min_meetings": min_meetings}
    if objective is not None:
        defaults["objective"] = objective
    session, created = B2BSession.objects.get_or_create(event=event, defaults=defaults)
    if not created:
        for name, value in defaults.items():
            setattr(session, name, value)
        session.save(update_fields=[*defaults, "updated_at"])
    audit.record(
        "b2b.configured",
        session,
        actor=actor,
        summary=f"K={session.min_meetings}, objective={session.objective}",
    )
    return session


@transaction.atomic
def set_time_slots(
    actor: Any,
    session: B2BSession,
    *,
    first_start: dt.datetime,
    n_slots: int,
    minutes: int,
    breaks: Sequence[int] = (),
) -> list[TimeSlot]:
    """Replace the slots: ``n_slots`` consecutive slots of ``minutes``; ``breaks`` are 0-based
    indices of slots that are breaks (coffee, lunch). Only before any meeting is scheduled."""
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    errors: dict[str, list[str]] = {}
    if session.meetings.exists():
        errors["__all__"] = [_("Meetings are scheduled; slots can no longer change.")]
    if not 1 <= n_slots <= 60:
        errors["n_slots"] = [_("From 1 to 60 slots.")]
    if not 5 <= minutes <= 240:
        errors["minutes"] = [_("A slot lasts 5 to 240 minutes.")]
    if timezone.is_naive(first_start):
        errors["first_start"] = [_("Give a date and time with a time zone.")]
    if any(not 0 <= b < n_slots for b in breaks):
        errors["breaks"] = [_("A break must be one of the slots.")]
    if errors:
        raise ValidationError(errors)
    session.slots.all().delete()
    step = dt.timedelta(minutes=minutes)
    slots = [
        TimeSlot.objects.create(
            session=session,
            starts_at=first_start + i * step,
            ends_at=first_start + (i + 1) * step,
            is_break=i in set(breaks),
        )
        for i in range(n_slots)
    ]
    audit.record("b2b.slots_set", session, actor=actor, summary=f"{n_slots}x{minutes}min")
    return slots


@transaction.atomic
def set_tables(actor: Any, session: B2BSession, *, n_tables: int) -> list[Table]:
    """Make the session have ``n_tables`` tables numbered 1..n (booth owners kept)."""
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    if not 1 <= n_tables <= 500:
        raise ValidationError({"n_tables": [_("From 1 to 500 tables.")]})
    extra = session.tables.filter(number__gt=n_tables)
    if Meeting.objects.filter(table__in=extra, status=Meeting.Status.SCHEDULED).exists():
        raise ValidationError({"n_tables": [_("Meetings are scheduled at the removed tables.")]})
    extra.delete()
    have = set(session.tables.values_list("number", flat=True))
    for n in range(1, n_tables + 1):
        if n not in have:
            Table.objects.create(session=session, number=n)
    audit.record("b2b.tables_set", session, actor=actor, summary=str(n_tables))
    return list(session.tables.all())


@transaction.atomic
def assign_booth(actor: Any, table: Table, profile: B2BProfile | None) -> Table:
    """Make ``table`` the booth of ``profile`` (who then meets everyone there), or a plain table."""
    session = table.session
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    owner_errors = _clean_owner(session, profile, table)
    if owner_errors:
        raise ValidationError({"owner": owner_errors})
    if profile is not None:
        Table.objects.filter(owner=profile).exclude(pk=table.pk).update(owner=None)
    table.owner = profile
    table.save(update_fields=["owner"])
    audit.record("b2b.booth_assigned", table, actor=actor, summary=str(profile or "-"))
    return table


@transaction.atomic
def set_requests_open(actor: Any, session: B2BSession, is_open: bool) -> None:
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    session.requests_open = is_open
    session.save(update_fields=["requests_open", "updated_at"])
    audit.record("b2b.requests_open" if is_open else "b2b.requests_closed", session, actor=actor)


# --- One slot, one table at a time (API and the set-up page) ---------------------------------


def _lock_session(session: B2BSession) -> B2BSession:
    return B2BSession.objects.select_for_update().select_related("event__region").get(pk=session.pk)


def _clean_slot_times(
    session: B2BSession,
    starts_at: Any,
    ends_at: Any,
    *,
    exclude: TimeSlot | None = None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            errors[key] = [_("Give a date and time with a time zone.")]
    if errors:
        return errors
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes <= 0:
        errors["ends_at"] = [_("A slot ends after it starts.")]
    elif not 5 <= minutes <= 240:
        errors["ends_at"] = [_("A slot lasts 5 to 240 minutes.")]
    if errors:
        return errors
    clash = TimeSlot.objects.filter(session=session, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.order_by("starts_at").first()
    if other is not None:
        errors["starts_at"] = [
            _("This slot overlaps the slot %(start)s–%(end)s.")
            % {
                "start": f"{timezone.localtime(other.starts_at):%H:%M}",
                "end": f"{timezone.localtime(other.ends_at):%H:%M}",
            }
        ]
    return errors


def _active_meetings() -> list[str]:
    return [Meeting.Status.SCHEDULED, Meeting.Status.HELD]


@transaction.atomic
def add_time_slot(
    actor: Any,
    session: B2BSession,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    is_break: bool = False,
) -> TimeSlot:
    """Add one slot (or break); it may not overlap another slot of the session."""
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    session = _lock_session(session)
    if session.slots.count() >= 60:
        raise ValidationError({"__all__": [_("At most 60 slots.")]})
    errors = _clean_slot_times(session, starts_at, ends_at)
    if errors:
        raise ValidationError(errors)
    slot = TimeSlot.objects.create(
        session=session, starts_at=starts_at, ends_at=ends_at, is_break=bool(is_break)
    )
    audit.record(
        "b2b.slot_added", slot, actor=actor, summary=f"{slot}{' break' if is_break else ''}"
    )
    return slot


@transaction.atomic
def update_time_slot(
    actor: Any,
    slot: TimeSlot,
    *,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    is_break: bool | None = None,
) -> TimeSlot:
    """Change a slot's times or make it a break (not while meetings are scheduled in it)."""
    session = slot.session
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    _lock_session(session)
    slot = TimeSlot.objects.get(pk=slot.pk)
    new_start = starts_at if starts_at is not None else slot.starts_at
    new_end = ends_at if ends_at is not None else slot.ends_at
    errors = _clean_slot_times(session, new_start, new_end, exclude=slot)
    if is_break and not slot.is_break and slot.meetings.filter(status__in=_active_meetings()):
        errors["is_break"] = [
            _("Meetings are scheduled in this slot: move or cancel them before making it a break.")
        ]
    if errors:
        raise ValidationError(errors)
    slot.starts_at, slot.ends_at = new_start, new_end
    if is_break is not None:
        slot.is_break = bool(is_break)
    slot.save()
    audit.record("b2b.slot_updated", slot, actor=actor, summary=str(slot))
    return slot


@transaction.atomic
def delete_time_slot(actor: Any, slot: TimeSlot, *, cascade: bool = False) -> int:
    """Remove a slot. Meetings scheduled in it block this unless ``cascade``: then they are
    removed too (their requests stay accepted, so a repair run can place them elsewhere).
    Meetings marked held always block it. Returns the number of meetings removed."""
    session = slot.session
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    _lock_session(session)
    return _delete_with_meetings(actor, slot, "slot", cascade)


def _delete_with_meetings(actor: Any, obj: TimeSlot | Table, field: str, cascade: bool) -> int:
    meetings = obj.meetings.all()
    if meetings.filter(status=Meeting.Status.HELD).exists():
        raise ValidationError(
            {field: [_("Meetings held here are recorded for the statistics; it cannot go.")]}
        )
    scheduled = meetings.filter(status=Meeting.Status.SCHEDULED).count()
    if scheduled and not cascade:
        raise ValidationError(
            {
                field: [
                    _(
                        "%(n)d meeting(s) are scheduled here: move them, or confirm that they "
                        "are removed with it (cascade)."
                    )
                    % {"n": scheduled}
                ]
            }
        )
    # Cancelled meetings (no longer shown anywhere) go with it.
    meetings.delete()
    label = str(obj)
    audit.record(
        f"b2b.{field}_deleted",
        obj,
        actor=actor,
        summary=label,
        data={"meetings_removed": scheduled},
    )
    obj.delete()
    return scheduled


def _clean_owner(session: B2BSession, owner: B2BProfile | None, table: Table | None) -> list[str]:
    if owner is None:
        return []
    if owner.session_id != session.pk:
        return [_("This participant is not in this B2B session.")]
    if owner.registration.status not in Registration.SEATED:
        return [_("Only a confirmed participant can own a booth.")]
    if table is not None and table.pk is not None:
        others = (
            table.meetings.filter(status=Meeting.Status.SCHEDULED)
            .exclude(Q(request__requester=owner) | Q(request__recipient=owner))
            .count()
        )
        if others:
            return [
                _("%(n)d meeting(s) of other participants are scheduled at this table.")
                % {"n": others}
            ]
    return []


@transaction.atomic
def add_table(
    actor: Any,
    session: B2BSession,
    *,
    number: int | None = None,
    label: str = "",
    owner: B2BProfile | None = None,
) -> Table:
    """Add a table (the next free number unless given); with an ``owner`` it is their booth."""
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    session = _lock_session(session)
    errors: dict[str, list[str]] = {}
    if session.tables.count() >= 500:
        errors["__all__"] = [_("At most 500 tables.")]
    if number is None:
        number = (
            session.tables.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
    if not 1 <= number <= 32767:
        errors["number"] = [_("A table number is from 1 to 32767.")]
    elif session.tables.filter(number=number).exists():
        errors["number"] = [_("There is already a table with this number.")]
    if len(label or "") > 60:
        errors["label"] = [_("At most 60 characters.")]
    owner_errors = _clean_owner(session, owner, None)
    if owner_errors:
        errors["owner"] = owner_errors
    if errors:
        raise ValidationError(errors)
    if owner is not None:
        Table.objects.filter(owner=owner).update(owner=None)
    table = Table.objects.create(
        session=session, number=number, label=(label or "").strip(), owner=owner
    )
    audit.record("b2b.table_added", table, actor=actor, summary=f"{number} {owner or ''}")
    return table


_UNCHANGED: Any = object()


@transaction.atomic
def update_table(
    actor: Any,
    table: Table,
    *,
    number: int | None = None,
    label: str | None = None,
    owner: Any = _UNCHANGED,
) -> Table:
    """Renumber or relabel a table, or give it an owner (a booth) or none (``owner=None``)."""
    session = table.session
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    _lock_session(session)
    table = Table.objects.get(pk=table.pk)
    errors: dict[str, list[str]] = {}
    if number is not None:
        if not 1 <= number <= 32767:
            errors["number"] = [_("A table number is from 1 to 32767.")]
        elif session.tables.filter(number=number).exclude(pk=table.pk).exists():
            errors["number"] = [_("There is already a table with this number.")]
    if label is not None and len(label) > 60:
        errors["label"] = [_("At most 60 characters.")]
    if owner is not _UNCHANGED:
        owner_errors = _clean_owner(session, owner, table)
        if owner_errors:
            errors["owner"] = owner_errors
    if errors:
        raise ValidationError(errors)
    if number is not None:
        table.number = number
    if label is not None:
        table.label = label.strip()
    if owner is not _UNCHANGED:
        if owner is not None:
            Table.objects.filter(owner=owner).exclude(pk=table.pk).update(owner=None)
        table.owner = owner
    table.save()
    audit.record(
        "b2b.table_updated", table, actor=actor, summary=f"{table.number} {table.owner or ''}"
    )
    return table


@transaction.atomic
def delete_table(actor: Any, table: Table, *, cascade: bool = False) -> int:
    """Remove a table; like a slot, scheduled meetings there block it unless ``cascade``."""
    session = table.session
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    _lock_session(session)
    return _delete_with_meetings(actor, table, "table", cascade)


# --------------------------------------------------------------------------------------------
# B2B participants: profile, availability, requests
# --------------------------------------------------------------------------------------------


@transaction.atomic
def save_b2b_profile(
    actor: Any,
    registration: Registration,
    *,
    headline: str,
    description: str = "",
    offers: str = "",
    needs: str = "",
    is_published: bool = True,
    opportunity_ids: Iterable[int] | None = None,
) -> B2BProfile:
    """Publish or update a participant's marketplace profile.

    ``opportunity_ids`` (optional) link published opportunities (matching app) of the
    registration's organisation; ``None`` leaves the links as they are.
    """
    _require(
        permissions.can_edit_registration(actor, registration),
        _("This is not your registration."),
    )
    session = B2BSession.objects.filter(event=registration.event).first()
    errors: dict[str, list[str]] = {}
    if session is None:
        errors["__all__"] = [_("This event has no B2B meetings.")]
    if registration.status not in Registration.SEATED:
        errors["__all__"] = [_("Only confirmed participants take part in B2B meetings.")]
    headline = (headline or "").strip()
    if not headline:
        errors["headline"] = [_("Write a one-line headline.")]
    elif len(headline) > 200:
        errors["headline"] = [_("At most 200 characters.")]
    for key, value in (("description", description), ("offers", offers), ("needs", needs)):
        if len(value or "") > 4000:
            errors[key] = [_("At most 4000 characters.")]
    opportunities: list[Any] = []
    if opportunity_ids is not None:
        from alpsbio.matching.models import Opportunity, OpportunityStatus

        ids = {int(i) for i in opportunity_ids}
        opportunities = list(
            Opportunity.objects.filter(
                pk__in=[i for i in ids if 0 < i < 2**63],
                organisation_id=registration.organisation_id or 0,
                status=OpportunityStatus.PUBLISHED,
            )
        )
        if registration.organisation_id is None or len(opportunities) != len(ids):
            errors["opportunities"] = [
                _("Link only published opportunities of your own organisation.")
            ]
    if errors:
        raise ValidationError(errors)
    assert session is not None
    profile, created = B2BProfile.objects.update_or_create(
        registration=registration,
        defaults={
            "session": session,
            "organisation": registration.organisation,
            "headline": headline,
            "description": (description or "").strip(),
            "offers": (offers or "").strip(),
            "needs": (needs or "").strip(),
            "is_published": is_published,
        },
    )
    if opportunity_ids is not None:
        profile.opportunities.set(opportunities)
    audit.record(
        "b2b.profile_created" if created else "b2b.profile_updated",
        profile,
        actor=actor,
        summary=headline,
    )
    return profile


@transaction.atomic
def set_availability(
    actor: Any, profile: B2BProfile, *, unavailable_slot_ids: Iterable[int]
) -> list[int]:
    """Declare the slots the participant is *not* available in (every other slot is available)."""
    _require(permissions.can_edit_profile(actor, profile), _("This is not your profile."))
    ids = {int(i) for i in unavailable_slot_ids}
    if any(not 0 < i < 2**63 for i in ids):
        raise ValidationError({"unavailable_slots": [_("Unknown time slot.")]})
    slots = list(TimeSlot.objects.filter(session=profile.session, pk__in=ids))
    if len(slots) != len(ids):
        raise ValidationError({"unavailable_slots": [_("Unknown time slot.")]})
    profile.unavailable_slots.set(slots)
    audit.record("b2b.availability_set", profile, actor=actor, data={"unavailable": sorted(ids)})
    return sorted(ids)


@transaction.atomic
def send_meeting_request(
    actor: Any,
    requester: B2BProfile,
    recipient: B2BProfile,
    *,
    message: str = "",
    priority: int = 2,
) -> MeetingRequest:
    _require(permissions.can_edit_profile(actor, requester), _("This is not your profile."))
    session = requester.session
    errors: dict[str, list[str]] = {}
    if not session.requests_open:
        errors["__all__"] = [_("Meeting requests are closed for this event.")]
    if recipient.session_id != session.pk or not recipient.is_published:
        errors["recipient"] = [_("This participant is not available for meetings here.")]
    elif recipient.pk == requester.pk:
        errors["recipient"] = [_("You cannot meet yourself.")]
    elif (
        MeetingRequest.objects.filter(
            Q(requester=requester, recipient=recipient)
            | Q(requester=recipient, recipient=requester)
        )
        .exclude(status=MeetingRequest.Status.WITHDRAWN)
        .exists()
    ):
        errors["recipient"] = [_("There is already a request between you two.")]
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 3:
        errors["priority"] = [_("Priority is 1 (nice to have), 2 or 3 (must meet).")]
    if len(message or "") > 2000:
        errors["message"] = [_("At most 2000 characters.")]
    if requester.registration.status not in Registration.SEATED:
        errors["__all__"] = [_("Only confirmed participants send requests.")]
    if errors:
        raise ValidationError(errors)
    req, _created = MeetingRequest.objects.update_or_create(
        requester=requester,
        recipient=recipient,
        defaults={
            "session": session,
            "message": (message or "").strip(),
            "priority": priority,
            "status": MeetingRequest.Status.PENDING,
            "responded_at": None,
        },
    )
    audit.record("b2b.request_sent", req, actor=actor, summary=f"priority {priority}")
    _on_commit_task("send_request_email", req.pk)
    return req


@transaction.atomic
def respond_to_request(actor: Any, request: MeetingRequest, *, accept: bool) -> MeetingRequest:
    _require(
        permissions.can_answer_request(actor, request),
        _("Only the participant who received the request answers it."),
    )
    req = MeetingRequest.objects.select_for_update().get(pk=request.pk)
    if req.status not in (MeetingRequest.Status.PENDING, MeetingRequest.Status.ACCEPTED):
        raise ValidationError({"__all__": [_("This request can no longer be answered.")]})
    if not accept and hasattr(req, "meeting") and req.meeting.status == Meeting.Status.SCHEDULED:
        raise ValidationError(
            {"__all__": [_("The meeting is scheduled; ask the organisers to cancel it.")]}
        )
    req.status = MeetingRequest.Status.ACCEPTED if accept else MeetingRequest.Status.DECLINED
    req.responded_at = timezone.now()
    req.save(update_fields=["status", "responded_at", "updated_at"])
    audit.record("b2b.request_" + req.status, req, actor=actor)
    request.status, request.responded_at = req.status, req.responded_at
    return req


@transaction.atomic
def withdraw_request(actor: Any, request: MeetingRequest) -> MeetingRequest:
    _require(
        permissions.can_withdraw_request(actor, request),
        _("Only the participant who sent the request withdraws it."),
    )
    if hasattr(request, "meeting") and request.meeting.status == Meeting.Status.SCHEDULED:
        raise ValidationError(
            {"__all__": [_("The meeting is scheduled; ask the organisers to cancel it.")]}
        )
    request.status = MeetingRequest.Status.WITHDRAWN
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at", "updated_at"])
    audit.record("b2b.request_withdrawn", request, actor=actor)
    return request


# --------------------------------------------------------------------------------------------
# Scheduling
# --------------------------------------------------------------------------------------------


@transaction.atomic
def start_schedule_run(actor: Any, session: B2BSession, *, time_limit: int = 30) -> ScheduleRun:
    """Queue a full scheduling run (a background task); pinned meetings stay where they are."""
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    session = _lock_session(session)
    missing = None
    if not session.slots.filter(is_break=False).exists():
        missing = _("Set the time slots first.")
    elif not session.tables.exists():
        missing = _("Set the tables first.")
    return _queue_run(actor, session, ScheduleRun.Kind.FULL, time_limit, missing)


def _queue_run(
    actor: Any, session: B2BSession, kind: str, time_limit: int, missing: str | None = None
) -> ScheduleRun:
    """Validate and queue a scheduling run of ``kind`` on a locked session (one at a time)."""
    errors: dict[str, list[str]] = {}
    if not 1 <= time_limit <= 600:
        errors["time_limit"] = [_("From 1 to 600 seconds.")]
    if missing:
        errors["__all__"] = [missing]
    if ScheduleRun.objects.filter(
        session=session, status__in=[ScheduleRun.Status.QUEUED, ScheduleRun.Status.RUNNING]
    ).exists():
        errors["__all__"] = [_("A scheduling run is already in progress.")]
    if errors:
        raise ValidationError(errors)
    run = ScheduleRun.objects.create(
        session=session, kind=kind, started_by=actor, time_limit=time_limit
    )
    action = "b2b.repair_queued" if kind == ScheduleRun.Kind.REPAIR else "b2b.schedule_queued"
    audit.record(action, run, actor=actor, summary=f"{time_limit}s")
    _on_commit_task("run_schedule", run.pk)
    return run


def _set_progress(run_id: int, progress: int, message: str = "", **extra: Any) -> None:
    with transaction.atomic():
        ScheduleRun.objects.filter(pk=run_id).update(
            progress=progress, message=message[:300], **extra
        )


def execute_schedule_run(run_id: int) -> ScheduleRun:
    """Run the scheduler for a queued run (called by the task) and store the meetings.

    Reads the input in one short transaction, solves outside any transaction (it may take a
    while), then writes the result in one transaction, giving up if the inputs changed meanwhile
    in a way that would make the result invalid (the organiser then simply runs it again).
    """
    from alpsbio.events import scheduling

    run = ScheduleRun.objects.select_related("session__event").get(pk=run_id)
    if run.status != ScheduleRun.Status.QUEUED:
        return run
    _set_progress(
        run_id,
        5,
        _("Reading participants and requests"),
        status=ScheduleRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    try:
        data = scheduling.build_input(run.session)
        _set_progress(run_id, 20, _("Choosing and timing meetings"))
        if run.kind == ScheduleRun.Kind.REPAIR:
            result = scheduling.repair(data, time_limit=run.time_limit)
        else:
            result = scheduling.solve(
                data,
                time_limit=run.time_limit,
                progress=lambda pct, msg: _set_progress(run_id, 20 + int(pct * 0.7), msg),
            )
        _set_progress(run_id, 92, _("Saving the meetings"))
        with transaction.atomic():
            B2BSession.objects.select_for_update().get(pk=run.session_id)
            scheduling.apply_result(run.session, data, result)
            run.refresh_from_db()
            run.status = ScheduleRun.Status.SUCCEEDED
            run.progress = 100
            run.message = ""
            run.finished_at = timezone.now()
            run.stats = {**result.stats, **scheduling.quality(run.session)}
            run.save()
            audit.record("b2b.schedule_done", run, actor=None, summary=str(run.stats)[:300])
    except Exception as exc:  # any failure is recorded on the run for the organiser to see
        logger.exception("schedule run %s failed", run_id)
        with transaction.atomic():
            ScheduleRun.objects.filter(pk=run_id).update(
                status=ScheduleRun.Status.FAILED,
                message=f"{type(exc).__name__}: {exc}"[:300],
                finished_at=timezone.now(),
            )
        run.refresh_from_db()
    return run


@transaction.atomic
def move_meeting(
    actor: Any, meeting: Meeting, *, slot: TimeSlot, table: Table, pin: bool = True
) -> Meeting:
    """Move a meeting (organiser); no participant or table may be double-booked."""
    session = meeting.session
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    B2BSession.objects.select_for_update().get(pk=session.pk)
    errors: dict[str, list[str]] = {}
    if slot.session_id != session.pk or slot.is_break:
        errors["slot"] = [_("Not a meeting slot of this session.")]
    if table.session_id != session.pk:
        errors["table"] = [_("Not a table of this session.")]
    if meeting.status != Meeting.Status.SCHEDULED:
        errors["__all__"] = [_("Only scheduled meetings can be moved.")]
    if errors:
        raise ValidationError(errors)
    req = meeting.request
    people = (req.requester_id, req.recipient_id)
    others = Meeting.objects.filter(
        session=session, slot=slot, status=Meeting.Status.SCHEDULED
    ).exclude(pk=meeting.pk)
    if others.filter(table=table).exists():
        errors["table"] = [_("Another meeting is at this table in this slot.")]
    if others.filter(
        Q(request__requester_id__in=people) | Q(request__recipient_id__in=people)
    ).exists():
        errors["slot"] = [_("One of the two participants has another meeting in this slot.")]
    if slot.unavailable_profiles.filter(pk__in=people).exists():
        errors["slot"] = [_("One of the two participants is not available in this slot.")]
    if table.owner_id is not None and table.owner_id not in people:
        errors["table"] = [_("This table is another participant's booth.")]
    own_booths = set(
        Table.objects.filter(session=session, owner_id__in=people).values_list("pk", flat=True)
    )
    if own_booths and table.pk not in own_booths:
        errors["table"] = [_("A booth owner meets at their booth.")]
    if errors:
        raise ValidationError(errors)
    meeting.slot, meeting.table, meeting.pinned = slot, table, pin or meeting.pinned
    meeting.save(update_fields=["slot", "table", "pinned", "updated_at"])
    audit.record("b2b.meeting_moved", meeting, actor=actor, summary=f"{slot} / {table}")
    return meeting


@transaction.atomic
def pin_meeting(actor: Any, meeting: Meeting, *, pinned: bool = True) -> Meeting:
    _require(
        permissions.can_manage_event(actor, meeting.session.event),
        _("You do not manage this event."),
    )
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"__all__": [_("This meeting was cancelled.")]})
    meeting.pinned = pinned
    meeting.save(update_fields=["pinned", "updated_at"])
    audit.record("b2b.meeting_pinned" if pinned else "b2b.meeting_unpinned", meeting, actor=actor)
    return meeting


@transaction.atomic
def set_meeting_held(actor: Any, meeting: Meeting, *, held: bool = True) -> Meeting:
    """After the event: record whether a meeting took place (for the statistics)."""
    _require(
        permissions.can_manage_event(actor, meeting.session.event),
        _("You do not manage this event."),
    )
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError({"__all__": [_("This meeting was cancelled.")]})
    meeting.status = Meeting.Status.HELD if held else Meeting.Status.SCHEDULED
    meeting.save(update_fields=["status", "updated_at"])
    audit.record("b2b.meeting_held" if held else "b2b.meeting_not_held", meeting, actor=actor)
    return meeting


@transaction.atomic
def cancel_meeting(actor: Any, meeting: Meeting, *, reason: str = "") -> Meeting:
    """Cancel one scheduled meeting (an organiser, or either of its two participants).

    The meeting is kept as *cancelled* and its request withdrawn, so no later run brings it
    back; the freed slot can be filled by a repair run (``start_repair_run``). The other side
    (both sides when an organiser cancels) is told by e-mail, in their language.
    """
    _require(
        permissions.can_cancel_meeting(actor, meeting),
        _("Only the event's organisers and the two participants cancel a meeting."),
    )
    _lock_session(meeting.session)
    m = Meeting.objects.select_for_update().select_related("request").get(pk=meeting.pk)
    if m.status != Meeting.Status.SCHEDULED:
        raise ValidationError({"__all__": [_("Only scheduled meetings can be cancelled.")]})
    if len(reason or "") > 500:
        raise ValidationError({"reason": [_("At most 500 characters.")]})
    m.status = Meeting.Status.CANCELLED
    m.pinned = False
    m.save(update_fields=["status", "pinned", "updated_at"])
    req = m.request
    req.status = MeetingRequest.Status.WITHDRAWN
    req.responded_at = timezone.now()
    req.save(update_fields=["status", "responded_at", "updated_at"])
    by_participant = permissions.is_meeting_participant(actor, m)
    audit.record(
        "b2b.meeting_cancelled",
        m,
        actor=actor,
        summary=(reason or "").strip()[:200],
        data={"by": "participant" if by_participant else "organiser", "slot": m.slot_id},
    )
    for profile_id in (req.requester_id, req.recipient_id):
        profile = B2BProfile.objects.select_related("registration").get(pk=profile_id)
        if by_participant and profile.registration.user_id == getattr(actor, "pk", None):
            continue
        _on_commit_task("send_meeting_cancelled_email", m.pk, profile_id, (reason or "").strip())
    meeting.status, meeting.pinned = m.status, m.pinned
    return m


@transaction.atomic
def start_repair_run(actor: Any, session: B2BSession, *, time_limit: int = 10) -> ScheduleRun:
    """Queue a repair run: fill freed slots from accepted requests not yet scheduled, moving no
    existing meeting."""
    _require(permissions.can_manage_b2b(actor, session.event), _("You do not manage this event."))
    return _queue_run(actor, _lock_session(session), ScheduleRun.Kind.REPAIR, time_limit)


@transaction.atomic
def publish_agendas(actor: Any, session: B2BSession, *, notify: bool = True) -> B2BSession:
    """Make the agendas visible to participants (and e-mail each of them a link)."""
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    if not session.meetings.filter(status=Meeting.Status.SCHEDULED).exists():
        raise ValidationError({"__all__": [_("There are no scheduled meetings to publish.")]})
    session.agendas_published_at = timezone.now()
    session.save(update_fields=["agendas_published_at", "updated_at"])
    audit.record("b2b.agendas_published", session, actor=actor)
    if notify:
        _on_commit_task("send_agenda_emails", session.pk)
    return session


@transaction.atomic
def unpublish_agendas(actor: Any, session: B2BSession) -> B2BSession:
    _require(permissions.can_manage_event(actor, session.event), _("You do not manage this event."))
    session.agendas_published_at = None
    session.save(update_fields=["agendas_published_at", "updated_at"])
    audit.record("b2b.agendas_unpublished", session, actor=actor)
    return session


# --------------------------------------------------------------------------------------------
# Demo programme
# --------------------------------------------------------------------------------------------


def load_events_demo() -> dict[str, int]:
    """Create the clearly-marked demo programme (idempotent); see ``alpsbio.events.demo``."""
    from alpsbio.events import demo

    return demo.load()
