"""Fixtures of the events tests: an event in Rhône-Alpes organised by ``manager_fr``, factories
for participants (real organisations of the shared fixtures), a B2B session with slots/tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from alpsbio.accounts.models import OrganisationRole, User
from alpsbio.directory.models import Organisation, Region
from alpsbio.events import services
from alpsbio.events.models import B2BProfile, B2BSession, Event, Registration

TZ = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def future() -> dt.datetime:
    now = timezone.now()
    return dt.datetime(now.year + 1, 3, 17, 9, 0, tzinfo=TZ)


@pytest.fixture
def make_event(
    personas: dict[str, Any], regions: dict[str, Region], future: dt.datetime
) -> Callable[..., Event]:
    def _make(slug: str = "partnering-lyon", **kwargs: Any) -> Event:
        data: dict[str, Any] = {
            "title": {"en": "Partnering day Lyon", "fr": "Journée de partenariat Lyon"},
            "description": {"en": 'One-to-one meetings; "biotech, medtech".'},
            "event_type": "partnering_day",
            "region": regions["FRK26"],
            "venue": "Centre de congrès",
            "city": "Lyon",
            "starts_at": future,
            "ends_at": future + dt.timedelta(hours=9),
            "capacity": 50,
        }
        data.update(kwargs)
        actor = data.pop("actor", personas["manager_fr"])
        return services.create_event(actor, slug=slug, **data)

    return _make


@pytest.fixture
def event(make_event: Callable[..., Event]) -> Event:
    return make_event()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = {"n": 0}

    def _make(org: Organisation | None = None, lang: str = "en", name: str = "") -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User.objects.create_user(
            username=name or f"participant{n}",
            email=f"{name or f'participant{n}'}@example.org",
            password="x-unused-password-42",
            preferred_language=lang,
            first_name=f"P{n}",
            last_name=f"Participant{n}",
        )
        if org is not None:
            OrganisationRole.objects.create(user=user, organisation=org)
        return user

    return _make


@pytest.fixture
def b2b(event: Event, personas: dict[str, Any], future: dt.datetime) -> B2BSession:
    manager = personas["manager_fr"]
    session = services.enable_b2b(manager, event, min_meetings=2)
    services.set_time_slots(
        manager,
        session,
        first_start=future + dt.timedelta(hours=1),
        n_slots=6,
        minutes=20,
        breaks=[3],
    )
    services.set_tables(manager, session, n_tables=3)
    return session


@pytest.fixture
def make_participant(
    event: Event, b2b: B2BSession, make_user: Callable[..., User], orgs: dict[str, Organisation]
) -> Callable[..., B2BProfile]:
    def _make(org_key: str = "uga", headline: str = "", lang: str = "en") -> B2BProfile:
        user = make_user(orgs[org_key], lang=lang)
        reg = services.register(user, event)
        assert reg.status == Registration.Status.CONFIRMED
        return services.save_b2b_profile(
            user, reg, headline=headline or f"{org_key} looks for partners"
        )

    return _make
