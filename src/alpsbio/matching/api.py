"""HTTP API of the matching app (mounted at /api/v1/matching/).

Public reads (published profiles, their matches, suggestions, search) need no authentication;
writes and private reads take a token or a session (``write_auth``). Permissions are the same
functions the pages use (``matching.permissions``); bad input is a field-level 422.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema, Status

from alpsbio.api.auth import read_auth, write_auth
from alpsbio.directory.api import OrgType
from alpsbio.directory.models import Organisation
from alpsbio.matching import index as match_index
from alpsbio.matching import permissions, queries, services
from alpsbio.matching.models import (
    ExpressionOfInterest,
    MatchingSettings,
    Opportunity,
    OpportunityStatus,
    OpportunityType,
    OutcomeFollowUp,
)

logger = logging.getLogger("alpsbio.matching")

router = Router(tags=["matching"])


# --- Schemas ----------------------------------------------------------------------------------


class OpportunityOut(Schema):
    id: int
    reference: str
    kind: str
    kind_label: str
    status: str
    organisation_id: int
    organisation_name: str
    title: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]
    keywords: list[str]
    nace_codes: list[str]
    trl: int | None
    partner_types: list[str]
    partner_regions: list[str]
    expires_on: dt.date
    published_at: dt.datetime | None
    review_comment: str
    is_demo: bool
    demo_source: str


def _opp_out(o: Opportunity) -> dict[str, Any]:
    return {
        "id": o.pk,
        "reference": o.reference,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "status": o.status,
        "organisation_id": o.organisation_id,
        "organisation_name": o.organisation.display_name,
        "title": o.title,
        "summary": o.summary,
        "description": o.description,
        "keywords": o.keywords,
        "nace_codes": [n.code for n in o.nace_codes.all()],
        "trl": o.trl,
        "partner_types": o.partner_types,
        "partner_regions": o.partner_regions,
        "expires_on": o.expires_on,
        "published_at": o.published_at,
        "review_comment": o.review_comment,
        "is_demo": o.is_demo,
        "demo_source": o.demo_source,
    }


class OpportunityIn(Schema):
    organisation_id: int
    kind: OpportunityType
    title: dict[str, str]
    summary: dict[str, str] = {}
    description: dict[str, str] = {}
    keywords: list[str] = []
    nace_codes: list[str] = []
    trl: int | None = Field(None, ge=1, le=9)
    partner_types: list[str] = []
    partner_regions: list[str] = []
    expires_on: dt.date | None = None


class OpportunityPatch(Schema):
    kind: OpportunityType | None = None
    title: dict[str, str] | None = None
    summary: dict[str, str] | None = None
    description: dict[str, str] | None = None
    keywords: list[str] | None = None
    nace_codes: list[str] | None = None
    trl: int | None = Field(None, ge=1, le=9)
    partner_types: list[str] | None = None
    partner_regions: list[str] | None = None
    expires_on: dt.date | None = None


class ReturnIn(Schema):
    comment: str = Field(..., max_length=4000)


class RenewIn(Schema):
    until: dt.date | None = None


class SuggestionOut(Schema):
    key: str
    organisation_id: int
    organisation_name: str
    opportunity_id: int | None
    name: str
    kind: str
    score: float
    is_demo: bool
    summary: str = Field(
        description="What the candidate does, from its profile in the reader's language when it "
        "has one: its description or project titles, cut to about 200 characters."
    )
    reasons: list[str]
    topics: list[str]
    call_topics: list[str] = Field(
        description="EU call topics both organisations were funded under: 'Title (CODE)'."
    )
    common_partners: list[str]
    crosses_border: bool
    crosses_sector: bool
    score_parts: dict[str, float] = Field(
        description="The engine's score parts, each in [0, 1] (text, history, complementarity, "
        "sought, cross_border, cross_sector, shared_network), and their weighted total."
    )
    score_weights: dict[str, float] = Field(
        description="The weight of each part in the total: the cluster's matching policy."
    )
    org_type: str = Field(description="The candidate organisation's type, e.g. hospital.")
    country: str = Field(description="Its ISO country code.")
    region: str = Field(description="Its NUTS-2 code, empty when not known.")


def _sugg_out(items: list[queries.ExplainedSuggestion]) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "organisation_id": s.org_id,
            "organisation_name": s.organisation_name,
            "opportunity_id": s.opp_id,
            "name": s.name,
            "kind": s.kind,
            "score": s.score,
            "is_demo": s.is_demo,
            "summary": s.summary,
            "reasons": s.reasons,
            "topics": s.topics,
            "call_topics": s.call_topics,
            "common_partners": s.common_partners,
            "crosses_border": s.crosses_border,
            "crosses_sector": s.crosses_sector,
            "score_parts": s.score_parts,
            "score_weights": s.score_weights,
            "org_type": s.org_type,
            "country": s.country,
            "region": s.region,
        }
        for s in items
    ]


class InterestIn(Schema):
    organisation_id: int
    message: str = Field(..., min_length=1, max_length=5000)


class ContactOut(Schema):
    name: str
    email: str = ""
    phone: str = ""
    job_title: str = ""
    role: str = Field(
        "", description="For the person who acted: 'wrote it' or 'accepted it' (translated)."
    )


class InterestOut(Schema):
    id: int
    opportunity_id: int
    opportunity_reference: str
    organisation_id: int
    organisation_name: str
    message: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    owner_contacts: list[ContactOut]
    responder_contacts: list[ContactOut]


def _eoi_out(request: HttpRequest, e: ExpressionOfInterest) -> dict[str, Any]:
    contacts = queries.shared_contacts(request.user, e)
    return {
        "id": e.pk,
        "opportunity_id": e.opportunity_id,
        "opportunity_reference": e.opportunity.reference,
        "organisation_id": e.organisation_id,
        "organisation_name": e.organisation.display_name,
        "message": e.message,
        "status": e.status,
        "created_at": e.created_at,
        "decided_at": e.decided_at,
        "owner_contacts": contacts["owner"],
        "responder_contacts": contacts["responder"],
    }


class FollowUpIn(Schema):
    meeting: bool
    agreement: bool
    joint_project: bool
    comment: str = Field("", max_length=2000)


class FollowUpOut(Schema):
    id: int
    eoi_id: int
    side: str
    months: int
    answered_at: dt.datetime | None
    meeting: bool | None
    agreement: bool | None
    joint_project: bool | None


class PolicyIO(Schema):
    border_bonus: float = Field(..., ge=0.0, le=1.0)
    sector_bonus: float = Field(..., ge=0.0, le=1.0)
    network_bonus: float = Field(..., ge=0.0, le=1.0)
    history_weight: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Weight of the collaboration history (shared partners) in the score; "
        "omitted in a PUT: unchanged.",
    )


class PreferenceIO(Schema):
    weekly_digest: bool


class Counts(Schema):
    eois: int
    accepted: int
    answered: int
    meeting: int
    agreement: int
    joint_project: int


class ReportOut(Schema):
    regions: dict[str, Counts]
    networks: dict[str, Counts]
    totals: Counts


# --- Opportunities ----------------------------------------------------------------------------


def _get_visible(request: HttpRequest, pk: int) -> Opportunity:
    opp = get_object_or_404(Opportunity.objects.select_related("organisation"), pk=pk)
    if not permissions.can_view_opportunity(request.user, opp):
        # Do not reveal that an unpublished profile exists.
        raise Http404
    return opp


@router.get("/opportunities", response=list[OpportunityOut], auth=read_auth)
def list_opportunities(
    request: HttpRequest,
    kind: OpportunityType | None = None,
    status: OpportunityStatus | None = None,
    organisation_id: int | None = None,
    q: str = Query("", max_length=200),
    country: str = Query("", max_length=2, description="ISO code of the owner's country"),
    region: str = Query(
        "", max_length=6, description="NUTS code (a prefix) or 'member' for the cluster's regions"
    ),
    demo: bool = Query(True, description="false: leave out the generated demo profiles"),
    mine: bool = Query(False, description="only the profiles of the caller's organisations"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    qs = queries.opportunities_for(
        request.user,
        kind=kind or "",
        status=status or "",
        organisation_id=organisation_id,
        q=q,
        country=country,
        region=region,
        demo=demo,
        mine=mine,
    ).prefetch_related("nace_codes")
    return [_opp_out(o) for o in qs[offset : offset + limit]]


@router.post("/opportunities", response={201: OpportunityOut}, auth=write_auth)
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status[dict[str, Any]]:
    org = get_object_or_404(Organisation, pk=payload.organisation_id)
    data = payload.dict(exclude={"organisation_id"})
    data["kind"] = str(payload.kind.value)
    opp = services.create_opportunity(request.user, org, data)
    return Status(201, _opp_out(opp))


@router.get("/opportunities/{pk}", response=OpportunityOut, auth=read_auth)
def get_opportunity(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _opp_out(_get_visible(request, pk))


@router.patch("/opportunities/{pk}", response=OpportunityOut, auth=write_auth)
def update_opportunity(request: HttpRequest, pk: int, payload: OpportunityPatch) -> dict[str, Any]:
    opp = _get_visible(request, pk)
    data = payload.dict(exclude_unset=True)
    if payload.kind is not None:
        data["kind"] = str(payload.kind.value)
    return _opp_out(services.update_opportunity(request.user, opp, data))


@router.post("/opportunities/{pk}/submit", response=OpportunityOut, auth=write_auth)
def submit_opportunity(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _opp_out(services.submit_opportunity(request.user, _get_visible(request, pk)))


@router.post("/opportunities/{pk}/publish", response=OpportunityOut, auth=write_auth)
def publish_opportunity(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _opp_out(services.publish_opportunity(request.user, _get_visible(request, pk)))


@router.post("/opportunities/{pk}/return", response=OpportunityOut, auth=write_auth)
def return_opportunity(request: HttpRequest, pk: int, payload: ReturnIn) -> dict[str, Any]:
    return _opp_out(
        services.return_opportunity(request.user, _get_visible(request, pk), payload.comment)
    )


@router.post("/opportunities/{pk}/renew", response=OpportunityOut, auth=write_auth)
def renew_opportunity(request: HttpRequest, pk: int, payload: RenewIn) -> dict[str, Any]:
    return _opp_out(
        services.renew_opportunity(request.user, _get_visible(request, pk), payload.until)
    )


class PreparingOut(Schema):
    """503: the matching index is being prepared in the background (first use of a new server
    process without a snapshot); retry after ``retry_after`` seconds (also the Retry-After
    header)."""

    detail: str
    status: str = "preparing"
    retry_after: int


def _preparing(exc: match_index.IndexNotReady) -> HttpResponse:
    resp = JsonResponse(
        {
            "detail": "Suggestions are being prepared; try again in a minute.",
            "status": "preparing",
            "retry_after": exc.retry_after,
        },
        status=503,
    )
    resp["Retry-After"] = str(exc.retry_after)
    # An expected, self-healing state after a start or an import, not a server error: one INFO
    # line here instead of Django's ERROR per request (which would page whoever watches errors).
    logger.info("matching index being prepared: 503, retry after %ss", exc.retry_after)
    resp._has_been_logged = True  # type: ignore[attr-defined]  # read by django.utils.log
    return resp


_SUGGESTIONS = {200: list[SuggestionOut], 503: PreparingOut}


@router.get("/opportunities/{pk}/matches", response=_SUGGESTIONS, auth=read_auth)
def opportunity_matches(
    request: HttpRequest, pk: int, limit: int = Query(10, ge=1, le=50)
) -> list[dict[str, Any]] | HttpResponse:
    opp = _get_visible(request, pk)
    try:
        items = queries.opportunity_matches(opp.pk, limit=limit, lang=get_language())
    except match_index.IndexNotReady as exc:
        return _preparing(exc)
    return _sugg_out(items)


@router.get("/opportunities/{pk}/organisations", response=_SUGGESTIONS, auth=read_auth)
def organisations_for_opportunity(
    request: HttpRequest, pk: int, limit: int = Query(8, ge=1, le=50), only_sought: bool = False
) -> list[dict[str, Any]] | HttpResponse:
    """Organisations whose work fits the profile, whether or not they published one;
    ``only_sought``: only of the partner types and places the profile seeks."""
    opp = _get_visible(request, pk)
    try:
        items = queries.organisations_for_opportunity(
            opp.pk, limit=limit, lang=get_language(), only_sought=only_sought
        )
    except match_index.IndexNotReady as exc:
        return _preparing(exc)
    return _sugg_out(items)


# --- Expressions of interest ------------------------------------------------------------------


@router.post("/opportunities/{pk}/interests", response={201: InterestOut}, auth=write_auth)
def express_interest(request: HttpRequest, pk: int, payload: InterestIn) -> Status[dict[str, Any]]:
    opp = _get_visible(request, pk)
    org = get_object_or_404(Organisation, pk=payload.organisation_id)
    eoi = services.express_interest(request.user, opp, org, payload.message)
    return Status(201, _eoi_out(request, eoi))


@router.get("/interests", response=list[InterestOut], auth=write_auth)
def list_interests(request: HttpRequest) -> list[dict[str, Any]]:
    return [_eoi_out(request, e) for e in queries.eois_for(request.user)[:200]]


def _get_eoi(request: HttpRequest, pk: int) -> ExpressionOfInterest:
    eoi = get_object_or_404(
        ExpressionOfInterest.objects.select_related("opportunity__organisation", "organisation"),
        pk=pk,
    )
    if not permissions.can_view_eoi(request.user, eoi):
        raise PermissionDenied("You may not see this expression of interest.")
    return eoi


@router.get("/interests/{pk}", response=InterestOut, auth=write_auth)
def get_interest(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _eoi_out(request, _get_eoi(request, pk))


@router.post("/interests/{pk}/accept", response=InterestOut, auth=write_auth)
def accept_interest(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _eoi_out(request, services.accept_interest(request.user, _get_eoi(request, pk)))


@router.post("/interests/{pk}/decline", response=InterestOut, auth=write_auth)
def decline_interest(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _eoi_out(request, services.decline_interest(request.user, _get_eoi(request, pk)))


@router.get("/follow-ups", response=list[FollowUpOut], auth=write_auth)
def my_follow_ups(request: HttpRequest) -> list[OutcomeFollowUp]:
    return list(queries.pending_follow_ups(request.user))


@router.post("/follow-ups/{pk}", response=FollowUpOut, auth=write_auth)
def answer_follow_up(request: HttpRequest, pk: int, payload: FollowUpIn) -> OutcomeFollowUp:
    fu = get_object_or_404(OutcomeFollowUp.objects.select_related("eoi__opportunity"), pk=pk)
    return services.answer_follow_up(
        request.user,
        fu,
        payload.meeting,
        payload.agreement,
        payload.joint_project,
        payload.comment,
    )


@router.get("/outcomes", response=ReportOut, auth=write_auth)
def outcomes(
    request: HttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    """Expressions of interest made from ``start`` to ``end`` (inclusive, both optional)."""
    if not permissions.can_view_reports(request.user):
        raise PermissionDenied("Only cluster managers see the outcome report.")
    if start and end and start > end:
        raise ValidationError({"end": "The end of the period comes before its start."})
    return queries.outcome_report(request.user, start, end)


# --- Suggestions and search -------------------------------------------------------------------


@router.get("/organisations/{org_id}/suggestions", response=_SUGGESTIONS, auth=read_auth)
def suggestions(
    request: HttpRequest, org_id: int, limit: int = Query(10, ge=1, le=50)
) -> list[dict[str, Any]] | HttpResponse:
    org = get_object_or_404(Organisation, pk=org_id)
    try:
        items = queries.suggested_partners(org.pk, limit=limit, lang=get_language())
    except match_index.IndexNotReady as exc:
        return _preparing(exc)
    return _sugg_out(items)


class PartnerSearchParams(Schema):
    q: str = Field(
        ..., min_length=1, max_length=500, description="The partner you need, in EN/FR/IT/DE."
    )
    limit: int = Field(20, ge=1, le=50)
    country: list[str] = Field([], description="ISO country codes (any of them)")
    region: list[str] = Field(
        [], description="NUTS codes, any level, or 'member' for all of the cluster's regions"
    )
    type: list[OrgType] = Field([], description="Organisation types (any of them)")
    kind: list[Literal["organisation", "TO", "TR", "BO", "BR", "RD", "EX"]] = Field(
        [], description="'organisation' for organisations, or opportunity types"
    )


@router.get("/search", response=_SUGGESTIONS, auth=read_auth)
def search(
    request: HttpRequest, params: Query[PartnerSearchParams]
) -> list[dict[str, Any]] | HttpResponse:
    filters = queries.search_filters(
        countries=params.country, org_types=params.type, kinds=params.kind, regions=params.region
    )
    try:
        items = queries.search_partners(
            params.q, limit=params.limit, lang=get_language(), filters=filters
        )
    except match_index.IndexNotReady as exc:
        return _preparing(exc)
    return _sugg_out(items)


# --- Policy and preferences -------------------------------------------------------------------


@router.get("/policy", response=PolicyIO, auth=read_auth)
def get_policy(request: HttpRequest) -> MatchingSettings:
    return MatchingSettings.load()


@router.put("/policy", response=PolicyIO, auth=write_auth)
def put_policy(request: HttpRequest, payload: PolicyIO) -> MatchingSettings:
    return services.update_matching_policy(
        request.user,
        payload.border_bonus,
        payload.sector_bonus,
        payload.network_bonus,
        payload.history_weight,
    )


@router.put("/preferences", response=PreferenceIO, auth=write_auth)
def put_preferences(request: HttpRequest, payload: PreferenceIO) -> dict[str, bool]:
    pref = services.set_digest_preference(request.user, payload.weekly_digest)  # type: ignore[arg-type]
    return {"weekly_digest": pref.weekly_digest}
