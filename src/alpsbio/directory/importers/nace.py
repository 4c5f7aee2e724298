"""NACE Rev.2 / NOGA 2008 taxonomy with EN/FR/DE/IT labels (Swiss FSO wording)."""

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
    upsert,
)
from alpsbio.directory.models import ImportRun, NaceCode

DEFAULT_FILE = "taxonomy/noga2008_nace_rev2_multilingual.csv"
COLUMNS = ("level", "code", "label_en", "label_fr", "label_de", "label_it")
LEVELS = {"section", "division", "group", "class", "type"}
DIGITS = {"division": 2, "group": 3, "class": 4, "type": 6}

# NACE Rev.2 sections by division range (the code itself does not say which section it is in).
SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43),
    "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68),
    "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93),
    "S": (94, 96), "T": (97, 98), "U": (99, 99),
}  # fmt: skip


def default_path() -> Path:
    return Path(settings.ALPSBIO_DATA_DIR) / DEFAULT_FILE


def section_of(division: str) -> str | None:
    n = int(division)
    return next((s for s, (lo, hi) in SECTION_DIVISIONS.items() if lo <= n <= hi), None)


def dotted(raw: str, level: str) -> str:
    """The usual NACE notation: 21, 21.1, 21.10; Swiss six-digit types stay as NOGA writes them."""
    if level == "group":
        return f"{raw[:2]}.{raw[2]}"
    if level == "class":
        return f"{raw[:2]}.{raw[2:]}"
    return raw


def parent_code(code: str, level: str) -> str | None:
    if level == "section":
        return None
    if level == "division":
        return section_of(code)
    if level == "group":
        return code[:2]
    if level == "class":
        return code[:4]
    return f"{code[:2]}.{code[2:4]}"  # type 211000 → class 21.10


_NACE_INPUT = re.compile(r"^[A-U]?\s*(\d{2})(?:\.?(\d))?(?:\.?(\d))?$")


def normalise_nace_code(text: str) -> str | None:
    """Accept what people type ("2110", "21.10", "C 21.10", "21") and return our notation."""
    text = text.strip().upper()
    if len(text) == 1 and text in SECTION_DIVISIONS:
        return text
    if re.fullmatch(r"\d{6}", text):
        return text
    m = _NACE_INPUT.match(text)
    if not m:
        return None
    div, grp, cls = m.groups()
    if cls is not None:
        return f"{div}.{grp}{cls}"
    if grp is not None:
        return f"{div}.{grp}"
    return div


def import_nace(
    path: Path | str | None = None, quiet: bool = True, actor: Any = None
) -> ImportResult:
    """Import (or refresh) the NOGA 2008 / NACE Rev.2 codes with labels in four languages."""
    file_path = Path(path) if path else default_path()

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        problems = Problems(str(file_path))
        rows = read_csv(file_path, COLUMNS, problems)
        check_required(rows, ("level", "code", "label_en"), problems)
        check_unique(rows, lambda r: r["code"], "code", problems)
        for line, row in rows:
            level, code = row["level"], row["code"]
            if level not in LEVELS:
                problems.error(line, "level", f"unknown level {level!r}")
            elif level == "section":
                if code not in SECTION_DIVISIONS:
                    problems.error(line, "code", f"not a NACE section: {code!r}")
            elif not (code.isdigit() and len(code) == DIGITS[level]):
                problems.error(line, "code", f"a {level} code has {DIGITS[level]} digits: {code!r}")
        problems.raise_if_errors()

        values: dict[str, dict[str, Any]] = {}
        parents: dict[str, str | None] = {}
        for _, row in rows:
            code = dotted(row["code"], row["level"])
            values[code] = {
                "level": row["level"],
                **{
                    f"label_{lang}": row[f"label_{lang}"][:300] for lang in ("en", "fr", "de", "it")
                },
            }
            parents[code] = parent_code(code, row["level"])
        for code, parent in parents.items():
            if parent and parent not in values:
                problems.error(None, "code", f"{code}: parent {parent} is not in the file")
        problems.raise_if_errors()

        bar = progress_bar(len(values), "NACE codes", quiet)
        fields = ["level", "label_en", "label_fr", "label_de", "label_it"]
        by_code, created, updated = upsert(NaceCode, "code", values, fields, bar.update)
        bar.close()
        changed = []
        for code, obj in by_code.items():
            parent = parents.get(code)
            parent_id = by_code[parent].pk if parent else None
            if obj.parent_id != parent_id:
                obj.parent_id = parent_id
                changed.append(obj)
        NaceCode.objects.bulk_update(changed, ["parent"], batch_size=1000)
        return {"rows": len(rows), "created": created, "updated": updated}, problems.warnings

    return run_import("nace", file_path, work, actor)
