"""Shared machinery of every importer: reading files, the row report, ImportRun, batched upserts.

An import runs in two phases. ``validate`` reads the whole file and collects every problem as a
``RowError`` (file, line, column, message); if there is any, the import is *rejected*: nothing is
written except the ImportRun row that carries the report. Only a clean file reaches ``write``,
which runs inside one ``transaction.atomic`` block, so a crash half-way leaves the database as it was.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from alpsbio.directory.models import ImportRun

logger = logging.getLogger("alpsbio.directory.import")

BATCH = 1000
# How many errors a report keeps: a wholly wrong file must not produce a 100 MB JSON column.
MAX_REPORTED_ERRORS = 500

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class RowError:
    """One problem in one place of an input file; ``line`` counts the header as line 1."""

    file: str
    line: int | None
    column: str | None
    message: str
    severity: str = "error"  # "error" rejects the file; "warning" is reported only

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """The file is malformed; ``errors`` says where. Nothing was written."""

    def __init__(self, errors: Sequence[RowError], run: ImportRun | None = None) -> None:
        self.errors = list(errors)
        self.run = run
        first = "; ".join(str(e) for e in self.errors[:3])
        super().__init__(f"{len(self.errors)} problem(s): {first}")


@dataclass
class ImportResult:
    source: str
    file_name: str
    status: str
    stats: dict[str, Any] = field(default_factory=dict)
    report: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == ImportRun.Status.SUCCEEDED


class Problems:
    """Collects errors and warnings while a file is validated."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.items: list[RowError] = []
        self.n_errors = 0
        self.n_warnings = 0

    def error(self, line: int | None, column: str | None, message: str) -> None:
        self.n_errors += 1
        if self.n_errors <= MAX_REPORTED_ERRORS:
            self.items.append(RowError(self.file_name, line, column, message))

    def warning(self, line: int | None, column: str | None, message: str) -> None:
        self.n_warnings += 1
        if self.n_warnings <= MAX_REPORTED_ERRORS:
            self.items.append(RowError(self.file_name, line, column, message, "warning"))

    @property
    def errors(self) -> list[RowError]:
        return [e for e in self.items if e.severity == "error"]

    @property
    def warnings(self) -> list[RowError]:
        return [e for e in self.items if e.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.n_errors:
            raise ImportRejected(self.errors)


def open_text(path: Path) -> io.TextIOBase:
    """Open a UTF-8 text file, transparently gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def undo_mojibake(text: str) -> str:
    """Undo UTF-8 that was once read as Windows-1252 or Mac Roman, else return ``text``.

    The CORDIS organisation extract names about 800 organisations and streets that way
    ("GESELLSCHAFT FÃœR MEDIZINTECHNIK", "Waldstra√üe"), some of them twice over. A repair is
    kept only when re-encoding gives valid UTF-8: correct accented text in those code pages
    ("GUIMARÃES", "Mäster") almost never forms valid multi-byte UTF-8, so it stays as it is.
    """
    for _ in range(3):  # a name garbled twice needs two passes
        if text.isascii():
            return text
        for codec in ("cp1252", "mac_roman"):
            try:
                repaired = text.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
            if repaired != text:
                text = repaired
                break
        else:
            return text
    return text


def read_csv(
    path: Path,
    required: Sequence[str],
    problems: Problems,
    delimiter: str = ",",
) -> list[tuple[int, dict[str, str]]]:
    """All rows of a CSV as (line number, row), or [] with errors for bad encoding/columns.

    The whole file is read before anything is written: our largest file is ~90,000 rows, so
    holding it is cheap and lets validation see duplicates across the file.
    """
    try:
        with open_text(path) as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        # Report the line of the first undecodable byte: that is what a manager can fix.
        if path.suffix == ".gz":
            with gzip.open(path) as gz:
                raw = gz.read()
        else:
            raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        problems.error(line, None, f"not UTF-8 text (byte {raw[exc.start]:#04x}); save as UTF-8")
        return []
    except (OSError, EOFError) as exc:
        problems.error(None, None, f"cannot read the file: {exc}")
        return []
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        problems.error(1, None, "the file is empty")
        return []
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        problems.error(
            1, None, f"missing column(s): {', '.join(missing)}; found: {', '.join(header)}"
        )
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    width = len(header)
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                problems.error(line, None, f"{len(row)} fields, expected {width}")
                continue
            rows.append((line, dict(zip(header, (v.strip() for v in row), strict=True))))
    except csv.Error as exc:
        problems.error(reader.line_num, None, f"malformed CSV: {exc}")
    return rows


def check_required(
    rows: Iterable[tuple[int, dict[str, str]]], columns: Sequence[str], problems: Problems
) -> None:
    for line, row in rows:
        for col in columns:
            if not row.get(col):
                problems.error(line, col, "required value is empty")


def check_unique(
    rows: Iterable[tuple[int, dict[str, str]]],
    key: Callable[[dict[str, str]], Any],
    column: str,
    problems: Problems,
) -> None:
    seen: dict[Any, int] = {}
    for line, row in rows:
        k = key(row)
        if k in (None, "", ()):
            continue
        if k in seen:
            problems.error(line, column, f"duplicate identifier {k!r} (first on line {seen[k]})")
        else:
            seen[k] = line


def batched(items: Sequence[M], size: int = BATCH) -> Iterator[Sequence[M]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextmanager
def quiet_queries() -> Iterator[None]:
    """Stop Django's DEBUG query log for bulk work: with DEBUG on, formatting every bulk INSERT's
    thousands of parameters costs more than running it (measured: 5x on the CORDIS import)."""
    from django.conf import settings

    previous = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = previous


def run_import(
    source: str,
    path: Path | str,
    work: Callable[[ImportRun], tuple[dict[str, Any], list[RowError]]],
    actor: Any = None,
) -> ImportResult:
    """Run ``work`` atomically and record it in an ImportRun; rejection writes only the run.

    ``work`` validates first and raises ImportRejected before its first write; anything it does
    write is rolled back if it raises later. The ImportRun is saved outside that transaction so
    the report survives a rejection.
    """
    file_name = str(path)
    user = actor if getattr(actor, "is_authenticated", False) else None
    run = ImportRun.objects.create(source=source, file_name=file_name[-300:], started_by=user)
    try:
        with quiet_queries(), transaction.atomic():
            stats, notes = work(run)
    except ImportRejected as exc:
        run.status = ImportRun.Status.REJECTED
        run.report = [e.as_dict() for e in exc.errors]
        run.stats = {"errors": len(exc.errors)}
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "report", "stats", "finished_at"])
        exc.run = run
        logger.warning("import %s of %s rejected: %s", source, file_name, exc)
        raise
    except Exception as exc:
        run.status = ImportRun.Status.FAILED
        run.report = [RowError(file_name, None, None, f"{type(exc).__name__}: {exc}").as_dict()]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "report", "finished_at"])
        raise
    run.status = ImportRun.Status.SUCCEEDED
    run.stats = stats
    run.report = [n.as_dict() for n in notes]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "stats", "report", "finished_at"])
    return ImportResult(source, file_name, run.status, stats, run.report, run.pk)


def upsert(
    model: type[M],
    key: str,
    values: dict[Any, dict[str, Any]],
    update_fields: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[Any, M], int, int]:
    """Create or update ``model`` rows keyed by the unique field ``key``; returns (by key, n new, n updated).

    Existing rows are fetched in batches of keys, changed fields compared in Python, and only rows
    that really changed are written: re-running an import on the same file writes nothing.
    """
    keys = list(values)
    existing: dict[Any, M] = {}
    for i in range(0, len(keys), BATCH):
        chunk = keys[i : i + BATCH]
        for obj in model._default_manager.filter(**{f"{key}__in": chunk}):
            existing[getattr(obj, key)] = obj
    to_create: list[M] = []
    to_update: list[M] = []
    for k, fields in values.items():
        found = existing.get(k)
        if found is None:
            to_create.append(model(**{key: k}, **fields))
            continue
        obj = found
        changed = False
        for name in update_fields:
            if name in fields and getattr(obj, name) != fields[name]:
                setattr(obj, name, fields[name])
                changed = True
        if changed:
            to_update.append(obj)
    for batch in batched(to_create):
        model._default_manager.bulk_create(batch)
        if progress:
            progress(len(batch))
    for batch in batched(to_update):
        model._default_manager.bulk_update(batch, list(update_fields))
        if progress:
            progress(len(batch))
    if to_create:
        for i in range(0, len(keys), BATCH):
            chunk = [k for k in keys[i : i + BATCH] if k not in existing]
            for obj in model._default_manager.filter(**{f"{key}__in": chunk}):
                existing[getattr(obj, key)] = obj
    return existing, len(to_create), len(to_update)


def progress_bar(total: int, desc: str, quiet: bool) -> Any:
    """A tqdm bar, or a no-op when quiet (tests, web views, background tasks)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="row", disable=quiet, leave=False)
