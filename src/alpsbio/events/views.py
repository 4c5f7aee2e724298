"""Pages of the events app: thin (parse, authorise, call one service, render)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.core import tables
from alpsbio.core.forms import attach_service_errors
from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.directory.models import Network, OrganisationType, Region, Sector
from alpsbio.events import badges, exports, forms, ical, permissions, queries, services
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

# --- helpers --------------------------------------------------------------------------------


def _event(slug: str) -> Event:
    return get_object_or_404(Event.objects.select_related("region", "network"), slug=slug)


def _managed_event(request: HttpRequest, slug: str) -> Event:
    event = _event(slug)
    if not permissions.can_manage_event(request.user, event):
        raise PermissionDenied(_("You do not manage this event."))
    return event


def _session(event: Event) -> B2BSession:
    session = B2BSession.objects.filter(event=event).first()
    if session is None:
        raise Http404(_("This event has no B2B meetings."))
    return session


def _form_errors(form: Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's field-level errors on the form (unknown fields go to the top, named)."""
    attach_service_errors(form, exc, field_map, name_unknown_fields=True)


def _message_errors(request: HttpRequest, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def _event_filter(request: HttpRequest) -> queries.EventFilter:
    g = request.GET
    year = g.get("year", "")
    return queries.EventFilter(
        region=g.get("region", "")[:5],
        network=g.get("network", "")[:60],
        event_type=g.get("type", "")[:20],
        year=int(year) if year.isdigit() and 1900 < int(year) < 2200 else None,
        upcoming=g.get("upcoming") == "1",
        q=g.get("q", "").strip()[:100],
    )


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _event_vevent(request: HttpRequest, event: Event) -> ical.VEvent:
    return ical.VEvent(
        uid=f"event-{event.pk}-{event.uid_secret[:8]}@alpsbio",
        start=event.starts_at,
        end=event.ends_at,
        summary=event.display_title + (f" [{_('demo')}]" if event.is_demo else ""),
        description=event.display_description,
        location=", ".join(p for p in (event.venue, event.city, event.region.display_name) if p),
        url=_site(request) + reverse("events:detail", args=[event.slug]),
        categories=(str(event.get_event_type_display()),),
    )


def _ics(body: str, filename: str) -> HttpResponse:
    resp = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    resp["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp


# --- calendar and event pages ---------------------------------------------------------------


def calendar(request: HttpRequest) -> HttpResponse:
    f = _event_filter(request)
    page = Paginator(queries.calendar(f), 30).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "events/calendar.html",
        {
            "page": page,
            "filter": f,
            "regions": Region.objects.filter(is_member=True).order_by("code"),
            "networks": Network.objects.all(),
            "types": queries.event_types(),
            "years": queries.calendar_years(),
            "query": params.urlencode(),
            "can_create": permissions.can_create_event(request.user),
        },
    )


def calendar_ics(request: HttpRequest) -> HttpResponse:
    events = queries.calendar(_event_filter(request))[:2000]
    body = ical.calendar((_event_vevent(request, e) for e in events), _("Alps Bio Cluster events"))
    return _ics(body, "alpsbio-events.ics")


def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    return _ics(
        ical.calendar([_event_vevent(request, event)], event.display_title), f"{event.slug}.ics"
    )


def agenda_ics(request: HttpRequest, token: str) -> HttpResponse:
    """A participant's agenda (the event and, once published, their meetings) — secret URL."""
    reg = get_object_or_404(
        Registration.objects.select_related("event__region", "user"), agenda_token=token
    )
    event = reg.event
    items = []
    if reg.status != Registration.Status.CANCELLED:
        items.append(_event_vevent(request, event))
    profile = B2BProfile.objects.filter(registration=reg).select_related("session").first()
    if (
        profile is not None
        and profile.session.agendas_published_at
        and reg.status != Registration.Status.CANCELLED
    ):
        for row in _agenda_rows(profile):
            m, other = row["meeting"], row["other"]
            items.append(
                ical.VEvent(
                    uid=f"meeting-{m.pk}-{reg.agenda_token[:8]}@alpsbio",
                    start=m.slot.starts_at,
                    end=m.slot.ends_at,
                    summary=_("B2B meeting with %(who)s") % {"who": other.display_name},
                    description=_("Table %(table)s") % {"table": m.table},
                    location=_("Table %(table)s") % {"table": m.table}
                    + (f", {event.venue}" if event.venue else ""),
                )
            )
    return _ics(ical.calendar(items, event.display_title), f"{event.slug}-agenda.ics")


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    reg = queries.registration_of(request.user, event)
    questions = list(event.questions.all())
    form = forms.registration_form(questions)
    session = B2BSession.objects.filter(event=event).first()
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": reg,
            "form": form,
            "seats": queries.seat_counts(event),
            "can_manage": permissions.can_manage_event(request.user, event),
            "session": session,
            "organisers": event.organisers.all(),
            "translations": [
                (code, event.title.get(code)) for code in LANGUAGE_CODES if event.title.get(code)
            ],
        },
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_event(request.user):
        raise PermissionDenied(_("Only cluster managers create events."))
    form = forms.EventForm(
        request.POST or None, initial={"capacity": 100, "registration_open": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.create_event(
                request.user,
                slug=form.cleaned_data["slug"],
                organisers=list(form.cleaned_data["organisers"]) or None,
                **form.service_data(),
            )
        except ValidationError as exc:
            _form_errors(form, exc, {"title": "title_en", "description": "description_en"})
        else:
            messages.success(request, _("The event was created."))
            return redirect("events:manage", slug=event.slug)
    return render(request, "events/event_form.html", {"form": form, "event": None})


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    initial: dict[str, Any] = {
        "slug": event.slug,
        "event_type": event.event_type,
        "region": event.region,
        "network": event.network,
        "venue": event.venue,
        "city": event.city,
        "starts_at": timezone.localtime(event.starts_at),
        "ends_at": timezone.localtime(event.ends_at),
        "capacity": event.capacity,
        "registration_open": event.registration_open,
        "organisers": list(event.organisers.all()),
    }
    for lang in LANGUAGE_CODES:
        initial[f"title_{lang}"] = event.title.get(lang, "")
        initial[f"description_{lang}"] = event.description.get(lang, "")
    form = forms.EventForm(request.POST or None, initial=initial)
    form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(
                request.user,
                event,
                organisers=list(form.cleaned_data["organisers"]) or None,
                **form.service_data(),
            )
        except ValidationError as exc:
            _form_errors(form, exc, {"title": "title_en", "description": "description_en"})
        else:
            messages.success(request, _("The event was saved."))
            return redirect("events:manage", slug=event.slug)
    return render(request, "events/event_form.html", {"form": form, "event": event})


@login_required
def questions(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    form = forms.QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.add_question(
                request.user,
                event,
                label={d["label_language"]: d["label"]},
                kind=d["kind"],
                choices=(d["choices"] or "").splitlines(),
                required=d["required"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The question was added."))
            return redirect("events:questions", slug=event.slug)
    return render(
        request,
        "events/questions.html",
        {"event": event, "form": form, "questions": event.questions.all()},
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed_event(request, slug)
    question = get_object_or_404(event.questions, pk=pk)
    services.delete_question(request.user, question)
    messages.success(request, _("The question was removed."))
    return redirect("events:questions", slug=event.slug)


@login_required
@require_POST
def register(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    questions = list(event.questions.all())
    form = forms.registration_form(questions, request.POST)
    if form.is_valid():
        try:
            reg = services.register(request.user, event, answers=forms.answers_from(form))
        except ValidationError as exc:
            _form_errors(form, exc, {f"answers.{q.pk}": f"q_{q.pk}" for q in questions})
        else:
            if reg.status == Registration.Status.WAITING:
                messages.info(request, _("The event is full: you are on the waiting list."))
            else:
                messages.success(request, _("You are registered. A confirmation is on its way."))
            return redirect("events:detail", slug=event.slug)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": queries.registration_of(request.user, event),
            "form": form,
            "seats": queries.seat_counts(event),
            "can_manage": permissions.can_manage_event(request.user, event),
            "session": B2BSession.objects.filter(event=event).first(),
            "organisers": event.organisers.all(),
        },
        status=422,
    )


@login_required
@require_POST
def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    reg = queries.registration_of(request.user, event)
    if reg is None:
        raise Http404
    try:
        services.cancel_registration(request.user, reg)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("Your registration was cancelled."))
    return redirect("events:detail", slug=event.slug)


# --- organisers: registrations, check-in, exports, badges ------------------------------------


@login_required
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    return render(
        request,
        "events/manage.html",
        {
            "event": event,
            "seats": queries.seat_counts(event),
            "registrations": queries.registrations(event),
            "questions": list(event.questions.all()),
            "session": B2BSession.objects.filter(event=event).first(),
        },
    )


@login_required
def checkin_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    q = request.GET.get("q", "").strip()[:100]
    regs = queries.registrations(event).filter(status__in=Registration.SEATED)
    if q:
        regs = regs.filter(
            Q(user__last_name__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__username__icontains=q)
            | Q(organisation__legal_name__icontains=q)
        )
    return render(
        request,
        "events/checkin.html",
        {"event": event, "registrations": regs, "q": q, "seats": queries.seat_counts(event)},
    )


@login_required
@require_POST
def checkin(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed_event(request, slug)
    reg = get_object_or_404(
        Registration.objects.select_related("user", "organisation"), event=event, pk=pk
    )
    try:
        reg = services.check_in(request.user, reg, undo=request.POST.get("undo") == "1")
    except ValidationError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(" ".join(exc.messages), status=422)
        _message_errors(request, exc)
    if request.headers.get("HX-Request"):
        return render(request, "events/partials/checkin_row.html", {"event": event, "reg": reg})
    return redirect("events:checkin_list", slug=event.slug)


@login_required
def export(request: HttpRequest, slug: str, what: str, fmt: str) -> HttpResponse:
    event = _managed_event(request, slug)
    if what not in ("registrations", "attendance") or fmt not in ("csv", "xlsx"):
        raise Http404
    header, rows = exports.table(event, attendance=what == "attendance")
    name = f"{event.slug}-{what}"
    if fmt == "csv":
        resp = HttpResponse(tables.to_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        resp = HttpResponse(
            tables.to_xlsx(header, rows, what),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@login_required
def badges_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    regs = list(queries.registrations(event).filter(status__in=Registration.SEATED))
    booths = {
        t.owner.registration_id: t
        for t in Table.objects.filter(session__event=event, owner__isnull=False).select_related(
            "owner"
        )
        if t.owner is not None
    }
    for reg in regs:
        reg.b2b_table = booths.get(reg.pk)  # type: ignore[attr-defined]
    resp = HttpResponse(badges.badges_pdf(event, regs), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{event.slug}-badges.pdf"'
    return resp


# --- B2B: participants ----------------------------------------------------------------------


def _b2b_participant(request: HttpRequest, slug: str) -> tuple[Event, B2BSession]:
    event = _event(slug)
    session = _session(event)
    if not permissions.can_browse_profiles(request.user, event):
        raise PermissionDenied(_("Only the event's confirmed participants take part in B2B."))
    return event, session


@login_required
def marketplace(request: HttpRequest, slug: str) -> HttpResponse:
    event, session = _b2b_participant(request, slug)
    g = request.GET
    f = queries.ProfileFilter(
        country=g.get("country", "")[:2],
        org_type=g.get("org_type", "")[:20],
        sector=g.get("sector", "")[:60],
        q=g.get("q", "").strip()[:100],
    )
    mine = queries.profile_of(request.user, event)
    page = Paginator(queries.marketplace(session, f), 30).get_page(g.get("page"))
    already: set[int] = set()
    if mine:
        already = set(
            MeetingRequest.objects.filter(requester=mine)
            .exclude(status=MeetingRequest.Status.WITHDRAWN)
            .values_list("recipient_id", flat=True)
        ) | set(
            MeetingRequest.objects.filter(recipient=mine)
            .exclude(status=MeetingRequest.Status.WITHDRAWN)
            .values_list("requester_id", flat=True)
        )
    countries = sorted(
        {
            c
            for c in B2BProfile.objects.filter(session=session).values_list(
                "organisation__country_code", flat=True
            )
            if c
        }
    )
    params = g.copy()
    params.pop("page", None)
    return render(
        request,
        "events/b2b/marketplace.html",
        {
            "event": event,
            "session": session,
            "page": page,
            "filter": f,
            "mine": mine,
            "already": already,
            "countries": countries,
            "org_types": OrganisationType.choices,
            "sectors": Sector.objects.all(),
            "request_form": forms.RequestForm(),
            "query": params.urlencode(),
            "can_manage": permissions.can_manage_event(request.user, event),
        },
    )


@login_required
def profile_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    session = _session(event)
    reg = queries.registration_of(request.user, event)
    if reg is None or reg.status not in Registration.SEATED:
        raise PermissionDenied(_("Register for the event first."))
    profile = B2BProfile.objects.filter(registration=reg).first()
    slots = list(session.slots.all())
    initial: dict[str, Any] = (
        {
            "headline": profile.headline,
            "description": profile.description,
            "offers": profile.offers,
            "needs": profile.needs,
            "is_published": profile.is_published,
        }
        if profile
        else {"is_published": True}
    )
    if profile is not None:
        initial["opportunities"] = list(profile.opportunities.all())
    form = forms.ProfileForm(
        request.POST or None, initial=initial, prefix="p", organisation=reg.organisation
    )
    avail = forms.AvailabilityForm(
        request.POST or None,
        slots=slots,
        prefix="a",
        initial={"unavailable": [str(s.pk) for s in profile.unavailable_slots.all()]}
        if profile
        else None,
    )
    if request.method == "POST" and form.is_valid() and avail.is_valid():
        try:
            data = dict(form.cleaned_data)
            opps = data.pop("opportunities", None)
            profile = services.save_b2b_profile(
                request.user,
                reg,
                opportunity_ids=[o.pk for o in opps] if opps is not None else None,
                **data,
            )
            services.set_availability(
                request.user,
                profile,
                unavailable_slot_ids=[int(x) for x in avail.cleaned_data["unavailable"]],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your B2B profile was saved."))
            return redirect("events:b2b_marketplace", slug=event.slug)
    return render(
        request,
        "events/b2b/profile_form.html",
        {"event": event, "form": form, "avail": avail, "profile": profile, "registration": reg},
    )


@login_required
@require_POST
def request_send(request: HttpRequest, slug: str, profile_id: int) -> HttpResponse:
    event, session = _b2b_participant(request, slug)
    mine = queries.profile_of(request.user, event)
    if mine is None:
        messages.error(request, _("Publish your B2B profile first."))
        return redirect("events:b2b_profile", slug=event.slug)
    recipient = get_object_or_404(B2BProfile, session=session, pk=profile_id)
    form = forms.RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the message and the priority."))
    else:
        try:
            services.send_meeting_request(request.user, mine, recipient, **form.cleaned_data)
        except ValidationError as exc:
            _message_errors(request, exc)
        else:
            messages.success(request, _("Your meeting request was sent."))
    return redirect(reverse("events:b2b_marketplace", args=[event.slug]))


@login_required
def my_requests(request: HttpRequest, slug: str) -> HttpResponse:
    event, session = _b2b_participant(request, slug)
    mine = queries.profile_of(request.user, event)
    if mine is None:
        return redirect("events:b2b_profile", slug=event.slug)
    return render(
        request,
        "events/b2b/requests.html",
        {"event": event, "session": session, "profile": mine, **queries.requests_of(mine)},
    )


def _own_request(request: HttpRequest, slug: str, pk: int) -> tuple[Event, MeetingRequest]:
    event = _event(slug)
    req = get_object_or_404(
        MeetingRequest.objects.select_related(
            "session__event", "requester__registration", "recipient__registration"
        ),
        session__event=event,
        pk=pk,
    )
    if not permissions.can_view_request(request.user, req):
        raise Http404
    return event, req


@login_required
@require_POST
def request_respond(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event, req = _own_request(request, slug, pk)
    try:
        services.respond_to_request(request.user, req, accept=request.POST.get("accept") == "1")
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("Your answer was recorded."))
    return redirect("events:b2b_requests", slug=event.slug)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event, req = _own_request(request, slug, pk)
    try:
        services.withdraw_request(request.user, req)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("events:b2b_requests", slug=event.slug)


def _agenda_rows(profile: B2BProfile) -> list[dict[str, Any]]:
    rows = []
    for m in queries.agenda(profile):
        other = m.request.recipient if m.request.requester_id == profile.pk else m.request.requester
        rows.append({"meeting": m, "other": other})
    return rows


def _agenda_profile(request: HttpRequest, slug: str) -> tuple[Event, B2BSession, B2BProfile]:
    """The viewer's own profile, or (for organisers) the one named by ``?profile=``."""
    event = _event(slug)
    session = _session(event)
    pid = request.GET.get("profile", "")
    if pid.isdigit() and permissions.can_manage_event(request.user, event):
        profile = get_object_or_404(B2BProfile, session=session, pk=int(pid))
    else:
        mine = queries.profile_of(request.user, event)
        if mine is None:
            raise Http404
        profile = mine
        if not session.agendas_published_at and not permissions.can_manage_event(
            request.user, event
        ):
            raise Http404(_("The agendas are not published yet."))
    if not permissions.can_view_agenda(request.user, profile.registration):
        raise Http404
    return event, session, profile


@login_required
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(slug)
    session = _session(event)
    mine = queries.profile_of(request.user, event)
    if (
        mine is not None
        and not session.agendas_published_at
        and not permissions.can_manage_event(request.user, event)
    ):
        return render(
            request,
            "events/b2b/agenda.html",
            {"event": event, "session": session, "profile": mine, "rows": None},
        )
    event, session, profile = _agenda_profile(request, slug)
    return render(
        request,
        "events/b2b/agenda.html",
        {"event": event, "session": session, "profile": profile, "rows": _agenda_rows(profile)},
    )


@login_required
def agenda_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    event, _s, profile = _agenda_profile(request, slug)
    resp = HttpResponse(
        badges.agenda_pdf(event, profile, _agenda_rows(profile)), content_type="application/pdf"
    )
    resp["Content-Disposition"] = f'inline; filename="{event.slug}-agenda.pdf"'
    return resp


# --- B2B: organisers ------------------------------------------------------------------------


@login_required
def b2b_setup(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = B2BSession.objects.filter(event=event).first()
    slots = list(session.slots.all()) if session else []
    initial: dict[str, Any] = {
        "min_meetings": session.min_meetings if session else 3,
        "objective": session.objective if session else B2BSession.Objective.MEETINGS,
        "first_start": timezone.localtime(slots[0].starts_at if slots else event.starts_at),
        "n_slots": len(slots) or 12,
        "minutes": int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60)
        if slots
        else 20,
        "breaks": ", ".join(str(i + 1) for i, s in enumerate(slots) if s.is_break),
        "n_tables": session.tables.count() if session and session.tables.exists() else 20,
    }
    form = forms.B2BSetupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = services.enable_b2b(
                request.user,
                event,
                min_meetings=d["min_meetings"],
                objective=d["objective"] or None,
            )
            same = (
                len(slots) == d["n_slots"]
                and slots
                and slots[0].starts_at == d["first_start"]
                and initial["minutes"] == d["minutes"]
                and [i for i, s in enumerate(slots) if s.is_break] == d["breaks"]
            )
            if not same:
                services.set_time_slots(
                    request.user,
                    session,
                    first_start=d["first_start"],
                    n_slots=d["n_slots"],
                    minutes=d["minutes"],
                    breaks=d["breaks"],
                )
            services.set_tables(request.user, session, n_tables=d["n_tables"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The B2B set-up was saved."))
            return redirect("events:b2b_setup", slug=event.slug)
    profiles = (
        B2BProfile.objects.filter(session=session).select_related(
            "registration__user", "organisation"
        )
        if session
        else []
    )
    return render(
        request,
        "events/b2b/setup.html",
        {
            "event": event,
            "session": session,
            "form": form,
            "slots": slots,
            "tables": session.tables.select_related("owner__registration__user") if session else [],
            "profiles": profiles,
        },
    )


@login_required
@require_POST
def booth_assign(request: HttpRequest, slug: str, table_id: int) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    table = get_object_or_404(Table, session=session, pk=table_id)
    pid = request.POST.get("owner", "")
    profile = get_object_or_404(B2BProfile, session=session, pk=int(pid)) if pid.isdigit() else None
    try:
        services.assign_booth(request.user, table, profile)
    except ValidationError as exc:
        _message_errors(request, exc)
    return redirect("events:b2b_setup", slug=event.slug)


@login_required
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    from alpsbio.events.scheduling import quality

    return render(
        request,
        "events/b2b/schedule.html",
        {
            "event": event,
            "session": session,
            "grid": queries.grid(session),
            "quality": quality(session),
            "run": session.runs.first(),
            "profiles": B2BProfile.objects.filter(session=session).select_related(
                "registration__user", "organisation"
            ),
            "n_accepted": session.requests.filter(status=MeetingRequest.Status.ACCEPTED).count(),
        },
    )


@login_required
@require_POST
def schedule_run(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    limit = request.POST.get("time_limit", "30")
    try:
        services.start_schedule_run(
            request.user, session, time_limit=int(limit) if limit.isdigit() else 30
        )
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The scheduler is running in the background."))
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
def run_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The progress box; htmx polls it while the run is active."""
    event = _managed_event(request, slug)
    run = get_object_or_404(ScheduleRun, session__event=event, pk=pk)
    resp = render(request, "events/partials/run_status.html", {"event": event, "run": run})
    if not run.is_active and request.headers.get("HX-Request"):
        resp["HX-Refresh"] = "true"  # reload the page so the grid shows the new schedule
    return resp


def _meeting(request: HttpRequest, slug: str, pk: int) -> tuple[Event, Meeting]:
    event = _managed_event(request, slug)
    return event, get_object_or_404(
        Meeting.objects.select_related("session__event", "request"), session__event=event, pk=pk
    )


@login_required
@require_POST
def meeting_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event, meeting = _meeting(request, slug, pk)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a slot and a table."))
    else:
        slot = TimeSlot.objects.filter(
            session=meeting.session, pk=form.cleaned_data["slot"]
        ).first()
        table = Table.objects.filter(session=meeting.session, pk=form.cleaned_data["table"]).first()
        if slot is None or table is None:
            messages.error(request, _("Choose a slot and a table of this session."))
        else:
            try:
                services.move_meeting(
                    request.user, meeting, slot=slot, table=table, pin=form.cleaned_data["pin"]
                )
            except ValidationError as exc:
                _message_errors(request, exc)
            else:
                messages.success(request, _("The meeting was moved."))
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
@require_POST
def meeting_pin(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event, meeting = _meeting(request, slug, pk)
    services.pin_meeting(request.user, meeting, pinned=request.POST.get("pinned") == "1")
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
@require_POST
def meeting_held(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event, meeting = _meeting(request, slug, pk)
    try:
        services.set_meeting_held(request.user, meeting, held=request.POST.get("held") == "1")
    except ValidationError as exc:
        _message_errors(request, exc)
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    try:
        if request.POST.get("unpublish") == "1":
            services.unpublish_agendas(request.user, session)
        else:
            services.publish_agendas(request.user, session)
            messages.success(request, _("The agendas are published."))
    except ValidationError as exc:
        _message_errors(request, exc)
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
def statistics(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    stats = queries.b2b_statistics(session)
    with contextlib.suppress(TypeError):
        stats["cross_border_pct"] = round(stats["cross_border_share"] * 100)
        stats["cross_sector_pct"] = round(stats["cross_sector_share"] * 100)
    return render(
        request, "events/b2b/statistics.html", {"event": event, "session": session, "stats": stats}
    )


# --- B2B: one slot or table at a time, cancelling meetings, repair ---------------------------


def _setup_redirect(event: Event) -> HttpResponse:
    return redirect("events:b2b_setup", slug=event.slug)


@login_required
@require_POST
def slot_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    form = forms.SlotForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for msg in errs:
                messages.error(request, str(msg))
        return _setup_redirect(event)
    try:
        services.add_time_slot(request.user, session, **form.cleaned_data)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The slot was added."))
    return _setup_redirect(event)


@login_required
@require_POST
def slot_break(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed_event(request, slug)
    slot = get_object_or_404(TimeSlot, session__event=event, pk=pk)
    try:
        services.update_time_slot(request.user, slot, is_break=request.POST.get("is_break") == "1")
    except ValidationError as exc:
        _message_errors(request, exc)
    return _setup_redirect(event)


@login_required
@require_POST
def slot_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed_event(request, slug)
    slot = get_object_or_404(TimeSlot, session__event=event, pk=pk)
    try:
        n = services.delete_time_slot(
            request.user, slot, cascade=request.POST.get("cascade") == "1"
        )
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(
            request,
            _("The slot was removed (%(n)d meetings with it).") % {"n": n}
            if n
            else _("The slot was removed."),
        )
    return _setup_redirect(event)


@login_required
@require_POST
def table_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    form = forms.TableForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            for msg in errs:
                messages.error(request, str(msg))
        return _setup_redirect(event)
    try:
        services.add_table(
            request.user,
            session,
            number=form.cleaned_data["number"],
            label=form.cleaned_data["label"],
        )
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The table was added."))
    return _setup_redirect(event)


@login_required
@require_POST
def table_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed_event(request, slug)
    table = get_object_or_404(Table, session__event=event, pk=pk)
    try:
        n = services.delete_table(request.user, table, cascade=request.POST.get("cascade") == "1")
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(
            request,
            _("The table was removed (%(n)d meetings with it).") % {"n": n}
            if n
            else _("The table was removed."),
        )
    return _setup_redirect(event)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Organisers cancel any meeting (from the grid); a participant their own (from the agenda,
    once published)."""
    event = _event(slug)
    session = _session(event)
    meeting = get_object_or_404(
        Meeting.objects.select_related(
            "session__event__region",
            "request__requester__registration",
            "request__recipient__registration",
        ),
        session=session,
        pk=pk,
    )
    manager = permissions.can_manage_b2b(request.user, event)
    if not manager and not (
        permissions.is_meeting_participant(request.user, meeting) and session.agendas_published_at
    ):
        raise Http404
    form = forms.CancelMeetingForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_meeting(request.user, meeting, reason=reason)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The meeting was cancelled; the other side is told by e-mail."))
    if manager and request.POST.get("next") != "agenda":
        return redirect("events:b2b_schedule", slug=event.slug)
    return redirect("events:agenda", slug=event.slug)


@login_required
@require_POST
def schedule_repair(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    session = _session(event)
    try:
        services.start_repair_run(request.user, session)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The freed slots are being filled in the background."))
    return redirect("events:b2b_schedule", slug=event.slug)


@login_required
def availability_manage(request: HttpRequest, slug: str, profile_id: int) -> HttpResponse:
    """Organisers set a participant's availability (e.g. told by phone)."""
    event = _managed_event(request, slug)
    session = _session(event)
    profile = get_object_or_404(
        B2BProfile.objects.select_related("registration__user", "organisation"),
        session=session,
        pk=profile_id,
    )
    avail = forms.AvailabilityForm(
        request.POST or None,
        slots=list(session.slots.all()),
        initial={"unavailable": [str(s.pk) for s in profile.unavailable_slots.all()]},
    )
    if request.method == "POST" and avail.is_valid():
        try:
            services.set_availability(
                request.user,
                profile,
                unavailable_slot_ids=[int(x) for x in avail.cleaned_data["unavailable"]],
            )
        except ValidationError as exc:
            _form_errors(avail, exc, {"unavailable_slots": "unavailable"})
        else:
            messages.success(request, _("The availability was saved."))
            return redirect("events:b2b_setup", slug=event.slug)
    return render(
        request,
        "events/b2b/availability.html",
        {"event": event, "session": session, "profile": profile, "avail": avail},
    )
