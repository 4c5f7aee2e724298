"""CORDIS organisations: FP7 organisations (2018) joined with the H2020 participant table (2017)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings

from alpsbio.directory.importers.base import (
    ImportResult,
    Problems,
    RowError,
    check_required,
    check_unique,
    progress_bar,
    read_csv,
    run_import,
    undo_mojibake,
)
from alpsbio.directory.importers.nuts import RegionIndex
from alpsbio.directory.importers.orgs import CORDIS_TYPE_MAP, OrgData, upsert_organisations
from alpsbio.directory.models import ImportRun
from alpsbio.directory.search_text import refresh_search_text

DEFAULT_FILE = "cordis/cordis_orgs_merged_by_pic.csv"
COLUMNS = (
    "pic", "name", "short_name", "country", "city", "street", "postcode",
    "nuts3_2021_from_postcode", "activity_type_h2020",
)  # fmt: skip
PIC = re.compile(r"^\d{9}$")
# Free text that the extract sometimes carries as UTF-8 read in the wrong code page.
TEXT_COLUMNS = ("name", "short_name", "city", "street")
REPORTED_REPAIRS = 20


def default_path() -> Path:
    return Path(settings.ALPSBIO_DATA_DIR) / DEFAULT_FILE


def import_cordis_orgs(
    path: Path | str | None = None, quiet: bool = True, actor: Any = None
) -> ImportResult:
    """Import (or refresh) CORDIS organisations keyed by PIC; merge those known from ROR."""
    file_path = Path(path) if path else default_path()

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        problems = Problems(str(file_path))
        regions = RegionIndex()
        if not regions:
            problems.error(None, None, "no NUTS regions in the database: run import_nuts first")
            problems.raise_if_errors()
        rows = read_csv(file_path, COLUMNS, problems)
        check_required(rows, ("name",), problems)
        check_unique(rows, lambda r: r["pic"], "pic", problems)
        incoming: dict[str, OrgData] = {}
        no_country = 0
        repaired = 0
        for line, row in rows:
            for column in TEXT_COLUMNS:
                fixed = undo_mojibake(row[column])
                if fixed != row[column]:
                    repaired += 1
                    # A few examples in the report; the count is in the stats, so ~800 of
                    # them do not crowd out the warnings a manager must act on.
                    if repaired <= REPORTED_REPAIRS:
                        problems.warning(
                            line, column, f"garbled accents repaired: {row[column]!r} → {fixed!r}"
                        )
                    row[column] = fixed
            pic = row["pic"]
            if not pic:
                # One real row (KAYSER ITALIA) has no PIC: it cannot be joined to any project.
                problems.warning(line, "pic", "empty: organisation skipped")
                no_country += 1
                continue
            if not row["country"]:
                # Seven real CORDIS rows have no country: they cannot be placed; skip, report.
                problems.warning(line, "country", "empty: organisation skipped")
                no_country += 1
                continue
            if pic and not PIC.match(pic):
                problems.error(line, "pic", f"a PIC has nine digits: {pic!r}")
            if row["country"] and not re.fullmatch(r"[A-Z]{2}", row["country"]):
                problems.error(line, "country", f"not a country code: {row['country']!r}")
            act = row["activity_type_h2020"]
            if act and act not in CORDIS_TYPE_MAP:
                problems.error(line, "activity_type_h2020", f"unknown activity type {act!r}")
            nuts3 = nuts2 = None
            code = row["nuts3_2021_from_postcode"]
            if code:
                nuts3, nuts2, note = regions.resolve(code)
                if note == "unknown":
                    problems.error(
                        line, "nuts3_2021_from_postcode", f"unknown region code {code!r}"
                    )
                elif note == "parent":
                    problems.warning(
                        line,
                        "nuts3_2021_from_postcode",
                        f"{code} is not a NUTS 2021 code (newer NUTS): placed in {nuts2} only",
                    )
            short = row["short_name"][:100]
            incoming[pic] = OrgData(
                legal_name=row["name"][:300],
                country_code=row["country"],
                short_name=short,
                acronyms=short[:200],
                org_type=CORDIS_TYPE_MAP.get(act, ""),
                address=row["street"][:300],
                postcode=row["postcode"][:20],
                city=row["city"][:120],
                nuts3_id=regions.ids.get(nuts3) if nuts3 else None,
                nuts2_id=regions.ids.get(nuts2) if nuts2 else None,
                nuts3_code=nuts3 or "",
            )
        problems.raise_if_errors()

        bar = progress_bar(len(incoming), "CORDIS organisations", quiet)
        region_codes = {v: k for k, v in regions.ids.items()}
        up = upsert_organisations("cordis", "pic", incoming, run, region_codes, bar.update)
        bar.close()
        refresh_search_text(up.touched)
        stats = {
            "rows": len(rows),
            "skipped_no_pic_or_country": no_country,
            "repaired_encoding": repaired,
            **up.as_dict(),
            "resolution": up.resolution.summary(),
        }
        return stats, problems.warnings

    return run_import("cordis_orgs", file_path, work, actor)
