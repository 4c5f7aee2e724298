"""ROR (Research Organization Registry) records of FR/IT/CH/AT/DE."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings

from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.directory.importers.base import (
    ImportResult,
    Problems,
    RowError,
    check_required,
    check_unique,
    progress_bar,
    read_csv,
    run_import,
)
from alpsbio.directory.importers.nuts import RegionIndex
from alpsbio.directory.importers.orgs import OrgData, ror_type, upsert_organisations
from alpsbio.directory.models import ImportRun
from alpsbio.directory.search_text import refresh_search_text

DEFAULT_FILE = "ror/ror_subset_FR_IT_CH_AT_DE.csv"
COLUMNS = (
    "ror_id", "name", "status", "types", "country_code", "city", "lat", "lng", "labels_lang",
    "aliases", "acronyms", "established", "website", "nuts3_2021", "nuts2_2021",
)  # fmt: skip
ROR_ID = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")
STATUSES = {"active", "inactive", "withdrawn"}


def default_path() -> Path:
    return Path(settings.ALPSBIO_DATA_DIR) / DEFAULT_FILE


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def parse_labels(text: str) -> dict[str, str]:
    """'de:Pädagogische Hochschule Tirol|en:University…' → {lang: label} for our four languages."""
    names: dict[str, str] = {}
    for item in text.split("|"):
        lang, sep, label = item.partition(":")
        if sep and lang in LANGUAGE_CODES and label and lang not in names:
            names[lang] = label.strip()[:300]
    return names


def import_ror(
    path: Path | str | None = None, quiet: bool = True, actor: Any = None
) -> ImportResult:
    """Import (or refresh) ROR organisations; merge those already known from CORDIS."""
    file_path = Path(path) if path else default_path()

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        problems = Problems(str(file_path))
        regions = RegionIndex()
        if not regions:
            problems.error(None, None, "no NUTS regions in the database: run import_nuts first")
            problems.raise_if_errors()
        rows = read_csv(file_path, COLUMNS, problems)
        check_required(rows, ("ror_id", "name", "status", "country_code"), problems)
        check_unique(rows, lambda r: r["ror_id"], "ror_id", problems)
        incoming: dict[str, OrgData] = {}
        skipped_withdrawn = 0
        for line, row in rows:
            ror_id = row["ror_id"].removeprefix("https://ror.org/")
            if ror_id and not ROR_ID.match(ror_id):
                problems.error(line, "ror_id", f"not a ROR ID: {ror_id!r}")
            if row["status"] and row["status"] not in STATUSES:
                problems.error(line, "status", f"unknown status {row['status']!r}")
            if row["country_code"] and not re.fullmatch(r"[A-Z]{2}", row["country_code"]):
                problems.error(line, "country_code", f"not a country code: {row['country_code']!r}")
            lat, lng = _float(row["lat"]), _float(row["lng"])
            if (row["lat"] and lat is None) or (row["lng"] and lng is None):
                problems.error(line, "lat", "coordinates are not numbers")
            nuts3 = nuts2 = None
            if row["nuts3_2021"]:
                nuts3, nuts2, note = regions.resolve(row["nuts3_2021"])
                if note == "unknown":
                    problems.error(line, "nuts3_2021", f"unknown region code {row['nuts3_2021']!r}")
                elif note == "parent":
                    problems.warning(
                        line, "nuts3_2021", f"{row['nuts3_2021']} not in NUTS 2021: NUTS-2 only"
                    )
            elif row["nuts2_2021"]:
                _, nuts2, note = regions.resolve(row["nuts2_2021"])
                if note == "unknown":
                    problems.error(line, "nuts2_2021", f"unknown region code {row['nuts2_2021']!r}")
            if row["status"] == "withdrawn":
                # Withdrawn ROR records are registry mistakes or duplicates, not organisations.
                skipped_withdrawn += 1
                continue
            established = int(row["established"]) if row["established"].isdigit() else None
            website = row["website"] if row["website"].startswith(("http://", "https://")) else ""
            acronyms = "|".join(a for a in row["acronyms"].split("|") if a)[:200]
            incoming[ror_id] = OrgData(
                legal_name=row["name"][:300],
                country_code=row["country_code"],
                names=parse_labels(row["labels_lang"]),
                org_type=ror_type(row["types"]),
                city=row["city"][:120],
                nuts3_id=regions.ids.get(nuts3) if nuts3 else None,
                nuts2_id=regions.ids.get(nuts2) if nuts2 else None,
                nuts3_code=nuts3 or "",
                latitude=lat,
                longitude=lng,
                website=website[:300],
                acronyms=acronyms,
                short_name=acronyms.split("|")[0][:100] if acronyms else "",
                established=established if established and 1000 < established < 2100 else None,
                is_active=row["status"] == "active",
                aliases=[a for a in row["aliases"].split("|") if a],
            )
        problems.raise_if_errors()

        bar = progress_bar(len(incoming), "ROR organisations", quiet)
        region_codes = {v: k for k, v in regions.ids.items()}
        up = upsert_organisations("ror", "ror_id", incoming, run, region_codes, bar.update)
        bar.close()
        refresh_search_text(up.touched)
        stats = {
            "rows": len(rows),
            "withdrawn_skipped": skipped_withdrawn,
            **up.as_dict(),
            "resolution": up.resolution.summary(),
        }
        return stats, problems.warnings

    return run_import("ror", file_path, work, actor)
