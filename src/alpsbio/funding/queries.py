"""Reads: dashboards (planned vs spent), summaries, indicator tables, audit trail.

Aggregation runs in the database (one ``GROUP BY`` per dimension); amounts are grouped by
currency as well, because EUR and CHF never add up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from alpsbio.core.models import AuditEntry
from alpsbio.core.money import quantize
from alpsbio.directory.models import Organisation
from alpsbio.funding.indicators import count_indicator_series, source_label
from alpsbio.funding.models import (
    BudgetLine,
    CostCategory,
    ExpenditureItem,
    FundingProject,
    ProjectPartner,
    ReportStatus,
    SourceKind,
)
from alpsbio.funding.services import fund_shares

ZERO = Decimal("0.00")


def _money(value: Decimal | None, currency: str) -> Decimal:
    """A database sum as cents (SQLite sums decimals in floating point; PostgreSQL exactly)."""
    return quantize(value if value is not None else ZERO, currency)


DECLARED = [ReportStatus.SUBMITTED, ReportStatus.IN_CONTROL, ReportStatus.CERTIFIED]
DIMENSIONS = {
    "partner": "partner_id",
    "category": "category",
    "work_package": "work_package_id",
    "period": "period_id",
}


@dataclass
class Row:
    key: Any
    label: str
    currency: str
    planned: Decimal = ZERO
    declared: Decimal = ZERO
    certified: Decimal = ZERO

    @property
    def absorption(self) -> Decimal | None:
        """Certified costs as a percentage of the plan (None without a plan)."""
        if not self.planned:
            return None
        return (self.certified / self.planned * 100).quantize(Decimal("0.1"))

    @property
    def declared_share(self) -> Decimal | None:
        if not self.planned:
            return None
        return (self.declared / self.planned * 100).quantize(Decimal("0.1"))


def _labels(project: FundingProject, dim: str) -> dict[Any, str]:
    if dim == "partner":
        return {p.pk: str(p) for p in project.partners.select_related("organisation")}
    if dim == "work_package":
        return {w.pk: str(w) for w in project.work_packages.all()}
    if dim == "period":
        return {p.pk: f"P{p.number}" for p in project.periods.all()}
    return {c.value: str(c.label) for c in CostCategory}


def planned_vs_spent(
    project: FundingProject, dim: str, partner_ids: Iterable[int] | None = None
) -> list[Row]:
    """Planned, declared and certified amounts per ``dim`` (and currency), in the DB."""
    column = DIMENSIONS[dim]
    budget = BudgetLine.objects.filter(partner__project=project)
    items = ExpenditureItem.objects.filter(partner__project=project)
    if partner_ids is not None:
        ids = list(partner_ids)
        budget = budget.filter(partner_id__in=ids)
        items = items.filter(partner_id__in=ids)
    rows: dict[tuple[Any, str], Row] = {}
    labels = _labels(project, dim)

    def row(key: Any, currency: str) -> Row:
        if (key, currency) not in rows:
            rows[(key, currency)] = Row(key, labels.get(key, str(key)), currency)
        return rows[(key, currency)]

    for r in budget.values(column, "partner__currency").annotate(s=Sum("amount")):
        row(r[column], r["partner__currency"]).planned = _money(r["s"], r["partner__currency"])
    for r in (
        items.filter(report__status__in=DECLARED)
        .values(column, "partner__currency")
        .annotate(
            declared=Sum("converted"),
            certified=Sum("eligible", filter=Q(report__status=ReportStatus.CERTIFIED)),
        )
    ):
        rw = row(r[column], r["partner__currency"])
        rw.declared = _money(r["declared"], rw.currency)
        rw.certified = _money(r["certified"], rw.currency)
    order = list(labels)
    return sorted(
        rows.values(),
        key=lambda r: (r.currency, order.index(r.key) if r.key in order else len(order)),
    )


def naive_planned_vs_spent(project: FundingProject, dim: str) -> dict[tuple[Any, str], Row]:
    """The same figures summed in Python over every row (the benchmark's baseline)."""
    column = DIMENSIONS[dim]
    rows: dict[tuple[Any, str], Row] = {}
    currency = {p.pk: p.currency for p in project.partners.all()}
    for line in BudgetLine.objects.filter(partner__project=project):
        key = (getattr(line, column), currency[line.partner_id])
        rows.setdefault(key, Row(key[0], str(key[0]), key[1])).planned += line.amount
    for item in ExpenditureItem.objects.filter(partner__project=project).select_related("report"):
        if item.report.status not in DECLARED:
            continue
        key = (getattr(item, column), currency[item.partner_id])
        rw = rows.setdefault(key, Row(key[0], str(key[0]), key[1]))
        rw.declared += item.converted
        if item.report.status == ReportStatus.CERTIFIED:
            rw.certified += item.eligible
    return rows


@dataclass
class Forecast:
    currency: str
    planned_total: Decimal
    planned_to_date: Decimal
    declared_to_date: Decimal
    forecast_total: Decimal

    @property
    def forecast_absorption(self) -> Decimal | None:
        if not self.planned_total:
            return None
        return (self.forecast_total / self.planned_total * 100).quantize(Decimal("0.1"))


def dashboard_tables(
    project: FundingProject, partner_ids: Iterable[int] | None = None
) -> dict[str, list[Row]]:
    """All four dimensions from two grouped queries (partner x category x WP x period), rolled
    up in Python: the dashboard's numbers in two round trips instead of eight."""
    budget = BudgetLine.objects.filter(partner__project=project)
    items = ExpenditureItem.objects.filter(partner__project=project, report__status__in=DECLARED)
    if partner_ids is not None:
        ids = list(partner_ids)
        budget = budget.filter(partner_id__in=ids)
        items = items.filter(partner_id__in=ids)
    keys = ["partner_id", "category", "work_package_id", "period_id", "partner__currency"]
    cells: dict[tuple[Any, ...], list[Decimal]] = {}
    for r in budget.values(*keys).annotate(s=Sum("amount")):
        cells.setdefault(tuple(r[k] for k in keys), [ZERO, ZERO, ZERO])[0] += r["s"] or ZERO
    for r in items.values(*keys).annotate(
        declared=Sum("converted"),
        certified=Sum("eligible", filter=Q(report__status=ReportStatus.CERTIFIED)),
    ):
        cell = cells.setdefault(tuple(r[k] for k in keys), [ZERO, ZERO, ZERO])
        cell[1] += r["declared"] or ZERO
        cell[2] += r["certified"] or ZERO
    tables: dict[str, list[Row]] = {}
    for i, dim in enumerate(DIMENSIONS):
        labels = _labels(project, dim)
        order = {k: n for n, k in enumerate(labels)}
        rows: dict[tuple[Any, str], Row] = {}
        for key, (planned, declared, certified) in cells.items():
            currency = key[4]
            row = rows.setdefault(
                (key[i], currency), Row(key[i], labels.get(key[i], str(key[i])), currency)
            )
            row.planned += planned
            row.declared += declared
            row.certified += certified
        for row in rows.values():
            row.planned = _money(row.planned, row.currency)
            row.declared = _money(row.declared, row.currency)
            row.certified = _money(row.certified, row.currency)
        tables[dim] = sorted(
            rows.values(), key=lambda r: (r.currency, order.get(r.key, len(order)))
        )
    return tables


def forecast(
    project: FundingProject,
    partner_ids: Iterable[int] | None = None,
    by_period: list[Row] | None = None,
) -> list[Forecast]:
    """Absorption forecast: the spending pace of the reported periods (declared ÷ planned)
    applied to the plan of the periods not yet reported (those with nothing declared)."""
    if by_period is None:
        by_period = planned_vs_spent(project, "period", partner_ids)
    reported = {r.key for r in by_period if r.declared}
    result = []
    for currency in sorted({r.currency for r in by_period}):
        rows = [r for r in by_period if r.currency == currency]
        total = sum((r.planned for r in rows), ZERO)
        planned_done = sum((r.planned for r in rows if r.key in reported), ZERO)
        declared = sum((r.declared for r in rows), ZERO)
        pace = declared / planned_done if planned_done else Decimal(1)
        remaining = sum((r.planned for r in rows if r.key not in reported), ZERO)
        result.append(
            Forecast(
                currency,
                total,
                planned_done,
                declared,
                (declared + remaining * pace).quantize(Decimal("0.01")),
            )
        )
    return result


@dataclass
class PartnerFunding:
    partner: ProjectPartner
    total: Decimal
    shares: dict[str, Decimal] = field(default_factory=dict)


def partner_funding(project: FundingProject) -> list[PartnerFunding]:
    """Each partner's budget and its co-financing plan in amounts (adding up to the cent)."""
    totals = dict(
        BudgetLine.objects.filter(partner__project=project)
        .values("partner_id")
        .annotate(s=Sum("amount"))
        .values_list("partner_id", "s")
    )
    result = []
    for partner in project.partners.select_related("organisation").prefetch_related(
        "funding_sources"
    ):
        total = _money(totals.get(partner.pk), partner.currency)
        result.append(PartnerFunding(partner, total, fund_shares(partner, total)))
    return result


def project_summary(project: FundingProject) -> dict[str, Any]:
    """The summary of the CLI and API: budget, rates, amounts per source, spent to date."""
    funding = partner_funding(project)
    funds: dict[tuple[str, str], dict[str, Any]] = {}
    for pf in funding:
        for source in pf.partner.funding_sources.all():
            key = (source.kind, pf.partner.currency)
            entry = funds.setdefault(
                key,
                {
                    "source": source.kind,
                    "label": str(source.get_kind_display()),
                    "currency": pf.partner.currency,
                    "rates": set(),
                    "amount": ZERO,
                },
            )
            entry["rates"].add(source.rate)
            entry["amount"] += pf.shares.get(source.kind, ZERO)
    spent = (
        ExpenditureItem.objects.filter(partner__project=project, report__status__in=DECLARED)
        .values("partner__currency")
        .annotate(
            declared=Sum("converted"),
            certified=Sum("eligible", filter=Q(report__status=ReportStatus.CERTIFIED)),
        )
    )
    spent_by = {r["partner__currency"]: r for r in spent}
    planned_by: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for pf in funding:
        planned_by[pf.partner.currency] += pf.total
    eu_rates = sorted(
        {
            s.rate
            for pf in funding
            for s in pf.partner.funding_sources.all()
            if s.kind == SourceKind.EU_FUND
        }
    )
    return {
        "acronym": project.acronym,
        "programme": project.programme.name,
        "fund": project.programme.fund,
        "start_date": project.start_date.isoformat(),
        "end_date": project.end_date.isoformat(),
        "currency": project.currency,
        "total_budget": f"{project.total_budget:.2f}",
        "planned_budget": {c: f"{v:.2f}" for c, v in sorted(planned_by.items())},
        "co_financing_rates": [f"{r:.4f}" for r in eu_rates],
        "funds": [
            {
                "source": e["source"],
                "label": e["label"],
                "currency": e["currency"],
                "rates": [f"{r:.4f}" for r in sorted(e["rates"])],
                "amount": f"{e['amount']:.2f}",
            }
            for _key, e in sorted(funds.items())
        ],
        "spent_to_date": {
            c: {
                "declared": f"{_money(r['declared'], c):.2f}",
                "certified": f"{_money(r['certified'], c):.2f}",
            }
            for c, r in sorted(spent_by.items())
        },
        "partners": len(funding),
        "is_illustrative": project.is_illustrative,
    }


def describe_scope(scope: dict[str, Any]) -> str:
    """The scope in words, e.g. "types: conference; regions: FRK2; organised by partners"."""
    parts = []
    if scope.get("event_types"):
        try:
            field = apps.get_model("events", "Event")._meta.get_field("event_type")
            labels = {str(v): str(label) for v, label in field.choices or []}
        except LookupError:
            labels = {}
        names = [labels.get(t, t) for t in scope["event_types"]]
        parts.append(_("types: %(v)s") % {"v": ", ".join(names)})
    if scope.get("networks"):
        parts.append(_("networks: %(v)s") % {"v": ", ".join(scope["networks"])})
    if scope.get("regions"):
        parts.append(_("regions: %(v)s") % {"v": ", ".join(scope["regions"])})
    if scope.get("partners_only"):
        parts.append(_("the project's partners only"))
    if scope.get("survey"):
        parts.append(_("survey: %(v)s") % {"v": scope["survey"]})
    return "; ".join(parts) or _("whole platform")


@dataclass
class IndicatorRow:
    code: str
    name: str
    target: int
    source_code: str
    work_package: str
    per_period: list[int | None]
    pk: int = 0
    work_package_id: int = 0
    work_package_number: int = 0
    scope: dict[str, Any] = field(default_factory=dict)
    source_label: str = ""

    @property
    def achieved(self) -> int | None:
        values = [v for v in self.per_period if v is not None]
        return sum(values) if values else None

    @property
    def progress(self) -> Decimal | None:
        """Achieved as a percentage of the target (None without a target or a count)."""
        if not self.target or self.achieved is None:
            return None
        return (Decimal(self.achieved) / self.target * 100).quantize(Decimal("0.1"))

    @property
    def scope_text(self) -> str:
        return describe_scope(self.scope)

    def to_date(self, index: int) -> int | None:
        """Cumulative count up to and including period ``index`` (0-based)."""
        values = [v for v in self.per_period[: index + 1] if v is not None]
        return sum(values) if values else None


@dataclass
class WorkPackageIndicators:
    number: int
    title: str
    rows: list[IndicatorRow]


def indicator_table(project: FundingProject, counted: bool = True) -> list[IndicatorRow]:
    """Every indicator with its count per reporting period (one count per indicator x period,
    from the source within the indicator's scope), ordered by work package and code.
    ``counted=False``: the definitions only (no counting)."""
    periods = list(project.periods.all()) if counted else []
    rows = []
    for ind in project.indicators.select_related("work_package").order_by(
        "work_package__number", "code"
    ):
        values = (
            count_indicator_series(
                ind.source_code, project, [(p.start_date, p.end_date) for p in periods], ind.scope
            )
            if periods
            else []
        )
        rows.append(
            IndicatorRow(
                code=ind.code,
                name=ind.name,
                target=ind.target,
                source_code=ind.source_code,
                work_package=str(ind.work_package),
                per_period=values,
                pk=ind.pk,
                work_package_id=ind.work_package_id,
                work_package_number=ind.work_package.number,
                scope=dict(ind.scope or {}),
                source_label=source_label(ind.source_code),
            )
        )
    return rows


def indicators_by_work_package(
    project: FundingProject, rows: list[IndicatorRow] | None = None
) -> list[WorkPackageIndicators]:
    """The indicator table grouped per work package (work packages without one are left out)."""
    if rows is None:
        rows = indicator_table(project)
    groups: dict[int, WorkPackageIndicators] = {}
    for wp in project.work_packages.all():
        groups[wp.pk] = WorkPackageIndicators(wp.number, wp.title, [])
    for row in rows:
        groups[row.work_package_id].rows.append(row)
    return [g for g in groups.values() if g.rows]


def partner_candidates(project: FundingProject, text: str, limit: int = 20) -> list[Organisation]:
    """Directory organisations matching ``text`` (name, short name, acronym or city) that are
    not partners of ``project`` yet: the partner picker's results."""
    text = text.strip()
    if not text:
        return []
    return list(
        Organisation.objects.filter(is_active=True)
        .filter(
            Q(legal_name__icontains=text)
            | Q(short_name__icontains=text)
            | Q(acronyms__icontains=text)
            | Q(city__icontains=text)
        )
        .exclude(funding_partnerships__project=project)
        .order_by("legal_name", "pk")[:limit]
    )


def budget_matrix(partner: ProjectPartner) -> dict[str, Any]:
    """A partner's budget as rows (work package x category) and columns (periods), with totals
    that reconcile: every row, column and the grand total are sums of the stored lines."""
    periods = list(partner.project.periods.all())
    wps = list(partner.project.work_packages.all())
    cells: dict[tuple[int, str, int], Decimal] = {
        (wp, cat, per): amount
        for wp, cat, per, amount in partner.budget_lines.values_list(
            "work_package_id", "category", "period_id", "amount"
        )
    }
    rows: list[dict[str, Any]] = []
    for wp in wps:
        for cat in CostCategory:
            values = [cells.get((wp.pk, cat.value, p.pk), ZERO) for p in periods]
            if any(values):
                rows.append(
                    {
                        "wp": wp,
                        "category": cat.label,
                        "values": values,
                        "total": sum(values, ZERO),
                    }
                )
    column_totals = [sum((r["values"][i] for r in rows), ZERO) for i in range(len(periods))]
    return {
        "periods": periods,
        "rows": rows,
        "column_totals": column_totals,
        "total": sum(column_totals, ZERO),
    }


def audit_trail(project: FundingProject, limit: int = 200) -> QuerySet[AuditEntry]:
    """Every financial change in the project (the services tag each entry with the project)."""
    return (
        AuditEntry.objects.filter(action__startswith="funding.", data__project=project.pk)
        .select_related("actor")
        .order_by("-at")[:limit]
    )
