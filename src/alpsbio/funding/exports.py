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

from alpsbio.funding import queries
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
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    with warnings.catch_warnings():
        # WeasyPrint announces that a future version will need Debian's libharfbuzz-subset0;
        # today's output is complete without it.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

        return bytes(HTML(string=html).write_pdf())


def report_pdf(project: FundingProject, partner_ids: Any = None) -> bytes:
    return _pdf(
        "funding/pdf_report.html",
        {
            "project": project,
            "tables": {
                str(DIMENSION_TITLES[dim]): rows
                for dim, rows in _tables(project, partner_ids).items()
            },
            "forecast": queries.forecast(project, partner_ids),
            "indicators": queries.indicator_table(project),
            "periods": list(project.periods.all()),
        },
    )


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
