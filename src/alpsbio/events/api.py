"""HTTP API of the events app (mounted at /api/v1/events/).

Public reads: the programme (list with filters, detail). Everything personal (registration,
B2B profile, requests, availability, agenda) and every write needs a token or a session, and goes
through the same services and permission checks as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from alpsbio.api.auth import write_auth
from alpsbio.directory.models import Network, Region
from alpsbio.events import permissions, queries, services
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Event,
    MeetingRequest,
    Registration,
    ScheduleRun,
)

router = Router(tags=["events"])

MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer cannot exist (and would overflow SQLite)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

EventTypeLit = Literal[
    "partnering_day",
    "network_launch",
    "summer_school",
    "convention",
    "workshop",
    "conference",
    "other",
]
EventTypeFilter = Literal[
    "",
    "partnering_day",
    "network_launch",
    "summer_school",
    "convention",
    "workshop",
    "conference",
    "other",
]


# --- schemas --------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    label: dict[str, str]
    display_label: str
    kind: str
    choices: list[str]
    required: bool


class EventSummary(Schema):
    slug: str
    title: str
    event_type: str
    region: str
    region_name: str
    network: str | None
    city: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    is_demo: bool
    url: str


class EventOut(EventSummary):
    titles: dict[str, str]
    description: dict[str, str]
    venue: str
    registration_open: bool
    seats: dict[str, int]
    questions: list[QuestionOut]
    has_b2b: bool
    ical: str


class EventList(Schema):
    items: list[EventSummary]
    total: int
    offset: int
    limit: int


class EventFilterIn(Schema):
    region: str = Field("", max_length=5, description="NUTS prefix, e.g. FRK2")
    network: str = Field("", max_length=60, description="network slug")
    type: EventTypeFilter = ""
    year: int | None = Field(None, ge=1900, le=2200)
    upcoming: bool = False
    q: str = Field("", max_length=100)
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


class EventIn(Schema):
    slug: str = Field(..., min_length=1, max_length=120, pattern=r"^[-a-zA-Z0-9_]+$")
    title: dict[str, str]
    description: dict[str, str] = {}
    event_type: EventTypeLit = "workshop"
    region: str = Field(..., max_length=5, description="NUTS code")
    network: str | None = None
    venue: str = Field("", max_length=200)
    city: str = Field("", max_length=120)
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(100, ge=1, le=100_000)
    registration_open: bool = True


class RegistrationIn(Schema):
    answers: dict[str, str | bool | int | None] = {}
    language: Literal["en", "fr", "it", "de"] | None = None


class RegistrationOut(Schema):
    id: int
    event: str
    status: str
    organisation: str | None
    answers: dict[str, Any]
    registered_at: dt.datetime
    checked_in_at: dt.datetime | None
    agenda_ical: str


class ProfileIn(Schema):
    headline: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)
    offers: str = Field("", max_length=4000)
    needs: str = Field("", max_length=4000)
    is_published: bool = True
    opportunities: list[Id] | None = Field(
        None, max_length=50, description="ids of your organisation's published opportunities"
    )


class OpportunityRef(Schema):
    id: int
    reference: str
    title: str


class ProfileOut(Schema):
    id: int
    name: str
    organisation: str | None
    organisation_id: int | None
    country: str | None
    org_type: str | None
    headline: str
    description: str
    offers: str
    needs: str
    opportunities: list[OpportunityRef]


class ProfileFilterIn(Schema):
    country: str = Field("", max_length=2)
    org_type: str = Field("", max_length=20)
    sector: str = Field("", max_length=60)
    q: str = Field("", max_length=100)


class AvailabilityIn(Schema):
    unavailable_slots: list[Id] = Field([], max_length=200)


class SlotOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_break: bool
    available: bool


class RequestIn(Schema):
    recipient: int = Field(..., ge=1, le=MAX_ID, description="id of the recipient's B2B profile")
    message: str = Field("", max_length=2000)
    priority: int = Field(2, ge=1, le=3)


class RequestOut(Schema):
    id: int
    requester: int
    requester_name: str
    recipient: int
    recipient_name: str
    message: str
    priority: int
    status: str


class AgendaItem(Schema):
    meeting: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    table: str
    at_booth: bool
    with_profile: int
    with_name: str
    with_organisation: str | None


class RunIn(Schema):
    time_limit: int = Field(30, ge=1, le=600)


class RunOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    stats: dict[str, Any]


# --- helpers --------------------------------------------------------------------------------


def _event(slug: str) -> Event:
    return get_object_or_404(Event.objects.select_related("region", "network"), slug=slug)


def _summary(e: Event) -> dict[str, Any]:
    return {
        "slug": e.slug,
        "title": e.display_title,
        "event_type": e.event_type,
        "region": e.region.code,
        "region_name": e.region.display_name,
        "network": e.network.slug if e.network else None,
        "city": e.city,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "capacity": e.capacity,
        "is_demo": e.is_demo,
        "url": f"/events/{e.slug}/",
    }


def _event_out(e: Event) -> dict[str, Any]:
    return {
        **_summary(e),
        "titles": e.title,
        "description": e.description,
        "venue": e.venue,
        "registration_open": e.registration_open,
        "seats": queries.seat_counts(e),
        "questions": [
            {
                "id": q.pk,
                "label": q.label,
                "display_label": q.display_label,
                "kind": q.kind,
                "choices": q.choices,
                "required": q.required,
            }
            for q in e.questions.all()
        ],
        "has_b2b": B2BSession.objects.filter(event=e).exists(),
        "ical": f"/events/{e.slug}/event.ics",
    }


def _reg_out(r: Registration) -> dict[str, Any]:
    return {
        "id": r.pk,
        "event": r.event.slug,
        "status": r.status,
        "organisation": r.organisation.display_name if r.organisation else None,
        "answers": r.answers,
        "registered_at": r.queued_at,
        "checked_in_at": r.checked_in_at,
        "agenda_ical": f"/events/agenda/{r.agenda_token}.ics",
    }


def _profile_out(p: B2BProfile) -> dict[str, Any]:
    org = p.organisation
    return {
        "id": p.pk,
        "name": p.registration.display_name,
        "organisation": org.display_name if org else None,
        "organisation_id": org.pk if org else None,
        "country": org.country_code if org else None,
        "org_type": org.org_type if org else None,
        "headline": p.headline,
        "description": p.description,
        "offers": p.offers,
        "needs": p.needs,
        "opportunities": [
            {"id": o.pk, "reference": o.reference, "title": o.display_title}
            for o in p.opportunities.all()
        ],
    }


def _request_out(r: MeetingRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "requester": r.requester_id,
        "requester_name": r.requester.display_name,
        "recipient": r.recipient_id,
        "recipient_name": r.recipient.display_name,
        "message": r.message,
        "priority": r.priority,
        "status": r.status,
    }


def _run_out(run: ScheduleRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "progress": run.progress,
        "message": run.message,
        "stats": run.stats,
    }


def _my_registration(request: HttpRequest, event: Event) -> Registration:
    reg = queries.registration_of(request.user, event)
    if reg is None:
        raise Http404
    return reg


def _my_profile(request: HttpRequest, event: Event) -> B2BProfile:
    profile = queries.profile_of(request.user, event)
    if profile is None:
        raise Http404
    return profile


def _session(event: Event) -> B2BSession:
    session = B2BSession.objects.filter(event=event).first()
    if session is None:
        raise Http404
    return session


# --- events ---------------------------------------------------------------------------------


@router.get("/", response=EventList, summary="The programme calendar, with filters")
def list_events(request: HttpRequest, params: Query[EventFilterIn]) -> dict[str, Any]:
    qs = queries.calendar(
        queries.EventFilter(
            region=params.region,
            network=params.network,
            event_type=params.type,
            year=params.year,
            upcoming=params.upcoming,
            q=params.q,
        )
    )
    total = qs.count()
    items = [_summary(e) for e in qs[params.offset : params.offset + params.limit]]
    return {"items": items, "total": total, "offset": params.offset, "limit": params.limit}


@router.post("/", response={201: EventOut}, auth=write_auth, summary="Create an event")
def create_event(request: HttpRequest, payload: EventIn) -> Status[Any]:
    region = Region.objects.filter(code=payload.region.upper()).first()
    if region is None:
        raise ValidationError({"region": ["Unknown NUTS code."]})
    network = None
    if payload.network:
        network = Network.objects.filter(slug=payload.network).first()
        if network is None:
            raise ValidationError({"network": ["Unknown network."]})
    data = payload.dict()
    data.update(region=region, network=network)
    slug = data.pop("slug")
    event = services.create_event(request.user, slug=slug, **data)
    return Status(201, _event_out(_event(event.slug)))


@router.get("/{slug}", response=EventOut)
def get_event(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _event_out(_event(slug))


@router.get("/{slug}/registration", response=RegistrationOut, auth=write_auth)
def my_registration(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _reg_out(_my_registration(request, _event(slug)))


@router.post(
    "/{slug}/registration",
    response={201: RegistrationOut},
    auth=write_auth,
    summary="Register (confirmed, or on the waiting list when full)",
)
def register(request: HttpRequest, slug: str, payload: RegistrationIn) -> Status[Any]:
    reg = services.register(
        request.user, _event(slug), answers=payload.answers, language=payload.language
    )
    return Status(201, _reg_out(reg))


@router.delete(
    "/{slug}/registration",
    response=RegistrationOut,
    auth=write_auth,
    summary="Cancel my registration (the waiting list moves up)",
)
def cancel(request: HttpRequest, slug: str) -> dict[str, Any]:
    reg = _my_registration(request, _event(slug))
    services.cancel_registration(request.user, reg)
    reg.refresh_from_db()
    return _reg_out(reg)


@router.get(
    "/{slug}/registrations",
    response=list[RegistrationOut],
    auth=write_auth,
    summary="All registrations (organisers)",
)
def registrations(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    event = _event(slug)
    if not permissions.can_manage_event(request.user, event):
        raise PermissionDenied("You do not manage this event.")
    return [_reg_out(r) for r in queries.registrations(event)]


@router.post(
    "/{slug}/registrations/{reg_id}/check-in",
    response=RegistrationOut,
    auth=write_auth,
    summary="Check a participant in (organisers)",
)
def check_in(
    request: HttpRequest, slug: str, reg_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    event = _event(slug)
    reg = get_object_or_404(Registration, event=event, pk=reg_id)
    return _reg_out(services.check_in(request.user, reg))


# --- B2B ------------------------------------------------------------------------------------


@router.get(
    "/{slug}/b2b/profiles",
    response=list[ProfileOut],
    auth=write_auth,
    summary="Browse the other participants (participants and organisers)",
)
def profiles(
    request: HttpRequest, slug: str, params: Query[ProfileFilterIn]
) -> list[dict[str, Any]]:
    event = _event(slug)
    session = _session(event)
    if not permissions.can_browse_profiles(request.user, event):
        raise PermissionDenied("Only the event's confirmed participants browse profiles.")
    f = queries.ProfileFilter(
        country=params.country, org_type=params.org_type, sector=params.sector, q=params.q
    )
    return [_profile_out(p) for p in queries.marketplace(session, f)[:500]]


@router.get("/{slug}/b2b/profile", response=ProfileOut, auth=write_auth)
def my_profile(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _profile_out(_my_profile(request, _event(slug)))


@router.put(
    "/{slug}/b2b/profile",
    response=ProfileOut,
    auth=write_auth,
    summary="Publish or update my marketplace profile",
)
def save_profile(request: HttpRequest, slug: str, payload: ProfileIn) -> dict[str, Any]:
    reg = _my_registration(request, _event(slug))
    data = payload.dict()
    opportunity_ids = data.pop("opportunities")
    return _profile_out(
        services.save_b2b_profile(request.user, reg, opportunity_ids=opportunity_ids, **data)
    )


@router.get("/{slug}/b2b/availability", response=list[SlotOut], auth=write_auth)
def availability(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    profile = _my_profile(request, _event(slug))
    off = set(profile.unavailable_slots.values_list("pk", flat=True))
    return [
        {
            "id": s.pk,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "is_break": s.is_break,
            "available": not s.is_break and s.pk not in off,
        }
        for s in profile.session.slots.all()
    ]


@router.put(
    "/{slug}/b2b/availability",
    response=list[SlotOut],
    auth=write_auth,
    summary="Declare the slots I am not available in",
)
def set_availability(
    request: HttpRequest, slug: str, payload: AvailabilityIn
) -> list[dict[str, Any]]:
    profile = _my_profile(request, _event(slug))
    services.set_availability(request.user, profile, unavailable_slot_ids=payload.unavailable_slots)
    return availability(request, slug)


@router.get(
    "/{slug}/b2b/requests",
    response=list[RequestOut],
    auth=write_auth,
    summary="My meeting requests, sent and received",
)
def my_requests(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    profile = _my_profile(request, _event(slug))
    mine = queries.requests_of(profile)
    return [_request_out(r) for r in list(mine["sent"]) + list(mine["received"])]


@router.post("/{slug}/b2b/requests", response={201: RequestOut}, auth=write_auth)
def send_request(request: HttpRequest, slug: str, payload: RequestIn) -> Status[Any]:
    event = _event(slug)
    profile = _my_profile(request, event)
    recipient = B2BProfile.objects.filter(session__event=event, pk=payload.recipient).first()
    if recipient is None:
        raise ValidationError({"recipient": ["No such participant in this event."]})
    req = services.send_meeting_request(
        request.user, profile, recipient, message=payload.message, priority=payload.priority
    )
    return Status(201, _request_out(req))


def _request(request: HttpRequest, slug: str, req_id: int) -> MeetingRequest:
    req = get_object_or_404(
        MeetingRequest.objects.select_related(
            "session__event__region", "requester__registration", "recipient__registration"
        ),
        session__event__slug=slug,
        pk=req_id,
    )
    if not permissions.can_view_request(request.user, req):
        raise Http404
    return req


@router.post("/{slug}/b2b/requests/{req_id}/accept", response=RequestOut, auth=write_auth)
def accept(
    request: HttpRequest, slug: str, req_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    return _request_out(
        services.respond_to_request(request.user, _request(request, slug, req_id), accept=True)
    )


@router.post("/{slug}/b2b/requests/{req_id}/decline", response=RequestOut, auth=write_auth)
def decline(
    request: HttpRequest, slug: str, req_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    return _request_out(
        services.respond_to_request(request.user, _request(request, slug, req_id), accept=False)
    )


@router.post("/{slug}/b2b/requests/{req_id}/withdraw", response=RequestOut, auth=write_auth)
def withdraw(
    request: HttpRequest, slug: str, req_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    return _request_out(services.withdraw_request(request.user, _request(request, slug, req_id)))


@router.get(
    "/{slug}/b2b/agenda",
    response=list[AgendaItem],
    auth=write_auth,
    summary="My meetings (published agendas; organisers: any participant's)",
)
def agenda(
    request: HttpRequest, slug: str, profile: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[dict[str, Any]]:
    event = _event(slug)
    session = _session(event)
    manager = permissions.can_manage_event(request.user, event)
    if profile is not None and manager:
        p = get_object_or_404(B2BProfile, session=session, pk=profile)
    else:
        p = _my_profile(request, event)
        if not session.agendas_published_at and not manager:
            return []
    out = []
    for m in queries.agenda(p):
        other = m.request.recipient if m.request.requester_id == p.pk else m.request.requester
        out.append(
            {
                "meeting": m.pk,
                "starts_at": m.slot.starts_at,
                "ends_at": m.slot.ends_at,
                "table": str(m.table),
                "at_booth": m.table.owner_id is not None,
                "with_profile": other.pk,
                "with_name": other.display_name,
                "with_organisation": other.organisation.display_name
                if other.organisation
                else None,
            }
        )
    return out


@router.post(
    "/{slug}/b2b/schedule-runs",
    response={201: RunOut},
    auth=write_auth,
    summary="Compute the schedule in the background (organisers)",
)
def start_run(request: HttpRequest, slug: str, payload: RunIn) -> Status[Any]:
    session = _session(_event(slug))
    run = services.start_schedule_run(request.user, session, time_limit=payload.time_limit)
    run.refresh_from_db()
    return Status(201, _run_out(run))


@router.get("/{slug}/b2b/schedule-runs/{run_id}", response=RunOut, auth=write_auth)
def get_run(
    request: HttpRequest, slug: str, run_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    event = _event(slug)
    if not permissions.can_manage_event(request.user, event):
        raise PermissionDenied("You do not manage this event.")
    return _run_out(get_object_or_404(ScheduleRun, session__event=event, pk=run_id))
