"""Exports of a project's figures: XLSX (openpyxl), CSV and printable PDFs (WeasyPrint)."""

from __future__ import annotations

import csv
import io
import warnings
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from alpsbio.funding import charts, queries
from alpsbio.funding.models import FundingProject, PartnerReport

DIMENSION_TITLES = {
    "partner": gettext_lazy("Partner"),
    "category": gettext_lazy("Category"),
    "work_package": gettext_lazy("Work package"),
    "period": gettext_lazy("Period"),
}


def _tables(project: FundingProject, partner_ids: Any) -> dict[str, list[queries.Row]]:
    return queries.dashboard_tables(project, partner_ids)


def to_csv(project: FundingProject, partner_ids: Any = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "dimension",
            "key",
            "label",
            "currency",
            "planned",
            "declared",
            "certified",
            "absorption_%",
        ]
    )
    for dim, rows in _tables(project, partner_ids).items():
        for r in rows:
            writer.writerow(
                [
                    dim,
                    r.key,
                    r.label,
                    r.currency,
                    f"{r.planned:.2f}",
                    f"{r.declared:.2f}",
                    f"{r.certified:.2f}",
                    r.absorption if r.absorption is not None else "",
                ]
            )
    return out.getvalue()


def to_xlsx(project: FundingProject, partner_ids: Any = None) -> bytes:
    wb = Workbook()
    info = wb.active
    assert info is not None
    info.title = _("Project")
    info.append([project.acronym, project.title])
    info.append([_("Programme"), project.programme.name])
    info.append([_("Dates"), project.start_date.isoformat(), project.end_date.isoformat()])
    info.append([_("Total eligible budget"), project.total_budget, project.currency])
    if project.is_illustrative:
        info.append([_("Illustrative example: the partner split is not public.")])
    info["A1"].font = Font(bold=True)
    for dim, rows in _tables(project, partner_ids).items():
        ws = wb.create_sheet(str(DIMENSION_TITLES[dim]))
        ws.append(
            [
                str(DIMENSION_TITLES[dim]),
                _("Currency"),
                _("Planned"),
                _("Declared"),
                _("Certified"),
                _("Absorption %"),
            ]
        )
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append(
                [
                    r.label,
                    r.currency,
                    r.planned,
                    r.declared,
                    r.certified,
                    float(r.absorption) if r.absorption is not None else None,
                ]
            )
            for cell in ws[ws.max_row][2:5]:
                cell.number_format = "#,##0.00"
        ws.column_dimensions["A"].width = 48
    _indicator_sheet(wb, project)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def indicators_csv(project: FundingProject) -> str:
    """One row per output indicator x reporting period, with the work package, the source and
    its scope, the count, the cumulative count and the target."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "work_package",
            "indicator",
            "name",
            "source",
            "scope",
            "period",
            "start",
            "end",
            "count",
            "to_date",
            "target",
        ]
    )
    periods = list(project.periods.all())
    for row in queries.indicator_table(project):
        for i, period in enumerate(periods):
            value = row.per_period[i]
            to_date = row.to_date(i)
            writer.writerow(
                [
                    f"WP{row.work_package_number}",
                    row.code,
                    row.name,
                    row.source_code,
                    row.scope_text,
                    period.number,
                    period.start_date.isoformat(),
                    period.end_date.isoformat(),
                    "" if value is None else value,
                    "" if to_date is None else to_date,
                    row.target,
                ]
            )
    return out.getvalue()


def _indicator_sheet(wb: Workbook, project: FundingProject) -> None:
    ws = wb.create_sheet(_("Indicators"))
    periods = list(project.periods.all())
    ws.append(
        [
            _("Work package"),
            _("Indicator"),
            _("Counted from"),
            _("Scope"),
            *[f"P{p.number}" for p in periods],
            _("Achieved"),
            _("Target"),
            "%",
        ]
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in queries.indicator_table(project):
        ws.append(
            [
                row.work_package,
                f"{row.code} {row.name}",
                row.source_label,
                row.scope_text,
                *row.per_period,
                row.achieved,
                row.target,
                float(row.progress) if row.progress is not None else None,
            ]
        )
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 36


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(template, context))


def html_to_pdf(html: str) -> bytes:
    with warnings.catch_warnings():
        # WeasyPrint announces that a future version will need Debian's libharfbuzz-subset0;
        # today's output is complete without it.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

        return bytes(HTML(string=html).write_pdf())


def report_html(project: FundingProject, partner_ids: Any = None) -> str:
    """The printable report's HTML: the dashboard's tables and SVG charts (planned, declared,
    certified and absorption per partner, category, work package and period), the forecast and
    the output indicators per work package and period."""
    tables = _tables(project, partner_ids)
    return render_to_string(
        "funding/pdf_report.html",
        {
            "project": project,
            "sections": charts.chart_sections(tables),
            "forecast": queries.forecast(project, partner_ids, tables["period"]),
            "indicator_groups": queries.indicators_by_work_package(project),
            "periods": list(project.periods.all()),
        },
    )


def report_pdf(project: FundingProject, partner_ids: Any = None) -> bytes:
    return html_to_pdf(report_html(project, partner_ids))


def certificate_pdf(report: PartnerReport) -> bytes:
    items = list(report.items.select_related("work_package"))
    return _pdf(
        "funding/pdf_certificate.html",
        {
            "report": report,
            "partner": report.partner,
            "project": report.partner.project,
            "items": items,
            "declared": sum((i.converted for i in items), queries.ZERO),
            "eligible": sum((i.eligible for i in items), queries.ZERO),
            "deducted": [i for i in items if i.deduction or i.is_ineligible],
        },
    )
