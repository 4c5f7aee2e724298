"""The real project as a demo: Alps Bio Cluster, Interreg IV B Alpine Space 2007-2013.

Public facts (from the project's public launch): the acronym, the programme, 2008-2011, the total
eligible budget of EUR 1,862,505, the 76% ERDF rate, ADEBAG as coordinator and the partners
named below. NOT public, and therefore marked ``is_illustrative`` and shown as an "illustrative
example" in every page: the exact start and end days, the work packages, the split of the budget
between partners, work packages, categories and periods, the Swiss (BioAlps) CHF budget and the
expenditure of the first period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from alpsbio.core.money import allocate, flat_rate, quantize
from alpsbio.directory.models import Organisation, OrganisationType, Region
from alpsbio.funding import services
from alpsbio.funding.models import (
    CostCategory,
    FundingProject,
    LegalStatus,
    PartnerRole,
    ProjectPartner,
    SourceKind,
)

ACRONYM = "Alps Bio Cluster"
SOURCE_TAG = "alps-bio-cluster-launch"
TOTAL = Decimal("1862505.00")
ERDF_RATE = Decimal("0.76")

# (name in the launch, lookup keys, minimal record if missing, role, legal status, currency,
#  illustrative weight of the EUR budget or illustrative CHF budget)
PARTNERS: list[dict[str, Any]] = [
    {
        "name": "ADEBAG",
        "lookup": {"names": ["ADEBAG"]},
        "create": {
            "legal_name": "ADEBAG",
            "country_code": "DE",
            "region": "DE2",
            "org_type": OrganisationType.CLUSTER,
        },
        "role": PartnerRole.LEAD,
        "legal": LegalStatus.PRIVATE,
        "weight": 24,
    },
    {
        "name": "Lyonbiopôle",
        "lookup": {"names": ["Lyonbiopôle", "Lyonbiopole"]},
        "create": {
            "legal_name": "Lyonbiopôle",
            "country_code": "FR",
            "region": "FRK26",
            "city": "Lyon",
            "org_type": OrganisationType.CLUSTER,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PRIVATE,
        "weight": 14,
    },
    {
        "name": "Bioindustry Park del Canavese",
        "lookup": {
            "names": ["Bioindustry Park del Canavese", "Bioindustry Park Silvano Fumero SpA"],
        },
        "create": {
            "legal_name": "Bioindustry Park Silvano Fumero SpA",
            "short_name": "Bioindustry Park del Canavese",
            "country_code": "IT",
            "region": "ITC11",
            "city": "Colleretto Giacosa",
            "org_type": OrganisationType.SME,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PRIVATE,
        "weight": 14,
    },
    {
        "name": "Milan Chamber of Commerce",
        "lookup": {
            "names": [
                "Camera di Commercio, Industria, Artigianato e Agricoltura di Milano",
                "Milan Chamber of Commerce",
            ],
        },
        "create": {
            "legal_name": "Camera di Commercio, Industria, Artigianato e Agricoltura di Milano",
            "short_name": "Milan Chamber of Commerce",
            "country_code": "IT",
            "region": "ITC4C",
            "city": "Milano",
            "org_type": OrganisationType.PUBLIC_BODY,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PUBLIC,
        "weight": 14,
    },
    {
        "name": "BioAlps",
        "lookup": {"names": ["BioAlps"]},
        "create": {
            "legal_name": "BioAlps",
            "country_code": "CH",
            "region": "CH01",
            "org_type": OrganisationType.CLUSTER,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PRIVATE,
        "chf_budget": Decimal("180000.00"),
    },
    {
        "name": "Tiroler Zukunftsstiftung",
        "lookup": {"ror": "0519vt613", "names": ["Tiroler Zukunftsstiftung"]},
        "create": {
            "legal_name": "Tiroler Zukunftsstiftung",
            "country_code": "AT",
            "region": "AT332",
            "city": "Innsbruck",
            "org_type": OrganisationType.PUBLIC_BODY,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PUBLIC,
        "weight": 12,
    },
    {
        "name": "Helmholtz Zentrum München",
        "lookup": {"ror": "00cfam450", "names": ["Helmholtz Zentrum München"]},
        "create": {
            "legal_name": "Helmholtz Zentrum München",
            "short_name": "HMGU",
            "country_code": "DE",
            "region": "DE212",
            "city": "Munich",
            "org_type": OrganisationType.RESEARCH,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PUBLIC,
        "weight": 11,
    },
    {
        "name": "Weihenstephan University of Applied Sciences",
        "lookup": {
            "ror": "00gzkxz88",
            "names": [
                "Hochschule Weihenstephan-Triesdorf",
                "Weihenstephan-Triesdorf University of Applied Sciences",
            ],
        },
        "create": {
            "legal_name": "Hochschule Weihenstephan-Triesdorf",
            "short_name": "HSWT",
            "country_code": "DE",
            "region": "DE21B",
            "city": "Freising",
            "org_type": OrganisationType.UNIVERSITY,
        },
        "role": PartnerRole.PARTNER,
        "legal": LegalStatus.PUBLIC,
        "weight": 11,
    },
]

WORK_PACKAGES = [
    (1, "Project management and coordination", 2),
    (2, "Information and publicity", 1),
    (3, "Transnational networking and B2B brokerage", 3),
    (4, "Territorial analysis and cluster strategy", 2),
]
# Illustrative share of each category in the non-office budget.
CATEGORY_WEIGHTS = [
    (CostCategory.STAFF, 55),
    (CostCategory.TRAVEL, 15),
    (CostCategory.EXTERNAL, 25),
    (CostCategory.EQUIPMENT, 5),
]
#: The cluster's six regions (NUTS prefixes): Rhône-Alpes, Lombardia, Piemonte, Western
#: Switzerland, Tirol, Bayern.
CLUSTER_REGIONS = ["FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE2"]
INFO_EVENTS = ["network_launch", "workshop", "summer_school"]
PARTNERING_EVENTS = ["partnering_day", "convention", "conference"]
#: The platform's own territorial survey (survey/seed/cluster_survey.json).
TERRITORIAL_SURVEY = "alps-bio-territorial-survey"
# (code, name, illustrative target, source, work package, scope): every value is counted from
# the events, matching and survey modules within the scope, never typed.
INDICATORS: list[tuple[str, str, int, str, int, dict[str, Any]]] = [
    ("OI1.1", "Events organised by the project partners", 12, "events_held", 1,
     {"partners_only": True}),
    ("OI2.1", "Network launches, workshops and summer schools held", 8, "events_held", 2,
     {"event_types": INFO_EVENTS, "regions": CLUSTER_REGIONS}),
    ("OI2.2", "Participants in information and training events", 300, "event_participants", 2,
     {"event_types": INFO_EVENTS, "regions": CLUSTER_REGIONS}),
    ("OI3.1", "Partnering days and conventions held", 4, "events_held", 3,
     {"event_types": PARTNERING_EVENTS}),
    ("OI3.2", "Participants in partnering events", 400, "event_participants", 3,
     {"event_types": PARTNERING_EVENTS}),
    ("OI3.3", "B2B meetings held at partnering events", 400, "b2b_meetings", 3,
     {"event_types": PARTNERING_EVENTS}),
    ("OI3.4", "Expressions of interest from the cluster regions", 150,
     "expressions_of_interest", 3, {"regions": CLUSTER_REGIONS}),
    ("OI3.5", "Cooperation agreements from the cluster regions", 20,
     "cooperation_agreements", 3, {"regions": CLUSTER_REGIONS}),
    ("OI4.1", "Respondents to the territorial survey", 300, "survey_respondents", 4,
     {"survey": TERRITORIAL_SURVEY, "regions": CLUSTER_REGIONS}),
]  # fmt: skip


def _region(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def find_or_create_organisation(spec: dict[str, Any]) -> Organisation:
    """The directory record of a partner (by ROR, PIC, then name), or a minimal new one.

    Minimal records carry no ROR ID or PIC, so that a later directory import of the full record
    (which owns those unique identifiers) is never blocked; a directory merge can fold them in.
    """
    lookup = spec["lookup"]
    qs = Organisation.objects.all()
    org = None
    if lookup.get("ror"):
        org = qs.filter(ror_id=lookup["ror"]).first()
    if org is None and lookup.get("pic"):
        org = qs.filter(pic=lookup["pic"]).first()
    for name in lookup.get("names", []):
        if org is None:
            org = (
                qs.filter(legal_name__iexact=name).first()
                or qs.filter(short_name__iexact=name).first()
            )
    if org is not None:
        return org
    data = dict(spec["create"])
    region = _region(data.pop("region"))
    nuts3 = region if region is not None and region.level == 3 else None
    nuts2 = (nuts3.parent if nuts3 else region) if region is not None else None
    return Organisation.objects.create(
        nuts3=nuts3,
        nuts2=nuts2 if nuts2 is not None and nuts2.level == 2 else None,
        sources=[SOURCE_TAG],
        **data,
    )


def _spread(partner: ProjectPartner, total: Decimal, office_rate: Decimal) -> list[Any]:
    """Split a partner total over work packages x periods x categories, exactly to the cent."""
    project = partner.project
    wps = list(project.work_packages.order_by("number"))
    periods = list(project.periods.order_by("number"))
    wp_parts = allocate(total, [w for _n, _t, w in WORK_PACKAGES], partner.currency)
    changes = []
    for wp, wp_total in zip(wps, wp_parts, strict=True):
        for period, cell in zip(periods, allocate(wp_total, [1] * len(periods)), strict=True):
            parts = dict(
                zip(
                    [c for c, _w in CATEGORY_WEIGHTS],
                    allocate(cell, [w for _c, w in CATEGORY_WEIGHTS], partner.currency),
                    strict=True,
                )
            )
            # Staff + office (flat rate of staff) must equal the staff part of the cell.
            staff_and_office = parts[CostCategory.STAFF]
            staff = quantize(staff_and_office / (1 + office_rate), partner.currency)
            office = flat_rate(staff, office_rate, partner.currency)
            parts[CostCategory.STAFF] = staff
            parts[CostCategory.TRAVEL] += staff_and_office - staff - office
            changes += [
                services.BudgetChange(wp.pk, cat, period.pk, amount)
                for cat, amount in parts.items()
            ]
    return changes


@transaction.atomic
def load_demo() -> FundingProject:
    """Create the demo project once; later calls return it unchanged."""
    existing = FundingProject.objects.filter(acronym=ACRONYM).first()
    if existing is not None:
        return existing
    project = services.create_project(
        None,
        programme="Interreg IV B Alpine Space 2007-2013",
        call="Alpine Space programme call",
        fund="ERDF",
        acronym=ACRONYM,
        title="Alps Bio Cluster: transnational cooperation of the Alpine biotech and medtech regions",
        start_date=dt.date(2008, 9, 1),
        end_date=dt.date(2011, 8, 31),
        total_budget=TOTAL,
        currency="EUR",
        period_months=6,
        is_illustrative=True,
        source_note=(
            "Total, rate, dates (2008-2011), programme and partners: public launch of the project. "
            "Exact days, work packages and the partner split: illustrative example."
        ),
    )
    for number, title, _weight in WORK_PACKAGES:
        services.add_work_package(None, project, number, title)
    wps = {wp.number: wp for wp in project.work_packages.all()}
    for code, name, target, source, wp_number, scope in INDICATORS:
        services.add_indicator(None, project, code, name, target, source, wps[wp_number], scope)
    eu = [p for p in PARTNERS if "weight" in p]
    eu_totals = dict(
        zip([p["name"] for p in eu], allocate(TOTAL, [p["weight"] for p in eu]), strict=True)
    )
    for spec in PARTNERS:
        org = find_or_create_organisation(spec)
        swiss = "chf_budget" in spec
        sources: dict[str, Decimal]
        if swiss:
            sources = {
                SourceKind.SWISS_FEDERAL: Decimal("0.5"),
                SourceKind.SWISS_CANTONAL: Decimal("0.5"),
            }
        else:
            national = (
                SourceKind.NATIONAL_PUBLIC
                if spec["legal"] == LegalStatus.PUBLIC
                else SourceKind.NATIONAL_PRIVATE
            )
            sources = {SourceKind.EU_FUND: ERDF_RATE, national: 1 - ERDF_RATE}
        partner = services.add_partner(
            None,
            project,
            org,
            role=spec["role"],
            legal_status=spec["legal"],
            currency="CHF" if swiss else "EUR",
            funding_sources=sources,
        )
        total = spec["chf_budget"] if swiss else eu_totals[spec["name"]]
        services.modify_budget(
            None,
            partner,
            _spread(partner, total, project.office_flat_rate),
            "Initial budget (illustrative split of the approved total)",
        )
    _first_period_expenditure(project)
    return project


def _first_period_expenditure(project: FundingProject) -> None:
    """Illustrative first-period reports: each EU partner declares its planned WP1 staff and
    travel costs; the reports are submitted, controlled (one deduction) and certified, and the
    fund's share is claimed. Swiss partners report in CHF without conversion."""
    period = project.periods.get(number=1)
    wp1 = project.work_packages.get(number=1)
    for partner in project.partners.order_by("number"):
        report = services.create_report(None, partner, period)
        lines = partner.budget_lines.filter(period=period, work_package=wp1).exclude(
            category=CostCategory.OFFICE
        )
        for line in lines.filter(category__in=[CostCategory.STAFF, CostCategory.TRAVEL]):
            services.add_expenditure(
                None,
                report,
                work_package_id=wp1.pk,
                category=line.category,
                date=period.end_date,
                amount=line.amount,
                currency=partner.currency,
                invoice_ref=f"ILLUSTRATIVE-{partner.number}-{line.category}",
                description="Illustrative example",
            )
        services.submit_report(None, report)
        services.start_control(None, report)
        travel = report.items.filter(category=CostCategory.TRAVEL).first()
        if travel is not None and partner.number == 2:
            services.control_item(
                None,
                travel,
                deduction=quantize(travel.converted / 10),
                reason="Illustrative: one trip without boarding passes",
            )
        services.certify_report(None, report)
    services.create_payment_claim(None, period)
