"""Regional indicators: Eurostat imports, and indicators computed from the platform's own data.

Import (``run_indicator_import``): each file is read by the pure parser
(``alpsbio.survey.analysis.eurostat``: the TSV dissemination format or the long CSV format),
older NUTS codes are recoded to NUTS 2021 with Eurostat's correspondence tables (bundled with
the analysis package) and, for codes those tables do not know, with the directory's
``RegionCodeAlias`` rows (``alpsbio.directory.regions.resolve_region_code``). The import is
atomic: a malformed file rejects the whole run with its file and line; rows that cannot be
placed (aggregates such as ``EU27_2020``, split regions) are skipped and reported, row by row.

Platform indicators (``platform_indicators``) are counted per NUTS-2 region from the directory:
actors by type and by sector, EU project participations and EU funding (CORDIS), and
collaboration links inside the region, with the other member regions and abroad.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum

from alpsbio.core.audit import record
from alpsbio.core.i18n import localized
from alpsbio.directory.models import Organisation, Participation, Region
from alpsbio.survey.analysis import eurostat
from alpsbio.survey.models import Indicator, IndicatorImport, IndicatorValue

logger = logging.getLogger("alpsbio.survey")

SEED_DIR = Path(__file__).with_name("seed")
# Compact extracts of the shared Eurostat files (Source: Eurostat), used by the demo when the
# shared data folder is absent: see seed/README.md.
DEMO_EXTRACTS = (
    SEED_DIR / "eurostat_extract.csv.gz",
    SEED_DIR / "rd_p_persreg_subset_extract.csv.gz",
)
MAX_REPORT_ROWS = 500
BATCH = 2000

# The member regions of the cluster (NUTS 2021), used when the directory has none flagged.
MEMBER_REGIONS: tuple[str, ...] = ("FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE21")

# Labels of the indicators the demo and the pages use, in the four languages. Others keep
# Eurostat's English label.
KNOWN_INDICATORS: dict[str, dict[str, Any]] = {
    "tgs00003": {
        "label": {
            "en": "Regional gross domestic product",
            "fr": "Produit intérieur brut régional",
            "it": "Prodotto interno lordo regionale",
            "de": "Regionales Bruttoinlandsprodukt",
        },
        "higher_is_better": True,
    },
    "tgs00096": {
        "label": {
            "en": "Population on 1 January",
            "fr": "Population au 1er janvier",
            "it": "Popolazione al 1° gennaio",
            "de": "Bevölkerung am 1. Januar",
        },
        "higher_is_better": None,
    },
    "tgs00010": {
        "label": {
            "en": "Unemployment rate",
            "fr": "Taux de chômage",
            "it": "Tasso di disoccupazione",
            "de": "Arbeitslosenquote",
        },
        "higher_is_better": False,
    },
    "tgs00040": {
        "label": {
            "en": "Patent applications to the EPO per million inhabitants",
            "fr": "Demandes de brevets auprès de l'OEB par million d'habitants",
            "it": "Domande di brevetto all'UEB per milione di abitanti",
            "de": "Patentanmeldungen beim EPA je Million Einwohner",
        },
        "higher_is_better": True,
    },
    "tgs00026": {
        "label": {
            "en": "Disposable income of private households per inhabitant",
            "fr": "Revenu disponible des ménages par habitant",
            "it": "Reddito disponibile delle famiglie per abitante",
            "de": "Verfügbares Einkommen der privaten Haushalte je Einwohner",
        },
        "higher_is_better": True,
    },
    "tsc00011": {
        "label": {
            "en": "Employment in high-tech manufacturing and knowledge-intensive services",
            "fr": "Emploi dans l'industrie de haute technologie et les services à forte intensité de savoir",
            "it": "Occupazione nella manifattura ad alta tecnologia e nei servizi ad alta intensità di conoscenza",
            "de": "Beschäftigung in Hochtechnologie-Industrie und wissensintensiven Dienstleistungen",
        },
        "higher_is_better": True,
    },
    "tgs00101": {
        "label": {
            "en": "Life expectancy at birth",
            "fr": "Espérance de vie à la naissance",
            "it": "Speranza di vita alla nascita",
            "de": "Lebenserwartung bei der Geburt",
        },
        "higher_is_better": True,
    },
    "tgs00049": {
        "label": {
            "en": "Households with broadband access",
            "fr": "Ménages disposant d'un accès haut débit",
            "it": "Famiglie con accesso a banda larga",
            "de": "Haushalte mit Breitbandzugang",
        },
        "higher_is_better": True,
    },
    "rd_p_persreg": {
        "label": {
            "en": "R&D personnel and researchers",
            "fr": "Personnel de R&D et chercheurs",
            "it": "Personale di R&S e ricercatori",
            "de": "FuE-Personal und Forscher",
        },
        "higher_is_better": True,
    },
}

# What the pages and the report show by default: (indicator, unit, dims).
DEFAULT_SERIES: tuple[tuple[str, str, str], ...] = (
    ("tgs00003", "MIO_EUR", ""),
    ("tgs00096", "NR", "sex=T;age=TOTAL"),
    ("tgs00026", "PPS_HAB", "na_item=B6N;direct=BAL"),
    ("tgs00010", "PC", "sex=T;age=Y_GE15"),
    ("tgs00040", "P_MHAB", ""),
    ("tsc00011", "PC_EMP", "nace_r2=C_HTC_MH;sex=T"),
    ("rd_p_persreg", "FTE", "prof_pos=TOTAL;sex=T;sectperf=TOTAL"),
)


# --- import ---------------------------------------------------------------------------------


class IndicatorImportRejected(ValidationError):
    """The files could not be read; nothing was stored. ``run`` holds the report."""

    def __init__(self, run: IndicatorImport) -> None:
        self.run = run
        first = run.report[0] if run.report else {"message": "rejected"}
        super().__init__(
            f"{first.get('file', '')}, line {first.get('line', '?')}: {first.get('message', '')}"
        )


@dataclass
class _Report:
    rows: list[dict[str, Any]] = field(default_factory=list)
    truncated: int = 0

    def add(self, level: str, file: str, line: int | None, message: str, geo: str = "") -> None:
        if len(self.rows) >= MAX_REPORT_ROWS:
            self.truncated += 1
            return
        self.rows.append(
            {"level": level, "file": file, "line": line, "geo": geo, "message": message}
        )


def _indicator_from_name(path: Path) -> str:
    """``rd_p_persreg_subset_2009_2018.csv`` → ``rd_p_persreg``; ``tgs00010.tsv.gz`` → ``tgs00010``."""
    stem = path.name.split(".")[0]
    stem = re.split(r"_subset|_\d{4}", stem)[0]
    return stem or "unknown"


def _is_tsv(path: Path) -> bool:
    import gzip

    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    return "\t" in first and "\\" in first


def read_indicator_file(path: Path, indicator: str | None = None) -> pd.DataFrame:
    """One file into the tidy table, plus ``src_line`` (the line in the file, 1-based)."""
    if _is_tsv(path):
        frame = eurostat.read_eurostat_tsv(path, indicator=indicator)
        n_years = max(frame["period"].nunique(), 1)
        frame = frame.assign(src_line=2 + np.arange(len(frame)) // n_years)
    else:
        header = pd.read_csv(path, nrows=0).columns.str.strip().str.lower()
        has_column = "input_var_code" in header
        frame = eurostat.read_eurostat_csv(
            path,
            indicator=None
            if has_column and indicator is None
            else (indicator or _indicator_from_name(path)),
        )
        frame = frame.assign(src_line=2 + np.arange(len(frame)))
    return frame


@lru_cache(maxsize=1)
def _bundled_recoding() -> eurostat.NutsRecoding:
    return eurostat.bundled_recoding()


def _alias_resolver() -> Any:
    try:
        from alpsbio.directory.regions import resolve_region_code
    except ImportError:  # pragma: no cover - the directory helper ships with the directory app
        return None
    return resolve_region_code


def run_indicator_import(
    paths: Sequence[str | Path],
    actor: Any = None,
    indicator: str | None = None,
    allow_boundary_changes: bool = True,
    dry_run: bool = False,
) -> IndicatorImport:
    """Import Eurostat files atomically; returns the stored ``IndicatorImport`` with its report.

    Raises ``IndicatorImportRejected`` (nothing stored, the run and its report are kept) when a
    file cannot be read.
    """
    report = _Report()
    files = [Path(p) for p in paths]
    frames: list[pd.DataFrame] = []
    labels: dict[str, str] = {}
    for path in files:
        name = path.name
        if not path.exists():
            report.add("error", name, None, "file not found")
            continue
        try:
            frame = read_indicator_file(path, indicator)
        except eurostat.EurostatFormatError as exc:
            report.add("error", name, exc.line, str(exc).split(": ", 1)[-1])
            continue
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            report.add("error", name, None, f"cannot read the file: {exc}")
            continue
        frame["src_file"] = name
        frames.append(frame)
        if not _is_tsv(path):
            with contextlib.suppress(ValueError, KeyError):
                labels.update(eurostat.read_eurostat_labels(path))
    started_by = actor if getattr(actor, "is_authenticated", False) else None
    file_names = ", ".join(p.name for p in files)[:500]
    if any(r["level"] == "error" for r in report.rows) or not frames:
        if not frames and not report.rows:
            report.add("error", file_names, None, "no file given")
        run = IndicatorImport.objects.create(
            started_by=started_by,
            files=file_names,
            succeeded=False,
            report=report.rows,
            stats={"errors": len(report.rows)},
        )
        raise IndicatorImportRejected(run)

    data = pd.concat(frames, ignore_index=True)
    rows_read = len(data)
    recoding = _bundled_recoding()
    recoded, recode_report = eurostat.recode_to_nuts2021(
        data, recoding, allow_boundary_changes=allow_boundary_changes, keep_unknown=True
    )
    for r in recode_report.rows.itertuples(index=False):
        if r.action == "kept_not_nuts":
            continue  # handled below, row by row
        report.add(
            "warning" if r.action.startswith("dropped") else "info",
            "",
            None,
            f"{r.action}: {r.code_from} → {r.code_to or '-'} ({r.reason}), {r.n_rows} rows",
            str(r.code_from),
        )
    # Codes neither NUTS 2021 nor in Eurostat's tables: try the directory's aliases.
    valid = recoding.valid_2021
    resolver = _alias_resolver()
    unknown = sorted(set(recoded.loc[~recoded["geo"].isin(list(valid)), "geo"]))
    alias_map: dict[str, str] = {}
    if resolver is not None:
        for code in unknown:
            if re.fullmatch(r"[A-Z]{2}[0-9A-Z]{0,3}", code):
                region = resolver(code)
                if region is not None:
                    alias_map[code] = region.code
    if alias_map:
        recoded["geo"] = recoded["geo"].map(lambda g: alias_map.get(g, g))
    placeable = recoded["geo"].isin(list(valid)) | recoded["geo"].isin(list(alias_map.values()))
    for r in recoded[~placeable].itertuples(index=False):
        report.add(
            "warning",
            str(r.src_file),
            int(r.src_line),
            "not a NUTS 2021 region: skipped",
            str(r.geo),
        )
    recoded = recoded[placeable]
    missing = recoded["value"].isna() & (recoded["flag"] == "")
    recoded = recoded[~missing]
    # Two files may hold the same observation: the later file wins, and this is reported.
    dup = recoded.duplicated(["indicator", "unit", "dims", "geo", "year"], keep="last")
    for r in recoded[dup].itertuples(index=False):
        report.add(
            "warning",
            str(r.src_file),
            int(r.src_line),
            "duplicate observation: a later row wins",
            str(r.geo),
        )
    recoded = recoded[~dup]
    stats: dict[str, Any] = {
        "files": len(files),
        "rows_read": rows_read,
        "stored": len(recoded),
        "missing_values": int(missing.sum()),
        "skipped_not_nuts": int((~placeable).sum()),
        "recoding": recode_report.summary(),
        "indicators": sorted(set(recoded["indicator"])),
        "report_truncated": report.truncated,
    }
    with transaction.atomic():
        indicators = _ensure_indicators(sorted(set(recoded["indicator"])), labels)
        if not dry_run:
            _store_values(recoded, indicators)
        run = IndicatorImport.objects.create(
            started_by=started_by,
            files=file_names,
            succeeded=True,
            stats=stats,
            report=report.rows,
        )
        record("indicators.import", run, actor, f"{len(recoded)} values from {file_names}", stats)
        if dry_run:
            transaction.set_rollback(True)
    return run


def _ensure_indicators(codes: Sequence[str], labels: dict[str, str]) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for code in codes:
        known = KNOWN_INDICATORS.get(code, {})
        label = dict(known.get("label") or {"en": labels.get(code, code)})
        ind, created = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "source": "Eurostat",
                "higher_is_better": known.get("higher_is_better"),
            },
        )
        if not created and not ind.label and label:
            ind.label = label
            ind.save(update_fields=["label"])
        out[code] = ind
    return out


def _store_values(data: pd.DataFrame, indicators: dict[str, Indicator]) -> None:
    objs = [
        IndicatorValue(
            indicator=indicators[str(r.indicator)],
            unit=str(r.unit)[:40],
            dims=str(r.dims)[:200],
            region_code=str(r.geo),
            year=int(r.year),
            value=None if pd.isna(r.value) else float(r.value),
            flag=str(r.flag)[:8],
            original_code=str(r.geo_original)[:12] if r.geo_original != r.geo else "",
            source="Eurostat",
        )
        for r in data.itertuples(index=False)
    ]
    for i in range(0, len(objs), BATCH):
        IndicatorValue.objects.bulk_create(
            objs[i : i + BATCH],
            update_conflicts=True,
            unique_fields=["indicator", "unit", "dims", "region_code", "year"],
            update_fields=["value", "flag", "original_code", "source"],
        )


def demo_indicator_files() -> list[Path]:
    """The real Eurostat files when the shared data folder exists, else the shipped extract."""
    data_dir = Path(getattr(settings, "ALPSBIO_DATA_DIR", "")) / "eurostat"
    files = sorted(data_dir.glob("*.csv")) if data_dir.is_dir() else []
    if files:
        return files
    return [p for p in DEMO_EXTRACTS if p.exists()]


# --- reading stored indicators --------------------------------------------------------------


def indicator_frame(codes: Sequence[str] | None = None, level: int | None = None) -> pd.DataFrame:
    """Stored values as the analysis's tidy table (indicator, unit, geo, year, period, value,
    flag, dims)."""
    qs = IndicatorValue.objects.select_related(None)
    if codes:
        qs = qs.filter(indicator__code__in=list(codes))
    rows = list(
        qs.values_list("indicator__code", "unit", "region_code", "year", "value", "flag", "dims")
    )
    frame = pd.DataFrame(
        rows, columns=["indicator", "unit", "geo", "year", "value", "flag", "dims"]
    )
    if level is not None:
        frame = frame[frame["geo"].str.len() == level + 2]
    frame["period"] = frame["year"].astype(str)
    frame["value"] = frame["value"].astype(float)
    return frame[["indicator", "unit", "geo", "year", "period", "value", "flag", "dims"]]


def series_choices() -> list[dict[str, Any]]:
    """The (indicator, unit, dims) series stored for NUTS-2 regions, for pickers."""
    rows = (
        IndicatorValue.objects.filter(value__isnull=False)
        .values("indicator__code", "indicator__label", "unit", "dims")
        .annotate(n=Count("id"))
        .order_by("indicator__code", "unit", "dims")
    )
    return [
        {
            "indicator": r["indicator__code"],
            "label": localized(r["indicator__label"]) or r["indicator__code"],
            "unit": r["unit"],
            "dims": r["dims"],
            "n": r["n"],
            "key": series_key(r["indicator__code"], r["unit"], r["dims"]),
        }
        for r in rows
    ]


def series_key(indicator: str, unit: str, dims: str) -> str:
    return "|".join([indicator, unit, dims])


def parse_series_key(key: str) -> tuple[str, str, str]:
    parts = (key or "").split("|")
    if len(parts) != 3 or not parts[0]:
        raise ValueError("expected indicator|unit|dims")
    return parts[0], parts[1], parts[2]


def latest_values(
    indicator: str, unit: str, dims: str, level: int = 2
) -> tuple[int | None, dict[str, float]]:
    """The most recent year with data for most regions, and its value per region."""
    qs = IndicatorValue.objects.filter(
        indicator__code=indicator, unit=unit, dims=dims, value__isnull=False
    )
    rows = list(qs.values_list("region_code", "year", "value"))
    rows = [r for r in rows if len(r[0]) == level + 2]
    if not rows:
        return None, {}
    counts: dict[int, int] = {}
    for _code, year, _value in rows:
        counts[year] = counts.get(year, 0) + 1
    best = max(counts.values())
    # The latest year that covers at least 80 % of the best-covered year's regions.
    year = max(y for y, n in counts.items() if n >= 0.8 * best)
    return year, {code: float(v) for code, y, v in rows if y == year and v is not None}


# --- indicators computed from the platform's own data ---------------------------------------


def _region_of_orgs() -> pd.DataFrame:
    rows = list(
        Organisation.objects.filter(is_active=True)
        .exclude(validation_status="rejected")
        .values_list("pk", "nuts2__code", "org_type", "country_code")
    )
    return pd.DataFrame(rows, columns=["org", "region", "type", "country"])


def org_sectors() -> tuple[pd.DataFrame, str]:
    """Organisation → sector rows and which vocabulary was used.

    The cluster's sectors when organisations carry them; otherwise NACE divisions; otherwise
    the organisation type (said so in the output, so that no one mistakes it for a sector).
    """
    through = Organisation.sectors.through
    rows = list(through.objects.values_list("organisation_id", "sector__slug"))
    if rows:
        return pd.DataFrame(rows, columns=["org", "sector"]), "sector"
    nace_through = Organisation.nace_codes.through
    nace = list(nace_through.objects.values_list("organisation_id", "nacecode__code"))
    if nace:
        df = pd.DataFrame(nace, columns=["org", "sector"])
        df["sector"] = df["sector"].str.replace(".", "", regex=False).str[:2]
        return df.drop_duplicates(), "nace_division"
    orgs = _region_of_orgs()
    return orgs[["org", "type"]].rename(columns={"type": "sector"}), "org_type"


def participations_frame() -> pd.DataFrame:
    """Who took part in which EU project: columns project, org (the network's input)."""
    rows = list(Participation.objects.values_list("project_id", "organisation_id"))
    return pd.DataFrame(rows, columns=["project", "org"])


def member_region_codes() -> list[str]:
    codes = list(
        Region.objects.filter(is_member=True, level=2)
        .order_by("code")
        .values_list("code", flat=True)
    )
    return codes or list(MEMBER_REGIONS)


@dataclass
class PlatformIndicators:
    """Counts per NUTS-2 region from the directory (see the module docstring)."""

    actors_by_type: pd.DataFrame  # region x type
    actors_by_sector: pd.DataFrame  # region x sector
    sector_vocabulary: str
    participations: pd.DataFrame  # region: participations, projects, eu_funding (Decimal)
    links: pd.DataFrame  # region: links_total, links_inside, links_with_members, links_abroad


def platform_indicators(network_summary: pd.DataFrame | None = None) -> PlatformIndicators:
    orgs = _region_of_orgs()
    orgs = orgs[orgs["region"].notna()]
    by_type = (
        orgs.pivot_table(
            index="region", columns="type", values="org", aggfunc="count", fill_value=0
        )
        if not orgs.empty
        else pd.DataFrame()
    )
    sectors, vocabulary = org_sectors()
    sec = sectors.merge(orgs[["org", "region"]], on="org")
    by_sector = (
        sec.pivot_table(
            index="region", columns="sector", values="org", aggfunc="count", fill_value=0
        )
        if not sec.empty
        else pd.DataFrame()
    )
    part_rows = (
        Participation.objects.filter(organisation__nuts2__isnull=False)
        .values("organisation__nuts2__code")
        .annotate(
            participations=Count("id"),
            projects=Count("project", distinct=True),
            eu_funding=Sum("contribution"),
        )
        .order_by("organisation__nuts2__code")
    )
    parts = pd.DataFrame(
        [
            {
                "region": r["organisation__nuts2__code"],
                "participations": r["participations"],
                "projects": r["projects"],
                "eu_funding": r["eu_funding"] if r["eu_funding"] is not None else Decimal("0"),
            }
            for r in part_rows
        ],
        columns=["region", "participations", "projects", "eu_funding"],
    )
    links = (
        network_summary[
            ["region", "links_total", "links_inside", "links_with_members", "links_abroad"]
        ]
        if network_summary is not None and not network_summary.empty
        else pd.DataFrame(
            columns=["region", "links_total", "links_inside", "links_with_members", "links_abroad"]
        )
    )
    return PlatformIndicators(by_type, by_sector, vocabulary, parts, links)
