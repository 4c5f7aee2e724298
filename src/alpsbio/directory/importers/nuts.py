"""NUTS 2021 regions: codes and names, 1:60M boundaries, label points, types, older-code aliases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from alpsbio.directory.importers.base import (
    ImportResult,
    Problems,
    RowError,
    check_unique,
    progress_bar,
    read_csv,
    run_import,
    upsert,
)
from alpsbio.directory.models import ImportRun, Region, RegionCodeAlias

CODES_FILE = "codes/nuts2021_codes_names.csv"
GEOMETRY_FILE = "geo/NUTS_RG_60M_2021_4326.geojson"
LABELS_FILE = "geo/NUTS_LB_2021_4326.geojson"
CORRESPONDENCE_DIR = "codes/eurostat_correspondence"

# The cluster's member regions and the names the cluster uses for them.
MEMBER_REGIONS: dict[str, str] = {
    "FRK2": "Rhône-Alpes",
    "ITC4": "Lombardia",
    "ITC1": "Piemonte",
    "CH01": "Région lémanique (Western Switzerland)",
    "CH02": "Espace Mittelland (Western Switzerland)",
    "AT33": "Tirol",
    "DE2": "Bayern",
    "DE21": "Oberbayern",
}
# NUTS-2 codes whose organisations belong to the cluster (DE2 is NUTS-1: all of Bavaria).
MEMBER_PREFIXES: tuple[str, ...] = ("FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE2")

NUTS_CODE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
COORD_DECIMALS = 4


def default_path() -> Path:
    return Path(settings.ALPSBIO_DATA_DIR) / "nuts"


def round_coords(value: Any, ndigits: int = COORD_DECIMALS) -> Any:
    """Round every number of a GeoJSON coordinate array (1:60M has no meaningful 5th decimal)."""
    if isinstance(value, list):
        return [round_coords(v, ndigits) for v in value]
    if isinstance(value, float):
        return round(value, ndigits)
    return value


def is_member_code(code: str) -> bool:
    return any(code.startswith(p) for p in MEMBER_PREFIXES)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _load_geojson(path: Path, problems: Problems) -> dict[str, dict[str, Any]]:
    if not path.exists():
        problems.error(None, None, f"missing file {path.name}")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {f["properties"]["NUTS_ID"]: f for f in data["features"]}
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        problems.error(None, None, f"{path.name} is not NUTS GeoJSON: {exc}")
        return {}


# --- Eurostat correspondence tables ------------------------------------------------------------


@dataclass(frozen=True)
class CodeChange:
    old: str
    new: str
    change: str


def _sheet_rows(path: Path, sheet: str) -> Iterable[tuple[Any, ...]]:
    if path.suffix == ".xls":
        import xlrd  # only the 2010→2013 table is in the old format

        book = xlrd.open_workbook(str(path), on_demand=True)
        sh = book.sheet_by_name(sheet)
        for i in range(sh.nrows):
            yield tuple(sh.row_values(i))
        book.release_resources()
    else:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            yield from wb[sheet].iter_rows(values_only=True)
        finally:
            wb.close()


def _sheet_names(path: Path) -> list[str]:
    if path.suffix == ".xls":
        import xlrd

        return list(xlrd.open_workbook(str(path), on_demand=True).sheet_names())
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _code(value: Any) -> str:
    text = str(value or "").strip().replace(" ", "")
    return text if NUTS_CODE.match(text) else ""


# (file, version from, version to, sheets with (old col, new col, change cols))
CORRESPONDENCE_TABLES: tuple[
    tuple[str, int, int, tuple[tuple[str, int, int, tuple[int, ...]], ...]], ...
] = (
    (
        "NUTS2010-NUTS2013.xls",
        2010,
        2013,
        (
            ("NUTS2010-NUTS2013", 1, 2, (7,)),
            ("Correspondence NUTS-2", 0, 1, (3,)),
            ("Correspondence NUTS-3", 0, 1, (3,)),
        ),
    ),
    (
        "NUTS2013-NUTS2016.xlsx",
        2013,
        2016,
        (
            ("NUTS2013-NUTS2016", 1, 2, (7,)),
            ("Correspondence NUTS-2", 0, 1, (3,)),
            ("Correspondence NUTS-3", 0, 1, (3,)),
        ),
    ),
    (
        "NUTS2016-NUTS2021.xlsx",
        2016,
        2021,
        (
            ("Changes detailed NUTS 2016-2021", 0, 1, (6, 7)),
            ("Changes NUTS-2", 0, 1, (3,)),
            ("Changes NUTS-3", 0, 1, (3,)),
        ),
    ),
)


def read_correspondence(
    folder: Path, problems: Problems
) -> tuple[dict[int, dict[str, CodeChange]], dict[int, set[str]]]:
    """Per source version: old code → (new code, change); and the codes valid in each version."""
    maps: dict[int, dict[str, CodeChange]] = {}
    valid: dict[int, set[str]] = {}
    for file_name, v_from, v_to, sheets in CORRESPONDENCE_TABLES:
        path = folder / file_name
        if not path.exists():
            problems.warning(None, None, f"{file_name} missing: codes of {v_from} not aliased")
            continue
        mapping = maps.setdefault(v_from, {})
        valid.setdefault(v_from, set())
        valid.setdefault(v_to, set())
        try:
            for n, (sheet, c_old, c_new, c_change) in enumerate(sheets):
                if n > 0 and sheet not in _sheet_names(path):
                    continue  # the per-level sheets only repeat the main one's changes
                for row in _sheet_rows(path, sheet):
                    if len(row) <= max(c_old, c_new):
                        continue
                    old, new = _code(row[c_old]), _code(row[c_new])
                    if old:
                        valid[v_from].add(old)
                    if new:
                        valid[v_to].add(new)
                    if old and new and (old != new or old not in mapping):
                        change = " ".join(
                            str(row[c]).strip() for c in c_change if c < len(row) and row[c]
                        )
                        if old != new or old not in mapping:
                            mapping[old] = CodeChange(old, new, change[:100])
        except Exception as exc:  # a damaged workbook: report, do not crash the import
            problems.error(None, None, f"{file_name}: cannot read ({type(exc).__name__}: {exc})")
    return maps, valid


def alias_pairs(
    maps: dict[int, dict[str, CodeChange]], codes_2021: set[str]
) -> list[tuple[str, int, str, str]]:
    """(old code, version, 2021 code, change) for every older code that is not itself a 2021 code."""
    versions = sorted(maps)
    pairs: list[tuple[str, int, str, str]] = []
    for i, version in enumerate(versions):
        for old, step in maps[version].items():
            code, changes = step.new, [step.change] if step.change else []
            for later in versions[i + 1 :]:
                nxt = maps[later].get(code)
                if nxt is None:
                    break
                code = nxt.new
                if nxt.change:
                    changes.append(nxt.change)
            if code in codes_2021 and old != code and old not in codes_2021:
                pairs.append((old, version, code, "; ".join(changes)[:100]))
    return pairs


# --- The import ----------------------------------------------------------------------------------


def import_nuts(
    path: Path | str | None = None, quiet: bool = True, actor: Any = None
) -> ImportResult:
    """Import (or refresh) all NUTS 2021 regions, their boundaries and older-code aliases."""
    base = Path(path) if path else default_path()

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        codes_path = base / CODES_FILE
        problems = Problems(str(codes_path))
        rows = read_csv(codes_path, ["code_2021", "level", "name"], problems)
        geo = _load_geojson(base / GEOMETRY_FILE, problems)
        labels = _load_geojson(base / LABELS_FILE, problems)
        kept_rows = []
        for line, row in rows:
            code, level = row["code_2021"], row["level"]
            if not NUTS_CODE.match(code) and not level and not row["name"]:
                # Eurostat's sheet has a heading row before the EFTA/candidate countries.
                problems.warning(line, "code_2021", f"heading row skipped: {code[:60]!r}")
                continue
            kept_rows.append((line, row))
            if not NUTS_CODE.match(code):
                problems.error(line, "code_2021", f"not a NUTS code: {code!r}")
                continue
            if level == "" and 2 <= len(code) <= 5:
                # Eurostat's own table leaves a few levels blank (BE328); the code says it.
                row["level"] = level = str(len(code) - 2)
                problems.warning(line, "level", f"empty; {level} from the code's length")
            if level not in {"0", "1", "2", "3"}:
                problems.error(line, "level", f"level must be 0-3, not {level!r}")
            elif len(code) != int(level) + 2:
                problems.error(line, "level", f"code {code} does not have level {level}")
            if not row["name"]:
                feature = geo.get(code) or labels.get(code)
                name = str(feature["properties"].get("NUTS_NAME") or "") if feature else ""
                if name:
                    row["name"] = name
                    problems.warning(line, "name", f"empty; {name!r} from the GISCO boundaries")
                else:
                    problems.error(line, "name", "required value is empty")
        rows = kept_rows
        check_unique(rows, lambda r: r["code_2021"], "code_2021", problems)
        problems.raise_if_errors()

        maps, _valid = read_correspondence(base / CORRESPONDENCE_DIR, problems)
        problems.raise_if_errors()

        codes = {row["code_2021"] for _, row in rows}
        for code in codes:
            parent = code[:-1]
            if len(code) > 2 and parent not in codes:
                problems.error(None, "code_2021", f"{code}: parent {parent} is not in the file")
        problems.raise_if_errors()

        values: dict[str, dict[str, Any]] = {}
        for _, row in rows:
            code = row["code_2021"]
            feature = geo.get(code) or labels.get(code)
            props = feature["properties"] if feature else {}
            label = labels.get(code)
            point = label["geometry"]["coordinates"] if label else None
            values[code] = {
                "level": int(row["level"]),
                "country_code": code[:2],
                "name": row["name"][:200],
                "name_latin": str(props.get("NAME_LATN") or "")[:200],
                "is_member": code in MEMBER_REGIONS,
                "member_label": MEMBER_REGIONS.get(code, ""),
                "mount_type": _int_or_none(props.get("MOUNT_TYPE")),
                "urban_type": _int_or_none(props.get("URBN_TYPE")),
                "coast_type": _int_or_none(props.get("COAST_TYPE")),
                "label_lat": round(point[1], 5) if point else None,
                "label_lng": round(point[0], 5) if point else None,
                "geometry": round_coords(geo[code]["geometry"]) if code in geo else None,
            }
        fields = list(next(iter(values.values())).keys()) if values else []
        bar = progress_bar(len(values) * 2, "NUTS regions", quiet)
        by_code, created, updated = upsert(Region, "code", values, fields, bar.update)
        # Parents by code prefix: FRK24 → FRK2 → FRK → FR.
        reparent = []
        for code, region in by_code.items():
            parent_region = by_code.get(code[:-1]) if len(code) > 2 else None
            parent_id = parent_region.pk if parent_region else None
            if region.parent_id != parent_id:
                region.parent_id = parent_id
                reparent.append(region)
        Region.objects.bulk_update(reparent, ["parent"], batch_size=1000)
        bar.close()

        pairs = alias_pairs(maps, codes)
        existing = {
            (a.code, a.version): a for a in RegionCodeAlias.objects.select_related("region")
        }
        new_aliases = []
        changed = []
        for old, version, code_2021, change in pairs:
            region = by_code[code_2021]
            alias = existing.pop((old, version), None)
            if alias is None:
                new_aliases.append(
                    RegionCodeAlias(code=old, version=version, region=region, change=change)
                )
            elif alias.region_id != region.pk or alias.change != change:
                alias.region, alias.change = region, change
                changed.append(alias)
        RegionCodeAlias.objects.bulk_create(new_aliases, batch_size=1000)
        RegionCodeAlias.objects.bulk_update(changed, ["region", "change"], batch_size=1000)
        stale = [a.pk for a in existing.values()]
        RegionCodeAlias.objects.filter(pk__in=stale).delete()
        stats = {
            "rows": len(rows),
            "created": created,
            "updated": updated,
            "with_geometry": sum(1 for v in values.values() if v["geometry"]),
            "aliases": len(pairs),
            "aliases_created": len(new_aliases),
        }
        return stats, problems.warnings

    return run_import("nuts", base, work, actor)


# --- Resolving codes -------------------------------------------------------------------------


def resolve_region_code(code: str) -> Region | None:
    """The 2021 region for a NUTS code of any version: FR71 → FRK2, FR714 → FRK24; else None."""
    from alpsbio.directory.regions import resolve_region_code as resolve

    return resolve(code) if code else None


class RegionIndex:
    """All region codes and aliases in memory, for importers resolving thousands of codes."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = dict(Region.objects.values_list("code", "id"))
        self.levels: dict[str, int] = dict(Region.objects.values_list("code", "level"))
        self.alias: dict[str, str] = {}
        for old, new in RegionCodeAlias.objects.order_by("version").values_list(
            "code", "region__code"
        ):
            self.alias[old] = new  # later versions win

    def __bool__(self) -> bool:
        return bool(self.ids)

    def resolve(self, code: str) -> tuple[str | None, str | None, str]:
        """(NUTS-3 code, NUTS-2 code, note) for a code from a source file.

        ``note`` is "" for a 2021 code, "alias" for an older code, "parent" when only the NUTS-2
        prefix is known (CORDIS postcodes already carry a few NUTS 2024 codes such as DEG0T), and
        "unknown" when nothing matches.
        """
        code = (code or "").strip().upper()
        note = ""
        if code not in self.ids and code in self.alias:
            code, note = self.alias[code], "alias"
        if code in self.ids:
            level = self.levels[code]
            if level == 3:
                return code, code[:4], note
            if level == 2:
                return None, code, note
            return None, None, note
        if len(code) == 5 and code[:4] in self.ids:
            return None, code[:4], "parent"
        return None, None, "unknown"
