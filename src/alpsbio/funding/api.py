"""HTTP API of the funding app (mounted at /api/v1/funding/).

Project finances are not public: every endpoint needs a token or a signed-in session, and the
same ``alpsbio.funding.permissions`` checks as the pages decide what the caller may see or do.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from alpsbio.api.auth import write_auth
from alpsbio.directory.models import Organisation
from alpsbio.funding import permissions as perms
from alpsbio.funding import queries, services
from alpsbio.funding.models import (
    ENTERED_CATEGORIES,
    ExchangeRate,
    ExpenditureItem,
    FundingProject,
    OutputIndicator,
    PartnerReport,
    PaymentClaim,
    ProjectPartner,
    WorkPackage,
)

router = Router(tags=["funding"], auth=write_auth)

Category = Literal["staff", "travel", "external", "equipment", "infrastructure"]
assert set(Category.__args__) == {c.value for c in ENTERED_CATEGORIES}  # type: ignore[attr-defined]
Amount = Field(..., ge=0, max_digits=14, decimal_places=2)


def _project(request: HttpRequest, pk: int) -> tuple[FundingProject, perms.Access]:
    project = get_object_or_404(FundingProject.objects.select_related("programme"), pk=pk)
    access = perms.access_for(request.user, project)
    if not access.any:
        raise PermissionDenied
    return project, access


def _partner(request: HttpRequest, pk: int) -> tuple[ProjectPartner, perms.Access]:
    partner = get_object_or_404(ProjectPartner.objects.select_related("project"), pk=pk)
    access = perms.access_for(request.user, partner.project)
    if not access.can_view_partner(partner.pk):
        raise PermissionDenied
    return partner, access


def _report(request: HttpRequest, pk: int) -> PartnerReport:
    report = get_object_or_404(
        PartnerReport.objects.select_related("partner__project", "period"), pk=pk
    )
    if not perms.can_view_partner(request.user, report.partner):
        raise PermissionDenied
    return report


# --- Schemas --------------------------------------------------------------------------------


class ProjectIn(Schema):
    programme: str = Field(..., min_length=1, max_length=200)
    call: str = Field("", max_length=200)
    acronym: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=300)
    start_date: dt.date
    end_date: dt.date
    total_budget: Decimal = Amount
    currency: Literal["EUR", "CHF"] = "EUR"
    period_months: int = Field(6, ge=1, le=36)
    office_flat_rate: Decimal = Field(Decimal("0.15"), ge=0, le=1, decimal_places=6)
    flexibility_rate: Decimal = Field(Decimal("0.20"), ge=0, le=1, decimal_places=6)


class Created(Schema):
    id: int


class WorkPackageIn(Schema):
    number: int = Field(..., ge=1, le=999)
    title: str = Field(..., min_length=1, max_length=200)


class CodeTitleIn(Schema):
    code: str = Field(..., min_length=1, max_length=20)
    title: str = Field(..., min_length=1, max_length=200)
    due_date: dt.date | None = None


class ScopeIn(Schema):
    """What narrows the source down (the keys a source accepts: ``SCOPE_KEYS``)."""

    model_config = ConfigDict(extra="forbid")

    event_types: list[str] = Field(default_factory=list, max_length=20)
    networks: list[str] = Field(default_factory=list, max_length=50)
    regions: list[Annotated[str, Field(min_length=2, max_length=5)]] = Field(
        default_factory=list, max_length=50
    )
    partners_only: bool = False
    survey: str = Field("", max_length=80)


class IndicatorIn(Schema):
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=200)
    target: int = Field(0, ge=0)
    source_code: str = Field(..., min_length=1, max_length=40)
    work_package_id: int
    scope: ScopeIn | None = None


class IndicatorChangeIn(Schema):
    target: int | None = Field(None, ge=0)
    scope: ScopeIn | None = None


class ProgressIn(Schema):
    summary: str = Field(..., min_length=1, max_length=20000)


class VersionOut(Schema):
    number: int
    partner_id: int | None
    created_at: dt.datetime
    created_by: str | None
    reason: str
    before_total: str
    after_total: str
    before: dict[str, str]
    after: dict[str, str]


class PartnerIn(Schema):
    organisation_id: int
    role: Literal["lead", "partner", "observer"] = "partner"
    legal_status: Literal["public", "private"] = "public"
    vat: str = Field("", max_length=30)
    currency: Literal["EUR", "CHF"] = "EUR"
    funding_sources: dict[
        Literal[
            "eu_fund",
            "national_public",
            "national_private",
            "swiss_federal",
            "swiss_cantonal",
            "own",
        ],
        Decimal,
    ]


class RoleIn(Schema):
    user_id: int
    role: Literal["lead", "partner", "controller", "auditor"]
    partner_id: int | None = None


class BudgetChangeIn(Schema):
    work_package_id: int
    category: Category
    period_id: int
    amount: Decimal = Amount


class BudgetIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
    changes: list[BudgetChangeIn] = Field(..., min_length=1, max_length=2000)
    programme_approved: bool = False


class BudgetLineOut(Schema):
    work_package_id: int
    category: str
    period_id: int
    amount: str


class BudgetOut(Schema):
    partner_id: int
    currency: str
    total: str
    funding: dict[str, str]
    lines: list[BudgetLineOut]


class ReportIn(Schema):
    period_id: int


class ItemIn(Schema):
    work_package_id: int
    category: Category
    date: dt.date
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    currency: Literal["EUR", "CHF"]
    invoice_ref: str = Field("", max_length=100)
    description: str = Field("", max_length=300)
    is_ineligible: bool = False
    ineligible_reason: str = Field("", max_length=300)


class ItemOut(Schema):
    id: int
    work_package_id: int
    category: str
    date: dt.date
    amount: str
    currency: str
    exchange_rate: str | None
    converted: str
    deduction: str
    eligible: str
    is_flat_rate: bool
    is_ineligible: bool


class ReportOut(Schema):
    id: int
    partner_id: int
    period: int
    status: str
    currency: str
    declared: str
    eligible: str
    items: list[ItemOut]


class ControlIn(Schema):
    deduction: Decimal = Amount
    reason: str = Field("", max_length=300)
    is_ineligible: bool = False


class RowOut(Schema):
    key: str
    label: str
    currency: str
    planned: str
    declared: str
    certified: str
    absorption: str | None


class ClaimOut(Schema):
    id: int
    number: int
    period_id: int
    certified_total: str
    amount: str
    per_partner: dict[str, str]


class PaymentIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    received_on: dt.date


class PaymentOut(Schema):
    id: int
    amount: str
    transfers: dict[str, str]


class RatesIn(Schema):
    csv: str = Field(..., min_length=1, max_length=1_000_000)
    source: str = Field("", max_length=200)


class RatesOut(Schema):
    created: int
    updated: int


class RateOut(Schema):
    currency: str
    month: str
    rate: str


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    work_package_id: int
    work_package: str
    target: int
    source_code: str
    source_label: str
    scope: dict[str, Any]
    scope_text: str
    periods: list[int]
    per_period: list[int | None]
    achieved: int | None
    progress: str | None


class AttachmentOut(Schema):
    item_id: int
    name: str
    size: int | None
    content_type: str
    url: str


def _report_out(report: PartnerReport) -> dict[str, Any]:
    items = list(report.items.all())
    return {
        "id": report.pk,
        "partner_id": report.partner_id,
        "period": report.period.number,
        "status": report.status,
        "currency": report.partner.currency,
        "declared": str(sum((i.converted for i in items), queries.ZERO)),
        "eligible": str(sum((i.eligible for i in items), queries.ZERO)),
        "items": [
            {
                "id": i.pk,
                "work_package_id": i.work_package_id,
                "category": i.category,
                "date": i.date,
                "amount": str(i.amount),
                "currency": i.currency,
                "exchange_rate": str(i.exchange_rate) if i.exchange_rate else None,
                "converted": str(i.converted),
                "deduction": str(i.deduction),
                "eligible": str(i.eligible),
                "is_flat_rate": i.is_flat_rate,
                "is_ineligible": i.is_ineligible,
            }
            for i in items
        ],
    }


# --- Projects -------------------------------------------------------------------------------


@router.get("/projects", response=list[dict[str, Any]])
def list_projects(request: HttpRequest) -> list[dict[str, Any]]:
    """Summaries of the projects the caller takes part in."""
    return [
        {"id": p.pk, **queries.project_summary(p)}
        for p in perms.visible_projects(request.user).select_related("programme")
    ]


@router.post("/projects", response={201: Created})
def create_project(request: HttpRequest, payload: ProjectIn) -> Status[dict[str, int]]:
    project = services.create_project(request.user, **payload.dict())
    return Status(201, {"id": project.pk})


@router.get("/projects/{pk}", response=dict[str, Any])
def get_project(request: HttpRequest, pk: int) -> dict[str, Any]:
    project, access = _project(request, pk)
    summary = queries.project_summary(project)
    if not access.sees_all:
        summary.pop("funds")
        summary.pop("spent_to_date")
    return {
        "id": project.pk,
        "your_role": access.role_label(),
        "periods": [
            {"id": p.pk, "number": p.number, "start": p.start_date, "end": p.end_date}
            for p in project.periods.all()
        ],
        "work_packages": [
            {"id": w.pk, "number": w.number, "title": w.title} for w in project.work_packages.all()
        ],
        "partners": [
            {
                "id": p.pk,
                "number": p.number,
                "organisation_id": p.organisation_id,
                "name": str(p.organisation),
                "role": p.role,
                "currency": p.currency,
            }
            for p in perms.visible_partners(request.user, project)
        ],
        **summary,
    }


@router.get("/projects/{pk}/dashboard", response=list[RowOut])
def dashboard(
    request: HttpRequest,
    pk: int,
    dimension: Literal["partner", "category", "work_package", "period"] = "partner",
) -> list[dict[str, Any]]:
    """Planned, declared and certified amounts per partner, category, work package or period."""
    project, access = _project(request, pk)
    scope = None if access.sees_all else access.own | access.controlled
    return [
        {
            "key": str(r.key),
            "label": r.label,
            "currency": r.currency,
            "planned": str(r.planned),
            "declared": str(r.declared),
            "certified": str(r.certified),
            "absorption": str(r.absorption) if r.absorption is not None else None,
        }
        for r in queries.planned_vs_spent(project, dimension, scope)
    ]


def _indicator_out(row: queries.IndicatorRow, periods: list[int]) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "name": row.name,
        "work_package_id": row.work_package_id,
        "work_package": row.work_package,
        "target": row.target,
        "source_code": row.source_code,
        "source_label": row.source_label,
        "scope": row.scope,
        "scope_text": row.scope_text,
        "periods": periods,
        "per_period": row.per_period,
        "achieved": row.achieved,
        "progress": str(row.progress) if row.progress is not None else None,
    }


@router.get("/projects/{pk}/indicators", response=list[IndicatorOut])
def indicators(
    request: HttpRequest, pk: int, work_package_id: int | None = None
) -> list[dict[str, Any]]:
    """Output indicators per work package: target, count per reporting period (``periods``
    gives the period numbers), achieved and progress (% of target), counted from the platform."""
    project, _access = _project(request, pk)
    periods = list(project.periods.values_list("number", flat=True))
    return [
        _indicator_out(r, periods)
        for r in queries.indicator_table(project)
        if work_package_id is None or r.work_package_id == work_package_id
    ]


@router.post("/projects/{pk}/work-packages", response={201: Created})
def add_work_package(
    request: HttpRequest, pk: int, payload: WorkPackageIn
) -> Status[dict[str, int]]:
    project, _access = _project(request, pk)
    wp = services.add_work_package(request.user, project, payload.number, payload.title)
    return Status(201, {"id": wp.pk})


@router.post("/work-packages/{pk}/activities", response={201: Created})
def add_activity(request: HttpRequest, pk: int, payload: CodeTitleIn) -> Status[dict[str, int]]:
    wp = get_object_or_404(WorkPackage.objects.select_related("project"), pk=pk)
    _project(request, wp.project_id)
    return Status(
        201, {"id": services.add_activity(request.user, wp, payload.code, payload.title).pk}
    )


@router.post("/work-packages/{pk}/deliverables", response={201: Created})
def add_deliverable(request: HttpRequest, pk: int, payload: CodeTitleIn) -> Status[dict[str, int]]:
    wp = get_object_or_404(WorkPackage.objects.select_related("project"), pk=pk)
    _project(request, wp.project_id)
    deliverable = services.add_deliverable(
        request.user, wp, payload.code, payload.title, payload.due_date
    )
    return Status(201, {"id": deliverable.pk})


@router.post("/projects/{pk}/indicators", response={201: Created})
def add_indicator(request: HttpRequest, pk: int, payload: IndicatorIn) -> Status[dict[str, int]]:
    project, _access = _project(request, pk)
    wp = project.work_packages.filter(pk=payload.work_package_id).first()
    if wp is None:
        raise ValidationError({"work_package_id": "Not a work package of this project."})
    indicator = services.add_indicator(
        request.user,
        project,
        payload.code,
        payload.name,
        payload.target,
        payload.source_code,
        wp,
        payload.scope.dict() if payload.scope is not None else {},
    )
    return Status(201, {"id": indicator.pk})


@router.patch("/indicators/{pk}", response=IndicatorOut)
def change_indicator(request: HttpRequest, pk: int, payload: IndicatorChangeIn) -> dict[str, Any]:
    """Change an indicator's target or scope; the counts follow from the data."""
    indicator = get_object_or_404(OutputIndicator.objects.select_related("project"), pk=pk)
    project, _access = _project(request, indicator.project_id)
    services.change_indicator(
        request.user,
        indicator,
        target=payload.target,
        scope=payload.scope.dict() if payload.scope is not None else None,
    )
    periods = list(project.periods.values_list("number", flat=True))
    row = next(r for r in queries.indicator_table(project) if r.pk == indicator.pk)
    return _indicator_out(row, periods)


@router.post("/projects/{pk}/periods/{number}/progress", response={201: Created})
def save_progress(
    request: HttpRequest, pk: int, number: int, payload: ProgressIn
) -> Status[dict[str, int]]:
    project, _access = _project(request, pk)
    period = get_object_or_404(project.periods, number=number)
    report = services.save_progress_report(request.user, period, payload.summary)
    return Status(201, {"id": report.pk})


@router.get("/projects/{pk}/budget-versions", response=list[VersionOut])
def budget_versions(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    """Every budget version the caller may see: who, when, why, lines before and after."""
    project, access = _project(request, pk)
    versions = project.budget_versions.select_related("created_by")
    if not access.sees_all:
        versions = versions.filter(partner_id__in=access.own | access.controlled)
    return [
        {
            "number": v.number,
            "partner_id": v.partner_id,
            "created_at": v.created_at,
            "created_by": v.created_by.get_username() if v.created_by else None,
            "reason": v.reason,
            "before_total": services.snapshot_total(v.before),
            "after_total": services.snapshot_total(v.after),
            "before": v.before,
            "after": v.after,
        }
        for v in versions[:500]
    ]


@router.post("/projects/{pk}/partners", response={201: Created})
def add_partner(request: HttpRequest, pk: int, payload: PartnerIn) -> Status[dict[str, int]]:
    project, _access = _project(request, pk)
    org = get_object_or_404(Organisation, pk=payload.organisation_id)
    partner = services.add_partner(
        request.user,
        project,
        org,
        role=payload.role,
        legal_status=payload.legal_status,
        vat=payload.vat,
        currency=payload.currency,
        funding_sources={str(k): v for k, v in payload.funding_sources.items()},
    )
    return Status(201, {"id": partner.pk})


@router.post("/projects/{pk}/roles", response={201: Created})
def assign_role(request: HttpRequest, pk: int, payload: RoleIn) -> Status[dict[str, int]]:
    from django.contrib.auth import get_user_model

    project, _access = _project(request, pk)
    user = get_object_or_404(get_user_model(), pk=payload.user_id)
    partner = (
        get_object_or_404(ProjectPartner, pk=payload.partner_id, project=project)
        if payload.partner_id
        else None
    )
    role = services.assign_role(request.user, project, user, payload.role, partner)
    return Status(201, {"id": role.pk})


@router.post("/projects/{pk}/periods/{number}/claim", response={201: ClaimOut})
def create_claim(request: HttpRequest, pk: int, number: int) -> Status[dict[str, Any]]:
    project, _access = _project(request, pk)
    period = get_object_or_404(project.periods, number=number)
    claim = services.create_payment_claim(request.user, period)
    return Status(201, _claim_out(claim))


def _claim_out(claim: PaymentClaim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "number": claim.number,
        "period_id": claim.period_id,
        "certified_total": str(claim.certified_total),
        "amount": str(claim.amount),
        "per_partner": claim.per_partner,
    }


@router.get("/projects/{pk}/claims", response=list[ClaimOut])
def list_claims(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    project, access = _project(request, pk)
    if not access.sees_all:
        raise PermissionDenied
    return [_claim_out(c) for c in project.claims.all()]


@router.post("/claims/{pk}/payments", response={201: PaymentOut})
def record_payment(request: HttpRequest, pk: int, payload: PaymentIn) -> Status[dict[str, Any]]:
    claim = get_object_or_404(PaymentClaim.objects.select_related("project"), pk=pk)
    _project(request, claim.project_id)
    payment = services.record_payment(request.user, claim, payload.amount, payload.received_on)
    return Status(
        201,
        {
            "id": payment.pk,
            "amount": str(payment.amount),
            "transfers": {str(t.partner_id): str(t.amount) for t in payment.transfers.all()},
        },
    )


# --- Budgets --------------------------------------------------------------------------------


def _budget_out(partner: ProjectPartner) -> dict[str, Any]:
    funding = next(
        pf for pf in queries.partner_funding(partner.project) if pf.partner.pk == partner.pk
    )
    return {
        "partner_id": partner.pk,
        "currency": partner.currency,
        "total": str(funding.total),
        "funding": {k: str(v) for k, v in funding.shares.items()},
        "lines": [
            {
                "work_package_id": line.work_package_id,
                "category": line.category,
                "period_id": line.period_id,
                "amount": str(line.amount),
            }
            for line in partner.budget_lines.order_by("work_package_id", "period_id", "category")
        ],
    }


@router.get("/partners/{pk}/budget", response=BudgetOut)
def get_budget(request: HttpRequest, pk: int) -> dict[str, Any]:
    partner, _access = _partner(request, pk)
    return _budget_out(partner)


@router.post("/partners/{pk}/budget", response=BudgetOut)
def modify_budget(request: HttpRequest, pk: int, payload: BudgetIn) -> dict[str, Any]:
    """Change budget lines; recorded as a new version and checked against the flexibility rule."""
    partner, _access = _partner(request, pk)
    services.modify_budget(
        request.user,
        partner,
        [
            services.BudgetChange(c.work_package_id, c.category, c.period_id, c.amount)
            for c in payload.changes
        ],
        payload.reason,
        programme_approved=payload.programme_approved,
    )
    return _budget_out(partner)


# --- Reports --------------------------------------------------------------------------------


@router.post("/partners/{pk}/reports", response={201: ReportOut})
def create_report(request: HttpRequest, pk: int, payload: ReportIn) -> Status[dict[str, Any]]:
    partner, _access = _partner(request, pk)
    period = get_object_or_404(partner.project.periods, pk=payload.period_id)
    report = services.create_report(request.user, partner, period)
    return Status(201, _report_out(report))


@router.get("/reports/{pk}", response=ReportOut)
def get_report(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _report_out(_report(request, pk))


@router.post("/reports/{pk}/items", response={201: ItemOut})
def add_item(request: HttpRequest, pk: int, payload: ItemIn) -> Status[dict[str, Any]]:
    """Declare an expenditure item (attach its invoice with ``POST /items/{id}/attachment``)."""
    report = _report(request, pk)
    item = services.add_expenditure(request.user, report, **payload.dict())
    out = _report_out(report)
    return Status(201, next(i for i in out["items"] if i["id"] == item.pk))


def _attachment_out(request: HttpRequest, item: ExpenditureItem) -> dict[str, Any]:
    name = Path(item.attachment.name or "").name
    try:
        size: int | None = item.attachment.size
    except OSError:
        size = None
    return {
        "item_id": item.pk,
        "name": name,
        "size": size,
        "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "url": reverse("api-v1:download_attachment", kwargs={"pk": item.pk}),
    }


def _item(request: HttpRequest, pk: int) -> ExpenditureItem:
    """An item the caller may see (the same check as the report page's)."""
    item = get_object_or_404(
        ExpenditureItem.objects.select_related("report__partner__project"), pk=pk
    )
    if not perms.can_view_partner(request.user, item.report.partner):
        raise PermissionDenied
    return item


@router.post("/items/{pk}/attachment", response={201: AttachmentOut})
def upload_attachment(
    request: HttpRequest, pk: int, attachment: Annotated[UploadedFile | None, File()] = None
) -> Status[dict[str, Any]]:
    """Attach the invoice to an item (multipart field ``attachment``; PDF, PNG, JPEG or an
    office document, at most 10 MB; replaces an earlier one). Only in a draft report, by the
    partner itself or the lead partner."""
    item = _item(request, pk)
    if attachment is None:  # checked here so the error names the field, like the others
        raise ValidationError({"attachment": _("Attach a file (multipart field attachment).")})
    item = services.attach_document(request.user, item, attachment)
    return Status(201, _attachment_out(request, item))


@router.get("/reports/{pk}/attachments", response=list[AttachmentOut])
def list_attachments(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    report = _report(request, pk)
    return [
        _attachment_out(request, item)
        for item in report.items.exclude(attachment="").order_by("pk")
    ]


@router.get("/items/{pk}/attachment", url_name="download_attachment")
def download_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """The attached file itself (``Content-Disposition: attachment``)."""
    item = _item(request, pk)
    if not item.attachment:
        raise Http404
    name = Path(item.attachment.name or "attachment").name
    return FileResponse(
        item.attachment.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )


@router.post("/reports/{pk}/submit", response=ReportOut)
def submit(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _report_out(services.submit_report(request.user, _report(request, pk)))


@router.post("/reports/{pk}/start-control", response=ReportOut)
def start_control(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _report_out(services.start_control(request.user, _report(request, pk)))


@router.post("/reports/{pk}/certify", response=ReportOut)
def certify(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _report_out(services.certify_report(request.user, _report(request, pk)))


@router.post("/items/{pk}/control", response=ReportOut)
def control_item(request: HttpRequest, pk: int, payload: ControlIn) -> dict[str, Any]:
    item = get_object_or_404(ExpenditureItem, pk=pk)
    report = _report(request, item.report_id)
    services.control_item(
        request.user,
        item,
        deduction=payload.deduction,
        reason=payload.reason,
        is_ineligible=payload.is_ineligible,
    )
    return _report_out(report)


# --- Exchange rates -------------------------------------------------------------------------


@router.get("/rates", response=list[RateOut])
def list_rates(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"currency": r.currency, "month": r.month.strftime("%Y-%m"), "rate": str(r.rate)}
        for r in ExchangeRate.objects.all()[:600]
    ]


@router.post("/rates", response=RatesOut)
def import_rates(request: HttpRequest, payload: RatesIn) -> dict[str, int]:
    """Import monthly rates from CSV text (``month,currency,rate``); all rows or none."""
    result = services.import_exchange_rates(request.user, payload.csv, payload.source)
    return {"created": result.created, "updated": result.updated}
