"""Pure helpers turning analysis tables into HTML fragments (for pages and the WeasyPrint PDF).

Every text shown comes from the caller (already translated); values are escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

import numpy as np
import pandas as pd

from .swot import SwotPoint


def _fmt(value: object, decimals: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "\u2013"
    if isinstance(value, bool | np.bool_):
        return "✓" if value else ""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.{decimals}f}"
    return str(value)


def table_html(
    frame: pd.DataFrame,
    headers: Mapping[str, str] | None = None,
    caption: str = "",
    decimals: int = 2,
    css_class: str = "analysis-table",
    max_rows: int | None = None,
) -> str:
    """A <table> with <caption>, <th scope="col"> headers and numbers right-aligned."""
    cols = list(frame.columns)
    head = "".join(f'<th scope="col">{escape((headers or {}).get(c, str(c)))}</th>' for c in cols)
    rows = []
    data = frame if max_rows is None else frame.head(max_rows)
    for rec in data.itertuples(index=False):
        cells = []
        for v in rec:
            num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            cls = ' class="num"' if num else ""
            cells.append(f"<td{cls}>{escape(_fmt(v, decimals))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="{escape(css_class)}">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def swot_html(
    points: Sequence[SwotPoint],
    titles: Mapping[str, str],
    describe: Callable[[SwotPoint], str],
) -> str:
    """A 2x2 SWOT grid; ``describe`` renders one point (translated) and evidence goes in a
    footnote-like <small> so the PDF keeps the trail."""
    parts = ['<div class="swot">']
    for cat in ("strength", "weakness", "opportunity", "threat"):
        parts.append(f'<section class="swot-{cat}"><h3>{escape(titles.get(cat, cat))}</h3><ul>')
        for p in (p for p in points if p.category == cat):
            ev = "; ".join(
                f"{e.measure} = {_fmt(e.value, 2)} ({e.comparison} {_fmt(e.threshold, 2)}, {e.source})"
                for e in p.evidence
            )
            parts.append(f"<li>{escape(describe(p))}<br><small>{escape(ev)}</small></li>")
        parts.append("</ul></section>")
    parts.append("</div>")
    return "".join(parts)
