"""The denormalised ``Organisation.search_text`` that full-text search (SQLite FTS5 / PostgreSQL)
indexes: every name in every language, acronyms, city, competences, NACE labels, sector names,
plus an unaccented lowercase copy so "universite" finds "Université" and "muenchen" finds "München".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from alpsbio.directory.importers.normalise import unaccent
from alpsbio.directory.models import NaceCode, Organisation, Sector

BATCH = 2000


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(v) for v in value.values() if v]
    return [str(value)] if value else []


def build_search_text(
    org: Organisation,
    nace_codes: Sequence[NaceCode] = (),
    sectors: Sequence[Sector] = (),
) -> str:
    parts: list[str] = [org.legal_name, org.short_name]
    parts += _texts(org.names)
    parts += [a for a in (org.acronyms or "").split("|") if a]
    parts.append(org.city)
    parts += _texts(org.description)
    for code in nace_codes:
        parts += [code.code, code.label_en, code.label_fr, code.label_de, code.label_it]
    for sector in sectors:
        parts += _texts(sector.name)
    seen: set[str] = set()
    unique: list[str] = []
    for part in parts:
        part = (part or "").strip()
        if part and part not in seen:
            seen.add(part)
            unique.append(part)
    text = " | ".join(unique)
    # Folded copies, each only when it adds something: plain accent stripping ("munchen", what
    # the search query folding produces) and the German ASCII spelling ("muenchen", what CORDIS
    # writes), so either spelling of a query finds "München".
    out = [text]
    for folded in (strip_accents(text), unaccent(text)):
        if folded not in out:
            out.append(folded)
    return " | ".join(out)


def refresh_search_text(org_ids: Iterable[int] | Organisation | None = None) -> int:
    """Recompute ``search_text`` for these organisations (ids, one organisation, or all when
    None); returns how many rows changed."""
    qs = Organisation.objects.order_by("pk")
    if isinstance(org_ids, Organisation):
        org_ids = [org_ids.pk]
    ids = sorted(set(org_ids)) if org_ids is not None else None
    changed = 0
    chunks: Iterable[Sequence[int] | None]
    if ids is None:
        all_ids = list(qs.values_list("pk", flat=True))
        chunks = [all_ids[i : i + BATCH] for i in range(0, len(all_ids), BATCH)]
    else:
        chunks = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    for chunk in chunks:
        if not chunk:
            continue
        batch = list(qs.filter(pk__in=chunk).prefetch_related("nace_codes", "sectors"))
        dirty = []
        for org in batch:
            text = build_search_text(org, list(org.nace_codes.all()), list(org.sectors.all()))
            if text != org.search_text:
                org.search_text = text
                dirty.append(org)
        Organisation.objects.bulk_update(dirty, ["search_text"], batch_size=1000)
        changed += len(dirty)
    return changed
