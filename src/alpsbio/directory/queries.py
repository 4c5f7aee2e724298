"""Reads of the directory used by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from alpsbio.directory.models import (
    Network,
    Organisation,
    Participation,
    Project,
    Region,
)


@dataclass
class PartnerLink:
    organisation: Organisation
    shared_projects: int


def organisation_projects(org: Organisation) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(organisation=org)
        .select_related("project")
        .order_by("-project__start_date", "project__acronym")
    )


def project_partners(project: Project, exclude: Organisation | None = None) -> list[Organisation]:
    qs = Organisation.objects.filter(participations__project=project)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.select_related("nuts2").order_by("legal_name"))


def partners_of(org: Organisation, limit: int = 30) -> list[PartnerLink]:
    """Organisations that shared EU projects with ``org``, most shared projects first."""
    project_ids = Participation.objects.filter(organisation=org).values("project_id")
    rows = (
        Participation.objects.filter(project_id__in=project_ids)
        .exclude(organisation=org)
        .values("organisation_id")
        .annotate(n=Count("project_id", distinct=True))
        .order_by("-n", "organisation_id")[:limit]
    )
    counts = {r["organisation_id"]: r["n"] for r in rows}
    orgs = Organisation.objects.select_related("nuts2").in_bulk(list(counts))
    return [PartnerLink(orgs[i], n) for i, n in counts.items() if i in orgs]


def region_for_code(code: str) -> Region | None:
    return Region.objects.filter(code=code.upper()).select_related("parent").first()


def organisations_in_region(region: Region) -> QuerySet[Organisation]:
    code = region.code
    return Organisation.objects.filter(is_active=True).filter(
        Q(nuts3__code__startswith=code) | Q(nuts3__isnull=True, nuts2__code__startswith=code)
        if len(code) >= 3
        else Q(country_code=code)
    )


def region_summary(region: Region) -> dict[str, Any]:
    orgs = organisations_in_region(region)
    by_type = list(orgs.values("org_type").annotate(n=Count("pk")).order_by("-n"))
    by_sector = list(
        orgs.filter(sectors__isnull=False)
        .values("sectors__slug", "sectors__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n")
    )
    by_subregion = list(
        orgs.exclude(nuts3=None)
        .values("nuts3__code", "nuts3__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return {
        "total": orgs.count(),
        "validated": orgs.filter(validation_status="validated").count(),
        "by_type": by_type,
        "by_sector": by_sector,
        "by_subregion": by_subregion,
        "projects": Participation.objects.filter(organisation__in=orgs)
        .values("project_id")
        .distinct()
        .count(),
        "top": list(orgs.select_related("nuts3").order_by("-n_projects", "legal_name")[:15]),
    }


def member_regions() -> QuerySet[Region]:
    return Region.objects.filter(is_member=True).order_by("country_code", "code")


def networks_with_counts() -> QuerySet[Network]:
    return Network.objects.annotate(n_members=Count("memberships")).order_by("slug")
