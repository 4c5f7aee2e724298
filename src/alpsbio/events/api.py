"""HTTP API of the events app (mounted at /api/v1/events/).

Public reads: the programme (list with filters, detail). Everything personal (registration,
B2B profile, requests, availability, agenda) and every write needs a token or a session, and goes
through the same services and permission checks as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
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
    Meeting,
    MeetingRequest,
    Registration,
    ScheduleRun,
    Table,
    TimeSlot,
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
    kind: Literal["full", "repair"] = Field(
        "full", description="repair: fill freed slots, moving no existing meeting"
    )


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
    session = _managed(request, slug)[1]
    if payload.kind == "repair":
        run = services.start_repair_run(request.user, session, time_limit=payload.time_limit)
    else:
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


# --- B2B: organisers' set-up, grid, meetings, figures ---------------------------------------


ObjectiveName = Literal["meetings", "priority"]


class SessionIn(Schema):
    min_meetings: int = Field(3, ge=0, le=50, description="target minimum meetings (K)")
    objective: ObjectiveName = Field(
        "meetings",
        description="after K for everyone: as many meetings as possible, or the highest total"
        " priority",
    )


class SessionPatch(Schema):
    min_meetings: int | None = Field(None, ge=0, le=50)
    objective: ObjectiveName | None = None
    requests_open: bool | None = None


class SlotInfo(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_break: bool


class SessionOut(Schema):
    event: str
    min_meetings: int
    objective: str
    requests_open: bool
    agendas_published_at: dt.datetime | None
    slots: list[SlotInfo]
    tables: int


class SlotIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_break: bool = False


class SlotPatch(Schema):
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    is_break: bool | None = None


class TableOut(Schema):
    id: int
    number: int
    label: str
    owner: int | None
    owner_name: str | None


class TableIn(Schema):
    number: int | None = Field(None, ge=1, le=32767, description="next free number if omitted")
    label: str = Field("", max_length=60)
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="B2B profile id: a booth")


class TablePatch(Schema):
    number: int | None = Field(None, ge=1, le=32767)
    label: str | None = Field(None, max_length=60)
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="null: a shared table")


class DeletedOut(Schema):
    id: int
    meetings_removed: int


class PartyOut(Schema):
    profile: int
    name: str
    organisation: str | None


class MeetingOut(Schema):
    id: int
    request: int
    priority: int
    status: str
    pinned: bool
    slot: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    table: int
    table_number: int
    at_booth: bool
    requester: PartyOut
    recipient: PartyOut


class MeetingPatch(Schema):
    slot: int | None = Field(None, ge=1, le=MAX_ID)
    table: int | None = Field(None, ge=1, le=MAX_ID)
    pinned: bool | None = None
    held: bool | None = None


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class GridOut(Schema):
    slots: list[SlotInfo]
    tables: list[TableOut]
    meetings: list[MeetingOut]


class QualityOut(Schema):
    meetings: int
    participants: int
    k: int
    below_k: int
    below_k_with_enough_requests: int
    breaks: int
    standby_slots: int
    standby_minutes: int
    table_changes: int


class CountOut(Schema):
    name: str
    count: int


class StatisticsOut(Schema):
    requested: int
    accepted: int
    declined: int
    scheduled: int
    held: int
    basis: str
    cross_border_share: float | None
    cross_sector_share: float | None
    by_region: list[CountOut]
    by_org_type: list[CountOut]


class PublishIn(Schema):
    notify: bool = True


class ManagedAvailabilityIn(Schema):
    unavailable_slots: list[Id] = Field([], max_length=200)


def _managed(request: HttpRequest, slug: str) -> tuple[Event, B2BSession]:
    event = _event(slug)
    if not permissions.can_manage_b2b(request.user, event):
        raise PermissionDenied("You do not manage this event.")
    return event, _session(event)


def _slot_info(s: TimeSlot) -> dict[str, Any]:
    return {"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "is_break": s.is_break}


def _session_out(session: B2BSession) -> dict[str, Any]:
    return {
        "event": session.event.slug,
        "min_meetings": session.min_meetings,
        "objective": session.objective,
        "requests_open": session.requests_open,
        "agendas_published_at": session.agendas_published_at,
        "slots": [_slot_info(s) for s in session.slots.order_by("starts_at")],
        "tables": session.tables.count(),
    }


def _table_out(t: Table) -> dict[str, Any]:
    return {
        "id": t.pk,
        "number": t.number,
        "label": t.label,
        "owner": t.owner_id,
        "owner_name": t.owner.display_name if t.owner else None,
    }


def _party(p: B2BProfile) -> dict[str, Any]:
    return {
        "profile": p.pk,
        "name": p.display_name,
        "organisation": p.organisation.display_name if p.organisation else None,
    }


def _meeting_out(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "request": m.request_id,
        "priority": m.request.priority,
        "status": m.status,
        "pinned": m.pinned,
        "slot": m.slot_id,
        "starts_at": m.slot.starts_at,
        "ends_at": m.slot.ends_at,
        "table": m.table_id,
        "table_number": m.table.number,
        "at_booth": m.table.owner_id is not None,
        "requester": _party(m.request.requester),
        "recipient": _party(m.request.recipient),
    }


def _meetings_qs(session: B2BSession) -> Any:
    return Meeting.objects.filter(session=session).select_related(
        "slot",
        "table",
        "session__event__region",
        "request__requester__registration__user",
        "request__recipient__registration__user",
        "request__requester__organisation",
        "request__recipient__organisation",
    )


def _slot(session: B2BSession, slot_id: int) -> TimeSlot:
    return get_object_or_404(
        TimeSlot.objects.select_related("session__event"), session=session, pk=slot_id
    )


def _table(session: B2BSession, table_id: int) -> Table:
    return get_object_or_404(
        Table.objects.select_related("session__event", "owner__registration__user"),
        session=session,
        pk=table_id,
    )


def _owner(session: B2BSession, owner_id: int | None) -> B2BProfile | None:
    if owner_id is None:
        return None
    owner = (
        B2BProfile.objects.select_related("registration__user", "organisation")
        .filter(session=session, pk=owner_id)
        .first()
    )
    if owner is None:
        raise ValidationError({"owner": ["No such participant in this B2B session."]})
    return owner


@router.get(
    "/{slug}/b2b",
    response=SessionOut,
    auth=write_auth,
    summary="The B2B session: K, requests open, agendas published, slots (participants too)",
)
def get_session(request: HttpRequest, slug: str) -> dict[str, Any]:
    event = _event(slug)
    if not permissions.can_browse_profiles(request.user, event):
        raise PermissionDenied("Only the event's participants and organisers see its B2B session.")
    return _session_out(_session(event))


@router.post(
    "/{slug}/b2b",
    response={201: SessionOut},
    auth=write_auth,
    summary="Enable B2B meetings at an event (organisers)",
)
def enable_session(request: HttpRequest, slug: str, payload: SessionIn) -> Status[Any]:
    event = _event(slug)
    if B2BSession.objects.filter(event=event).exists():
        if not permissions.can_manage_b2b(request.user, event):
            raise PermissionDenied("You do not manage this event.")
        raise ValidationError({"__all__": ["B2B meetings are already enabled; use PATCH."]})
    session = services.enable_b2b(
        request.user, event, min_meetings=payload.min_meetings, objective=payload.objective
    )
    return Status(201, _session_out(session))


@router.patch(
    "/{slug}/b2b",
    response=SessionOut,
    auth=write_auth,
    summary="Change K or open/close meeting requests (organisers)",
)
def update_session(request: HttpRequest, slug: str, payload: SessionPatch) -> dict[str, Any]:
    event, session = _managed(request, slug)
    with transaction.atomic():
        if payload.min_meetings is not None or payload.objective is not None:
            session = services.enable_b2b(
                request.user,
                event,
                min_meetings=session.min_meetings
                if payload.min_meetings is None
                else payload.min_meetings,
                objective=payload.objective,
            )
        if payload.requests_open is not None:
            services.set_requests_open(request.user, session, payload.requests_open)
    session.refresh_from_db()
    return _session_out(session)


@router.get("/{slug}/b2b/slots", response=list[SlotInfo], auth=write_auth)
def list_slots(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    event = _event(slug)
    if not permissions.can_browse_profiles(request.user, event):
        raise PermissionDenied("Only the event's participants and organisers see its slots.")
    return [_slot_info(s) for s in _session(event).slots.order_by("starts_at")]


@router.post(
    "/{slug}/b2b/slots",
    response={201: SlotInfo},
    auth=write_auth,
    summary="Add a time slot or a break (organisers; slots may not overlap)",
)
def add_slot(request: HttpRequest, slug: str, payload: SlotIn) -> Status[Any]:
    session = _managed(request, slug)[1]
    slot = services.add_time_slot(
        request.user,
        session,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        is_break=payload.is_break,
    )
    return Status(201, _slot_info(slot))


@router.patch("/{slug}/b2b/slots/{slot_id}", response=SlotInfo, auth=write_auth)
def update_slot(
    request: HttpRequest,
    slug: str,
    slot_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: SlotPatch,
) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    slot = services.update_time_slot(
        request.user,
        _slot(session, slot_id),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        is_break=payload.is_break,
    )
    return _slot_info(slot)


@router.delete(
    "/{slug}/b2b/slots/{slot_id}",
    response=DeletedOut,
    auth=write_auth,
    summary="Remove a slot (cascade=true also removes the meetings scheduled in it)",
)
def delete_slot(
    request: HttpRequest,
    slug: str,
    slot_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    cascade: bool = False,
) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    removed = services.delete_time_slot(request.user, _slot(session, slot_id), cascade=cascade)
    return {"id": slot_id, "meetings_removed": removed}


@router.get("/{slug}/b2b/tables", response=list[TableOut], auth=write_auth)
def list_tables(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    session = _managed(request, slug)[1]
    tables = session.tables.select_related("owner__registration__user", "owner__organisation")
    return [_table_out(t) for t in tables]


@router.post(
    "/{slug}/b2b/tables",
    response={201: TableOut},
    auth=write_auth,
    summary="Add a table (with an owner: that participant's booth)",
)
def add_table(request: HttpRequest, slug: str, payload: TableIn) -> Status[Any]:
    session = _managed(request, slug)[1]
    table = services.add_table(
        request.user,
        session,
        number=payload.number,
        label=payload.label,
        owner=_owner(session, payload.owner),
    )
    return Status(201, _table_out(table))


@router.patch("/{slug}/b2b/tables/{table_id}", response=TableOut, auth=write_auth)
def update_table(
    request: HttpRequest,
    slug: str,
    table_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: TablePatch,
) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    given = payload.model_fields_set
    kwargs: dict[str, Any] = {"number": payload.number, "label": payload.label}
    if "owner" in given:
        kwargs["owner"] = _owner(session, payload.owner)
    table = services.update_table(request.user, _table(session, table_id), **kwargs)
    return _table_out(table)


@router.delete(
    "/{slug}/b2b/tables/{table_id}",
    response=DeletedOut,
    auth=write_auth,
    summary="Remove a table (cascade=true also removes the meetings scheduled at it)",
)
def delete_table(
    request: HttpRequest,
    slug: str,
    table_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    cascade: bool = False,
) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    removed = services.delete_table(request.user, _table(session, table_id), cascade=cascade)
    return {"id": table_id, "meetings_removed": removed}


def _managed_profile(request: HttpRequest, slug: str, profile_id: int) -> B2BProfile:
    session = _managed(request, slug)[1]
    return get_object_or_404(
        B2BProfile.objects.select_related("session__event", "registration"),
        session=session,
        pk=profile_id,
    )


def _availability_out(profile: B2BProfile) -> list[dict[str, Any]]:
    off = set(profile.unavailable_slots.values_list("pk", flat=True))
    return [
        {**_slot_info(s), "available": not s.is_break and s.pk not in off}
        for s in profile.session.slots.order_by("starts_at")
    ]


@router.get(
    "/{slug}/b2b/profiles/{profile_id}/availability",
    response=list[SlotOut],
    auth=write_auth,
    summary="A participant's availability per slot (organisers)",
)
def profile_availability(
    request: HttpRequest, slug: str, profile_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> list[dict[str, Any]]:
    return _availability_out(_managed_profile(request, slug, profile_id))


@router.put(
    "/{slug}/b2b/profiles/{profile_id}/availability",
    response=list[SlotOut],
    auth=write_auth,
    summary="Set the slots a participant is not available in (organisers)",
)
def set_profile_availability(
    request: HttpRequest,
    slug: str,
    profile_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: ManagedAvailabilityIn,
) -> list[dict[str, Any]]:
    profile = _managed_profile(request, slug, profile_id)
    services.set_availability(request.user, profile, unavailable_slot_ids=payload.unavailable_slots)
    return _availability_out(profile)


@router.get(
    "/{slug}/b2b/grid",
    response=GridOut,
    auth=write_auth,
    summary="Slots, tables and the scheduled meetings (organisers)",
)
def grid(request: HttpRequest, slug: str) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    tables = session.tables.select_related("owner__registration__user", "owner__organisation")
    meetings = _meetings_qs(session).filter(
        status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD]
    )
    return {
        "slots": [_slot_info(s) for s in session.slots.order_by("starts_at")],
        "tables": [_table_out(t) for t in tables],
        "meetings": [_meeting_out(m) for m in meetings],
    }


@router.get(
    "/{slug}/b2b/meetings",
    response=list[MeetingOut],
    auth=write_auth,
    summary="Meetings: organisers all (status filter), participants their own once published",
)
def list_meetings(
    request: HttpRequest,
    slug: str,
    status: Literal["", "scheduled", "held", "cancelled"] = "",
) -> list[dict[str, Any]]:
    event = _event(slug)
    session = _session(event)
    qs = _meetings_qs(session)
    if not permissions.can_manage_b2b(request.user, event):
        profile = _my_profile(request, event)
        if not session.agendas_published_at:
            return []
        qs = qs.filter(Q(request__requester=profile) | Q(request__recipient=profile))
    if status:
        qs = qs.filter(status=status)
    return [_meeting_out(m) for m in qs]


def _visible_meeting(request: HttpRequest, slug: str, meeting_id: int) -> Meeting:
    """A manager sees every meeting of the event; a participant their own once published."""
    event = _event(slug)
    session = _session(event)
    meeting = get_object_or_404(_meetings_qs(session), pk=meeting_id)
    if permissions.can_manage_b2b(request.user, event):
        return meeting
    if permissions.is_meeting_participant(request.user, meeting) and session.agendas_published_at:
        return meeting
    raise Http404


@router.get("/{slug}/b2b/meetings/{meeting_id}", response=MeetingOut, auth=write_auth)
def get_meeting(
    request: HttpRequest, slug: str, meeting_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    return _meeting_out(_visible_meeting(request, slug, meeting_id))


@router.patch(
    "/{slug}/b2b/meetings/{meeting_id}",
    response=MeetingOut,
    auth=write_auth,
    summary="Move (slot and/or table; pins it), pin/unpin, mark held (organisers)",
)
def update_meeting(
    request: HttpRequest,
    slug: str,
    meeting_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: MeetingPatch,
) -> dict[str, Any]:
    meeting = _visible_meeting(request, slug, meeting_id)
    if not permissions.can_manage_b2b(request.user, meeting.session.event):
        raise PermissionDenied("Only the event's organisers move, pin or mark meetings.")
    session = meeting.session
    with transaction.atomic():
        if payload.slot is not None or payload.table is not None:
            errors: dict[str, list[str]] = {}
            slot = (
                TimeSlot.objects.filter(session=session, pk=payload.slot).first()
                if payload.slot is not None
                else meeting.slot
            )
            table = (
                Table.objects.filter(session=session, pk=payload.table).first()
                if payload.table is not None
                else meeting.table
            )
            if slot is None:
                errors["slot"] = ["Not a slot of this B2B session."]
            if table is None:
                errors["table"] = ["Not a table of this B2B session."]
            if errors:
                raise ValidationError(errors)
            assert slot is not None
            assert table is not None
            pin = payload.pinned if payload.pinned is not None else True
            services.move_meeting(request.user, meeting, slot=slot, table=table, pin=pin)
            if payload.pinned is False:
                services.pin_meeting(request.user, meeting, pinned=False)
        elif payload.pinned is not None:
            services.pin_meeting(request.user, meeting, pinned=payload.pinned)
        if payload.held is not None:
            services.set_meeting_held(request.user, meeting, held=payload.held)
    return _meeting_out(get_object_or_404(_meetings_qs(session), pk=meeting.pk))


def _cancel(request: HttpRequest, slug: str, meeting_id: int, reason: str) -> dict[str, Any]:
    meeting = _visible_meeting(request, slug, meeting_id)
    services.cancel_meeting(request.user, meeting, reason=reason)
    return _meeting_out(get_object_or_404(_meetings_qs(meeting.session), pk=meeting.pk))


@router.post(
    "/{slug}/b2b/meetings/{meeting_id}/cancel",
    response=MeetingOut,
    auth=write_auth,
    summary="Cancel a meeting (organisers, or either participant); the other side is e-mailed",
)
def cancel_meeting(
    request: HttpRequest,
    slug: str,
    meeting_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: CancelIn,
) -> dict[str, Any]:
    return _cancel(request, slug, meeting_id, payload.reason)


@router.delete(
    "/{slug}/b2b/meetings/{meeting_id}",
    response=MeetingOut,
    auth=write_auth,
    summary="Cancel a meeting (same as POST …/cancel without a reason)",
)
def delete_meeting(
    request: HttpRequest, slug: str, meeting_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    return _cancel(request, slug, meeting_id, "")


@router.get(
    "/{slug}/b2b/quality",
    response=QualityOut,
    auth=write_auth,
    summary="Quality figures of the current schedule (organisers)",
)
def quality(request: HttpRequest, slug: str) -> dict[str, Any]:
    from alpsbio.events.scheduling import quality as schedule_quality

    session = _managed(request, slug)[1]
    return schedule_quality(session)


@router.get(
    "/{slug}/b2b/statistics",
    response=StatisticsOut,
    auth=write_auth,
    summary="Requests, meetings, cross-border and cross-sector shares (organisers)",
)
def statistics(request: HttpRequest, slug: str) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    stats = queries.b2b_statistics(session)
    for key in ("by_region", "by_org_type"):
        stats[key] = [{"name": str(name), "count": n} for name, n in stats[key]]
    return stats


@router.get(
    "/{slug}/b2b/schedule-runs",
    response=list[RunOut],
    auth=write_auth,
    summary="The latest scheduling runs (organisers)",
)
def list_runs(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    session = _managed(request, slug)[1]
    return [_run_out(r) for r in session.runs.all()[:20]]


@router.post(
    "/{slug}/b2b/publish",
    response=SessionOut,
    auth=write_auth,
    summary="Publish the agendas (and e-mail every participant unless notify=false)",
)
def publish(request: HttpRequest, slug: str, payload: PublishIn) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    return _session_out(services.publish_agendas(request.user, session, notify=payload.notify))


@router.delete("/{slug}/b2b/publish", response=SessionOut, auth=write_auth)
def unpublish(request: HttpRequest, slug: str) -> dict[str, Any]:
    session = _managed(request, slug)[1]
    return _session_out(services.unpublish_agendas(request.user, session))
