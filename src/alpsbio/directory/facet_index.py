"""In-memory facet index: filters, disjunctive facet counts and sort keys as numpy columns.

Six disjunctive facet counts over a large text match are six GROUP BY queries in SQL (each a join
of the match set with the organisations); over columns held in memory they are six ``bincount``
calls. The database still answers the full-text match (FTS5 / tsvector) and serves the page of
organisations; everything between the two happens here.

Each process holds one immutable :class:`FacetIndex`, tagged with the change token that database
triggers renew on every relevant write (migration 0004). A search first reads the token (one
primary-key lookup); when it differs, the index is rebuilt — in the request while the directory
is small, otherwise in a background thread while searches take the SQL path meanwhile.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, connections

from alpsbio.directory.search_text import strip_accents

log = logging.getLogger(__name__)

CHANGE_TABLE = "directory_search_change"

# BM25 as in Lucene and SQLite FTS5 (k1, b), with document length counted in characters.
BM25_K1 = 1.2
BM25_B = 0.75
# A word in the organisation's own name counts this many times more than elsewhere (BM25F-style
# field weight): "bio" should bring up the Biolabs before a university that teaches biology.
NAME_WEIGHT = 3.0
# Above this many results, term frequencies are not read from the texts (taken as 1): ranking
# stays length-normalised BM25 with the activity bonus, and costs no text fetch.
TF_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Multi:
    """A many-to-many facet as (organisation position, value index) pairs."""

    org_pos: np.ndarray
    value_idx: np.ndarray
    values: list[str]


@dataclass(frozen=True)
class FacetIndex:
    token: int
    ids: np.ndarray  # organisation ids, ascending
    active: np.ndarray
    validated: np.ndarray
    member: np.ndarray  # in a member region (NUTS-2 or its parent)
    single: dict[str, tuple[np.ndarray, list[str]]]  # facet -> (value index per org, values)
    nuts3: np.ndarray  # region index per org (len(region codes) = none)
    multi: dict[str, Multi]
    n_projects: np.ndarray
    text_length: np.ndarray
    names: list[str]  # legal and short names and acronyms, folded, words separated by spaces
    name_order: np.ndarray  # rank in ORDER BY legal_name, id (the database's collation)
    created_order: np.ndarray  # rank in ORDER BY created_at, id

    @property
    def size(self) -> int:
        return int(self.ids.size)

    @property
    def average_length(self) -> float:
        return float(self.text_length.mean()) if self.size else 1.0


def read_change_token() -> int | None:
    with connection.cursor() as cur:
        cur.execute(f"SELECT token FROM {CHANGE_TABLE} WHERE id = 1")
        row = cur.fetchone()
    return int(row[0]) if row else None


def _column(rows: Sequence[tuple[Any, ...]], i: int, dtype: Any) -> np.ndarray:
    return np.fromiter((r[i] for r in rows), dtype=dtype, count=len(rows))


def _encode(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    uniques = sorted(set(values))
    lookup = {v: i for i, v in enumerate(uniques)}
    return np.fromiter((lookup[v] for v in values), dtype=np.int32, count=len(values)), uniques


def _order_positions(ids: np.ndarray, ordered_ids: Sequence[tuple[int]]) -> np.ndarray:
    order = np.empty(ids.size, dtype=np.int64)
    positions = np.searchsorted(ids, np.fromiter((r[0] for r in ordered_ids), dtype=np.int64))
    order[positions] = np.arange(positions.size)
    return order


def build(token: int) -> FacetIndex:
    """Read every column a search needs, in a handful of queries."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, is_active, validation_status, country_code, org_type, n_projects,"
            " nuts2_id, nuts3_id, length(search_text), legal_name, short_name, acronyms"
            " FROM directory_organisation ORDER BY id"
        )
        rows = cur.fetchall()
        cur.execute("SELECT id FROM directory_organisation ORDER BY legal_name, id")
        by_name = cur.fetchall()
        cur.execute("SELECT id FROM directory_organisation ORDER BY created_at, id")
        by_created = cur.fetchall()
        cur.execute("SELECT id, code, is_member, parent_id FROM directory_region")
        regions = cur.fetchall()
        cur.execute(
            "SELECT os.organisation_id, s.slug FROM directory_organisation_sectors os"
            " JOIN directory_sector s ON s.id = os.sector_id"
        )
        sectors = cur.fetchall()
        cur.execute(
            "SELECT onc.organisation_id, n.code FROM directory_organisation_nace_codes onc"
            " JOIN directory_nacecode n ON n.id = onc.nacecode_id"
        )
        nace = cur.fetchall()
        cur.execute(
            "SELECT m.organisation_id, n.slug FROM directory_networkmembership m"
            " JOIN directory_network n ON n.id = m.network_id"
        )
        networks = cur.fetchall()

    ids = _column(rows, 0, np.int64)
    region_pos = {row[0]: i for i, row in enumerate(regions)}
    region_codes = [str(row[1]) for row in regions]
    is_member = {row[0]: bool(row[2]) for row in regions}
    parent = {row[0]: row[3] for row in regions}
    none = len(regions)
    # Member region: the NUTS-2 region or its parent is a member (the search's existing rule).
    member_region = {
        rid: is_member[rid] or bool(parent[rid] and is_member.get(parent[rid], False))
        for rid in is_member
    }
    nuts2 = np.fromiter(
        (region_pos.get(r[6], none) if r[6] is not None else none for r in rows), dtype=np.int32
    )
    nuts3 = np.fromiter(
        (region_pos.get(r[7], none) if r[7] is not None else none for r in rows), dtype=np.int32
    )
    member = np.fromiter(
        (bool(r[6] is not None and member_region.get(r[6], False)) for r in rows), dtype=bool
    )
    country_idx, countries = _encode([str(r[3] or "") for r in rows])
    type_idx, types = _encode([str(r[4] or "") for r in rows])

    def multi(pairs: Sequence[tuple[Any, ...]]) -> Multi:
        org_ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        positions = np.searchsorted(ids, org_ids)
        value_idx, values = _encode([str(p[1]) for p in pairs])
        return Multi(positions.astype(np.int32), value_idx, values)

    return FacetIndex(
        token=token,
        ids=ids,
        active=_column(rows, 1, bool),
        validated=np.fromiter((r[2] == "validated" for r in rows), dtype=bool, count=len(rows)),
        member=member,
        single={
            "region": (nuts2, region_codes),
            "country": (country_idx, countries),
            "type": (type_idx, types),
        },
        nuts3=nuts3,
        multi={"sector": multi(sectors), "nace": multi(nace), "network": multi(networks)},
        n_projects=_column(rows, 5, np.int64),
        text_length=np.fromiter((r[8] or 0 for r in rows), dtype=np.float64, count=len(rows)),
        names=[fold_name(" ".join(str(v or "") for v in r[9:12])) for r in rows],
        name_order=_order_positions(ids, by_name),
        created_order=_order_positions(ids, by_created),
    )


# -- the per-process index -------------------------------------------------------------------

_lock = threading.Lock()
_current: FacetIndex | None = None
_building = False


def _sync_limit() -> int:
    return int(getattr(settings, "DIRECTORY_FACET_INDEX_SYNC_LIMIT", 20_000))


def _build_checked(token: int) -> FacetIndex | None:
    index = build(token)
    # A write between reading the token and the last query would leave the index behind it.
    return index if read_change_token() == token else None


def _build_in_background(token: int) -> None:
    global _current, _building
    try:
        index = _build_checked(token)
        if index is not None:
            with _lock:
                _current = index
    except Exception:
        log.exception("facet index rebuild failed")
    finally:
        with _lock:
            _building = False
        connections.close_all()


def _small(index: FacetIndex | None) -> bool:
    if index is not None:
        return index.size <= _sync_limit()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM directory_organisation")
        row = cur.fetchone()
    return int(row[0]) <= _sync_limit()


def current() -> FacetIndex | None:
    """The index matching the database now, or None when the SQL path must answer."""
    global _current, _building
    if not getattr(settings, "DIRECTORY_FACET_INDEX", True):
        return None
    token = read_change_token()
    if token is None:
        return None
    index = _current
    if index is not None and index.token == token:
        return index
    # A background thread would not see this transaction's own writes: build here. Keeping an
    # index built inside a transaction is safe: after a rollback the token differs again.
    if connection.in_atomic_block or _small(index):
        built = _build_checked(token)
        if built is not None:
            with _lock:
                _current = built
        return built
    with _lock:
        if not _building:
            _building = True
            threading.Thread(
                target=_build_in_background, args=(token,), name="facet-index", daemon=True
            ).start()
    return None


def wait_for_background_build(timeout: float = 60.0) -> None:
    """For tests and warm-up commands: let a running rebuild finish."""
    for thread in threading.enumerate():
        if thread.name == "facet-index":
            thread.join(timeout)


def reset() -> None:
    global _current
    with _lock:
        _current = None


# -- answering a search ----------------------------------------------------------------------


@dataclass
class IndexAnswer:
    positions: np.ndarray  # every matching organisation, unordered
    total: int
    facet_counts: dict[str, list[tuple[str, int]]]


def _prefix_selection(values: list[str], prefixes: Sequence[str]) -> np.ndarray:
    chosen = tuple(prefixes)
    return np.fromiter((v.startswith(chosen) for v in values), dtype=bool, count=len(values))


def _exact_selection(values: list[str], selected: Sequence[str]) -> np.ndarray:
    wanted = set(selected)
    return np.fromiter((v in wanted for v in values), dtype=bool, count=len(values))


def _facet_mask(index: FacetIndex, name: str, selected: Sequence[str]) -> np.ndarray:
    if name == "region":
        nuts2, codes = index.single["region"]
        # Any level: a code selects the regions it prefixes, at NUTS-2 or NUTS-3.
        chosen = np.append(_prefix_selection(codes, selected), False)
        return chosen[nuts2] | chosen[index.nuts3]
    if name in ("country", "type"):
        idx, values = index.single[name]
        return _exact_selection(values, selected)[idx]
    multi = index.multi[name]
    pick = (
        _prefix_selection(multi.values, selected)
        if name == "nace"
        else _exact_selection(multi.values, selected)
    )
    mask = np.zeros(index.size, dtype=bool)
    mask[multi.org_pos[pick[multi.value_idx]]] = True
    return mask


def _counts(index: FacetIndex, name: str, rows: np.ndarray) -> list[tuple[str, int]]:
    if name in index.single:
        idx, values = index.single[name]
        counted = np.bincount(idx[rows], minlength=len(values) + 1)[: len(values)]
    else:
        multi = index.multi[name]
        values = multi.values
        counted = np.bincount(multi.value_idx[rows[multi.org_pos]], minlength=len(values))
    nonzero = np.flatnonzero(counted)
    pairs = [(values[i], int(counted[i])) for i in nonzero if values[i]]
    pairs.sort(key=lambda vn: (-vn[1], vn[0]))
    return pairs


def answer(
    index: FacetIndex,
    match_ids: np.ndarray | None,
    selections: dict[str, list[str]],
    validated_only: bool,
    member_regions_only: bool,
    facets: Sequence[str],
) -> IndexAnswer:
    base = index.active.copy()
    if validated_only:
        base &= index.validated
    if member_regions_only:
        base &= index.member
    if match_ids is not None:
        found = np.zeros(index.size, dtype=bool)
        pos = np.searchsorted(index.ids, match_ids)
        inside = pos < index.size
        pos, wanted = pos[inside], match_ids[inside]
        found[pos[index.ids[pos] == wanted]] = True
        base &= found
    masks = {
        name: _facet_mask(index, name, values) for name, values in selections.items() if values
    }
    everything = base.copy()
    for mask in masks.values():
        everything &= mask
    counts: dict[str, list[tuple[str, int]]] = {}
    for name in facets:
        rows = base.copy()
        for other, mask in masks.items():
            if other != name:
                rows &= mask
        counts[name] = _counts(index, name, rows)
    positions = np.flatnonzero(everything)
    return IndexAnswer(positions, int(positions.size), counts)


def _top(keys: list[np.ndarray], offset: int, limit: int) -> np.ndarray:
    """Indices of rows offset..offset+limit in the order of ``keys`` (first key most significant)."""
    n = keys[0].size
    wanted = min(n, offset + limit)
    if wanted <= 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort(keys[::-1])
    return order[offset:wanted]


def order_page(
    index: FacetIndex,
    positions: np.ndarray,
    sort: str,
    offset: int,
    limit: int,
    relevance: np.ndarray | None = None,
) -> list[int]:
    """Organisation ids of one page. ``relevance``: higher is better, aligned with positions."""
    projects = index.n_projects[positions]
    names = index.name_order[positions]
    if sort == "relevance" and relevance is not None:
        keys = [-relevance, -projects, names]
    elif sort in ("relevance", "projects"):
        keys = [-projects, names]
    elif sort == "name":
        keys = [names]
    elif sort == "-name":
        keys = [-names]
    elif sort == "newest":
        keys = [-index.created_order[positions]]
    else:
        raise ValueError(sort)
    chosen = _top(keys, offset, limit)
    return [int(i) for i in index.ids[positions[chosen]]]


# -- relevance: BM25 over the result set -----------------------------------------------------


def idf(total_docs: int, matching_docs: int) -> float:
    """BM25 idf, floored as FTS5 does so that a word in most documents still counts a little."""
    value = math.log((total_docs - matching_docs + 0.5) / (matching_docs + 0.5))
    return max(value, 1e-6)


_NOT_WORD = re.compile(r"[\W_]+")


def fold_name(name: str) -> str:
    """Lower-case, unaccented, punctuation as spaces: "UGA-Université" -> "uga universite"."""
    plain = name.lower() if name.isascii() else strip_accents(name)
    return _NOT_WORD.sub(" ", plain).strip()


def word_start_counts(words: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Occurrences of each query word at the start of a word of each text (prefix matching).

    Texts are ``search_text``: lower-case, unaccented, words separated by spaces, so a word
    start is the text's start or a space; a word after punctuation ("(bio…") is missed, which
    the caller's floor of one occurrence per matched word makes harmless.
    """
    counts = np.zeros((len(texts), len(words)), dtype=np.float64)
    for j, word in enumerate(words):
        needle = " " + word
        for i, text in enumerate(texts):
            counts[i, j] = (" " + text).count(needle)
    return counts


def bm25(
    tf: np.ndarray, idfs: Sequence[float], lengths: np.ndarray, average_length: float
) -> np.ndarray:
    """Sum over words of idf · tf·(k1+1) / (tf + k1·(1 − b + b·length/average))."""
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(average_length, 1.0))
    weights = np.asarray(idfs, dtype=np.float64)
    return (tf * (BM25_K1 + 1) / (tf + norm[:, None]) * weights[None, :]).sum(axis=1)


def activity_factor(n_projects: np.ndarray) -> np.ndarray:
    """A capped, diminishing boost for EU activity (at most ×1.51 at 60 projects, less than a
    word found in the name is worth): among organisations that match alike, the active first."""
    return 1 + np.log1p(np.minimum(n_projects, 60)) / 8
