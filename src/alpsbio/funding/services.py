"""Every change to a funded project: set-up, budget, rates, reports, control, claims.

Each service checks the actor's rights (``alpsbio.funding.permissions``), owns its transaction,
rounds only through ``alpsbio.core.money`` and writes an audit entry, so the audit log is the
trail of every financial change.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.core import audit
from alpsbio.core.money import (
    CURRENCIES,
    MoneyError,
    allocate,
    convert,
    flat_rate,
    quantize,
    split_shares,
    to_decimal,
)
from alpsbio.directory.models import Network
from alpsbio.funding import permissions as perms
from alpsbio.funding.indicators import (
    KNOWN_CODES,
    SCOPE_KEYS,
    normalise_scope,
    registered_sources,
)
from alpsbio.funding.models import (
    ENTERED_CATEGORIES,
    Activity,
    BudgetLine,
    BudgetVersion,
    Call,
    CostCategory,
    Deliverable,
    ExchangeRate,
    ExpenditureItem,
    FundingProject,
    FundingSource,
    LegalStatus,
    OutputIndicator,
    PartnerReport,
    PartnerRole,
    Payment,
    PaymentClaim,
    Programme,
    ProgressReport,
    ProjectPartner,
    ProjectRole,
    ProjectRoleKind,
    ReportingPeriod,
    ReportStatus,
    SourceKind,
    Transfer,
    WorkPackage,
)

ZERO = Decimal("0.00")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENTS = {
    ".pdf": {b"%PDF"},
    ".png": {b"\x89PNG"},
    ".jpg": {b"\xff\xd8\xff"},
    ".jpeg": {b"\xff\xd8\xff"},
    ".xlsx": {b"PK\x03\x04"},
    ".docx": {b"PK\x03\x04"},
    ".odt": {b"PK\x03\x04"},
    ".ods": {b"PK\x03\x04"},
}
#: Content types a client may declare per file type (besides the generic ones below).
ATTACHMENT_TYPES = {
    ".pdf": {"application/pdf"},
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ".odt": {"application/vnd.oasis.opendocument.text"},
    ".ods": {"application/vnd.oasis.opendocument.spreadsheet"},
}
GENERIC_CONTENT_TYPES = {"application/octet-stream", "binary/octet-stream"}
SWISS_KINDS = {SourceKind.SWISS_FEDERAL, SourceKind.SWISS_CANTONAL}


def _access(actor: Any, project: FundingProject) -> perms.Access:
    """The actor's rights; ``None`` is the system itself (management commands, the demo)."""
    return perms.Access(admin=True) if actor is None else perms.access_for(actor, project)


def _project_id(obj: Any) -> int | None:
    if isinstance(obj, FundingProject):
        return obj.pk
    for path in (
        "project_id",
        "partner.project_id",
        "report.partner.project_id",
        "claim.project_id",
        "work_package.project_id",
    ):
        value: Any = obj
        try:
            for attr in path.split("."):
                value = getattr(value, attr)
        except AttributeError:
            continue
        return int(value)
    return None


def _audit(
    action: str, obj: Any, actor: Any, summary: str = "", data: dict[str, Any] | None = None
) -> None:
    """An audit entry tagged with the project, so the project's trail is one query."""
    payload = dict(data or {})
    project_id = _project_id(obj)
    if project_id is not None:
        payload["project"] = project_id
    audit.record(action, obj, actor, summary, payload)


def _sum(qs: Any, column: str, currency: str) -> Decimal:
    """A database sum in cents (SQLite adds decimals as floats; rounding restores the cents)."""
    return quantize(qs.aggregate(s=Sum(column))["s"] or ZERO, currency)


def _deny(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise PermissionDenied(message or _("You may not do this in this project."))


# --- Set-up ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    days_in_month = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return dt.date(year, month, min(day.day, days_in_month[month - 1]))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def period_bounds(start: dt.date, end: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """Reporting periods of ``months`` months from ``start``; the last one ends on ``end``."""
    if end < start:
        raise ValidationError({"end_date": _("The project cannot end before it starts.")})
    if months < 1:
        raise ValidationError({"period_months": _("A period lasts at least one month.")})
    bounds = []
    current = start
    n = 1
    while current <= end:
        nxt = add_months(start, months * n)
        bounds.append((current, min(nxt - dt.timedelta(days=1), end)))
        current = nxt
        n += 1
    return bounds


def _check_rate(value: Decimal, field: str) -> Decimal:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValidationError({field: _("A rate is a share between 0 and 1 (0.15 = 15%).")})
    return value


@transaction.atomic
def create_project(
    actor: Any,
    *,
    programme: str,
    acronym: str,
    start_date: dt.date,
    end_date: dt.date,
    total_budget: Decimal,
    call: str = "",
    title: str = "",
    currency: str = "EUR",
    fund: str = "ERDF",
    period_months: int = 6,
    office_flat_rate: Decimal = Decimal("0.15"),
    flexibility_rate: Decimal = Decimal("0.20"),
    is_illustrative: bool = False,
    source_note: str = "",
) -> FundingProject:
    """Create a project and generate its reporting periods from its dates.

    Platform admins create projects; they then name a lead partner who runs it.
    """
    from alpsbio.accounts.permissions import is_platform_admin

    _deny(actor is None or is_platform_admin(actor), _("Only platform admins create projects."))
    acronym = acronym.strip()
    if not acronym:
        raise ValidationError({"acronym": _("Give the project an acronym.")})
    if FundingProject.objects.filter(acronym=acronym).exists():
        raise ValidationError({"acronym": _("A project with this acronym exists.")})
    if currency not in CURRENCIES:
        raise ValidationError({"currency": _("Unsupported currency.")})
    if total_budget < 0 or quantize(total_budget, currency) != total_budget:
        raise ValidationError({"total_budget": _("A positive amount with at most two decimals.")})
    _check_rate(office_flat_rate, "office_flat_rate")
    _check_rate(flexibility_rate, "flexibility_rate")
    bounds = period_bounds(start_date, end_date, period_months)
    prog, _created = Programme.objects.get_or_create(name=programme, defaults={"fund": fund})
    call_obj = Call.objects.get_or_create(programme=prog, name=call)[0] if call else None
    project = FundingProject.objects.create(
        programme=prog,
        call=call_obj,
        acronym=acronym,
        title=title,
        start_date=start_date,
        end_date=end_date,
        currency=currency,
        total_budget=total_budget,
        period_months=period_months,
        office_flat_rate=office_flat_rate,
        flexibility_rate=flexibility_rate,
        is_illustrative=is_illustrative,
        source_note=source_note,
    )
    ReportingPeriod.objects.bulk_create(
        ReportingPeriod(project=project, number=i, start_date=s, end_date=e)
        for i, (s, e) in enumerate(bounds, start=1)
    )
    _audit(
        "funding.project_created",
        project,
        actor,
        f"{acronym}: {total_budget} {currency}, {len(bounds)} periods",
        {"total_budget": str(total_budget), "currency": currency},
    )
    return project


@transaction.atomic
def add_work_package(actor: Any, project: FundingProject, number: int, title: str) -> WorkPackage:
    _deny(_access(actor, project).manages)
    if not title.strip():
        raise ValidationError({"title": _("Give the work package a title.")})
    if project.work_packages.filter(number=number).exists():
        raise ValidationError({"number": _("This work package number is taken.")})
    wp = WorkPackage.objects.create(project=project, number=number, title=title.strip())
    _audit("funding.work_package_added", wp, actor, str(wp))
    return wp


@transaction.atomic
def add_activity(actor: Any, wp: WorkPackage, code: str, title: str) -> Activity:
    _deny(_access(actor, wp.project).manages)
    if wp.activities.filter(code=code).exists():
        raise ValidationError({"code": _("This code is taken.")})
    activity = Activity.objects.create(work_package=wp, code=code, title=title)
    _audit("funding.activity_added", activity, actor, str(activity))
    return activity


@transaction.atomic
def add_deliverable(
    actor: Any, wp: WorkPackage, code: str, title: str, due_date: dt.date | None = None
) -> Deliverable:
    _deny(_access(actor, wp.project).manages)
    if wp.deliverables.filter(code=code).exists():
        raise ValidationError({"code": _("This code is taken.")})
    deliverable = Deliverable.objects.create(
        work_package=wp, code=code, title=title, due_date=due_date
    )
    _audit("funding.deliverable_added", deliverable, actor, str(deliverable))
    return deliverable


@transaction.atomic
def _check_scope(
    code: str, scope: Mapping[str, Any] | None, check_survey: bool = True
) -> dict[str, Any]:
    """The indicator's scope, cleaned, or field-level errors (``scope.<key>``). The system
    (``actor=None``, e.g. the demo naming the platform's seed survey, which may be loaded after
    it) skips the survey's existence check."""
    try:
        clean = normalise_scope(code, scope)
    except ValueError as exc:
        key = str(exc)
        allowed = ", ".join(sorted(SCOPE_KEYS.get(code, ()))) or "-"
        raise ValidationError(
            {
                f"scope.{key}": _("Not a scope of this source (possible: %(keys)s).")
                % {"keys": allowed}
            }
        ) from exc
    errors: dict[str, str] = {}
    if clean.get("networks"):
        known = set(
            Network.objects.filter(slug__in=clean["networks"]).values_list("slug", flat=True)
        )
        if missing := [n for n in clean["networks"] if n not in known]:
            errors["scope.networks"] = _("Unknown networks: %(n)s.") % {"n": ", ".join(missing)}
    if clean.get("event_types"):
        try:
            field = apps.get_model("events", "Event")._meta.get_field("event_type")
            choices = {str(value) for value, _label in field.choices or []}
        except LookupError:
            choices = set(clean["event_types"])
        if missing := [t for t in clean["event_types"] if t not in choices]:
            errors["scope.event_types"] = _("Unknown event types: %(t)s.") % {
                "t": ", ".join(missing)
            }
    if clean.get("survey") and check_survey:
        try:
            survey_model = apps.get_model("survey", "Survey")
        except LookupError:
            survey_model = None
        if (
            survey_model is not None
            and not survey_model._default_manager.filter(slug=clean["survey"]).exists()
        ):
            errors["scope.survey"] = _("No survey with this identifier.")
    if errors:
        raise ValidationError(errors)
    return clean


def add_indicator(
    actor: Any,
    project: FundingProject,
    code: str,
    name: str,
    target: int = 0,
    source_code: str = "",
    work_package: WorkPackage | None = None,
    scope: Mapping[str, Any] | None = None,
) -> OutputIndicator:
    """An output indicator of a work package, counted from ``source_code`` within ``scope``."""
    _deny(_access(actor, project).manages)
    errors: dict[str, str] = {}
    if project.indicators.filter(code=code).exists():
        errors["code"] = _("This code is taken.")
    if work_package is None:
        errors["work_package"] = _("Choose the work package the indicator belongs to.")
    elif work_package.project_id != project.pk:
        errors["work_package"] = _("Not a work package of this project.")
    if source_code not in registered_sources() and source_code not in KNOWN_CODES:
        errors["source_code"] = _("Choose a source the platform counts.")
    if target < 0:
        errors["target"] = _("The target cannot be negative.")
    if errors or work_package is None:
        raise ValidationError(errors)
    clean_scope = _check_scope(source_code, scope, check_survey=actor is not None)
    indicator = OutputIndicator.objects.create(
        project=project,
        code=code,
        name=name,
        target=target,
        source_code=source_code,
        work_package=work_package,
        scope=clean_scope,
    )
    _audit("funding.indicator_added", indicator, actor, str(indicator), {"scope": clean_scope})
    return indicator


@transaction.atomic
def change_indicator(
    actor: Any,
    indicator: OutputIndicator,
    *,
    target: int | None = None,
    scope: Mapping[str, Any] | None = None,
) -> OutputIndicator:
    """Change an indicator's target or scope (the counts follow; nothing is typed)."""
    _deny(_access(actor, indicator.project).manages)
    before = {"target": indicator.target, "scope": indicator.scope}
    if target is not None:
        if target < 0:
            raise ValidationError({"target": _("The target cannot be negative.")})
        indicator.target = target
    if scope is not None:
        indicator.scope = _check_scope(indicator.source_code, scope, actor is not None)
    indicator.save(update_fields=["target", "scope"])
    _audit(
        "funding.indicator_changed",
        indicator,
        actor,
        str(indicator),
        {"before": before, "after": {"target": indicator.target, "scope": indicator.scope}},
    )
    return indicator


def _validate_plan(rates: Mapping[str, Decimal], currency: str) -> None:
    if not rates:
        raise ValidationError({"funding_sources": _("Name at least one funding source.")})
    for kind, rate in rates.items():
        if kind not in SourceKind.values:
            raise ValidationError({"funding_sources": _("Unknown source %(k)s.") % {"k": kind}})
        _check_rate(to_decimal(rate), "funding_sources")
    if sum((to_decimal(r) for r in rates.values()), Decimal(0)) != Decimal(1):
        raise ValidationError({"funding_sources": _("The co-financing rates must add up to 100%.")})
    swiss = any(k in SWISS_KINDS for k in rates)
    if swiss and SourceKind.EU_FUND in rates:
        raise ValidationError(
            {"funding_sources": _("Swiss partners are funded by Swiss money, not by the EU fund.")}
        )
    if swiss and currency != "CHF":
        raise ValidationError({"currency": _("Swiss federal and cantonal funding is in CHF.")})


@transaction.atomic
def add_partner(
    actor: Any,
    project: FundingProject,
    organisation: Any,
    *,
    role: str = PartnerRole.PARTNER,
    legal_status: str = LegalStatus.PUBLIC,
    vat: str = "",
    currency: str = "EUR",
    funding_sources: Mapping[str, Decimal] | None = None,
) -> ProjectPartner:
    """Add a directory organisation as partner with its co-financing plan (rates add to 1)."""
    _deny(_access(actor, project).manages)
    if role not in PartnerRole.values:
        raise ValidationError({"role": _("Unknown partner role.")})
    if project.partners.filter(organisation=organisation).exists():
        raise ValidationError({"organisation": _("This organisation is already a partner.")})
    if role == PartnerRole.LEAD and project.partners.filter(role=PartnerRole.LEAD).exists():
        raise ValidationError({"role": _("The project already has a lead partner.")})
    if currency not in CURRENCIES:
        raise ValidationError({"currency": _("Unsupported currency.")})
    rates = {k: to_decimal(v) for k, v in (funding_sources or {}).items()}
    _validate_plan(rates, currency)
    number = (project.partners.aggregate(m=Max("number"))["m"] or 0) + 1
    partner = ProjectPartner.objects.create(
        project=project,
        organisation=organisation,
        number=number,
        role=role,
        legal_status=legal_status,
        vat=vat or organisation.vat,
        currency=currency,
        region=organisation.nuts3 or organisation.nuts2,
    )
    FundingSource.objects.bulk_create(
        FundingSource(partner=partner, kind=k, rate=r) for k, r in rates.items()
    )
    _audit(
        "funding.partner_added",
        partner,
        actor,
        f"{partner} ({role}, {currency})",
        {"funding_sources": {k: str(v) for k, v in rates.items()}},
    )
    return partner


@transaction.atomic
def set_funding_plan(
    actor: Any, partner: ProjectPartner, funding_sources: Mapping[str, Decimal]
) -> None:
    _deny(_access(actor, partner.project).manages)
    rates = {k: to_decimal(v) for k, v in funding_sources.items()}
    _validate_plan(rates, partner.currency)
    before = {s.kind: str(s.rate) for s in partner.funding_sources.all()}
    partner.funding_sources.all().delete()
    FundingSource.objects.bulk_create(
        FundingSource(partner=partner, kind=k, rate=r) for k, r in rates.items()
    )
    _audit(
        "funding.plan_changed",
        partner,
        actor,
        str(partner),
        {"before": before, "after": {k: str(v) for k, v in rates.items()}},
    )


@transaction.atomic
def assign_role(
    actor: Any,
    project: FundingProject,
    user: Any,
    role: str,
    partner: ProjectPartner | None = None,
) -> ProjectRole:
    """Give ``user`` a role in the project (lead, partner officer, controller, auditor)."""
    from alpsbio.accounts.permissions import is_platform_admin

    _deny(_access(actor, project).manages)
    if role not in ProjectRoleKind.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role in (ProjectRoleKind.PARTNER, ProjectRoleKind.CONTROLLER) and partner is None:
        raise ValidationError({"partner": _("Name the partner for this role.")})
    if role in (ProjectRoleKind.LEAD, ProjectRoleKind.AUDITOR):
        partner = None
        # Naming auditors and further leads is the programme's (platform admin's) decision.
        _deny(actor is None or is_platform_admin(actor))
    if partner is not None and partner.project_id != project.pk:
        raise ValidationError({"partner": _("Not a partner of this project.")})
    obj, _created = ProjectRole.objects.get_or_create(
        project=project, user=user, role=role, partner=partner
    )
    _audit("funding.role_assigned", obj, actor, f"{user} {role} {partner or ''}")
    return obj


# --- Budget ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetChange:
    work_package_id: int
    category: str
    period_id: int
    amount: Decimal


def _line_key(wp_id: int, category: str, period_id: int) -> str:
    return f"{wp_id}/{category}/{period_id}"


def budget_snapshot(partner: ProjectPartner) -> dict[str, str]:
    return {
        _line_key(wp, cat, per): str(amount)
        for wp, cat, per, amount in partner.budget_lines.values_list(
            "work_package_id", "category", "period_id", "amount"
        )
    }


def _category_totals(snapshot: Mapping[str, str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, amount in snapshot.items():
        totals[key.split("/")[1]] += Decimal(amount)
    return dict(totals)


def check_flexibility(
    baseline: Mapping[str, str], proposed: Mapping[str, str], flexibility: Decimal, currency: str
) -> list[str]:
    """The programme's flexibility rule: each category may exceed its baseline by
    ``flexibility`` (a share) as long as the partner total does not grow. Returns the breaches."""
    base = _category_totals(baseline)
    new = _category_totals(proposed)
    problems = []
    if sum(new.values(), ZERO) > sum(base.values(), ZERO):
        problems.append(
            _("The partner total would grow from %(a)s to %(b)s.")
            % {"a": sum(base.values(), ZERO), "b": sum(new.values(), ZERO)}
        )
    for category in sorted(set(base) | set(new)):
        limit = flat_rate(base.get(category, ZERO), Decimal(1) + flexibility, currency)
        if new.get(category, ZERO) > limit:
            problems.append(
                _("%(cat)s would reach %(new)s, above its limit of %(limit)s.")
                % {"cat": CostCategory(category).label, "new": new[category], "limit": limit}
            )
    return problems


@transaction.atomic
def modify_budget(
    actor: Any,
    partner: ProjectPartner,
    changes: Iterable[BudgetChange],
    reason: str,
    *,
    programme_approved: bool = False,
) -> BudgetVersion:
    """Set budget lines and record a new version (who, when, why, before/after).

    The partner's first budget is the baseline. Later changes must respect the flexibility rule
    unless the lead partner records them as ``programme_approved`` (a formal modification).
    Office and administration lines are recomputed from staff costs at the flat rate.
    """
    project = partner.project
    access = _access(actor, project)
    _deny(access.can_edit_partner(partner.pk))
    if programme_approved:
        _deny(access.manages, _("Only the lead partner records approved modifications."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the budget changes.")})
    # Lock the partner row so two modifications cannot interleave.
    ProjectPartner.objects.select_for_update().filter(pk=partner.pk).first()
    wps = set(project.work_packages.values_list("pk", flat=True))
    periods = set(project.periods.values_list("pk", flat=True))
    before = budget_snapshot(partner)
    proposed = dict(before)
    for change in changes:
        if change.work_package_id not in wps:
            raise ValidationError({"work_package": _("Not a work package of this project.")})
        if change.period_id not in periods:
            raise ValidationError({"period": _("Not a period of this project.")})
        if change.category not in ENTERED_CATEGORIES:
            raise ValidationError(
                {"category": _("Office costs are computed from staff costs, not entered.")}
            )
        amount = to_decimal(change.amount)
        if amount < 0 or quantize(amount, partner.currency) != amount:
            raise ValidationError({"amount": _("A positive amount with at most two decimals.")})
        proposed[_line_key(change.work_package_id, change.category, change.period_id)] = str(amount)
    # Office and administration = flat rate x staff, per work package and period.
    for key in [k for k in proposed if k.split("/")[1] == CostCategory.OFFICE]:
        del proposed[key]
    for key, value in list(proposed.items()):
        wp, cat, per = key.split("/")
        if cat == CostCategory.STAFF:
            proposed[_line_key(int(wp), CostCategory.OFFICE, int(per))] = str(
                flat_rate(Decimal(value), project.office_flat_rate, partner.currency)
            )
    proposed = {k: v for k, v in proposed.items() if Decimal(v) != 0}
    is_baseline = not BudgetVersion.objects.filter(project=project, partner=partner).exists()
    if not is_baseline and not programme_approved:
        baseline = BudgetVersion.objects.filter(project=project, partner=partner).order_by(
            "number"
        )[0]
        problems = check_flexibility(
            baseline.after, proposed, project.flexibility_rate, partner.currency
        )
        if problems:
            raise ValidationError({"amount": problems})
    partner.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(
            partner=partner,
            work_package_id=int(k.split("/")[0]),
            category=k.split("/")[1],
            period_id=int(k.split("/")[2]),
            amount=Decimal(v),
        )
        for k, v in proposed.items()
    )
    number = (
        BudgetVersion.objects.select_for_update()
        .filter(project=project)
        .aggregate(m=Max("number"))["m"]
        or 0
    ) + 1
    version = BudgetVersion.objects.create(
        project=project,
        partner=partner,
        number=number,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason.strip()
        + (" " + _("(approved by the programme)") if programme_approved else ""),
        before=before,
        after=proposed,
    )
    _audit(
        "funding.budget_modified",
        partner,
        actor,
        f"{partner}: v{number} {reason.strip()[:200]}",
        {
            "version": number,
            "before_total": snapshot_total(before),
            "after_total": snapshot_total(proposed),
        },
    )
    return version


def snapshot_total(snapshot: Mapping[str, str]) -> str:
    return str(sum((Decimal(v) for v in snapshot.values()), ZERO))


# --- Exchange rates -------------------------------------------------------------------------


@dataclass
class RateImport:
    created: int
    updated: int


@transaction.atomic
def import_exchange_rates(actor: Any, text: str, source: str = "") -> RateImport:
    """Import monthly rates from CSV ``month,currency,rate`` (``2009-03,CHF,1.4936``).

    Rates are units of the currency per 1 EUR. Every row is checked first; if any row is wrong
    nothing is imported and the error lists each bad row by line number.
    """
    if actor is not None:
        _deny(perms.can_import_rates(actor), _("Only lead partners and admins import rates."))
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"month", "currency", "rate"} <= fields:
        raise ValidationError(
            {"file": _("The CSV needs the columns month, currency and rate (per 1 EUR).")}
        )
    rows: dict[tuple[str, dt.date], Decimal] = {}
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            month = dt.datetime.strptime(row["month"][:7], "%Y-%m").date()  # noqa: DTZ007
        except ValueError:
            errors.append(_("line %(n)d: month must look like 2009-03") % {"n": line})
            continue
        currency = row["currency"].upper()
        if currency not in CURRENCIES or currency == "EUR":
            errors.append(_("line %(n)d: unsupported currency %(c)r") % {"n": line, "c": currency})
            continue
        try:
            rate = to_decimal(row["rate"].replace(",", "."))
        except MoneyError:
            errors.append(
                _("line %(n)d: rate %(r)r is not a number") % {"n": line, "r": row["rate"]}
            )
            continue
        if rate <= 0 or rate.as_tuple().exponent < -6:  # type: ignore[operator]
            errors.append(_("line %(n)d: rate must be positive, at most 6 decimals") % {"n": line})
            continue
        if (currency, month) in rows:
            errors.append(_("line %(n)d: %(m)s appears twice") % {"n": line, "m": row["month"]})
            continue
        rows[(currency, month)] = rate
    if errors:
        raise ValidationError({"file": errors})
    if not rows:
        raise ValidationError({"file": _("The file has no rates.")})
    created = updated = 0
    for (currency, month), rate in rows.items():
        _obj, was_created = ExchangeRate.objects.update_or_create(
            currency=currency, month=month, defaults={"rate": rate, "source": source[:200]}
        )
        created += was_created
        updated += not was_created
    first = ExchangeRate.objects.filter(currency__in=[c for c, _m in rows]).first()
    if first is not None:
        _audit(
            "funding.rates_imported",
            first,
            actor,
            f"{created} new, {updated} updated monthly rates ({source})",
        )
    return RateImport(created, updated)


def rate_in_force(currency: str, day: dt.date) -> Decimal:
    """The monthly rate of ``currency`` per EUR for expenditure on ``day``."""
    rate = (
        ExchangeRate.objects.filter(currency=currency, month=day.replace(day=1))
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            {
                "currency": _("No %(c)s exchange rate for %(m)s: import the monthly rates first.")
                % {"c": currency, "m": day.strftime("%Y-%m")}
            }
        )
    return rate


# --- Partner reports ------------------------------------------------------------------------


@transaction.atomic
def create_report(actor: Any, partner: ProjectPartner, period: ReportingPeriod) -> PartnerReport:
    _deny(_access(actor, partner.project).can_edit_partner(partner.pk))
    if period.project_id != partner.project_id:
        raise ValidationError({"period": _("Not a period of this project.")})
    if PartnerReport.objects.filter(partner=partner, period=period).exists():
        raise ValidationError({"period": _("There is already a report for this period.")})
    report = PartnerReport.objects.create(partner=partner, period=period)
    _audit("funding.report_created", report, actor, str(report))
    return report


def _check_attachment(upload: UploadedFile | None) -> None:
    """At most 10 MB; an allowed file type by name, by declared content type (when the client
    declares a specific one) and by its first bytes."""
    if upload is None:
        return
    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {
                "attachment": _("The attachment is larger than %(mb)s MB.")
                % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024) or 1}
            }
        )
    if not upload.size:
        raise ValidationError({"attachment": _("The attachment is empty.")})
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in ALLOWED_ATTACHMENTS:
        raise ValidationError(
            {"attachment": _("Attach a PDF, PNG, JPEG or office document (xlsx, docx, odt, ods).")}
        )
    declared = (getattr(upload, "content_type", None) or "").split(";")[0].strip().lower()
    if declared and declared not in GENERIC_CONTENT_TYPES | ATTACHMENT_TYPES[suffix]:
        raise ValidationError(
            {
                "attachment": _("The declared content type %(t)s does not match a %(s)s file.")
                % {"t": declared, "s": suffix}
            }
        )
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in ALLOWED_ATTACHMENTS[suffix]):
        raise ValidationError({"attachment": _("The file's content does not match its type.")})


def _lock_report(report: PartnerReport) -> PartnerReport:
    return (
        PartnerReport.objects.select_for_update()
        .select_related("partner__project")
        .get(pk=report.pk)
    )


def _eligible(item: ExpenditureItem) -> Decimal:
    if item.is_ineligible:
        return ZERO
    return max(item.converted - item.deduction, ZERO)


def refresh_flat_rates(report: PartnerReport) -> None:
    """(Re)write the office and administration rows: flat rate x staff, per work package."""
    project = report.partner.project
    currency = report.partner.currency
    ExpenditureItem.objects.filter(report=report, is_flat_rate=True).delete()
    staff = (
        ExpenditureItem.objects.filter(report=report, category=CostCategory.STAFF)
        .values("work_package_id")
        .annotate(converted=Sum("converted"), eligible=Sum("eligible"))
    )
    rows = []
    for row in staff:
        staff_converted = quantize(row["converted"], currency)
        converted = flat_rate(staff_converted, project.office_flat_rate, currency)
        if converted == 0:
            continue
        rows.append(
            ExpenditureItem(
                report=report,
                partner_id=report.partner_id,
                period_id=report.period_id,
                work_package_id=row["work_package_id"],
                category=CostCategory.OFFICE,
                date=report.period.end_date,
                description=_("Office and administration, %(r)s%% of staff costs")
                % {"r": (project.office_flat_rate * 100).normalize()},
                amount=converted,
                currency=currency,
                converted=converted,
                eligible=flat_rate(
                    quantize(row["eligible"], currency), project.office_flat_rate, currency
                ),
                is_flat_rate=True,
            )
        )
    ExpenditureItem.objects.bulk_create(rows)


@transaction.atomic
def add_expenditure(
    actor: Any,
    report: PartnerReport,
    *,
    work_package_id: int,
    category: str,
    date: dt.date,
    amount: Decimal,
    currency: str,
    invoice_ref: str = "",
    description: str = "",
    is_ineligible: bool = False,
    ineligible_reason: str = "",
    attachment: UploadedFile | None = None,
) -> ExpenditureItem:
    """Declare a cost; foreign-currency amounts convert at the month's rate, rounded once."""
    report = _lock_report(report)
    partner = report.partner
    _deny(_access(actor, partner.project).can_edit_partner(partner.pk))
    if report.status != ReportStatus.DRAFT:
        raise ValidationError({"report": _("Only a draft report can be changed.")})
    errors: dict[str, str] = {}
    if category not in ENTERED_CATEGORIES:
        errors["category"] = _("Choose a cost category (office costs are a flat rate).")
    if not partner.project.work_packages.filter(pk=work_package_id).exists():
        errors["work_package"] = _("Not a work package of this project.")
    try:
        amount = to_decimal(amount)
    except MoneyError:
        errors["amount"] = _("Not an amount.")
    else:
        if amount <= 0 or (currency in CURRENCIES and quantize(amount, currency) != amount):
            errors["amount"] = _("A positive amount with at most two decimals.")
    if currency not in CURRENCIES:
        errors["currency"] = _("Unsupported currency.")
    project = partner.project
    if not project.start_date <= date <= project.end_date:
        errors["date"] = _("The date must fall within the project's duration.")
    if is_ineligible and not ineligible_reason.strip():
        errors["ineligible_reason"] = _("Say why the item is ineligible.")
    if errors:
        raise ValidationError(errors)
    _check_attachment(attachment)
    rate: Decimal | None = None
    if currency != partner.currency:
        rate = rate_in_force("CHF", date)
    converted = convert(amount, currency, partner.currency, rate or Decimal(1))
    item = ExpenditureItem(
        report=report,
        partner=partner,
        period_id=report.period_id,
        work_package_id=work_package_id,
        category=category,
        date=date,
        description=description[:300],
        invoice_ref=invoice_ref[:100],
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        converted=converted,
        is_ineligible=is_ineligible,
        ineligible_reason=ineligible_reason[:300],
    )
    item.eligible = _eligible(item)
    if attachment is not None:
        item.attachment.save(Path(attachment.name or "file").name, attachment, save=False)
    item.save()
    refresh_flat_rates(report)
    _audit(
        "funding.expenditure_added",
        item,
        actor,
        f"{report}: {category} {amount} {currency} → {converted} {partner.currency}",
        {"amount": str(amount), "converted": str(converted), "rate": str(rate or "")},
    )
    return item


@transaction.atomic
def attach_document(actor: Any, item: ExpenditureItem, upload: UploadedFile) -> ExpenditureItem:
    """Attach (or replace) the invoice of an item of a draft report."""
    report = _lock_report(item.report)
    _deny(_access(actor, report.partner.project).can_edit_partner(report.partner.pk))
    if report.status != ReportStatus.DRAFT:
        raise ValidationError({"report": _("Only a draft report can be changed.")})
    if item.is_flat_rate:
        raise ValidationError({"item": _("Flat-rate costs have no invoice.")})
    _check_attachment(upload)
    item = ExpenditureItem.objects.select_for_update().get(pk=item.pk)
    old = item.attachment.name if item.attachment else ""
    item.attachment.save(Path(upload.name or "file").name, upload, save=False)
    item.save(update_fields=["attachment", "updated_at"])
    if old and old != item.attachment.name:
        storage, name = item.attachment.storage, old
        transaction.on_commit(lambda: storage.delete(name))
    _audit(
        "funding.attachment_added",
        item,
        actor,
        f"{report}: {item.attachment.name}",
        {"item": item.pk, "file": item.attachment.name, "replaced": old, "size": upload.size},
    )
    return item


@transaction.atomic
def remove_expenditure(actor: Any, item: ExpenditureItem) -> None:
    report = _lock_report(item.report)
    _deny(_access(actor, report.partner.project).can_edit_partner(report.partner.pk))
    if report.status != ReportStatus.DRAFT or item.is_flat_rate:
        raise ValidationError({"report": _("Only items of a draft report can be removed.")})
    _audit(
        "funding.expenditure_removed",
        item,
        actor,
        f"{report}: {item}",
        {"amount": str(item.amount)},
    )
    item.delete()
    refresh_flat_rates(report)


@transaction.atomic
def submit_report(actor: Any, report: PartnerReport) -> PartnerReport:
    """Draft → submitted. Locks the report row, so two concurrent submissions of the same report
    cannot both pass the status check: the second waits, then sees "submitted" and fails."""
    locked = _lock_report(report)
    _deny(_access(actor, locked.partner.project).can_edit_partner(locked.partner.pk))
    if locked.status != ReportStatus.DRAFT:
        raise ValidationError({"status": _("This report has already been submitted.")})
    if not locked.items.exists():
        raise ValidationError({"items": _("Declare at least one expenditure item.")})
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    declared = _sum(locked.items.all(), "eligible", locked.partner.currency)
    _audit(
        "funding.report_submitted",
        locked,
        actor,
        f"{locked}: {declared} {locked.partner.currency} declared",
        {"declared": str(declared)},
    )
    return locked


@transaction.atomic
def start_control(actor: Any, report: PartnerReport) -> PartnerReport:
    locked = _lock_report(report)
    _deny(_access(actor, locked.partner.project).can_control_partner(locked.partner.pk))
    if locked.status != ReportStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted report can be controlled.")})
    locked.status = ReportStatus.IN_CONTROL
    locked.controller = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["status", "controller", "updated_at"])
    _audit("funding.control_started", locked, actor, str(locked))
    return locked


@transaction.atomic
def control_item(
    actor: Any,
    item: ExpenditureItem,
    *,
    deduction: Decimal,
    reason: str = "",
    is_ineligible: bool = False,
) -> ExpenditureItem:
    """The controller deducts (part of) an item, or finds it ineligible, with a reason."""
    report = _lock_report(item.report)
    _deny(_access(actor, report.partner.project).can_control_partner(report.partner.pk))
    if report.status != ReportStatus.IN_CONTROL:
        raise ValidationError({"status": _("Start the control of this report first.")})
    if item.is_flat_rate:
        raise ValidationError({"item": _("Flat rates follow the staff costs they depend on.")})
    deduction = to_decimal(deduction)
    currency = report.partner.currency
    if deduction < 0 or deduction > item.converted or quantize(deduction, currency) != deduction:
        raise ValidationError(
            {"deduction": _("Between 0 and the item's amount, with at most two decimals.")}
        )
    if (deduction > 0 or is_ineligible) and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the deduction.")})
    before = {"deduction": str(item.deduction), "eligible": str(item.eligible)}
    item.deduction = deduction
    item.deduction_reason = reason.strip()[:300]
    if is_ineligible:
        item.is_ineligible = True
        item.ineligible_reason = reason.strip()[:300]
    item.eligible = _eligible(item)
    item.save(
        update_fields=[
            "deduction",
            "deduction_reason",
            "is_ineligible",
            "ineligible_reason",
            "eligible",
            "updated_at",
        ]
    )
    refresh_flat_rates(report)
    _audit(
        "funding.item_controlled",
        item,
        actor,
        f"{report}: deduction {deduction} ({reason.strip()[:100]})",
        {"before": before, "after": {"deduction": str(deduction), "eligible": str(item.eligible)}},
    )
    return item


@transaction.atomic
def certify_report(actor: Any, report: PartnerReport) -> PartnerReport:
    locked = _lock_report(report)
    _deny(_access(actor, locked.partner.project).can_control_partner(locked.partner.pk))
    if locked.status != ReportStatus.IN_CONTROL:
        raise ValidationError({"status": _("Only a report in control can be certified.")})
    locked.status = ReportStatus.CERTIFIED
    locked.certified_at = timezone.now()
    locked.save(update_fields=["status", "certified_at", "updated_at"])
    certified = _sum(locked.items.all(), "eligible", locked.partner.currency)
    _audit(
        "funding.report_certified",
        locked,
        actor,
        f"{locked}: {certified} {locked.partner.currency} certified",
        {"certified": str(certified)},
    )
    return locked


# --- Project reports, claims, payments ------------------------------------------------------


@transaction.atomic
def save_progress_report(actor: Any, period: ReportingPeriod, summary: str) -> ProgressReport:
    _deny(_access(actor, period.project).manages)
    report, _created = ProgressReport.objects.update_or_create(
        period=period, defaults={"project": period.project, "summary": summary}
    )
    _audit("funding.progress_report_saved", report, actor, str(report))
    return report


def fund_shares(partner: ProjectPartner, certified: Decimal) -> dict[str, Decimal]:
    """A partner's certified costs split over its co-financing plan (to the cent)."""
    rates = {s.kind: s.rate for s in partner.funding_sources.all()}
    if not rates:
        return {}
    return {s.source: s.amount for s in split_shares(certified, rates, partner.currency)}


@transaction.atomic
def create_payment_claim(actor: Any, period: ReportingPeriod) -> PaymentClaim:
    """Claim the EU fund's share of the period's certified costs (EU-funded partners only)."""
    project = period.project
    _deny(_access(actor, project).manages)
    FundingProject.objects.select_for_update().filter(pk=project.pk).first()
    if PaymentClaim.objects.filter(project=project, period=period).exists():
        raise ValidationError({"period": _("This period has already been claimed.")})
    reports = list(PartnerReport.objects.filter(period=period).select_related("partner"))
    if not reports:
        raise ValidationError({"period": _("No partner reports for this period.")})
    pending = [str(r.partner) for r in reports if r.status != ReportStatus.CERTIFIED]
    if pending:
        raise ValidationError({"period": _("Not yet certified: %(p)s") % {"p": ", ".join(pending)}})
    per_partner: dict[str, str] = {}
    certified_total = ZERO
    amount = ZERO
    for report in reports:
        if report.partner.currency != project.currency:
            continue  # Swiss partners are paid by Swiss funding, not by the programme's fund.
        certified = _sum(report.items.all(), "eligible", report.partner.currency)
        share = fund_shares(report.partner, certified).get(SourceKind.EU_FUND, ZERO)
        if share:
            per_partner[str(report.partner_id)] = str(share)
        certified_total += certified
        amount += share
    number = (project.claims.aggregate(m=Max("number"))["m"] or 0) + 1
    claim = PaymentClaim.objects.create(
        project=project,
        period=period,
        number=number,
        certified_total=certified_total,
        amount=amount,
        per_partner=per_partner,
    )
    _audit(
        "funding.claim_created",
        claim,
        actor,
        f"{claim}: {amount} {project.currency} of {certified_total} certified",
        {"amount": str(amount), "per_partner": per_partner},
    )
    return claim


@transaction.atomic
def record_payment(
    actor: Any, claim: PaymentClaim, amount: Decimal, received_on: dt.date
) -> Payment:
    """Record a payment from the programme and pass it on to the partners in proportion to
    their claimed shares (largest remainder: transfers add up to the payment exactly)."""
    project = claim.project
    _deny(_access(actor, project).manages)
    PaymentClaim.objects.select_for_update().filter(pk=claim.pk).first()
    amount = to_decimal(amount)
    if amount <= 0 or quantize(amount, project.currency) != amount:
        raise ValidationError({"amount": _("A positive amount with at most two decimals.")})
    paid = _sum(claim.payments.all(), "amount", project.currency)
    if paid + amount > claim.amount:
        raise ValidationError(
            {"amount": _("Payments would exceed the claimed %(a)s.") % {"a": claim.amount}}
        )
    payment = Payment.objects.create(claim=claim, amount=amount, received_on=received_on)
    partner_ids = [int(p) for p in claim.per_partner]
    parts = allocate(amount, [Decimal(claim.per_partner[str(p)]) for p in partner_ids])
    Transfer.objects.bulk_create(
        Transfer(payment=payment, partner_id=p, amount=a)
        for p, a in zip(partner_ids, parts, strict=True)
        if a
    )
    _audit(
        "funding.payment_recorded",
        payment,
        actor,
        f"{claim}: {amount} received {received_on}",
        {"transfers": {str(p): str(a) for p, a in zip(partner_ids, parts, strict=True)}},
    )
    return payment


# --- Demo -----------------------------------------------------------------------------------


def load_funding_demo() -> FundingProject:
    """Create (or leave as is) the Alps Bio Cluster project; idempotent. See ``funding.demo``."""
    from alpsbio.funding.demo import load_demo

    return load_demo()
