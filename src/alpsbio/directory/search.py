"""Full-text search over organisations: one interface, two engines.

SQLite uses an FTS5 index (``directory_organisation_fts``, kept in sync by triggers);
PostgreSQL a stored ``search_vector`` (the tsvector of search_text) with a GIN index. Both match
every query word as a prefix ("immuno" finds "immunology"), both over ``Organisation.search_text``, which holds the
names in every language, acronyms, city and competences, lower-cased and unaccented.
Facet counts are disjunctive: each facet counts with every filter applied except its own, so a
user can widen a facet without losing the other choices.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

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

    facet_values: dict[str, list[FacetValue]] = {}
    for name in facets:
        others = Q()
        for other, q in facet_qs.items():
            if other != name:
                others &= q
        selected = set(getattr(filters, name))
        counted = _facet_counts(base.filter(others), name)[:facet_limit]
        seen = {v for v, _ in counted}
        values = [FacetValue(v, n, v in selected) for v, n in counted]
        values += [FacetValue(v, 0, True) for v in selected if v not in seen]
        facet_values[name] = values
    return SearchResult(items, total, page, per_page, facet_values)


def _page(
    matched: QuerySet[Organisation], words: list[str], sort: str, offset: int, limit: int
) -> list[Organisation]:
    related = ("nuts2", "nuts3")
    if sort == "relevance" and words:
        if connection.vendor == "postgresql":
            rank = RawSQL(
                "ts_rank(directory_organisation.search_vector, to_tsquery('simple', %s))"
                " * (1 + ln(1 + least(directory_organisation.n_projects, 60)) / 4)",
                [_pg_tsquery(words)],
            )
            qs = matched.annotate(rank=rank).order_by("-rank", "-n_projects", "legal_name")
            return list(qs.select_related(*related)[offset : offset + limit])
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
        by_id = Organisation.objects.select_related(*related).in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]
    order: dict[str, tuple[str, ...]] = {
        "relevance": ("-n_projects", "legal_name"),
        "name": ("legal_name", "pk"),
        "-name": ("-legal_name", "-pk"),
        "projects": ("-n_projects", "legal_name"),
        "newest": ("-created_at", "-pk"),
    }
    return list(matched.select_related(*related).order_by(*order[sort])[offset : offset + limit])


def describe_filters(filters: SearchFilters) -> dict[str, Any]:
    return {name: getattr(filters, name) for name in FACETS if getattr(filters, name)}
