"""The demo programme: clearly marked, built from real regions and real organisations.

The cluster's real events (2008-2011) are not in the shared data, so nothing here pretends to be
one: every event is flagged ``is_demo`` and titled "Demo …", every participant is a generated
account named after a real organisation of the directory ("Demo delegate, <organisation>"), and the
meeting requests are generated with a fixed seed. Idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alpsbio.accounts.models import OrganisationRole, RegionalManager, User
from alpsbio.core import audit
from alpsbio.directory.models import Network, Organisation, Region
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Event,
    EventType,
    MeetingRequest,
    Registration,
    ScheduleRun,
    Table,
    TimeSlot,
)

CITY = {
    "FRK2": "Lyon",
    "ITC4": "Milano",
    "ITC1": "Torino",
    "CH01": "Lausanne",
    "CH02": "Bern",
    "AT33": "Innsbruck",
    "DE2": "München",
    "DE21": "München",
}
TZ = zoneinfo.ZoneInfo("Europe/Zurich")

# (slug suffix, type, year, month, day, days, region index, network index or None, B2B?)
PROGRAMME: list[tuple[str, str, int, int, int, int, int, int | None, bool]] = [
    ("launch-autonomy", EventType.NETWORK_LAUNCH, 2009, 3, 18, 1, 0, 0, False),
    ("launch-diagnosis", EventType.NETWORK_LAUNCH, 2009, 4, 22, 1, 1, 1, False),
    ("partnering-2009", EventType.PARTNERING_DAY, 2009, 10, 14, 1, 2, None, True),
    ("summer-school-2010", EventType.SUMMER_SCHOOL, 2010, 7, 5, 5, 3, 1, False),
    ("workshop-ehealth-2010", EventType.WORKSHOP, 2010, 5, 11, 1, 4, 0, False),
    ("partnering-2010", EventType.PARTNERING_DAY, 2010, 11, 9, 1, 5, None, True),
    ("convention-2011", EventType.CONVENTION, 2011, 9, 27, 2, 0, None, True),
]


def _titles(kind: str, region: str, year: int) -> dict[str, str]:
    table: dict[str, tuple[str, str, str, str]] = {
        EventType.NETWORK_LAUNCH: (
            "Network launch",
            "Lancement du réseau",
            "Lancio della rete",
            "Netzwerkauftakt",
        ),
        EventType.PARTNERING_DAY: (
            "Partnering day",
            "Journée de partenariat",
            "Giornata di partenariato",
            "Partnering-Tag",
        ),
        EventType.SUMMER_SCHOOL: ("Summer school", "École d'été", "Scuola estiva", "Sommerschule"),
        EventType.WORKSHOP: ("Workshop", "Atelier", "Workshop", "Workshop"),
        EventType.CONVENTION: (
            "Alpine convention",
            "Convention alpine",
            "Convention alpina",
            "Alpenkonvention",
        ),
    }
    names = table[kind]
    return {
        lang: f"Demo · {name} · {region} {year}"
        for lang, name in zip(("en", "fr", "it", "de"), names, strict=True)
    }


def _member_regions() -> list[Region]:
    return list(Region.objects.filter(is_member=True).order_by("code"))


def _organisers(region: Region) -> list[User]:
    users = list(User.objects.filter(managed_regions__region=region, is_active=True).distinct()[:2])
    if users:
        return users
    user, created = User.objects.get_or_create(
        username=f"demo-manager-{region.code.lower()}",
        defaults={
            "email": f"demo-manager-{region.code.lower()}@example.invalid",
            "first_name": "Demo manager",
            "last_name": region.display_name,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    RegionalManager.objects.get_or_create(user=user, region=region)
    return [user]


def _delegate(org: Organisation) -> User:
    user, created = User.objects.get_or_create(
        username=f"demo-delegate-{org.pk}",
        defaults={
            "email": f"demo-delegate-{org.pk}@example.invalid",
            "first_name": "Demo delegate",
            "last_name": (org.short_name or org.legal_name)[:150],
            "preferred_language": {"FR": "fr", "IT": "it", "DE": "de", "AT": "de"}.get(
                org.country_code, "en"
            ),
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    OrganisationRole.objects.get_or_create(user=user, organisation=org)
    return user


def _participants(regions: list[Region], n: int) -> list[Organisation]:
    """Real organisations of the member regions, several per region, most active first."""
    per_region = max(2, n // max(1, len(regions)))
    picked: list[Organisation] = []
    for region in regions:
        qs = Organisation.objects.filter(
            Q(nuts2__code__startswith=region.code) | Q(nuts3__code__startswith=region.code),
            is_active=True,
        ).order_by("-n_projects", "legal_name")
        # Member regions nest (DE2 holds DE21): never pick one organisation twice.
        picked.extend(o for o in qs.exclude(pk__in=[p.pk for p in picked])[:per_region])
    return picked[:n]


def _headline(org: Organisation) -> str:
    text = org.competences.strip().split("\n")[0] if org.competences else ""
    if text:
        return text[:190]
    where = org.city or org.country_code
    return f"{org.get_org_type_display()} · {where}"[:190]


@transaction.atomic
def _load_programme() -> dict[str, int]:
    regions = _member_regions()
    if not regions:
        return {"events": 0}
    networks = list(Network.objects.order_by("slug"))
    made = 0
    for slug, kind, year, month, day, days, ri, ni, b2b in PROGRAMME:
        region = regions[ri % len(regions)]
        full_slug = f"demo-{slug}"
        if Event.objects.filter(slug=full_slug).exists():
            continue
        start = dt.datetime(year, month, day, 9, 0, tzinfo=TZ)
        event = Event.objects.create(
            slug=full_slug,
            title=_titles(kind, region.display_name, year),
            description={
                "en": "Demonstration event: real regions and organisations, generated "
                "programme, participants' requests and meetings.",
                "fr": "Événement de démonstration : régions et organisations réelles, "
                "programme, demandes et rendez-vous générés.",
                "it": "Evento dimostrativo: regioni e organizzazioni reali, programma, "
                "richieste e incontri generati.",
                "de": "Demo-Veranstaltung: reale Regionen und Organisationen, generiertes "
                "Programm, generierte Anfragen und Treffen.",
            },
            event_type=kind,
            region=region,
            network=networks[ni % len(networks)] if ni is not None and networks else None,
            venue="Demo venue",
            city=CITY.get(region.code, ""),
            starts_at=start,
            ends_at=start + dt.timedelta(days=days - 1, hours=9),
            capacity=120,
            registration_open=False,
            is_demo=True,
        )
        event.organisers.set(_organisers(region))
        if b2b:
            B2BSession.objects.create(event=event, min_meetings=3, requests_open=False)
        audit.record("event.demo_created", event, summary=full_slug)
        made += 1
    return {"events": made}


@transaction.atomic
def _load_partnering(n_participants: int = 36) -> dict[str, int]:
    """An upcoming demo partnering day with B2B, open for trying registration and scheduling."""
    regions = _member_regions()
    if not regions or Event.objects.filter(slug="demo-partnering-upcoming").exists():
        return {"participants": 0}
    region = regions[0]
    year = timezone.now().year + 1
    start = dt.datetime(year, 3, 17, 9, 0, tzinfo=TZ)
    event = Event.objects.create(
        slug="demo-partnering-upcoming",
        title=_titles(EventType.PARTNERING_DAY, region.display_name, year),
        description={
            "en": "Demonstration partnering day to try registration and B2B meetings. "
            "Participants are real organisations of the directory represented by "
            "generated demo accounts; their requests are generated.",
            "fr": "Journée de partenariat de démonstration pour essayer l'inscription et les "
            "rendez-vous B2B. Les participants sont des organisations réelles de l'annuaire, "
            "représentées par des comptes de démonstration ; leurs demandes sont générées.",
            "it": "Giornata di partenariato dimostrativa per provare l'iscrizione e gli incontri "
            "B2B. I partecipanti sono organizzazioni reali dell'annuario, rappresentate da "
            "account dimostrativi; le loro richieste sono generate.",
            "de": "Demo-Partnering-Tag zum Ausprobieren der Anmeldung und der B2B-Treffen. Die "
            "Teilnehmenden sind reale Organisationen des Verzeichnisses, vertreten durch "
            "Demo-Konten; ihre Anfragen sind generiert.",
        },
        event_type=EventType.PARTNERING_DAY,
        region=region,
        venue="Demo venue",
        city=CITY.get(region.code, ""),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=9),
        capacity=80,
        is_demo=True,
    )
    event.organisers.set(_organisers(region))
    session = B2BSession.objects.create(event=event, min_meetings=3)
    step = dt.timedelta(minutes=20)
    first = start + dt.timedelta(hours=1)
    for i in range(16):  # 16 slots of 20 min from 10:00, slot 7 (12:00) is the lunch break
        TimeSlot.objects.create(
            session=session,
            starts_at=first + i * step,
            ends_at=first + (i + 1) * step,
            is_break=i in (6, 7),
        )
    rng = random.Random(2009)
    orgs = _participants(regions, n_participants)
    profiles: list[B2BProfile] = []
    for org in orgs:
        user = _delegate(org)
        reg = Registration.objects.create(
            event=event,
            user=user,
            organisation=org,
            queued_at=timezone.now(),
            language=user.preferred_language,
        )
        profiles.append(
            B2BProfile.objects.create(
                session=session,
                registration=reg,
                organisation=org,
                headline=_headline(org),
                description="(demo profile)",
            )
        )
    for n in range(1, 13):
        Table.objects.create(session=session, number=n)
    for n, profile in zip((11, 12), profiles[:2], strict=False):
        Table.objects.filter(session=session, number=n).update(owner=profile)
    slots = list(session.slots.filter(is_break=False))
    for profile in profiles:
        if rng.random() < 0.25:
            profile.unavailable_slots.set(rng.sample(slots, k=rng.randint(1, 4)))
    # Skewed popularity: the first profiles are asked more often.
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(profiles))]
    pairs: set[tuple[int, int]] = set()
    for a in profiles:
        for _ in range(rng.randint(2, 6)):
            b = rng.choices(profiles, weights=weights)[0]
            key = (min(a.pk, b.pk), max(a.pk, b.pk))
            if b.pk == a.pk or key in pairs:
                continue
            pairs.add(key)
            status = rng.choices(
                [
                    MeetingRequest.Status.ACCEPTED,
                    MeetingRequest.Status.DECLINED,
                    MeetingRequest.Status.PENDING,
                ],
                weights=[0.75, 0.1, 0.15],
            )[0]
            MeetingRequest.objects.create(
                session=session,
                requester=a,
                recipient=b,
                priority=rng.choice([1, 2, 2, 3]),
                message="(demo request)",
                status=status,
            )
    audit.record("event.demo_created", event, summary="B2B demo")
    return {"participants": len(profiles), "requests": len(pairs), "session": session.pk}


def load() -> dict[str, int]:
    stats: dict[str, Any] = {**_load_programme(), **_load_partnering()}
    session_id = stats.pop("session", None)
    if session_id:
        from alpsbio.events.services import execute_schedule_run

        run = ScheduleRun.objects.create(session_id=session_id, time_limit=5)
        run = execute_schedule_run(run.pk)
        stats["meetings"] = int(run.stats.get("meetings", 0))
    return stats
