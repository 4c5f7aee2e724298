"""Eurostat regional statistics: parsing and NUTS recoding.

Two input formats are read into one tidy table with the columns of ``TIDY_COLUMNS``:

* the TSV *dissemination* format (bulk download / ``?format=TSV``): a header such as
  ``unit,geo\\time\\t2019 \\t2020 `` (or ``freq,unit,geo\\TIME_PERIOD\\t...``), one row per
  combination of dimensions, cells such as ``12.3``, ``12.3 p`` (value + flags) or ``:``
  (missing, possibly with a flag: ``: c``);
* the long CSV format (``unit,geo,time,values,...``) of the files under ``shared/data/eurostat``.

Older NUTS versions (2010, 2013, 2016) are recoded to NUTS 2021 with Eurostat's correspondence
tables. Only one-to-one changes are applied; splits, merges and discontinued regions are never
guessed but reported (see :class:`RecodeReport`).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["indicator", "unit", "geo", "year", "period", "value", "flag", "dims"]

# Eurostat observation flags (https://ec.europa.eu/eurostat/data/database/information):
# b break in series, c confidential, d definition differs, e estimated, f forecast,
# n not significant, p provisional, r revised, s Eurostat estimate, u low reliability,
# z not applicable. Flags may combine ("bp").
_FLAG_RE = re.compile(r"^[bcdefnprsuz]*$")
_CELL_RE = re.compile(
    r"^\s*(?P<num>:|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<flag>[a-z]*)\s*$"
)
# Annual "2019", quarterly "2019Q1", monthly "2019M01", half-year "2019S1", also "2019-Q1".
_PERIOD_RE = re.compile(r"^\d{4}(?:-?(?:Q[1-4]|M(?:0[1-9]|1[0-2])|S[12]))?$")
_TIME_KEYS = ("time", "time_period")


class EurostatFormatError(ValueError):
    """Malformed Eurostat input; the message names the file and the (1-based) line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        super().__init__(f"{source}, line {line}: {message}")


def _read_text(path_or_buffer: str | Path | io.TextIOBase) -> tuple[str, str]:
    if isinstance(path_or_buffer, str | Path):
        path = Path(path_or_buffer)
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig"), str(path)
    return path_or_buffer.read(), getattr(path_or_buffer, "name", "<stream>")


def _dims_string(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """'sex=T;age=Y_GE15' from the non-empty extra dimensions (stable column order)."""
    if not columns:
        return pd.Series("", index=frame.index, dtype=object)
    parts = [
        np.where(frame[c].isna() | (frame[c].astype(str) == ""), "", c + "=" + frame[c].astype(str))
        for c in columns
    ]
    joined = pd.Series([";".join(p for p in row if p) for row in zip(*parts, strict=True)])
    joined.index = frame.index
    return joined.astype(object)


def read_eurostat_tsv(
    path_or_buffer: str | Path | io.TextIOBase, indicator: str | None = None
) -> pd.DataFrame:
    """Parse Eurostat's TSV dissemination format into the tidy table.

    ``indicator`` defaults to the file name without extensions (``tgs00010.tsv.gz`` →
    ``tgs00010``), which is how Eurostat names its bulk files.
    """
    text, source = _read_text(path_or_buffer)
    if indicator is None:
        indicator = Path(source).name.split(".")[0] if source != "<stream>" else "unknown"
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise EurostatFormatError(source, 1, "empty file, expected a header like 'unit,geo\\time'")
    header = lines[0].split("\t")
    first = header[0]
    if "\\" not in first:
        raise EurostatFormatError(
            source, 1, f"header cell {first!r} lacks the 'dimensions\\time' separator"
        )
    dim_part, time_name = first.rsplit("\\", 1)
    if time_name.strip().lower() not in _TIME_KEYS:
        raise EurostatFormatError(source, 1, f"expected '\\time' in the header, got {time_name!r}")
    dims = [d.strip().lower() for d in dim_part.split(",")]
    if "geo" not in dims:
        raise EurostatFormatError(source, 1, f"no 'geo' dimension in {dims}")
    years: list[str] = []
    for label in header[1:]:
        label = label.strip()
        if not _PERIOD_RE.match(label):
            raise EurostatFormatError(source, 1, f"time column {label!r} is not a period like 2019")
        years.append(label.replace("-", ""))
    if not years:
        raise EurostatFormatError(source, 1, "no time columns")

    records: list[tuple[object, ...]] = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(years) + 1:
            raise EurostatFormatError(
                source,
                lineno,
                f"expected {len(years) + 1} tab-separated fields, found {len(cells)}",
            )
        keys = [k.strip() for k in cells[0].split(",")]
        if len(keys) != len(dims):
            raise EurostatFormatError(
                source,
                lineno,
                f"expected {len(dims)} dimension codes ({','.join(dims)}), found {len(keys)}",
            )
        key = dict(zip(dims, keys, strict=True))
        for year, cell in zip(years, cells[1:], strict=True):
            m = _CELL_RE.match(cell)
            if m is None:
                raise EurostatFormatError(
                    source, lineno, f"cannot read value {cell.strip()!r} for {year}"
                )
            flag = m.group("flag")
            if not _FLAG_RE.match(flag):
                raise EurostatFormatError(source, lineno, f"unknown flag {flag!r} for {year}")
            num = m.group("num")
            value = np.nan if num == ":" else float(num)
            records.append((key, year, value, flag, lineno))
    extra = [d for d in dims if d not in ("unit", "geo")]
    frame = pd.DataFrame(
        {
            "indicator": indicator,
            "unit": [r[0].get("unit", "") for r in records],  # type: ignore[attr-defined]
            "geo": [r[0]["geo"] for r in records],  # type: ignore[index]
            "year": np.array([int(str(r[1])[:4]) for r in records], dtype=np.int64),
            "period": [r[1] for r in records],
            "value": np.array([r[2] for r in records], dtype=np.float64),
            "flag": [r[3] for r in records],
        }
    )
    extra_frame = (
        pd.DataFrame([r[0] for r in records], columns=dims)
        if records
        else pd.DataFrame(columns=dims)
    )
    frame["dims"] = _dims_string(extra_frame, extra).to_numpy() if records else []
    _check_duplicates(frame, source, np.array([r[4] for r in records], dtype=np.int64))
    return frame[TIDY_COLUMNS]


_CSV_REQUIRED = ("geo", "time", "values")


def read_eurostat_csv(
    path_or_buffer: str | Path | io.TextIOBase,
    indicator_column: str = "input_var_code",
    indicator: str | None = None,
    ignore_columns: Iterable[str] = ("input_var_desc",),
) -> pd.DataFrame:
    """Parse the long CSV format (one observation per line) into the tidy table.

    Columns other than the indicator, unit, geo, time, values and ``ignore_columns`` are treated
    as dimensions and kept in ``dims``. ``values`` may carry flags (``12.3 p``) or be ``:``.
    """
    text, source = _read_text(path_or_buffer)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        raise EurostatFormatError(source, line, f"not a valid CSV: {exc}") from exc
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in _CSV_REQUIRED if c not in raw.columns]
    if missing:
        raise EurostatFormatError(
            source, 1, f"missing column(s) {missing}; header is {list(raw.columns)}"
        )
    if indicator is None and indicator_column not in raw.columns:
        raise EurostatFormatError(
            source, 1, f"no indicator column {indicator_column!r} and no indicator given"
        )
    ind = raw[indicator_column] if indicator is None else pd.Series(indicator, index=raw.index)
    # Empty cells and "NA" (R exports) mean missing, like Eurostat's ":".
    values = raw["values"].where(~raw["values"].str.strip().isin(["", "NA", "NaN"]), ":")
    cells = values.str.extract(_CELL_RE)
    bad = cells["num"].isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise EurostatFormatError(source, i + 2, f"cannot read value {raw['values'].iloc[i]!r}")
    badflag = ~cells["flag"].str.match(_FLAG_RE.pattern)
    if badflag.any():
        i = int(np.flatnonzero(badflag.to_numpy())[0])
        raise EurostatFormatError(source, i + 2, f"unknown flag {cells['flag'].iloc[i]!r}")
    period = raw["time"].str.strip().str.replace("-", "", regex=False)
    badyear = ~period.str.match(_PERIOD_RE.pattern)
    if badyear.any():
        i = int(np.flatnonzero(badyear.to_numpy())[0])
        raise EurostatFormatError(
            source, i + 2, f"time {raw['time'].iloc[i]!r} is not a period like 2019"
        )
    badgeo = raw["geo"].str.strip() == ""
    if badgeo.any():
        i = int(np.flatnonzero(badgeo.to_numpy())[0])
        raise EurostatFormatError(source, i + 2, "empty geo code")
    skip = {indicator_column, "unit", "geo", "time", "values", *ignore_columns}
    extra = [c for c in raw.columns if c not in skip]
    num = cells["num"].to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "indicator": ind.astype(object).to_numpy(),
            "unit": (raw["unit"] if "unit" in raw.columns else pd.Series("", index=raw.index))
            .astype(object)
            .to_numpy(),
            "geo": raw["geo"].str.strip().astype(object).to_numpy(),
            "year": period.str[:4].astype(np.int64).to_numpy(),
            "period": period.astype(object).to_numpy(),
            "value": np.where(num == ":", np.nan, num).astype(np.float64),
            "flag": cells["flag"].astype(object).to_numpy(),
            "dims": _dims_string(raw, extra).to_numpy(),
        }
    )
    _check_duplicates(frame, source, np.arange(len(frame)) + 2)
    return frame[TIDY_COLUMNS]


def annual(data: pd.DataFrame) -> pd.DataFrame:
    """Only the annual observations (``period`` equal to the year)."""
    return data[data["period"] == data["year"].astype(str)]


def read_eurostat_labels(
    path: str | Path, indicator_column: str = "input_var_code"
) -> dict[str, str]:
    """Indicator code → description from the long CSV's ``input_var_desc`` column."""
    raw = pd.read_csv(path, dtype=str, usecols=[indicator_column, "input_var_desc"])
    first = raw.drop_duplicates(indicator_column)
    return dict(zip(first[indicator_column], first["input_var_desc"], strict=True))


_KEY = ["indicator", "unit", "dims", "geo", "period"]


def _check_duplicates(frame: pd.DataFrame, source: str, lines: np.ndarray) -> None:
    dup = frame.duplicated(_KEY, keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        row = frame.iloc[i]
        line = int(lines[i])
        raise EurostatFormatError(
            source,
            line,
            f"duplicate observation {row['indicator']}/{row['unit']}/{row['dims']}/"
            f"{row['geo']}/{row['period']}",
        )


# --- NUTS recoding ------------------------------------------------------------------------------

ChangeKind = Literal["recode", "boundary", "rename", "discontinued", "new"]
_VERSIONS = (2010, 2013, 2016, 2021)


def classify_change(code_from: str | None, code_to: str | None, text: str) -> ChangeKind:
    """Map a row of Eurostat's correspondence table to what it means for recoding data."""
    t = (text or "").lower()
    if code_from and code_to:
        if "boundary" in t or "shift" in t:
            return "boundary"
        return "rename" if code_from == code_to else "recode"
    return "discontinued" if code_from else "new"


def load_correspondence_workbooks(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Read Eurostat's NUTS correspondence workbooks (``NUTS2010-NUTS2013.xls`` ...).

    Reads every sheet named ``Correspondence NUTS-n`` or ``Changes NUTS-n`` (the 2010-2013 and
    2013-2016 files call them the former, the 2016-2021 file the latter). Needs ``xlrd`` for the
    old ``.xls`` file (or ``python-calamine``); the product uses the CSV produced by
    :func:`write_changes_csv` instead.
    """
    rows: list[dict[str, object]] = []
    for p in sorted(Path(x) for x in paths):
        m = re.search(r"NUTS(\d{4})-NUTS(\d{4})", p.name)
        if not m:
            raise ValueError(f"{p}: cannot tell the NUTS versions from the file name")
        v_from, v_to = int(m.group(1)), int(m.group(2))
        # pandas 3 deprecates xlrd for .xls; calamine reads both formats when installed.
        engine = "calamine" if importlib.util.find_spec("python_calamine") else None
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The xlrd engine is deprecated")
            sheets = pd.read_excel(p, sheet_name=None, header=None, dtype=str, engine=engine)
        for name, sheet in sheets.items():
            if not re.match(r"^(Correspondence|Changes) NUTS-\d$", str(name).strip()):
                continue
            for r in sheet.iloc[1:, :5].itertuples(index=False):
                c_from, c_to, label, change, expl = (
                    None
                    if (isinstance(v, float) or v is None or str(v).strip() == "")
                    else str(v).strip()
                    for v in r
                )
                if not (c_from or c_to):
                    continue
                rows.append(
                    {
                        "version_from": v_from,
                        "version_to": v_to,
                        "code_from": c_from,
                        "code_to": c_to,
                        "level": len(c_from or c_to or "") - 2,
                        "kind": classify_change(c_from, c_to, change or ""),
                        "change": change or "",
                        "explanation": expl or "",
                        "label": label or "",
                    }
                )
    out = pd.DataFrame(rows)
    return (
        out.drop_duplicates()
        .sort_values(
            ["version_from", "level", "code_from", "code_to"], na_position="last", kind="stable"
        )
        .reset_index(drop=True)
    )


def write_changes_csv(changes: pd.DataFrame, path: str | Path) -> None:
    """Write the compact change list that ships with the product (Source: Eurostat)."""
    changes.to_csv(path, index=False, lineterminator="\n")


def read_changes_csv(path: str | Path) -> pd.DataFrame:
    changes = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in ("version_from", "version_to", "level"):
        changes[c] = changes[c].astype(int)
    for c in ("code_from", "code_to"):
        changes[c] = changes[c].replace("", None)
    return changes


@dataclass(frozen=True)
class NutsRecoding:
    """Old code → NUTS 2021 code, with how the mapping was obtained."""

    mapping: Mapping[str, str]
    kind: Mapping[str, str]  # old code → "recode" | "boundary" (approximate) | chained kinds
    unresolved: Mapping[str, str]  # old code → reason (split, merge, discontinued)
    valid_2021: frozenset[str]


def build_recoding(changes: pd.DataFrame, valid_2021: Iterable[str]) -> NutsRecoding:
    """Compose the per-version changes into one old→2021 recoding.

    A code that is valid in NUTS 2021 is always taken as a 2021 code (Eurostat republishes
    series in the current version; a reused code would otherwise be ambiguous).
    """
    valid = frozenset(valid_2021)
    steps = sorted(
        {
            (int(a), int(b))
            for a, b in zip(changes["version_from"], changes["version_to"], strict=True)
        }
    )
    step_maps: list[tuple[dict[str, str], dict[str, str], dict[str, str]]] = []
    for v_from, v_to in steps:
        part = changes[(changes["version_from"] == v_from) & (changes["version_to"] == v_to)]
        fwd: dict[str, str] = {}
        kinds: dict[str, str] = {}
        gone: dict[str, str] = {}
        for r in part.itertuples(index=False):
            if r.kind in ("recode", "boundary", "rename") and r.code_from:
                fwd[str(r.code_from)] = str(r.code_to)
                kinds[str(r.code_from)] = str(r.kind)
            elif r.kind == "discontinued" and r.code_from:
                gone[str(r.code_from)] = f"{r.change} (NUTS {v_from}→{v_to})".strip()
        step_maps.append((fwd, kinds, gone))
    mapping: dict[str, str] = {}
    kind: dict[str, str] = {}
    unresolved: dict[str, str] = {}
    olds = {str(c) for c in changes["code_from"].dropna()}
    for old in sorted(olds - valid):
        code, path_kinds, reason = old, [], ""
        for fwd, kinds, gone in step_maps:
            if code in gone:
                reason = gone[code]
                break
            if code in fwd:
                path_kinds.append(kinds[code])
                code = fwd[code]
        if reason:
            unresolved[old] = reason
        elif code in valid and code != old:
            mapping[old] = code
            kind[old] = "boundary" if "boundary" in path_kinds else "recode"
        else:
            unresolved[old] = f"no NUTS 2021 successor (last code {code})"
    return NutsRecoding(mapping, kind, unresolved, valid)


@dataclass
class RecodeReport:
    """Everything the recoding changed or refused, one row per (old code, action)."""

    rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, int]:
        if self.rows.empty:
            return {}
        return {str(k): int(v) for k, v in self.rows.groupby("action")["n_rows"].sum().items()}


def recode_to_nuts2021(
    data: pd.DataFrame,
    recoding: NutsRecoding,
    allow_boundary_changes: bool = True,
    keep_unknown: bool = True,
) -> tuple[pd.DataFrame, RecodeReport]:
    """Recode ``data.geo`` to NUTS 2021; returns the recoded table and a report.

    * exact recodes (e.g. FR71 → FRK2) are applied;
    * boundary changes are applied only if ``allow_boundary_changes`` (the figure then refers
      to a slightly different territory) and always reported;
    * splits/merges/discontinued codes are dropped and reported, never apportioned;
    * if the table already holds the same observation under the 2021 code, the native 2021 row
      wins and the recoded duplicate is dropped and reported;
    * codes unknown to both NUTS 2021 and the tables (aggregates like ``EU27_2020``) are kept
      if ``keep_unknown`` and reported as ``not_nuts``.
    """
    geo = data["geo"].astype(str)
    out = data.copy()
    out["geo_original"] = geo.to_numpy()
    new_geo = geo.map(lambda g: recoding.mapping.get(g, g))
    kinds = geo.map(lambda g: recoding.kind.get(g, ""))
    drop = geo.isin(list(recoding.unresolved))
    if not allow_boundary_changes:
        drop |= kinds == "boundary"
    unknown = ~geo.isin(list(recoding.valid_2021)) & ~geo.isin(list(recoding.mapping)) & ~drop
    if not keep_unknown:
        drop |= unknown
    out["geo"] = new_geo.to_numpy()
    report_parts: list[pd.DataFrame] = []

    def _add(mask: pd.Series, action: str, reason: pd.Series | str) -> None:
        if not mask.any():
            return
        part = pd.DataFrame(
            {
                "code_from": geo[mask].to_numpy(),
                "code_to": new_geo[mask].to_numpy(),
                "action": action,
                "reason": reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason,
            }
        )
        report_parts.append(part.value_counts().rename("n_rows").reset_index())

    recoded = (new_geo != geo) & ~drop
    _add(recoded & (kinds == "recode"), "recoded", "one-to-one code change")
    _add(recoded & (kinds == "boundary"), "recoded_boundary_change", "boundary change: approximate")
    _add(
        drop & ~unknown,
        "dropped_split_or_merge",
        geo.map(lambda g: recoding.unresolved.get(g, "boundary change not allowed")),
    )
    _add(unknown, "kept_not_nuts" if keep_unknown else "dropped_not_nuts", "not a NUTS 2021 code")
    out = out[~drop.to_numpy()]
    # Native 2021 rows take precedence over recoded duplicates of the same observation.
    native_first = out.assign(_recoded=(out["geo"] != out["geo_original"]).astype(int)).sort_values(
        "_recoded", kind="stable"
    )
    dup = native_first.duplicated(_KEY, keep="first")
    if dup.any():
        d = native_first[dup]
        report_parts.append(
            pd.DataFrame({"code_from": d["geo_original"], "code_to": d["geo"]})
            .value_counts()
            .rename("n_rows")
            .reset_index()
            .assign(
                action="dropped_duplicate_of_2021",
                reason="same observation exists under the 2021 code",
            )
        )
        out = native_first[~dup].drop(columns="_recoded").sort_index()
    rows = (
        pd.concat(report_parts, ignore_index=True)[
            ["code_from", "code_to", "action", "reason", "n_rows"]
        ]
        .sort_values(["action", "code_from"], kind="stable")
        .reset_index(drop=True)
        if report_parts
        else pd.DataFrame(columns=["code_from", "code_to", "action", "reason", "n_rows"])
    )
    return out.reset_index(drop=True), RecodeReport(rows)


DATA_DIR = Path(__file__).with_name("data")


def bundled_recoding() -> NutsRecoding:
    """The recoding built from the copies shipped with the product (Source: Eurostat)."""
    changes = read_changes_csv(DATA_DIR / "nuts_changes_2010_2021.csv")
    codes = pd.read_csv(DATA_DIR / "nuts2021_codes.csv", dtype=str, keep_default_na=False)
    return build_recoding(changes, codes["code_2021"])
