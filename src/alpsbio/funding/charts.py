"""Inline SVG bar charts (no JavaScript library): planned vs declared vs certified."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from alpsbio.funding.queries import Row

WIDTH = 640
LABEL_W = 220
BAR_H = 8
_ids = itertools.count(1)


def bar_chart(rows: Sequence[Row], title: str) -> SafeString:
    """Three thin bars per row; labels and values are escaped text inside the SVG."""
    if not rows:
        return mark_safe("")
    top = max([r.planned for r in rows] + [r.declared for r in rows] + [Decimal(1)])
    scale = (WIDTH - LABEL_W - 90) / float(top)
    row_h = BAR_H * 3 + 10
    height = row_h * len(rows) + 24
    chart_id = f"chart-{next(_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]
    colours = (("planned", "#9db4c8"), ("declared", "#e0a458"), ("certified", "#3b7d4f"))
    names = {"planned": _("planned"), "declared": _("declared"), "certified": _("certified")}
    for i, row in enumerate(rows):
        y = i * row_h
        parts.append(
            f'<text x="0" y="{y + BAR_H * 2}" font-size="11">{escape(row.label[:34])} '
            f"({escape(row.currency)})</text>"
        )
        for j, (name, colour) in enumerate(colours):
            value: Decimal = getattr(row, name)
            w = max(float(value) * scale, 0)
            by = y + j * BAR_H
            parts.append(
                f'<rect x="{LABEL_W}" y="{by}" width="{w:.1f}" height="{BAR_H - 1}" '
                f'fill="{colour}"><title>{escape(names[name])}: {value:,.2f}</title></rect>'
            )
        parts.append(
            f'<text x="{WIDTH - 85}" y="{y + BAR_H * 2}" font-size="10">'
            f"{row.absorption if row.absorption is not None else '-'} %</text>"
        )
    legend_y = height - 8
    for j, (name, colour) in enumerate(colours):
        x = LABEL_W + j * 110
        parts.append(
            f'<rect x="{x}" y="{legend_y - 8}" width="10" height="8" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{legend_y}" font-size="10">{escape(names[name])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic value above is escaped


def dimension_titles() -> dict[str, str]:
    return {
        "partner": _("Planned and spent per partner"),
        "category": _("per cost category"),
        "work_package": _("per work package"),
        "period": _("per period"),
    }


def chart_sections(tables: Mapping[str, Sequence[Row]]) -> list[dict[str, Any]]:
    """Per dimension its rows and one chart per currency (EUR and CHF bars never share a
    scale): the dashboard and the printable PDF report show the same charts."""
    titles = dimension_titles()
    return [
        {
            "dim": dim,
            "title": titles[dim],
            "rows": rows,
            "charts": [
                bar_chart([r for r in rows if r.currency == c], f"{titles[dim]} ({c})")
                for c in sorted({r.currency for r in rows})
            ],
        }
        for dim, rows in tables.items()
    ]
