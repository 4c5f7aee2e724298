"""Reads of the matching app: lists, suggestions with explanations, reports, indicator counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.accounts import permissions as base
from alpsbio.directory.models import Network, Organisation, OrganisationType, Region
from alpsbio.matching import index as match_index
from alpsbio.matching import permissions
from alpsbio.matching.models import (
    ExpressionOfInterest,
    Opportunity,
    OpportunityStatus,
    OpportunityType,
    OutcomeFollowUp,
)


def opportunities_for(
    user: Any,
    *,
    kind: str = "",
    status: str = "",
    organisation_id: int | None = None,
    q: str = "",
    country: str = "",
    region: str = "",
    demo: bool = True,
    mine: bool = False,
) -> QuerySet[Opportunity]:
    """The profiles ``user`` may see, filtered. ``region`` is a NUTS code (any level, a prefix)
    or ``member`` for the cluster's regions; ``demo=False`` leaves out the generated demo
    profiles; ``mine`` keeps those of the user's own organisations."""
    qs = Opportunity.objects.filter(permissions.visible_opportunities_filter(user)).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if q:
        qs = qs.filter(Q(search_text__icontains=q) | Q(reference__iexact=q))
    if country:
        qs = qs.filter(organisation__country_code=country.upper())
    if region:
        codes = member_region_codes() if region == MEMBER_REGIONS else [region.upper()]
        within = Q(pk__in=[])
        for code in codes:
            within |= Q(organisation__nuts3__code__startswith=code)
            within |= Q(organisation__nuts2__code__startswith=code)
        qs = qs.filter(within)
    if not demo:
        qs = qs.filter(is_demo=False)
    if mine:
        qs = qs.filter(organisation__in=permissions.member_organisations(user))
    # A list shows region names, never the regions' outlines (large JSON).
    return qs.select_related("organisation", "organisation__nuts2").defer(
        "organisation__nuts2__geometry"
    )


def review_queue(user: Any) -> QuerySet[Opportunity]:
    if not base.is_cluster_manager(user):
        return Opportunity.objects.none()
    managed = Organisation.objects.filter(base.managed_organisations_filter(user)).values("pk")
    return (
        Opportunity.objects.filter(status=OpportunityStatus.SUBMITTED, organisation_id__in=managed)
        .select_related("organisation")
        .order_by("submitted_at")
    )


def eois_for(user: Any) -> QuerySet[ExpressionOfInterest]:
    return (
        ExpressionOfInterest.objects.filter(permissions.visible_eois_filter(user))
        .distinct()
        .select_related("opportunity__organisation", "organisation", "author")
    )


def shared_contacts(user: Any, eoi: ExpressionOfInterest) -> dict[str, list[dict[str, str]]]:
    """People of both organisations with consent, once accepted; empty otherwise."""
    if not permissions.can_see_contacts(user, eoi):
        return {"owner": [], "responder": []}

    def people(org: Organisation, actor: Any, role: str) -> list[dict[str, str]]:
        # The person who acted comes first: writing the expression of interest, or accepting
        # it, is agreeing to share one's name and address with the other side (both forms
        # say so).
        rows = []
        if actor is not None and actor.is_active and actor.email:
            rows.append(
                {
                    "name": actor.get_full_name() or actor.username,
                    "email": actor.email,
                    "role": role,
                }
            )
        for p in org.people.filter(consent_given_at__isnull=False):
            row = {"name": f"{p.first_name} {p.last_name}"}
            for f in p.VISIBLE_FIELDS:
                if p.field_visibility(f) != "private" and getattr(p, f):
                    row[f] = str(getattr(p, f))
            if rows and row.get("email", "").lower() == rows[0]["email"].lower():
                rows[0] = {**row, "role": role}  # the same person: the directory's fuller entry
                continue
            rows.append(row)
        return rows

    return {
        "owner": people(eoi.opportunity.organisation, eoi.decided_by, str(_("accepted it"))),
        "responder": people(eoi.organisation, eoi.author, str(_("wrote it"))),
    }


def pending_follow_ups(user: Any) -> QuerySet[OutcomeFollowUp]:
    """Questions waiting for an answer from one of the user's organisations (for the dashboard)."""
    if not getattr(user, "is_authenticated", False):
        return OutcomeFollowUp.objects.none()
    org_ids = list(permissions.member_organisations(user).values_list("pk", flat=True))
    return (
        OutcomeFollowUp.objects.filter(answered_at__isnull=True)
        .filter(
            Q(side=OutcomeFollowUp.Side.OWNER, eoi__opportunity__organisation_id__in=org_ids)
            | Q(side=OutcomeFollowUp.Side.RESPONDER, eoi__organisation_id__in=org_ids)
        )
        .select_related("eoi__opportunity", "eoi__organisation")
    )


# --- Suggestions ------------------------------------------------------------------------------


@dataclass
class ExplainedSuggestion:
    key: str
    org_id: int
    opp_id: int | None
    name: str
    kind: str
    score: float
    is_demo: bool
    reasons: list[str]
    topics: list[str]
    common_partners: list[str]
    crosses_border: bool
    crosses_sector: bool
    organisation_name: str = ""
    call_topics: list[str] = field(default_factory=list)  # EU calls both were funded under
    summary: str = ""  # what the candidate does, from its profile (index.summary_of)
    # The engine's score parts (each in [0, 1]) and their weighted ``total``, and the weights.
    score_parts: dict[str, float] = field(default_factory=dict)
    score_weights: dict[str, float] = field(default_factory=dict)
    # Who the candidate is: organisation type, country code, NUTS-2 code and its name.
    org_type: str = ""
    country: str = ""
    region: str = ""
    region_name: str = ""

    @property
    def org_type_label(self) -> str:
        return organisation_type_labels([self.org_type])[0] if self.org_type in _TYPES else ""

    @property
    def kind_label(self) -> str:
        return str(OpportunityType(self.kind).label) if self.kind in _KINDS else ""


_TYPES = frozenset(OrganisationType.values)
_KINDS = frozenset(OpportunityType.values)


def organisation_type_labels(values: Sequence[str]) -> list[str]:
    return [str(OrganisationType(v).label) if v in _TYPES else v for v in values]


def place_names(codes: Sequence[str]) -> list[str]:
    """Country or NUTS codes as "Lombardia (ITC4)"; a code the NUTS table lacks stays as it is."""
    names = _region_names({c.upper() for c in codes})
    return [f"{names[c.upper()]} ({c.upper()})" if c.upper() in names else c for c in codes]


def _region_names(codes: set[str]) -> dict[str, str]:
    regions = Region.objects.filter(code__in=codes).only(
        "code", "name", "name_latin", "member_label"
    )
    return {r.code: r.display_name for r in regions}


def _explained(
    source_key: str, items: list[match_index.Suggestion], lang: str | None
) -> list[ExplainedSuggestion]:
    labels = match_index.labels_for(source_key, items, lang)
    nuts2 = {s.region[:4] for s in items if len(s.region) >= 4}
    region_names = _region_names(nuts2) if nuts2 else {}
    out = []
    for s in items:
        e = match_index.explain(source_key, s, lang, labels)
        region = s.region[:4] if len(s.region) >= 4 else ""
        out.append(
            ExplainedSuggestion(
                key=s.key,
                org_id=s.org_id,
                opp_id=s.opp_id,
                name=labels.name_of(s),
                kind=s.kind,
                score=s.score,
                is_demo=s.is_demo,
                reasons=e["reasons"],
                topics=e["topics"],
                call_topics=e["call_topics"],
                common_partners=e["common_partners"],
                crosses_border=e["crosses_border"],
                crosses_sector=e["crosses_sector"],
                organisation_name=labels.orgs.get(s.org_id, ""),
                summary=e["summary"],
                score_parts=dict(s.reasons.get("score_parts", {})),
                score_weights=dict(s.reasons.get("score_weights", {})),
                org_type=s.org_type,
                country=s.country,
                region=region,
                region_name=region_names.get(region, ""),
            )
        )
    return out


# The three reads below raise ``match_index.IndexNotReady`` when the index is being prepared in
# the background (a web request never waits for a full build); ``wait=True`` builds instead.


def suggested_partners(
    org_id: int, limit: int = 10, lang: str | None = None, wait: bool | None = None
) -> list[ExplainedSuggestion]:
    idx = match_index.get_index(wait)
    return _explained(f"org:{org_id}", idx.suggest_partners(org_id, limit), lang)


def opportunity_matches(
    opp_id: int, limit: int = 10, lang: str | None = None, wait: bool | None = None
) -> list[ExplainedSuggestion]:
    idx = match_index.get_index(wait)
    return _explained(f"opp:{opp_id}", idx.opportunity_matches(opp_id, limit), lang)


def organisations_for_opportunity(
    opp_id: int,
    limit: int = 8,
    lang: str | None = None,
    wait: bool | None = None,
    only_sought: bool = False,
) -> list[ExplainedSuggestion]:
    idx = match_index.get_index(wait)
    items = idx.organisations_for_opportunity(opp_id, limit, only_sought)
    return _explained(f"opp:{opp_id}", items, lang)


def fitting_organisations(
    opp: Opportunity, limit: int = 8, lang: str | None = None
) -> tuple[list[ExplainedSuggestion], bool]:
    """For a profile's page: the organisations of the type and place it seeks when it says
    (``True``), else, or when none fits, any organisation (``False``)."""
    if opp.partner_types or opp.partner_regions:
        found = organisations_for_opportunity(opp.pk, limit, lang, only_sought=True)
        if found:
            return found, True
    return organisations_for_opportunity(opp.pk, limit, lang), False


MEMBER_REGIONS = "member"  # the region filter's value for "in any of the cluster's regions"


def search_filters(
    countries: Sequence[str] = (),
    org_types: Sequence[str] = (),
    kinds: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> match_index.SearchFilters:
    """The index's filters from what a user chose; ``organisation`` stands for an organisation's
    own profile among the kinds, ``member`` for all of the cluster's regions."""
    codes: list[str] = []
    for r in regions:
        if r == MEMBER_REGIONS:
            codes += member_region_codes()
        else:
            codes.append(r.upper())
    return match_index.SearchFilters(
        countries=frozenset(c.upper() for c in countries),
        org_types=frozenset(org_types),
        kinds=frozenset("" if k == "organisation" else k for k in kinds),
        regions=tuple(sorted(set(codes))),
    )


def search_country_choices() -> list[tuple[str, str]]:
    """Countries of the profiles search can find (of the directory while this process has no
    matching index in memory), by name (NUTS level 0 when known)."""
    idx = match_index.loaded_index()  # a page that needs no index must not wait to load one
    if idx is not None:
        codes = set(idx.countries_present())
    else:
        codes = set(
            Organisation.objects.filter(is_active=True)
            .exclude(country_code="")
            .values_list("country_code", flat=True)
            .distinct()
        )
    names = {
        r.code: r.display_name
        for r in Region.objects.filter(level=0).only("code", "name", "name_latin", "member_label")
    }
    # NUTS spells Greece EL; the directory keeps ISO codes.
    names.setdefault("GR", names.get("EL", "GR"))
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda c: c[1].casefold())


def member_region_choices() -> list[tuple[str, str]]:
    """The cluster's regions, a member region inside another (Oberbayern in Bayern) left out."""
    regions = Region.objects.filter(is_member=True).exclude(parent__is_member=True)
    return [(r.code, f"{r.display_name} ({r.code})") for r in regions.order_by("code")]


def member_region_codes() -> list[str]:
    """The cluster's regions as NUTS prefixes (a member NUTS-1 region covers its NUTS-2 ones)."""
    return list(Region.objects.filter(is_member=True).values_list("code", flat=True))


def search_partners(
    query: str,
    limit: int = 20,
    lang: str | None = None,
    org_id: int | None = None,
    wait: bool | None = None,
    filters: match_index.SearchFilters | None = None,
) -> list[ExplainedSuggestion]:
    idx = match_index.get_index(wait)
    return _explained(
        f"org:{org_id}" if org_id else "query", idx.search(query, limit, org_id, filters), lang
    )


def new_matches_for_user(
    user: Any,
    since: dt.datetime,
    limit: int = 10,
    lang: str | None = None,
    wait: bool | None = None,
) -> list[tuple[Opportunity, ExplainedSuggestion]]:
    """Matches published since ``since`` for the published opportunities of the user's orgs."""
    own = Opportunity.objects.filter(
        organisation__in=permissions.member_organisations(user),
        status=OpportunityStatus.PUBLISHED,
    )
    fresh = set(
        Opportunity.objects.filter(
            status=OpportunityStatus.PUBLISHED, published_at__gte=since
        ).values_list("pk", flat=True)
    )
    out: list[tuple[Opportunity, ExplainedSuggestion]] = []
    for opp in own[:20]:
        for m in opportunity_matches(opp.pk, limit=20, lang=lang, wait=wait):
            if m.opp_id in fresh:
                out.append((opp, m))
    out.sort(key=lambda pair: -pair[1].score)
    return out[:limit]


@dataclass
class ToDo:
    """A profile or an expression of interest waiting for the user to act."""

    opportunity: Opportunity
    what: str  # "returned", "expiring", "expired" or "answer"
    eoi: ExpressionOfInterest | None = None


def editor_to_dos(user: Any, today: dt.date | None = None, limit: int = 10) -> list[ToDo]:
    """What an editor should act on, oldest first within each kind: profiles returned by the
    cluster manager, published ones expiring within the reminder window or expired in the last
    90 days, and expressions of interest still waiting for an answer."""
    from alpsbio.matching.services import EXPIRY_NOTICE_DAYS

    today = today or timezone.localdate()
    orgs = permissions.editor_organisations(user).values("pk")
    mine = Opportunity.objects.filter(organisation_id__in=orgs).select_related("organisation")
    out = [ToDo(o, "returned") for o in mine.filter(status=OpportunityStatus.RETURNED)[:limit]]
    expiring = mine.filter(
        status=OpportunityStatus.PUBLISHED,
        expires_on__lte=today + dt.timedelta(days=EXPIRY_NOTICE_DAYS),
    ).order_by("expires_on")
    out += [ToDo(o, "expiring") for o in expiring[:limit]]
    expired = mine.filter(
        status=OpportunityStatus.EXPIRED, expires_on__gte=today - dt.timedelta(days=90)
    ).order_by("-expires_on")
    out += [ToDo(o, "expired") for o in expired[:limit]]
    waiting = (
        ExpressionOfInterest.objects.filter(
            opportunity__organisation_id__in=orgs,
            status=ExpressionOfInterest.Status.PENDING,
        )
        .select_related("opportunity__organisation", "organisation")
        .order_by("created_at")
    )
    out += [ToDo(e.opportunity, "answer", e) for e in waiting[:limit]]
    return out[:limit]


# --- Reports and indicators -------------------------------------------------------------------


def _member_region(org: Organisation) -> str:
    """The member region (NUTS-2 code) of an organisation, or its country."""
    region = org.nuts2 or org.nuts3
    return region.code[:4] if region else org.country_code


def outcome_report(
    user: Any, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """Expressions of interest made between ``start`` and ``end`` (inclusive; open when None)
    and their outcomes so far, per region and per thematic network."""
    eois = ExpressionOfInterest.objects.select_related(
        "opportunity__organisation__nuts2", "opportunity__organisation__nuts3"
    ).prefetch_related("follow_ups", "opportunity__organisation__network_memberships")
    if start is not None:
        eois = eois.filter(created_at__gte=_bounds(start, start)[0])
    if end is not None:
        eois = eois.filter(created_at__lte=_bounds(end, end)[1])
    if not base.is_platform_admin(user):
        managed = Organisation.objects.filter(base.managed_organisations_filter(user)).values("pk")
        eois = eois.filter(
            Q(opportunity__organisation_id__in=managed) | Q(organisation_id__in=managed)
        )
    networks = {n.pk: str(n) for n in Network.objects.all()}

    def blank() -> dict[str, int]:
        return {
            "eois": 0,
            "accepted": 0,
            "answered": 0,
            "meeting": 0,
            "agreement": 0,
            "joint_project": 0,
        }

    by_region: dict[str, dict[str, int]] = {}
    by_network: dict[str, dict[str, int]] = {}
    totals = blank()
    for eoi in eois:
        org = eoi.opportunity.organisation
        fus = [f for f in eoi.follow_ups.all() if f.answered_at]
        row = {
            "eois": 1,
            "accepted": int(eoi.status == ExpressionOfInterest.Status.ACCEPTED),
            "answered": int(bool(fus)),
            "meeting": int(any(f.meeting for f in fus)),
            "agreement": int(any(f.agreement for f in fus)),
            "joint_project": int(any(f.joint_project for f in fus)),
        }
        targets = [by_region.setdefault(_member_region(org), blank()), totals]
        for m in org.network_memberships.all():
            targets.append(by_network.setdefault(networks.get(m.network_id, "?"), blank()))
        for t in targets:
            for k, v in row.items():
                t[k] += v
    return {
        "regions": dict(sorted(by_region.items())),
        "networks": dict(sorted(by_network.items())),
        "totals": totals,
    }


REPORT_COLUMNS = ("eois", "accepted", "answered", "meeting", "agreement", "joint_project")


def outcome_report_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report as one table (for CSV/XLSX): a row per region, per network, and the total."""
    header = [
        str(_("Breakdown")),
        str(_("Name")),
        str(_("Expressions of interest")),
        str(_("Accepted")),
        str(_("Answered follow-up")),
        str(_("Meetings")),
        str(_("Agreements")),
        str(_("Joint projects")),
    ]
    rows: list[list[Any]] = []
    for scope, label in (("regions", _("Region")), ("networks", _("Network"))):
        for name, counts in report[scope].items():
            rows.append([str(label), name, *(counts[c] for c in REPORT_COLUMNS)])
    rows.append([str(_("Total")), "", *(report["totals"][c] for c in REPORT_COLUMNS)])
    return header, rows


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.max, tzinfo=tz),
    )


def count_expressions_of_interest(start: dt.date, end: dt.date) -> int:
    """Indicator: expressions of interest made between ``start`` and ``end`` (inclusive)."""
    lo, hi = _bounds(start, end)
    return ExpressionOfInterest.objects.filter(created_at__gte=lo, created_at__lte=hi).count()


def count_cooperation_agreements(start: dt.date, end: dt.date) -> int:
    """Indicator: distinct expressions of interest for which either side reported an agreement,
    answered between ``start`` and ``end`` (inclusive)."""
    lo, hi = _bounds(start, end)
    return (
        OutcomeFollowUp.objects.filter(agreement=True, answered_at__gte=lo, answered_at__lte=hi)
        .values("eoi_id")
        .distinct()
        .count()
    )
