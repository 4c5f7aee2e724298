"""Full-text search over organisations: one interface, two engines.

SQLite uses an FTS5 index (``directory_organisation_fts``, kept in sync by triggers);
PostgreSQL a stored ``search_vector`` (the tsvector of search_text) with a GIN index. Both match
every query word as a prefix ("immuno" finds "immunology"), both over ``Organisation.search_text``, which holds the
names in every language, acronyms, city and competences, lower-cased and unaccented.
Facet counts are disjunctive: each facet counts with every filter applied except its own, so a
user can widen a facet without losing the other choices.

Two paths give the same answers: normally the database answers only the text match and the page
of organisations, and filters, facet counts, sorting and BM25 ranking run over the in-memory
facet index (``facet_index``); while that index is being rebuilt in the background after a
change to a large directory, everything is answered in SQL.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from alpsbio.directory import facet_index
from alpsbio.directory.models import Organisation

MAX_QUERY_WORDS = 12
_WORD = re.compile(r"[\w]+", re.UNICODE)
FACETS = ("region", "country", "type", "sector", "nace", "network")
SORTS = ("relevance", "name", "-name", "projects", "newest")


def normalise(text: str) -> str:
    """Lower-case and strip accents, as ``search_text`` is stored."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))[:MAX_QUERY_WORDS]


@dataclass
class SearchFilters:
    region: list[str] = field(default_factory=list)  # NUTS codes (any level: prefix match)
    country: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    sector: list[str] = field(default_factory=list)  # sector slugs
    nace: list[str] = field(default_factory=list)  # NACE codes (prefix: "C21" covers "21.10")
    network: list[str] = field(default_factory=list)  # network slugs
    validated_only: bool = False
    member_regions_only: bool = False


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    items: list[Organisation]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _fts_expression(words: list[str]) -> str:
    # Each word quoted (no FTS5 syntax injection) and used as a prefix; all must match.
    return " ".join(f'"{w}"*' for w in words)


def _pg_tsquery(words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in words)


_MATCH_TABLE = "directory_search_match"


def _materialise_sqlite_matches(words: list[str]) -> None:
    """Run the FTS5 query once per search into a per-connection temporary table.

    Counting, ranking and six facets would otherwise each repeat the MATCH (a prefix query
    like "bio"* expands to thousands of terms); from the table they are plain joins.
    """
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_MATCH_TABLE}"
            " (id INTEGER PRIMARY KEY, rank REAL NOT NULL)"
        )
        cur.execute(f"DELETE FROM {_MATCH_TABLE}")
        cur.execute(
            f"INSERT INTO {_MATCH_TABLE} (id, rank)"
            " SELECT rowid, bm25(directory_organisation_fts) FROM directory_organisation_fts"
            " WHERE directory_organisation_fts MATCH %s",
            [_fts_expression(words)],
        )
        # Tell the planner how big the match set is, so a selective facet index drives the join.
        cur.execute(f"ANALYZE temp.{_MATCH_TABLE}")


def text_filter(words: list[str], materialised: bool = False) -> Q:
    if not words:
        return Q()
    if materialised:
        return Q(pk__in=RawSQL(f"SELECT id FROM {_MATCH_TABLE}", []))  # noqa: S611 (constant)
    if connection.vendor == "postgresql":
        return Q(
            pk__in=RawSQL(
                "SELECT id FROM directory_organisation"
                " WHERE search_vector @@ to_tsquery('simple', %s)",
                [_pg_tsquery(words)],
            )
        )
    return Q(
        pk__in=RawSQL(
            "SELECT rowid FROM directory_organisation_fts WHERE directory_organisation_fts MATCH %s",
            [_fts_expression(words)],
        )
    )


def _facet_q(name: str, values: list[str]) -> Q:
    if not values:
        return Q()
    q = Q(pk__in=[])
    if name == "region":
        for code in values:
            q |= Q(nuts3__code__startswith=code) | Q(nuts2__code__startswith=code)
        return q
    if name == "country":
        return Q(country_code__in=values)
    if name == "type":
        return Q(org_type__in=values)
    if name == "sector":
        return Q(pk__in=Organisation.objects.filter(sectors__slug__in=values).values("pk"))
    if name == "nace":
        for code in values:
            q |= Q(nace_codes__code__startswith=code)
        return Q(pk__in=Organisation.objects.filter(q).values("pk"))
    if name == "network":
        return Q(pk__in=Organisation.objects.filter(networks__slug__in=values).values("pk"))
    raise ValueError(f"unknown facet {name!r}")


def _base(filters: SearchFilters) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(is_active=True)
    if filters.validated_only:
        qs = qs.filter(validation_status="validated")
    if filters.member_regions_only:
        qs = qs.filter(nuts2__is_member=True) | qs.filter(nuts2__parent__is_member=True)
    return qs


def _facet_counts(qs: QuerySet[Organisation], name: str) -> list[tuple[str, int]]:
    if name == "region":
        rows = qs.exclude(nuts2=None).values_list("nuts2__code").annotate(n=Count("pk"))
    elif name == "country":
        rows = qs.values_list("country_code").annotate(n=Count("pk"))
    elif name == "type":
        rows = qs.values_list("org_type").annotate(n=Count("pk"))
    elif name == "sector":
        rows = (
            qs.filter(sectors__isnull=False)
            .values_list("sectors__slug")
            .annotate(n=Count("pk", distinct=True))
        )
    elif name == "nace":
        rows = (
            qs.filter(nace_codes__isnull=False)
            .values_list("nace_codes__code")
            .annotate(n=Count("pk", distinct=True))
        )
    elif name == "network":
        rows = (
            qs.filter(networks__isnull=False)
            .values_list("networks__slug")
            .annotate(n=Count("pk", distinct=True))
        )
    else:
        raise ValueError(name)
    counts = [(str(v), int(n)) for v, n in rows.order_by() if v]
    counts.sort(key=lambda vn: (-vn[1], vn[0]))
    return counts


def search_organisations(
    text: str = "",
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    facets: tuple[str, ...] = FACETS,
    facet_limit: int = 30,
) -> SearchResult:
    filters = filters or SearchFilters()
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    page = max(1, page)
    words = query_words(text)
    index = facet_index.current()
    if index is not None:
        return _search_with_index(index, words, filters, sort, page, per_page, facets, facet_limit)
    materialised = bool(words) and connection.vendor == "sqlite"
    if materialised:
        _materialise_sqlite_matches(words)
    base = _base(filters).filter(text_filter(words, materialised))
    facet_qs = {name: _facet_q(name, getattr(filters, name)) for name in FACETS}
    everything = Q()
    for q in facet_qs.values():
        everything &= q
    matched = base.filter(everything)

    total = matched.count()
    offset = (page - 1) * per_page
    items = _page(matched, words, sort, offset, per_page)

    counted: dict[str, list[tuple[str, int]]] = {}
    for name in facets:
        others = Q()
        for other, q in facet_qs.items():
            if other != name:
                others &= q
        counted[name] = _facet_counts(base.filter(others), name)
    return SearchResult(items, total, page, per_page, _facet_values(filters, counted, facet_limit))


def _facet_values(
    filters: SearchFilters, counted: dict[str, list[tuple[str, int]]], facet_limit: int
) -> dict[str, list[FacetValue]]:
    facet_values: dict[str, list[FacetValue]] = {}
    for name, pairs in counted.items():
        selected = set(getattr(filters, name))
        shown = pairs[:facet_limit]
        seen = {v for v, _ in shown}
        values = [FacetValue(v, n, v in selected) for v, n in shown]
        values += [FacetValue(v, 0, True) for v in selected if v not in seen]
        facet_values[name] = values
    return facet_values


def _text_match_ids(words: list[str]) -> np.ndarray:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT id FROM directory_organisation"
                " WHERE search_vector @@ to_tsquery('simple', %s)",
                [_pg_tsquery(words)],
            )
        else:
            cur.execute(
                "SELECT rowid FROM directory_organisation_fts"
                " WHERE directory_organisation_fts MATCH %s",
                [_fts_expression(words)],
            )
        rows = cur.fetchall()
    return np.sort(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))


def _texts(ids: list[int]) -> dict[int, str]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT id, search_text FROM directory_organisation WHERE id = ANY(%s)", [ids]
            )
        else:
            cur.execute(
                "SELECT id, search_text FROM directory_organisation"
                " WHERE id IN (SELECT value FROM json_each(%s))",
                [json.dumps(ids)],
            )
        return {int(i): str(t or "") for i, t in cur.fetchall()}


def _relevance(
    index: facet_index.FacetIndex, positions: np.ndarray, words: list[str], n_matches: int
) -> np.ndarray:
    """BM25F of each result times the activity factor: document frequencies from the text match,
    term frequencies from the texts (or 1 above ``TF_TEXT_LIMIT`` results) plus the weighted
    occurrences in the organisation's own names."""
    if len(words) == 1:
        frequencies = [n_matches]
    else:
        frequencies = [int(_text_match_ids([w]).size) for w in words]
    idfs = [facet_index.idf(index.size, n) for n in frequencies]
    if positions.size <= facet_index.TF_TEXT_LIMIT:
        ids = [int(i) for i in index.ids[positions]]
        texts = _texts(ids)
        tf = facet_index.word_start_counts(words, [texts.get(i, "") for i in ids])
        tf = np.maximum(tf, 1.0)  # matched, so at least once (tokenisers differ slightly)
    else:
        tf = np.ones((positions.size, len(words)))
    in_names = facet_index.word_start_counts(words, [index.names[p] for p in positions])
    tf = tf + facet_index.NAME_WEIGHT * in_names
    lengths = index.text_length[positions]
    scores = facet_index.bm25(tf, idfs, lengths, index.average_length)
    return scores * facet_index.activity_factor(index.n_projects[positions])


def _search_with_index(
    index: facet_index.FacetIndex,
    words: list[str],
    filters: SearchFilters,
    sort: str,
    page: int,
    per_page: int,
    facets: tuple[str, ...],
    facet_limit: int,
) -> SearchResult:
    match_ids = _text_match_ids(words) if words else None
    selections = {name: list(getattr(filters, name)) for name in FACETS}
    found = facet_index.answer(
        index,
        match_ids,
        selections,
        filters.validated_only,
        filters.member_regions_only,
        facets,
    )
    relevance = None
    if sort == "relevance" and words and found.total and match_ids is not None:
        relevance = _relevance(index, found.positions, words, int(match_ids.size))
    ids = facet_index.order_page(
        index, found.positions, sort, (page - 1) * per_page, per_page, relevance
    )
    by_id = _with_regions(Organisation.objects.all()).in_bulk(ids)
    items = [by_id[i] for i in ids if i in by_id]
    return SearchResult(
        items, found.total, page, per_page, _facet_values(filters, found.facet_counts, facet_limit)
    )


def _with_regions(qs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    # The regions' boundaries are large JSON documents that a result list never draws.
    return qs.select_related("nuts2", "nuts3").defer("nuts2__geometry", "nuts3__geometry")


def _page(
    matched: QuerySet[Organisation], words: list[str], sort: str, offset: int, limit: int
) -> list[Organisation]:
    if sort == "relevance" and words:
        if connection.vendor == "postgresql":
            rank = RawSQL(
                "ts_rank(directory_organisation.search_vector, to_tsquery('simple', %s))"
                " * (1 + ln(1 + least(directory_organisation.n_projects, 60)) / 4)",
                [_pg_tsquery(words)],
            )
            qs = matched.annotate(rank=rank).order_by("-rank", "-n_projects", "legal_name")
            return list(_with_regions(qs)[offset : offset + limit])
        ids_sql, params = matched.values("pk").query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT m.id FROM {_MATCH_TABLE} m"
                " JOIN directory_organisation o ON o.id = m.id"
                f" WHERE m.id IN ({ids_sql})"
                # bm25 is negative (lower is better); a capped bonus for EU activity lifts the
                # well-known actor above a short namesake.
                " ORDER BY m.rank - 0.05 * min(o.n_projects, 60), o.n_projects DESC, o.legal_name"
                " LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            ids = [row[0] for row in cur.fetchall()]
        by_id = _with_regions(Organisation.objects.all()).in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]
    order: dict[str, tuple[str, ...]] = {
        "relevance": ("-n_projects", "legal_name"),
        "name": ("legal_name", "pk"),
        "-name": ("-legal_name", "-pk"),
        "projects": ("-n_projects", "legal_name"),
        "newest": ("-created_at", "-pk"),
    }
    return list(_with_regions(matched).order_by(*order[sort])[offset : offset + limit])


def describe_filters(filters: SearchFilters) -> dict[str, Any]:
    return {name: getattr(filters, name) for name in FACETS if getattr(filters, name)}
