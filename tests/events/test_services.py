from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from alpsbio.core.models import AuditEntry
from alpsbio.events import services, tasks
from alpsbio.events.models import Event, Question, Registration


def test_create_event_checks_region_and_organisers(
    make_event: Any, personas: dict[str, Any], regions: dict[str, Any]
) -> None:
    """A manager creates events only in their region; organisers must be cluster managers."""
    with pytest.raises(PermissionDenied):
        make_event("milano", region=regions["ITC4C"])
    with pytest.raises(PermissionDenied):
        make_event("by-editor", actor=personas["editor"])
    with pytest.raises(ValidationError) as exc:
        services.create_event(
            personas["manager_fr"],
            slug="x",
            organisers=[personas["member"]],
            title={"en": "X"},
            region=regions["FRK24"],
            starts_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
        )
    assert "organisers" in exc.value.message_dict
    event = make_event("ok", organisers=[personas["manager_fr"], personas["manager_it"]])
    assert set(event.organisers.all()) == {personas["manager_fr"], personas["manager_it"]}
    assert AuditEntry.objects.filter(action="event.created", object_id=str(event.pk)).exists()


def test_create_event_field_errors(make_event: Any, future: dt.datetime) -> None:
    """Bad input gives field-level messages, not a crash."""
    with pytest.raises(ValidationError) as exc:
        make_event("bad", title={"xx": "?"}, ends_at=future - dt.timedelta(days=1), capacity=0)
    errors = exc.value.message_dict
    assert {"title", "ends_at", "capacity"} <= set(errors)
    with pytest.raises(ValidationError) as exc:
        make_event("naive", starts_at=dt.datetime(2030, 1, 1))  # noqa: DTZ001 - on purpose
    assert "starts_at" in exc.value.message_dict


def test_capacity_and_waiting_list_promotion(make_event: Any, make_user: Any) -> None:
    """Seats fill up, then the waiting list; a cancellation promotes the first in line."""
    event = make_event(capacity=2)
    u1, u2, u3, u4 = (make_user() for _ in range(4))
    r1 = services.register(u1, event)
    r2 = services.register(u2, event)
    r3 = services.register(u3, event)
    r4 = services.register(u4, event)
    assert [r.status for r in (r1, r2, r3, r4)] == ["confirmed", "confirmed", "waiting", "waiting"]
    promoted = services.cancel_registration(u1, r1)
    assert [p.pk for p in promoted] == [r3.pk]
    r3.refresh_from_db()
    r4.refresh_from_db()
    assert r3.status == Registration.Status.CONFIRMED
    assert r4.status == Registration.Status.WAITING
    # Raising the capacity promotes the next one too.
    services.update_event(event.organisers.first(), event, capacity=3)
    r4.refresh_from_db()
    assert r4.status == Registration.Status.CONFIRMED


def test_register_twice_and_reregister_after_cancel(event: Event, make_user: Any) -> None:
    user = make_user()
    reg = services.register(user, event)
    with pytest.raises(ValidationError):
        services.register(user, event)
    services.cancel_registration(user, reg)
    with pytest.raises(ValidationError):
        services.cancel_registration(user, reg)
    again = services.register(user, event)
    assert again.pk == reg.pk
    assert again.status == Registration.Status.CONFIRMED


def test_closed_or_past_events_refuse_registrations(
    make_event: Any, make_user: Any, personas: dict[str, Any]
) -> None:
    event = make_event(registration_open=False)
    with pytest.raises(ValidationError):
        services.register(make_user(), event)
    past = make_event(
        "past",
        starts_at=dt.datetime(2010, 5, 1, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2010, 5, 1, 18, tzinfo=dt.UTC),
    )
    with pytest.raises(ValidationError):
        services.register(make_user(), past)
    with pytest.raises(PermissionDenied):
        services.register(None, event)


def test_custom_questions_are_validated_and_stored(
    event: Event, personas: dict[str, Any], make_user: Any
) -> None:
    manager = personas["manager_fr"]
    q_text = services.add_question(manager, event, label={"en": "Dietary needs"})
    q_choice = services.add_question(
        manager,
        event,
        label={"en": "Workshop"},
        kind=Question.Kind.CHOICE,
        choices=["A", "B"],
        required=True,
    )
    q_yes = services.add_question(
        manager, event, label={"en": "Dinner?"}, kind=Question.Kind.YES_NO, required=True
    )
    with pytest.raises(ValidationError):
        services.add_question(manager, event, label={"en": "?"}, kind="choice", choices=["one"])
    with pytest.raises(PermissionDenied):
        services.add_question(personas["member"], event, label={"en": "?"})
    user = make_user()
    with pytest.raises(ValidationError) as exc:
        services.register(user, event, answers={str(q_choice.pk): "C", "999": "x"})
    errors = exc.value.message_dict
    assert f"answers.{q_choice.pk}" in errors
    assert f"answers.{q_yes.pk}" in errors
    assert "answers.999" in errors
    reg = services.register(
        user,
        event,
        answers={str(q_text.pk): " vegetarian ", str(q_choice.pk): "B", str(q_yes.pk): "yes"},
    )
    assert reg.answers == {str(q_text.pk): "vegetarian", str(q_choice.pk): "B", str(q_yes.pk): True}


def test_confirmation_email_in_participants_language(
    event: Event, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The e-mail goes out (from a task, after commit) in the participant's language."""
    mail.outbox.clear()
    user = make_user(lang="fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.register(user, event)
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == [user.email]
    assert "Journée de partenariat Lyon" in msg.subject  # the French title
    assert "/events/agenda/" in msg.body


def test_promotion_email_and_reminders(
    make_event: Any, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    event = make_event(capacity=1)
    u1, u2 = make_user(), make_user()
    r1 = services.register(u1, event)
    services.register(u2, event)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(u1, r1)
    assert [m.to for m in mail.outbox] == [[u2.email]]
    mail.outbox.clear()
    assert tasks.send_event_reminders.call(event.pk) == 1
    assert tasks.send_event_reminders.call(event.pk) == 0  # reminded once only
    assert len(mail.outbox) == 1


def test_check_in(event: Event, make_user: Any, personas: dict[str, Any]) -> None:
    user = make_user()
    reg = services.register(user, event)
    with pytest.raises(PermissionDenied):
        services.check_in(user, reg)
    reg = services.check_in(personas["manager_fr"], reg)
    assert reg.status == Registration.Status.ATTENDED
    assert reg.checked_in_at is not None
    reg = services.check_in(personas["manager_fr"], reg, undo=True)
    assert reg.status == Registration.Status.CONFIRMED


def test_cannot_cancel_someone_elses_registration(event: Event, make_user: Any) -> None:
    reg = services.register(make_user(), event)
    with pytest.raises(PermissionDenied):
        services.cancel_registration(make_user(), reg)


def test_indicator_counts(make_event: Any, make_user: Any, personas: dict[str, Any]) -> None:
    """Funding's indicators count held events, checked-in participants, held meetings."""
    from alpsbio.events import queries

    past = make_event(
        "past",
        starts_at=dt.datetime(2010, 5, 1, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2010, 5, 1, 18, tzinfo=dt.UTC),
    )
    make_event("demo-x", is_demo=True, starts_at=past.starts_at, ends_at=past.ends_at)
    user = make_user()
    reg = Registration.objects.create(event=past, user=user, queued_at=past.starts_at)
    services.check_in(personas["manager_fr"], reg)
    assert queries.count_events_held(dt.date(2010, 1, 1), dt.date(2010, 12, 31)) == 1
    assert queries.count_events_held(dt.date(2011, 1, 1), dt.date(2011, 12, 31)) == 0
    assert queries.count_participants(dt.date(2010, 1, 1), dt.date(2010, 12, 31)) == 1
    assert queries.count_b2b_meetings(dt.date(2010, 1, 1), dt.date(2010, 12, 31)) == 0
    from alpsbio.funding.indicators import count_indicator

    assert count_indicator("events_held", None, dt.date(2010, 1, 1), dt.date(2010, 12, 31)) == 1  # type: ignore[arg-type]
