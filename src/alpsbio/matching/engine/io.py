"""Readers for the engine's input files, with errors that name the file and the line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError


@dataclass(frozen=True, slots=True)
class TextItem:
    """One ``{"id": ..., "text": ...}`` line of a JSONL file."""

    id: str
    text: str


def read_jsonl_texts(path: str | Path) -> list[TextItem]:
    """Read ``{"id", "text"}`` lines; blank lines are skipped, anything else malformed is an error."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None
    items: list[TextItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{p}:{lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{p}:{lineno}: expected a JSON object with 'id' and 'text'")
        ident, text = obj.get("id"), obj.get("text")
        if not isinstance(ident, str | int) or isinstance(ident, bool) or str(ident) == "":
            raise InputError(f"{p}:{lineno}: 'id' must be a non-empty string")
        if not isinstance(text, str):
            raise InputError(f"{p}:{lineno}: 'text' must be a string")
        key = str(ident)
        if key in seen:
            raise InputError(f"{p}:{lineno}: duplicate id {key!r}")
        seen.add(key)
        items.append(TextItem(key, text))
    return items
