"""Titles of the EU call topics projects were funded under ("SPIRE-07-2015" is "Recovery
technologies for metals and other minerals"), so pages and explanations can say what a code
means. Shipped as a small reference file derived from CORDIS (see docs/data.md); a code it does
not know (a later work programme) is shown as the code alone.

Rebuild the file: ``python -m alpsbio.directory.call_topics SOURCE.csv`` (CORDIS reference data,
``cordisref-H2020topics.csv``, ``;``-separated).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from functools import cache
from pathlib import Path

REFERENCE = Path(__file__).parent / "seed" / "h2020_call_topics.csv.gz"


@cache
def _titles() -> dict[str, str]:
    if not REFERENCE.exists():
        return {}
    with gzip.open(REFERENCE, "rt", encoding="utf-8", newline="") as f:
        return {row["code"]: row["title"] for row in csv.DictReader(f)}


def title_of(code: str) -> str | None:
    return _titles().get(code)


def label(code: str) -> str:
    """``Title (CODE)`` when the title is known, else the code."""
    title = title_of(code)
    return f"{title} ({code})" if title else code


def build_reference(source: Path, dest: Path = REFERENCE) -> int:
    """Write ``code,title`` sorted by code, gzip with mtime 0: the same input gives the same bytes."""
    titles: dict[str, str] = {}
    with open(source, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            code, title = row["topicCode"].strip(), " ".join(row["title"].split())
            if code and title:
                titles.setdefault(code, title)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "title"])
    writer.writerows(sorted(titles.items()))
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(out.getvalue().encode("utf-8"))
    _titles.cache_clear()
    return len(titles)


if __name__ == "__main__":  # pragma: no cover - a maintainer's one-off
    print(build_reference(Path(sys.argv[1])), "topics written to", REFERENCE)
