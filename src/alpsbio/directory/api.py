"""Directory API: organisations (search, facets, detail, create, update, validate), regions,
networks and taxonomy. Reads are public; writes need a token (or a session with CSRF) and the
same per-object permissions as the pages."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from alpsbio.accounts import permissions
from alpsbio.api.auth import write_auth
from alpsbio.core.i18n import clean_translations, localized
from alpsbio.directory import queries, services
from alpsbio.directory.models import (
    NaceCode,
    Network,
    Organisation,
    OrganisationType,
    Region,
    Sector,
    SizeClass,
    ValidationStatus,
)
from alpsbio.directory.regions import resolve_region_code
from alpsbio.directory.search import SORTS, SearchFilters, search_organisations

router = Router(tags=["directory"])

OrgType = Literal[
    "university",
    "research",
    "startup",
    "sme",
    "large_company",
    "hospital",
    "public_body",
    "training",
    "cluster",
    "other",
]


class RegionRef(Schema):
    code: str
    name: str


class OrganisationOut(Schema):
    id: int
    legal_name: str
    short_name: str
    display_name: str
    names: dict[str, str]
    org_type: str
    sectors: list[str]
    nace_codes: list[str]
    description: dict[str, str]
    competences: str
    address: str
    postcode: str
    city: str
    country_code: str
    nuts3: RegionRef | None
    nuts2: RegionRef | None
    latitude: float | None
    longitude: float | None
    website: str
    ror_id: str | None
    pic: str | None
    vat: str
    size_class: str
    validation_status: str
    n_projects: int
    url: str


class OrganisationSummary(Schema):
    id: int
    display_name: str
    legal_name: str
    short_name: str
    org_type: str
    city: str
    country_code: str
    nuts2: str | None
    validation_status: str
    n_projects: int


class FacetValueOut(Schema):
    value: str
    count: int
    selected: bool


class SearchOut(Schema):
    items: list[OrganisationSummary]
    total: int
    page: int
    pages: int
    per_page: int
    facets: dict[str, list[FacetValueOut]]


class SearchParams(Schema):
    q: str = Field("", max_length=200, description="Words, in any language; each is a prefix.")
    region: list[str] = Field([], description="NUTS codes, any level")
    country: list[str] = []
    type: list[OrgType] = []
    sector: list[str] = []
    nace: list[str] = []
    network: list[str] = []
    validated: bool = False
    sort: Literal["relevance", "name", "-name", "projects", "newest"] = "relevance"
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


def _region_ref(region: Region | None) -> dict[str, str] | None:
    return {"code": region.code, "name": region.display_name} if region else None


def _summary(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "display_name": org.display_name,
        "legal_name": org.legal_name,
        "short_name": org.short_name,
        "org_type": org.org_type,
        "city": org.city,
        "country_code": org.country_code,
        "nuts2": org.nuts2.code if org.nuts2 else None,
        "validation_status": org.validation_status,
        "n_projects": org.n_projects,
    }


def _org_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "legal_name": org.legal_name,
        "short_name": org.short_name,
        "display_name": org.display_name,
        "names": org.names,
        "org_type": org.org_type,
        "sectors": [s.slug for s in org.sectors.all()],
        "nace_codes": [n.code for n in org.nace_codes.all()],
        "description": org.description,
        "competences": org.competences,
        "address": org.address,
        "postcode": org.postcode,
        "city": org.city,
        "country_code": org.country_code,
        "nuts3": _region_ref(org.nuts3),
        "nuts2": _region_ref(org.nuts2),
        "latitude": org.latitude,
        "longitude": org.longitude,
        "website": org.website,
        "ror_id": org.ror_id,
        "pic": org.pic,
        "vat": org.vat,
        "size_class": org.size_class,
        "validation_status": org.validation_status,
        "n_projects": org.n_projects,
        "url": f"/directory/organisations/{org.pk}/",
    }


@router.get("/organisations", response=SearchOut, summary="Search organisations with facets")
def list_organisations(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    filters = SearchFilters(
        region=[r.upper() for r in params.region],
        country=[c.upper() for c in params.country],
        type=list(params.type),
        sector=params.sector,
        nace=params.nace,
        network=params.network,
        validated_only=params.validated,
    )
    sort = params.sort if params.sort in SORTS else "relevance"
    if not params.q and sort == "relevance":
        sort = "projects"
    result = search_organisations(params.q, filters, sort, params.page, params.per_page)
    return {
        "items": [_summary(o) for o in result.items],
        "total": result.total,
        "page": result.page,
        "pages": result.pages,
        "per_page": result.per_page,
        "facets": {
            k: [{"value": f.value, "count": f.count, "selected": f.selected} for f in v]
            for k, v in result.facets.items()
        },
    }


def _get_org(org_id: int) -> Organisation:
    return get_object_or_404(
        Organisation.objects.select_related("nuts2", "nuts3").prefetch_related(
            "sectors", "nace_codes"
        ),
        pk=org_id,
    )


@router.get("/organisations/{org_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, org_id: int) -> dict[str, Any]:
    org = _get_org(org_id)
    if not org.is_active and not permissions.can_edit_organisation(request.user, org):
        raise Http404
    return _org_out(org)


class ProjectOut(Schema):
    source: str
    acronym: str
    title: str
    topic: str
    programme: str
    start_date: date | None
    end_date: date | None
    role: str
    partners: list[OrganisationSummary]


@router.get("/organisations/{org_id}/projects", response=list[ProjectOut])
def organisation_projects(request: HttpRequest, org_id: int) -> list[dict[str, Any]]:
    org = _get_org(org_id)
    out = []
    for p in queries.organisation_projects(org)[:200]:
        partners = queries.project_partners(p.project, exclude=org)
        out.append(
            {
                "source": p.project.source,
                "acronym": p.project.acronym,
                "title": p.project.title,
                "topic": p.project.topic,
                "programme": p.project.programme,
                "start_date": p.project.start_date,
                "end_date": p.project.end_date,
                "role": p.role,
                "partners": [_summary(o) for o in partners],
            }
        )
    return out


class OrganisationIn(Schema):
    legal_name: str = Field(..., min_length=2, max_length=300)
    short_name: str = Field("", max_length=100)
    names: dict[str, str] = {}
    org_type: OrgType = "other"
    sectors: list[str] = []
    nace_codes: list[str] = []
    description: dict[str, str] = {}
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=20)
    city: str = Field("", max_length=120)
    country_code: str = Field(..., min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")
    nuts3: str | None = Field(None, max_length=5)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    website: str = Field("", max_length=300, pattern=r"^(https?://\S+)?$")
    vat: str = Field("", max_length=30)
    size_class: Literal["", "micro", "small", "medium", "large"] = ""

    @field_validator("names", "description")
    @classmethod
    def _translations(cls, value: Any) -> dict[str, str]:
        return clean_translations(value)


class OrganisationPatch(Schema):
    legal_name: str | None = Field(None, min_length=2, max_length=300)
    short_name: str | None = Field(None, max_length=100)
    names: dict[str, str] | None = None
    org_type: OrgType | None = None
    sectors: list[str] | None = None
    nace_codes: list[str] | None = None
    description: dict[str, str] | None = None
    address: str | None = Field(None, max_length=300)
    postcode: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=120)
    country_code: str | None = Field(None, min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")
    nuts3: str | None = Field(None, max_length=5)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    website: str | None = Field(None, max_length=300, pattern=r"^(https?://\S+)?$")
    vat: str | None = Field(None, max_length=30)
    size_class: Literal["", "micro", "small", "medium", "large"] | None = None

    @field_validator("names", "description")
    @classmethod
    def _translations(cls, value: Any) -> dict[str, str] | None:
        return None if value is None else clean_translations(value)


def _resolve_refs(data: dict[str, Any]) -> dict[str, Any]:
    """Turn codes in the payload into objects, with field-level errors for unknown ones."""
    from django.core.exceptions import ValidationError

    errors: dict[str, list[str]] = {}
    if data.get("country_code"):
        data["country_code"] = data["country_code"].upper()
    if data.get("nuts3"):
        region = resolve_region_code(data["nuts3"])
        if region is None or region.level != 3:
            errors["nuts3"] = [f"unknown NUTS-3 region code {data['nuts3']!r}"]
        else:
            data["nuts3"] = region
    if "sectors" in data and data["sectors"] is not None:
        found = {s.slug: s for s in Sector.objects.filter(slug__in=data["sectors"])}
        missing = [s for s in data["sectors"] if s not in found]
        if missing:
            errors["sectors"] = [f"unknown sectors: {', '.join(missing)}"]
        data["sectors"] = list(found.values())
    if "nace_codes" in data and data["nace_codes"] is not None:
        found_n = {n.code: n for n in NaceCode.objects.filter(code__in=data["nace_codes"])}
        missing = [c for c in data["nace_codes"] if c not in found_n]
        if missing:
            errors["nace_codes"] = [f"unknown NACE codes: {', '.join(missing)}"]
        data["nace_codes"] = list(found_n.values())
    if errors:
        raise ValidationError(errors)
    return data


@router.post("/organisations", response={201: OrganisationOut}, auth=write_auth)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Any]:
    if not permissions.can_create_organisation(request.user):
        raise PermissionDenied("Only cluster managers add organisations.")
    data = _resolve_refs(payload.dict())
    org = services.create_organisation(data, actor=request.user)
    return Status(201, _org_out(_get_org(org.pk)))


@router.patch("/organisations/{org_id}", response=OrganisationOut, auth=write_auth)
def update_organisation(
    request: HttpRequest, org_id: int, payload: OrganisationPatch
) -> dict[str, Any]:
    org = _get_org(org_id)
    if not permissions.can_edit_organisation(request.user, org):
        raise PermissionDenied("You may not edit this organisation.")
    data = _resolve_refs(payload.dict(exclude_unset=True))
    services.update_organisation(org, data, actor=request.user)
    return _org_out(_get_org(org.pk))


class ValidationIn(Schema):
    status: Literal["pending", "validated", "rejected"]


@router.post("/organisations/{org_id}/validation", response=OrganisationOut, auth=write_auth)
def validate_organisation(
    request: HttpRequest, org_id: int, payload: ValidationIn
) -> dict[str, Any]:
    org = _get_org(org_id)
    if not permissions.can_validate_organisation(request.user, org):
        raise PermissionDenied("Only the organisation's cluster managers validate it.")
    services.validate_organisation(org, actor=request.user, status=payload.status)
    return _org_out(_get_org(org.pk))


class RegionOut(Schema):
    code: str
    level: int
    country_code: str
    name: str
    display_name: str
    parent: str | None
    is_member: bool


class RegionParams(Schema):
    level: int | None = Field(None, ge=0, le=3)
    country: str | None = Field(None, max_length=2)
    member: bool | None = None
    parent: str | None = Field(None, max_length=5)


def _region_out(r: Region) -> dict[str, Any]:
    return {
        "code": r.code,
        "level": r.level,
        "country_code": r.country_code,
        "name": r.name,
        "display_name": r.display_name,
        "parent": r.parent.code if r.parent_id and r.parent else None,
        "is_member": r.is_member,
    }


@router.get("/regions", response=list[RegionOut], summary="NUTS 2021 regions")
def list_regions(request: HttpRequest, params: Query[RegionParams]) -> list[dict[str, Any]]:
    qs = Region.objects.select_related("parent").order_by("code")
    if params.level is not None:
        qs = qs.filter(level=params.level)
    if params.country:
        qs = qs.filter(country_code=params.country.upper())
    if params.member is not None:
        qs = qs.filter(is_member=params.member)
    if params.parent:
        qs = qs.filter(parent__code=params.parent.upper())
    return [_region_out(r) for r in qs[:3000]]


class RegionDetailOut(RegionOut):
    resolved_from: str | None
    organisations: int
    by_type: dict[str, int]
    geometry: dict[str, Any] | None


@router.get("/regions/{code}", response=RegionDetailOut)
def get_region(request: HttpRequest, code: str, geometry: bool = False) -> dict[str, Any]:
    region = resolve_region_code(code[:5])
    if region is None:
        raise Http404
    summary = queries.region_summary(region)
    out = _region_out(region)
    out.update(
        resolved_from=code.upper() if code.upper() != region.code else None,
        organisations=summary["total"],
        by_type={r["org_type"]: r["n"] for r in summary["by_type"]},
        geometry=region.geometry if geometry else None,
    )
    return out


class NetworkOut(Schema):
    slug: str
    name: dict[str, str]
    description: dict[str, str]
    display_name: str
    members: list[OrganisationSummary]


@router.get("/networks", response=list[NetworkOut])
def list_networks(request: HttpRequest) -> list[dict[str, Any]]:
    out = []
    for n in Network.objects.prefetch_related("memberships__organisation__nuts2"):
        out.append(
            {
                "slug": n.slug,
                "name": n.name,
                "description": n.description,
                "display_name": localized(n.name),
                "members": [_summary(m.organisation) for m in n.memberships.all()],
            }
        )
    return out


class NaceOut(Schema):
    code: str
    level: str
    parent: str | None
    label: str
    labels: dict[str, str]


class NaceParams(Schema):
    level: Literal["section", "division", "group", "class", "type"] | None = None
    parent: str | None = Field(None, max_length=10)
    q: str | None = Field(None, max_length=100)


@router.get("/taxonomy/nace", response=list[NaceOut], summary="NACE Rev.2 / NOGA 2008 codes")
def list_nace(request: HttpRequest, params: Query[NaceParams]) -> list[dict[str, Any]]:
    qs = NaceCode.objects.select_related("parent").order_by("code")
    if params.level:
        qs = qs.filter(level=params.level)
    if params.parent:
        qs = qs.filter(parent__code=params.parent)
    if params.q:
        from django.db.models import Q

        qs = qs.filter(
            Q(code__startswith=params.q)
            | Q(label_en__icontains=params.q)
            | Q(label_fr__icontains=params.q)
            | Q(label_de__icontains=params.q)
            | Q(label_it__icontains=params.q)
        )
    return [
        {
            "code": n.code,
            "level": n.level,
            "parent": n.parent.code if n.parent else None,
            "label": n.label,
            "labels": {"en": n.label_en, "fr": n.label_fr, "de": n.label_de, "it": n.label_it},
        }
        for n in qs[:2000]
    ]


class SectorOut(Schema):
    slug: str
    name: dict[str, str]
    display_name: str


@router.get("/taxonomy/sectors", response=list[SectorOut])
def list_sectors(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"slug": s.slug, "name": s.name, "display_name": str(s)} for s in Sector.objects.all()]


class ChoiceOut(Schema):
    value: str
    label: str


@router.get("/taxonomy/organisation-types", response=list[ChoiceOut])
def list_types(request: HttpRequest) -> list[dict[str, str]]:
    return [{"value": str(v), "label": str(label)} for v, label in OrganisationType.choices]


@router.get("/taxonomy/size-classes", response=list[ChoiceOut])
def list_sizes(request: HttpRequest) -> list[dict[str, str]]:
    return [{"value": str(v), "label": str(label)} for v, label in SizeClass.choices]


@router.get("/taxonomy/validation-statuses", response=list[ChoiceOut])
def list_statuses(request: HttpRequest) -> list[dict[str, str]]:
    return [{"value": str(v), "label": str(label)} for v, label in ValidationStatus.choices]
