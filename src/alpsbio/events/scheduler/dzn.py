"""Reader for the MiniZinc .dzn files of the JAIR 2022 B2B benchmark.

Only the subset those files use: integers, 1-d integer arrays, 2-d arrays ``[| a, b, c | ... |]``
and arrays of integer sets. The redundant arrays (``meetingsxBusiness``, ``nMeetingsBusiness``) are
cross-checked against ``requested`` so that a damaged file fails loudly instead of silently
producing a different instance.
"""

from __future__ import annotations

import re
from pathlib import Path

from .timing import Session, TimedMeeting, TimingProblem


class DznError(ValueError):
    """A .dzn file that cannot be read or is inconsistent; the message names file, line and field."""


Value = int | list[int] | list[list[int]] | list[frozenset[int]]

_ASSIGN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\Z", re.S)
_SET = re.compile(r"\{([^{}]*)\}")


def _ints(text: str, where: str) -> list[int]:
    parts = [p.strip() for p in text.split(",")]
    try:
        return [int(p) for p in parts if p]
    except ValueError as exc:
        raise DznError(f"{where}: not an integer list: {text.strip()[:60]!r}") from exc


def _parse_value(raw: str, where: str) -> Value:
    text = raw.strip()
    if text.startswith("[|"):
        body = text[2:].rstrip()
        if not body.endswith("|]"):
            raise DznError(f"{where}: 2-d array does not end with '|]'")
        rows = [r for r in body[:-2].split("|") if r.strip()]
        return [_ints(r, where) for r in rows]
    if text.startswith("["):
        if not text.endswith("]"):
            raise DznError(f"{where}: array does not end with ']'")
        body = text[1:-1].strip()
        if "{" in body:
            sets = _SET.findall(body)
            if _SET.sub("", body).replace(",", "").strip():
                raise DznError(f"{where}: unexpected text between sets")
            return [frozenset(_ints(s, where)) for s in sets]
        return _ints(body, where)
    try:
        return int(text)
    except ValueError as exc:
        raise DznError(f"{where}: expected an integer, got {text[:60]!r}") from exc


def read_dzn_values(path: Path) -> tuple[dict[str, Value], dict[str, int]]:
    """All assignments of a .dzn file and the line on which each starts."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DznError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DznError(f"{path}: not UTF-8 text") from exc
    # Drop comments but keep newlines so that line numbers stay right.
    source = re.sub(r"%[^\n]*", "", source)
    values: dict[str, Value] = {}
    lines: dict[str, int] = {}
    pos = 0
    for stmt in source.split(";"):
        lead = len(stmt) - len(stmt.lstrip())
        line = source.count("\n", 0, pos + lead) + 1
        pos += len(stmt) + 1
        if not stmt.strip():
            continue
        m = _ASSIGN.match(stmt)
        if not m:
            raise DznError(f"{path}:{line}: expected 'name = value;', got {stmt.strip()[:60]!r}")
        name = m.group(1)
        where = f"{path}:{line}: {name}"
        if name in values:
            raise DznError(f"{where}: assigned twice")
        values[name] = _parse_value(m.group(2), where)
        lines[name] = line
    return values, lines


def load_dzn(path: str | Path) -> TimingProblem:
    """Parse one benchmark instance into a 0-based :class:`TimingProblem`."""
    p = Path(path)
    values, lines = read_dzn_values(p)

    def where(name: str) -> str:
        return f"{p}:{lines.get(name, 0)}: {name}"

    def need_int(name: str) -> int:
        v = values.get(name)
        if not isinstance(v, int):
            raise DznError(f"{p}: {name}: missing or not an integer")
        if v < 0:
            raise DznError(f"{where(name)}: negative")
        return v

    n_bus = need_int("nBusiness")
    n_meet = need_int("nMeetings")
    n_tables = need_int("nTables")
    n_slots = need_int("nTotalSlots")
    n_morning = need_int("nMorningSlots")
    if n_morning > n_slots:
        raise DznError(f"{where('nMorningSlots')}: {n_morning} > nTotalSlots {n_slots}")

    req = values.get("requested")
    if not isinstance(req, list) or (req and not isinstance(req[0], list)):
        raise DznError(f"{p}: requested: missing or not a 2-d array")
    rows: list[list[int]] = [r for r in req if isinstance(r, list)]
    if len(rows) != n_meet:
        raise DznError(f"{where('requested')}: {len(rows)} rows, nMeetings says {n_meet}")
    meetings: list[TimedMeeting] = []
    for i, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise DznError(f"{where('requested')}: row {i} has {len(row)} columns, expected 3")
        a, b, s = row
        if not (1 <= a <= n_bus and 1 <= b <= n_bus) or a == b:
            raise DznError(f"{where('requested')}: row {i}: bad participants {a}, {b}")
        if s not in (1, 2, 3):
            raise DznError(f"{where('requested')}: row {i}: session {s} not in 1..3")
        meetings.append(TimedMeeting(a - 1, b - 1, Session(s)))

    # Redundant arrays: ids shifted by +1 with a dummy 1 in every set.
    per_bus: list[set[int]] = [set() for _ in range(n_bus)]
    for i, mt in enumerate(meetings):
        per_bus[mt.a].add(i)
        per_bus[mt.b].add(i)
    mxb = values.get("meetingsxBusiness")
    if mxb is not None:
        if not isinstance(mxb, list) or len(mxb) != n_bus:
            raise DznError(f"{where('meetingsxBusiness')}: expected {n_bus} sets")
        for b, sset in enumerate(mxb, start=1):
            got = {x - 2 for x in sset if x != 1} if isinstance(sset, frozenset) else None
            if got != per_bus[b - 1]:
                raise DznError(
                    f"{where('meetingsxBusiness')}: participant {b} lists meetings "
                    f"{sorted(x + 1 for x in got or [])}, requested gives "
                    f"{sorted(x + 1 for x in per_bus[b - 1])}"
                )
    nmb = values.get("nMeetingsBusiness")
    if nmb is not None:
        if not isinstance(nmb, list) or len(nmb) != n_bus:
            raise DznError(f"{where('nMeetingsBusiness')}: expected {n_bus} integers")
        for b, cnt in enumerate(nmb, start=1):
            if cnt != len(per_bus[b - 1]):
                raise DznError(
                    f"{where('nMeetingsBusiness')}: participant {b} has {cnt}, "
                    f"requested gives {len(per_bus[b - 1])}"
                )

    forbidden: list[frozenset[int]] = [frozenset() for _ in range(n_bus)]
    fb = values.get("forbidden")
    if fb is not None:
        if not isinstance(fb, list) or len(fb) != n_bus:
            raise DznError(f"{where('forbidden')}: expected {n_bus} sets")
        for b, sset in enumerate(fb, start=1):
            if not isinstance(sset, frozenset):
                raise DznError(f"{where('forbidden')}: entry {b} is not a set")
            bad = [x for x in sset if x != 0 and not 1 <= x <= n_slots]
            if bad:
                raise DznError(f"{where('forbidden')}: participant {b}: slots {bad} out of range")
            forbidden[b - 1] = frozenset(x - 1 for x in sset if x != 0)

    fixed = values.get("fixed")
    if fixed is not None:
        if not isinstance(fixed, list) or len(fixed) != n_meet:
            raise DznError(f"{where('fixed')}: expected {n_meet} integers")
        for i, f in enumerate(fixed):
            if not isinstance(f, int) or not 0 <= f <= n_slots:
                raise DznError(f"{where('fixed')}: meeting {i + 1}: slot {f} out of 0..{n_slots}")
            if f:
                mt = meetings[i]
                meetings[i] = TimedMeeting(mt.a, mt.b, mt.session, f - 1)

    precedences: list[tuple[int, int]] = []
    pr = values.get("precedences")
    if pr is not None:
        if not isinstance(pr, list) or len(pr) != n_meet:
            raise DznError(f"{where('precedences')}: expected {n_meet} sets")
        for i, sset in enumerate(pr):
            if not isinstance(sset, frozenset):
                raise DznError(f"{where('precedences')}: entry {i + 1} is not a set")
            for j in sorted(sset):
                if not 1 <= j <= n_meet or j - 1 == i:
                    raise DznError(f"{where('precedences')}: meeting {i + 1}: bad id {j}")
                # precedences[i] lists the meetings that must come *before* meeting i: the
                # paper's constraint (28), schedule[j, t'] -> not schedule[i, t] for t' >= t,
                # as public re-implementations of its MaxSAT encoding read these files.
                precedences.append((j - 1, i))

    name = p.name[: -len(".dzn")] if p.name.endswith(".dzn") else p.name
    return TimingProblem(
        n_participants=n_bus,
        n_slots=n_slots,
        n_morning=n_morning,
        n_tables=n_tables,
        meetings=meetings,
        forbidden=forbidden,
        precedences=precedences,
        name=name,
    )
