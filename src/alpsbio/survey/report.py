"""The printable report "Territorial analysis of the Alps Bio Cluster" (HTML → PDF, WeasyPrint).

Rendered in the language asked for, from the same data as the pages (``queries``). Parts
without data say so ("no data" notes) instead of failing. Fonts: DejaVu Sans (Debian's
``fonts-dejavu-core``), falling back to any sans-serif font installed; nothing is downloaded.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.db import DatabaseError
from django.template.loader import render_to_string
from django.utils import timezone, translation

from alpsbio.core.i18n import LANGUAGE_CODES, localized
from alpsbio.survey import indicators as ind
from alpsbio.survey import queries

logger = logging.getLogger("alpsbio.survey")


def report_context(regions: Sequence[str] | None, lang: str) -> dict[str, Any]:
    try:
        return _report_context(regions, lang)
    except DatabaseError:
        # No tables (the database was never migrated): still a report, saying so.
        logger.exception("database unavailable for the report")
        members = [r.upper() for r in regions] if regions else list(ind.MEMBER_REGIONS)
        note = queries.note_text("no_database")
        return {
            "lang": lang,
            "generated": timezone.localtime(),
            "overview": {"members": [], "notes": [note], "matrix": [], "sector_pairs": []},
            "profiles": [
                {
                    "code": c,
                    "name": localized(queries.REGION_NAMES[c], lang)
                    if c in queries.REGION_NAMES
                    else c,
                    "swot": {},
                    "notes": [note],
                }
                for c in members
            ],
            "map": None,
            "analysis_seconds": 0.0,
        }


def _report_context(regions: Sequence[str] | None, lang: str) -> dict[str, Any]:
    members = [r.upper() for r in regions] if regions else ind.member_region_codes()
    a = queries.analysis(members)
    profiles = [queries.region_profile(code, a) for code in members]
    series = ind.DEFAULT_SERIES[0]
    try:
        alps_map = queries.choropleth(series, "alps", members, svg_id="report-map")
    except (OSError, ValueError):
        logger.exception("map failed")
        alps_map = None
    return {
        "lang": lang,
        "generated": timezone.localtime(),
        "overview": queries.overview(a),
        "profiles": profiles,
        "map": alps_map,
        "analysis_seconds": a.seconds,
    }


def render_report_html(regions: Sequence[str] | None, lang: str) -> str:
    lang = lang if lang in LANGUAGE_CODES else "en"
    with translation.override(lang):
        return render_to_string("survey/report/report.html", report_context(regions, lang))


def render_report_pdf(regions: Sequence[str] | None, lang: str) -> bytes:
    started = time.perf_counter()
    html = render_report_html(regions, lang)
    with warnings.catch_warnings():
        # WeasyPrint falls back to fontTools when the HarfBuzz subsetter is missing and warns
        # that it will need it one day; the PDF is the same.
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint import HTML

        pdf = HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf()
    logger.info("report (%s) rendered in %.1f s", lang, time.perf_counter() - started)
    return bytes(pdf or b"")
