"""The bridge between the database and the matching engine: one in-memory index per process.

What it does:

* builds engine input from the DB: one *profile* per organisation (names, competences, its real
  CORDIS project titles) and per published opportunity; the co-participation graph from
  ``directory.Participation``; the policy weights from ``MatchingSettings``;
* text signal: multilingual sentence embeddings (cached in ``Embedding`` by content hash, with the
  model name and version, computed by background tasks) blended with a character n-gram TF-IDF,
  which is also the model-free fallback;
* keeps the index fresh: every read compares a cheap *state token* (row counts and latest
  ``updated_at``) with the one the index was built from; edited rows are patched in place, any
  deletion or new participation rebuilds. The delay between an edit and updated suggestions is
  therefore the next request (see ``docs/matching.md`` for the measured figures).

The pure scoring pieces (graph signals) come from ``alpsbio.matching.engine``; this module only
adapts the data and owns no algorithm that the engine provides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import io
import itertools
import json
import logging
import multiprocessing
import os
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils.translation import gettext as _

from alpsbio.core.i18n import LANGUAGE_CODES, localized, reader_language
from alpsbio.directory import call_topics
from alpsbio.directory.models import NaceCode, NetworkMembership, Organisation, Participation
from alpsbio.directory.search_text import strip_accents
from alpsbio.matching.engine import scoring
from alpsbio.matching.engine import types as engine_types
from alpsbio.matching.engine.complementarity import COMPLEMENTARY_AT
from alpsbio.matching.engine.graph import CoParticipationGraph
from alpsbio.matching.engine.index import EXACT_LIMIT, HnswIndex
from alpsbio.matching.engine.types import PolicyWeights
from alpsbio.matching.models import (
    COMPLEMENTARY_TYPES,
    ENGINE_KIND,
    Embedding,
    MatchingSettings,
    Opportunity,
    OpportunityStatus,
)

logger = logging.getLogger("alpsbio.matching")

MAX_PROJECT_TITLES = 30
MIN_CENTRING_POOL = 50
MAX_PATCH_ROWS = 2000
# Weight of the character n-gram TF-IDF cosine beside the embedding cosine. In free-text search
# and in an opportunity's matches 0.2: the lowest that keeps a rare word first on the tuning
# half of bench/match_search_quality.py (paraphrase@1 search 0.73, matches 0.72 against 0.63 at
# 0.4; the engine's text signal alone 0.76). Suggested partners, organisation to organisation,
# by pair: 0.6 when both profiles are written in the same language, 0.2 across languages. A
# single 0.6 gained +0.010 recall@20 on new H2020 partnerships (English titles only,
# bench/match_suggest_quality.py) but lost a third of the cross-lingual first places (0.36 ->
# 0.24 on the tuning half, bench/match_search_quality.py --suggestions); by pair: 0.46.
SEARCH_TFIDF_WEIGHT = 0.2
MATCHES_TFIDF_WEIGHT = 0.2
PROFILE_TFIDF_WEIGHT = 0.6
PROFILE_CROSS_TFIDF_WEIGHT = 0.2

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
# A word found in more than this share of the profiles is not a topic two of them share
# ("european", "integrated", "training" in project titles); the cut applies from this pool size.
GENERIC_TERM_SHARE = 0.1
GENERIC_TERM_MIN_POOL = 100
# Shared words an explanation names, the rarest first: past five they are the common ones.
MAX_SHARED_WORDS = 5
SUMMARY_CHARS = 200  # the excerpt under each result: what the candidate does, in a line or two
_STOP = frozenset(
    [
        "with",
        "from",
        "that",
        "this",
        "they",
        "their",
        "have",
        "been",
        "were",
        "will",
        "would",
        "which",
        "into",
        "also",
        "more",
        "other",
        "than",
        "about",
        "these",
        "those",
        "such",
        "through",
        "between",
        "under",
        "over",
        "using",
        "used",
        "based",
        "towards",
        "among",
        "dans",
        "pour",
        "avec",
        "sont",
        "plus",
        "leur",
        "leurs",
        "entre",
        "cette",
        "ainsi",
        "comme",
        "nous",
        "vous",
        "elle",
        "elles",
        "sans",
        "della",
        "delle",
        "degli",
        "dello",
        "nella",
        "nelle",
        "sono",
        "come",
        "anche",
        "alla",
        "alle",
        "dalla",
        "dalle",
        "questo",
        "questa",
        "nicht",
        "sind",
        "eine",
        "einer",
        "einen",
        "eines",
        "durch",
        "sowie",
        "werden",
        "wird",
        "oder",
        "auch",
        "über",
        "unter",
        "zwischen",
        "für",
        "mit",
        "dem",
        "den",
        "der",
        "die",
        "das",
        "und",
        "von",
        "zur",
        "zum",
        "beim",
    ]
)


# --- Encoders ---------------------------------------------------------------------------------
# The models live in the engine (``engine.embedding``: USE, E5, their combination, TF-IDF); this
# module stores their vectors in the DB keyed by (content hash, model name, model version).


class Encoder(Protocol):
    name: str
    version: str

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray: ...


_encoder_lock = threading.Lock()
_encoder: Encoder | None = None
_encoder_loaded = False


def get_encoder() -> Encoder | None:
    """The engine's sentence embedder, or None for the character n-gram TF-IDF alone.

    ``settings.MATCHING_ENCODER``: ``"auto"`` (default: the engine's best installed model, USE+E5,
    else USE, else E5), ``"use"``, ``"e5"``, ``"use+e5"`` or ``"tfidf"`` (no model at all).
    """
    global _encoder, _encoder_loaded
    choice = str(getattr(settings, "MATCHING_ENCODER", "auto"))
    if choice == "tfidf":
        return None
    with _encoder_lock:
        if not _encoder_loaded:
            _encoder_loaded = True
            from alpsbio.matching.engine import embedding

            pref = ("use+e5", "use", "e5") if choice == "auto" else (choice,)
            try:
                emb = embedding.default_embedder(preference=pref, centred=False)
            except KeyError:
                raise ImproperlyConfigured(f"MATCHING_ENCODER={choice!r} is unknown") from None
            if isinstance(emb, embedding.TfidfEmbedder):
                logger.warning("no sentence-embedding model installed: TF-IDF only")
                _encoder = None
            else:
                _encoder = emb
        return _encoder


def reset_encoder() -> None:
    global _encoder, _encoder_loaded
    with _encoder_lock:
        _encoder, _encoder_loaded = None, False


EMBED_BATCH = 64
# Nearest neighbours read per suggestion request when the ANN index is on (at least 20 x limit).
ANN_CANDIDATES = 400
# Share of profiles a text model may still lack and yet be used by a build (see _embeddings).
USABLE_MISSING_SHARE = 0.02


def vector_to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def vector_from_bytes(raw: bytes | memoryview, dim: int) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype=np.float32, count=dim)


def encoder_parts(enc: Encoder | None) -> list[tuple[Encoder, float]]:
    """The base models of an encoder and their weights: (USE, 0.5), (E5, 0.5) for the combined
    one. Vectors are stored per base model, so that a fast model's can serve before a slow
    one's are done, and the combination is assembled when the index is built."""
    if enc is None:
        return []
    parts = getattr(enc, "parts", None)
    if parts:
        return list(zip(parts, enc.weights, strict=True))  # type: ignore[attr-defined]
    return [(enc, 1.0)]


def compose(parts: Sequence[tuple[Encoder, float]]) -> Encoder | None:
    """One encoder whose vector is the weighted concatenation of ``parts`` (as stored rows are
    assembled in ``MatchIndex._embeddings``)."""
    from alpsbio.matching.engine.embedding import CombinedEmbedder

    if not parts:
        return None
    if len(parts) == 1:
        return parts[0][0]
    return CombinedEmbedder([p for p, _w in parts], [w for _p, w in parts])


def _stored(part: Encoder, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    rows = Embedding.objects.filter(
        content_hash__in=list(hashes), model_name=part.name, model_version=part.version
    ).values_list("content_hash", "dim", "vector")
    return {h: vector_from_bytes(v, dim) for h, dim, v in rows.iterator(chunk_size=2000)}


@dataclass
class EmbedReport:
    """What ``embed_missing`` did: vectors made, and per base model how many texts lacked one
    before and still lack one after."""

    made: int = 0
    missing_before: dict[str, int] = field(default_factory=dict)
    missing_after: dict[str, int] = field(default_factory=dict)


def _embedded_batches(
    part: Encoder, todo: list[tuple[str, str]], processes: int
) -> Iterator[tuple[list[tuple[str, str]], np.ndarray]]:
    """``(batch, vectors)`` in order; with ``processes`` > 1 and a model that says how to make
    itself in another process (``worker_factory``), computed by a pool of that many processes."""
    batches = [todo[i : i + EMBED_BATCH] for i in range(0, len(todo), EMBED_BATCH)]
    make = getattr(part, "worker_factory", None)
    if processes <= 1 or make is None or len(batches) < 2:
        for batch in batches:
            yield batch, part.embed([t for _h, t in batch])
        return
    from concurrent.futures import ProcessPoolExecutor

    from alpsbio.matching.engine.embedding import embed_in_pool

    # Spawned, not forked: a child starts clean (no copy of this process's models, threads or
    # database connections) and loads its own model once.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        texts = ([t for _h, t in batch] for batch in batches)
        vectors = pool.map(embed_in_pool, itertools.repeat(make()), texts)
        yield from zip(batches, vectors, strict=True)


def embed_missing(
    texts: dict[str, str],
    encoder: Encoder | None = None,
    *,
    deadline: float | None = None,
    processes: int = 1,
) -> EmbedReport:
    """Store each base model's vectors for ``{content_hash: text}`` not cached yet, fastest model
    first (the order of the parts), with one query per model for what is cached.

    With ``deadline`` (a ``time.monotonic()`` value) it stops after the first batch that ends
    past it, so a background task can hand the worker back and continue later. ``processes``
    > 1 spreads the batches over that many processes (a bulk pass on every core; no deadline).
    """
    if deadline is not None and processes > 1:
        raise ValueError("a bulk pass on several processes runs to the end: no deadline")
    encoder = encoder or get_encoder()
    report = EmbedReport()
    if encoder is None or not texts:
        return report
    todos = []
    for part, _w in encoder_parts(encoder):
        have = set(
            Embedding.objects.filter(
                content_hash__in=list(texts), model_name=part.name, model_version=part.version
            ).values_list("content_hash", flat=True)
        )
        todo = [(h, t) for h, t in texts.items() if h not in have]
        report.missing_before[part.name] = report.missing_after[part.name] = len(todo)
        todos.append((part, todo))
    for part, todo in todos:
        for batch, vecs in _embedded_batches(part, todo, processes):
            Embedding.objects.bulk_create(
                [
                    Embedding(
                        content_hash=h,
                        model_name=part.name,
                        model_version=part.version,
                        dim=int(v.shape[0]),
                        vector=vector_to_bytes(v),
                    )
                    for (h, _t), v in zip(batch, vecs, strict=True)
                ],
                ignore_conflicts=True,
            )
            report.made += len(batch)
            report.missing_after[part.name] -= len(batch)
            if deadline is not None and time.monotonic() >= deadline:
                return report
    return report


def embed_texts(texts: dict[str, str], encoder: Encoder | None = None) -> int:
    """Store the vectors of ``{content_hash: text}`` not cached yet; how many were made."""
    return embed_missing(texts, encoder).made


def mark_vectors_changed() -> None:
    """Tell every process that a base model's vectors are now complete: the state token changes
    shape, so indexes are rebuilt (and pick the better text model) instead of patched."""
    from django.utils import timezone

    MatchingSettings.load()
    # ``update`` leaves the policy's ``updated_at`` alone: this is not a policy change.
    MatchingSettings.objects.filter(pk=1).update(vectors_changed_at=timezone.now())


# --- Profiles ---------------------------------------------------------------------------------


@dataclass
class Profile:
    key: str  # "org:12" or "opp:5"
    org_id: int
    name: str
    org_type: str
    country: str
    region: str
    texts: dict[str, str]  # per language
    kind: str = ""  # opportunity type, "" for an organisation
    opp_id: int | None = None
    partner_types: list[str] = field(default_factory=list)
    partner_regions: list[str] = field(default_factory=list)
    nace: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    networks: frozenset[int] = frozenset()
    is_demo: bool = False
    # Names a user may search it by: legal, short and per-language names; an opportunity's
    # reference code and titles.
    aliases: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(v for v in self.texts.values() if v)

    @property
    def hash(self) -> str:
        from alpsbio.matching.services import content_hash

        return content_hash(self.text)

    def as_engine(self) -> engine_types.Profile:
        """What the engine's scorer reads (the text is scored here, not passed on)."""
        return engine_types.Profile(
            id=self.key,
            org_id=str(self.org_id),
            kind=ENGINE_KIND.get(self.kind, "organisation"),
            org_type=self.org_type,
            sector=engine_types.SECTOR_OF_TYPE.get(self.org_type, ""),
            country=self.country,
            region=self.region,
            networks=frozenset(str(n) for n in self.networks),
            seeks_types=tuple(self.partner_types),
            seeks_regions=tuple(self.partner_regions),
        )


def _describes(p: Profile) -> bool:
    """Whether the profile says what the organisation does, not only what it is called (an
    opportunity's title, its name, is content).

    About 3% of the demo's organisations have no description and no project title: their
    vector encodes a name, lands near every query (in the demo, "Telemedizin für ältere
    Menschen" ranked a veterinary faculty first on its name alone) and gets no embedding credit.
    A name still matches lexically (TF-IDF) in free-text search."""
    text = p.text.strip()
    return bool(text) and (p.opp_id is not None or text != p.name.strip())  # a title is content


def _languages(profiles: Sequence[Profile]) -> np.ndarray:
    """Each profile's main language, guessed from its whole text (about 70 µs a profile)."""
    from alpsbio.matching.engine.lang import guess_language

    return np.array([guess_language(p.text) for p in profiles], dtype="<U8")


@functools.lru_cache(maxsize=1 << 14)  # names and title lines recur on every page
def name_key(text: str) -> str:
    """A name as compared in search: accents, case, punctuation and spacing do not count."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", plain.casefold()))


def _aliases(*names: Any) -> list[str]:
    out: list[str] = []
    for n in names:
        values = n.values() if isinstance(n, dict) else [n]
        out += [str(v) for v in values if v and str(v) not in out]
    return out


def _org_texts(org: Organisation, titles: list[str]) -> dict[str, str]:
    return _org_texts_of(org.names, org.description, org.legal_name, titles)


def _org_texts_of(
    names: dict[str, str] | None,
    description: dict[str, str] | None,
    legal_name: str,
    titles: list[str],
) -> dict[str, str]:
    names, description = names or {}, description or {}
    texts: dict[str, str] = {}
    for lang in LANGUAGE_CODES:
        parts = [str(names.get(lang) or ""), str(description.get(lang) or "")]
        texts[lang] = "\n".join(p for p in parts if p)
    base = f"{legal_name}\n" + "\n".join(titles[:MAX_PROJECT_TITLES])
    texts["en"] = (base + "\n" + texts["en"]).strip()
    return {k: v for k, v in texts.items() if v}


def _opp_texts(opp: Opportunity) -> dict[str, str]:
    return _opp_texts_of(opp.title, opp.summary, opp.description, opp.keywords)


def _opp_texts_of(
    title: dict[str, str] | None,
    summary: dict[str, str] | None,
    description: dict[str, str] | None,
    keywords: list[str] | None,
) -> dict[str, str]:
    texts: dict[str, str] = {}
    for lang in LANGUAGE_CODES:
        parts = [str((f or {}).get(lang) or "") for f in (title, summary, description)]
        if lang == "en" and keywords:
            parts.append(", ".join(keywords))
        text = "\n".join(p for p in parts if p)
        if text:
            texts[lang] = text
    return texts


def _region_of(nuts3: str | None, nuts2: str | None, country: str) -> str:
    return nuts3 or nuts2 or country


def _pairs(rows: Any) -> dict[int, set[Any]]:
    out: dict[int, set[Any]] = {}
    for key, value in rows:
        out.setdefault(key, set()).add(value)
    return out


def _nace_of_orgs(ids: Sequence[int] | None) -> dict[int, set[Any]]:
    through = Organisation.nace_codes.through.objects
    qs = through.filter(organisation_id__in=ids) if ids is not None else through.all()
    return _pairs(qs.values_list("organisation_id", "nacecode__code").iterator(chunk_size=5000))


def _networks_of_orgs(ids: Sequence[int] | None) -> dict[int, set[Any]]:
    qs = NetworkMembership.objects.all()
    if ids is not None:
        qs = qs.filter(organisation_id__in=ids)
    return _pairs(qs.values_list("organisation_id", "network_id").iterator(chunk_size=5000))


def load_org_profiles(org_ids: Sequence[int] | None = None) -> list[Profile]:
    """One profile per matchable organisation, read as plain values (no model instances and no
    per-row prefetch: on the full directory this was a third of the build)."""
    # Only organisations with something to match on: competences written, or EU projects.
    has_projects = Exists(Participation.objects.filter(organisation_id=OuterRef("pk")))
    qs = Organisation.objects.filter(is_active=True).filter(has_projects | ~Q(description={}))
    if org_ids is not None:
        qs = qs.filter(pk__in=org_ids)
    rows = list(
        qs.order_by("pk").values_list(
            "pk",
            "names",
            "description",
            "legal_name",
            "org_type",
            "country_code",
            "nuts3__code",
            "nuts2__code",
            "short_name",
        )
    )
    ids = [r[0] for r in rows]
    scope = ids if org_ids is not None else None
    titles: dict[int, list[str]] = {}
    topics: dict[int, set[str]] = {}
    parts = (
        Participation.objects.all()
        if scope is None
        else Participation.objects.filter(organisation_id__in=scope)
    )
    for org_id, title, topic in (
        parts.order_by("organisation_id", "-project__start_date")
        .values_list("organisation_id", "project__title", "project__topic")
        .iterator(chunk_size=5000)
    ):
        if title:
            titles.setdefault(org_id, []).append(title)
        if topic:
            topics.setdefault(org_id, set()).add(topic)
    nace = _nace_of_orgs(scope)
    networks = _networks_of_orgs(scope)
    out = []
    for pk, names, description, legal_name, org_type, country, nuts3, nuts2, short in rows:
        out.append(
            Profile(
                key=f"org:{pk}",
                org_id=pk,
                name=localized(names) or legal_name,
                org_type=org_type,
                country=country,
                region=_region_of(nuts3, nuts2, country),
                texts=_org_texts_of(names, description, legal_name, titles.get(pk, [])),
                nace=frozenset(nace.get(pk, ())),
                topics=frozenset(topics.get(pk, ())),
                networks=frozenset(networks.get(pk, ())),
                aliases=_aliases(legal_name, short, names or {}),
            )
        )
    return out


def load_opp_profiles(opp_ids: Sequence[int] | None = None) -> list[Profile]:
    qs = Opportunity.objects.filter(status=OpportunityStatus.PUBLISHED)
    if opp_ids is not None:
        qs = qs.filter(pk__in=opp_ids)
    rows = list(
        qs.order_by("pk").values_list(
            "pk",
            "organisation_id",
            "reference",
            "title",
            "summary",
            "description",
            "keywords",
            "kind",
            "partner_types",
            "partner_regions",
            "is_demo",
            "organisation__org_type",
            "organisation__country_code",
            "organisation__nuts3__code",
            "organisation__nuts2__code",
        )
    )
    ids = [r[0] for r in rows]
    org_ids = sorted({r[1] for r in rows})
    through = Opportunity.nace_codes.through.objects
    nace_qs = through.filter(opportunity_id__in=ids) if opp_ids is not None else through.all()
    nace = _pairs(nace_qs.values_list("opportunity_id", "nacecode__code").iterator(chunk_size=5000))
    networks = _networks_of_orgs(org_ids if opp_ids is not None else None)
    out = []
    for (
        pk,
        org_id,
        reference,
        title,
        summary,
        description,
        keywords,
        kind,
        partner_types,
        partner_regions,
        is_demo,
        org_type,
        country,
        nuts3,
        nuts2,
    ) in rows:
        out.append(
            Profile(
                key=f"opp:{pk}",
                org_id=org_id,
                name=localized(title),
                org_type=org_type,
                country=country,
                region=_region_of(nuts3, nuts2, country),
                texts=_opp_texts_of(title, summary, description, keywords),
                kind=kind,
                opp_id=pk,
                partner_types=list(partner_types or []),
                partner_regions=list(partner_regions or []),
                nace=frozenset(nace.get(pk, ())),
                topics=frozenset(keywords or []),
                networks=frozenset(networks.get(org_id, ())),
                is_demo=is_demo,
                aliases=_aliases(reference, title or {}),
            )
        )
    return out


def state_token() -> tuple[Any, ...]:
    """Cheap fingerprint of everything the index reads; a change means refresh."""
    o = Organisation.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    p = Opportunity.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    n_part = Participation.objects.count()
    s = MatchingSettings.objects.aggregate(t=Max("updated_at"), v=Max("vectors_changed_at"))
    return (o["n"], o["t"], p["n"], p["t"], n_part, s["t"], s["v"])


def token_shape(token: Sequence[Any]) -> tuple[Any, ...]:
    """The parts of a state token that only a rebuild can follow: organisations or
    participations added or removed, and a text model completed (``mark_vectors_changed``).
    Opportunities come and go through their ``updated_at`` (published ones are appended or
    hidden in place), unless one was deleted (``refresh`` compares their count)."""
    return tuple(token[i] for i in (0, 4, 6) if i < len(token))


def fit_tfidf(texts: Sequence[str]) -> tuple[Any, sp.csr_matrix]:
    """The engine's ``TfidfEmbedder().fit(texts)`` and ``embed_sparse(texts)`` in one pass.

    The engine's two calls hash every text twice (fit, then embed): on the full directory that
    was two thirds of the build. Same arithmetic on one hashed matrix (a test checks equality).
    """
    from sklearn.preprocessing import normalize

    from alpsbio.matching.engine.embedding import TfidfEmbedder

    tfidf = TfidfEmbedder()
    if not texts:
        tfidf.fit([""])
        return tfidf, sp.csr_matrix((0, 1), dtype=np.float32)
    x = tfidf._vec.transform(list(texts))
    df = np.bincount(x.indices, minlength=x.shape[1])
    tfidf.idf = np.log((1 + x.shape[0]) / (1 + df)).astype(np.float32) + 1.0
    tfidf.version = tfidf.version.split(";idf")[0] + f";idf={x.shape[0]}"
    x.data = np.log1p(x.data)
    x = x.multiply(tfidf.idf[None, :]).tocsr()
    return tfidf, sp.csr_matrix(normalize(x), dtype=np.float32)


# --- Index ------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    key: str
    org_id: int
    opp_id: int | None
    name: str
    kind: str
    score: float
    reasons: dict[str, Any]
    is_demo: bool = False
    # Who the candidate is, for the reader to judge at a glance (type, country, NUTS code).
    org_type: str = ""
    country: str = ""
    region: str = ""


@dataclass(frozen=True)
class SearchFilters:
    """What a partner search is narrowed to; an empty facet means any, given facets all apply."""

    countries: frozenset[str] = frozenset()  # ISO codes
    org_types: frozenset[str] = frozenset()  # OrganisationType values
    kinds: frozenset[str] = frozenset()  # "" for organisations, else opportunity types
    regions: tuple[str, ...] = ()  # NUTS codes, any level: a prefix match

    def mask(
        self, countries: np.ndarray, types: np.ndarray, kinds: np.ndarray, regions: np.ndarray
    ) -> np.ndarray:
        keep = np.ones(len(countries), dtype=bool)
        if self.countries:
            keep &= np.isin(countries, list(self.countries))
        if self.org_types:
            keep &= np.isin(types, list(self.org_types))
        if self.kinds:
            keep &= np.isin(kinds, list(self.kinds))
        if self.regions:
            prefixes = tuple(self.regions)
            keep &= np.fromiter((str(r).startswith(prefixes) for r in regions), bool, len(regions))
        return keep


def policy_from_db() -> PolicyWeights:
    """The engine's default weights, with those the cluster managers tuned."""
    s = MatchingSettings.load()
    return dataclasses.replace(
        PolicyWeights(),
        history=s.history_weight,
        cross_border=s.border_bonus,
        cross_sector=s.sector_bonus,
        shared_network=s.network_bonus,
    )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(
    method: Callable[Concatenate[MatchIndex, _P], _R],
) -> Callable[Concatenate[MatchIndex, _P], _R]:
    """Hold the index's lock: a refresh appends rows to several arrays and a threaded server
    must not score against half of them."""

    @functools.wraps(method)
    def wrapper(self: MatchIndex, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self.guard:
            return method(self, *args, **kwargs)

    return wrapper


class MatchIndex:
    """Profiles, their text vectors and the collaboration graph, held in memory."""

    def __init__(self) -> None:
        self.profiles: list[Profile] = []
        self.pos: dict[str, int] = {}
        self.tfidf: Any = None
        self.T: sp.csr_matrix = sp.csr_matrix((0, 0))
        self.E: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.encoder: Encoder | None = None  # embeds queries like the profiles were
        self.parts: list[tuple[Encoder, float]] = []  # the base models behind ``E``
        self.part_dims: list[int] = []
        # Approximate nearest neighbours over ``E`` (ids = rows), on large directories only.
        self.ann: Any = None
        self.centred: Any = None
        self.checked_at = time.monotonic()
        self.P: sp.csr_matrix = sp.csr_matrix((0, 0))
        self.patch_rows: list[Any] = []
        self.patch_pos: dict[int, int] = {}
        self.org_of = np.zeros(0, dtype=np.int64)
        self.is_org = np.zeros(0, dtype=bool)
        self.has_text = np.zeros(0, dtype=bool)
        self.kinds = np.zeros(0, dtype=object)
        self.countries = np.zeros(0, dtype=object)
        self.org_types = np.zeros(0, dtype=object)
        self.regions = np.zeros(0, dtype=object)
        self.has_vec = np.zeros(0, dtype=bool)  # a vector, and a text that is more than a name
        self.described = np.zeros(0, dtype=bool)
        self.graph_pos = np.zeros(0, dtype=np.int64)
        self._names: dict[str, list[int]] | None = None  # name_key -> rows, built on demand
        self._as_engine: dict[int, engine_types.Profile] = {}  # row -> what score_pair reads
        self.langs = np.zeros(0, dtype="<U8")  # each profile's main language (lang.py's guess)
        self.term_df: Counter[str] = Counter()  # word stem -> profiles using it (explanations)
        self.graph: CoParticipationGraph | None = None
        self.policy = PolicyWeights()
        self.token: tuple[Any, ...] = ()
        self.built_at = 0.0
        self.n_builds = 0
        self.n_patches = 0
        self.last_refresh_seconds = 0.0
        self.loaded_from = ""
        self.guard = threading.RLock()

    # -- building ----------------------------------------------------------------------------

    def build(self) -> None:
        t0 = time.perf_counter()
        # Before the token: the first ``load`` creates the settings row, which the token reads.
        self.policy = policy_from_db()
        token = state_token()
        profiles = load_org_profiles() + load_opp_profiles()
        self.profiles = profiles
        self.langs = _languages(profiles)
        self.term_df = _term_counts(profiles)
        self.pos = {p.key: i for i, p in enumerate(profiles)}
        texts = [p.text or p.name for p in profiles]
        # The engine's model-free signal: hashed character n-grams, IDF learnt on the pool.
        self.tfidf, self.T = fit_tfidf(texts)
        self.P, self.patch_rows, self.patch_pos = sp.csr_matrix((0, 0)), [], {}
        self.E = self._centre(profiles, self._embeddings(profiles), fit=True)
        pairs = Participation.objects.values_list("organisation_id", "project_id")
        self.graph = (
            CoParticipationGraph.from_participations(pairs.iterator()) if pairs.exists() else None
        )
        self._arrays()
        self._build_ann()
        self.token = token
        self.built_at = time.time()
        self.n_builds += 1
        self.last_refresh_seconds = time.perf_counter() - t0
        logger.info(
            "matching index built: %d profiles in %.2fs", len(profiles), self.last_refresh_seconds
        )

    def _embeddings(
        self, profiles: Sequence[Profile], parts: Sequence[tuple[Encoder, float]] | None = None
    ) -> np.ndarray:
        """The profiles' text vectors, assembled from the stored per-model rows.

        A full build (``parts`` None) chooses the text model: every base model whose vectors
        cover all profiles but ``USABLE_MISSING_SHARE`` (a few missing ones are embedded here),
        else the best-covered one. So USE serves minutes after an import while E5 is still
        being computed; the rest is left to the background task. ``self.encoder`` embeds
        queries the same way. Patches pass the index's ``parts`` so that rows stay comparable."""
        choosing = parts is None
        available = encoder_parts(get_encoder()) if choosing else list(parts or [])
        hashes = {p.hash: p.text for p in profiles if p.text}
        if not available or not hashes:
            if choosing:
                self.parts, self.encoder = [], None
            return np.zeros((len(profiles), 0), dtype=np.float32)
        inline_limit = int(getattr(settings, "MATCHING_INLINE_EMBED_LIMIT", 200))
        stored: list[dict[str, np.ndarray]] = []
        for part, _w in available:
            have = _stored(part, list(hashes))
            missing = {h: t for h, t in hashes.items() if h not in have}
            if missing and len(missing) <= inline_limit:
                embed_texts(missing, part)
                have.update(_stored(part, list(missing)))
            stored.append(have)
        if choosing:
            if any(len(have) < len(hashes) for have in stored):
                from alpsbio.matching import tasks

                tasks.enqueue_embedding()
            # A model is used once it lacks only a sliver of the profiles (those rows rank on
            # TF-IDF until the task fills them): an import of a few hundred organisations does
            # not drop E5 for everyone, but a model half-way through the directory waits.
            slack = int(USABLE_MISSING_SHARE * len(hashes))
            usable = [k for k, have in enumerate(stored) if len(hashes) - len(have) <= slack]
            if not usable:
                best = max(range(len(stored)), key=lambda k: len(stored[k]))
                usable = [best] if stored[best] else []
            self.parts = [available[k] for k in usable]
            self.encoder = compose(self.parts)
            stored = [stored[k] for k in usable]
            available = self.parts
        if not available:
            return np.zeros((len(profiles), 0), dtype=np.float32)
        total = sum(w for _p, w in available)
        blocks = []
        dims = [next((len(v) for v in have.values()), 0) for have in stored]
        if choosing:
            self.part_dims = dims
        else:  # a patched row without a vector yet keeps the index's width
            dims = [d or k for d, k in zip(dims, self.part_dims, strict=False)]
        for (_part, w), have, dim in zip(available, stored, dims, strict=True):
            block = np.zeros((len(profiles), dim), dtype=np.float32)
            for i, p in enumerate(profiles):
                v = have.get(p.hash) if p.text else None
                if v is not None and len(v) == dim:
                    block[i] = v
            # The same weighting as ``CombinedEmbedder``: the dot product of two assembled rows
            # is the weighted mean of the models' cosines.
            blocks.append(block * np.float32(np.sqrt(w / total)))
        return np.hstack(blocks) if len(blocks) > 1 else blocks[0]

    def _tfidf_row(self, row: int) -> Any:
        pos = self.patch_pos.get(row)
        return self.P[pos] if pos is not None else self.T[row]

    def _arrays(self) -> None:
        """Per-profile columns as arrays, so that filters are vectorised."""
        self._names = None
        self._countries: list[str] | None = None
        self._as_engine = {}
        ps = self.profiles
        self.org_of = np.array([p.org_id for p in ps], dtype=np.int64)
        self.is_org = np.array([p.opp_id is None for p in ps], dtype=bool)
        self.has_text = np.array([bool(p.text) for p in ps], dtype=bool)
        self.kinds = np.array([p.kind for p in ps], dtype=object)
        self.countries = np.array([p.country for p in ps], dtype=object)
        self.org_types = np.array([p.org_type for p in ps], dtype=object)
        self.regions = np.array([p.region for p in ps], dtype=object)
        self.described = np.array([_describes(p) for p in ps], dtype=bool)
        self.has_vec = (
            np.any(self.E != 0, axis=1) & self.described
            if self.E.shape[1]
            else np.zeros(len(ps), dtype=bool)
        )
        g = self.graph
        self.graph_pos = np.array(
            [g.index.get(p.org_id, -1) if g is not None else -1 for p in ps], dtype=np.int64
        )

    def _build_ann(self) -> None:
        """An HNSW graph over the profiles' vectors when there are more than
        ``MATCHING_ANN_MIN_PROFILES`` of them (the engine's measured choice: exact search is
        within budget up to about 10,000, HNSW beyond), so that suggestions read a few hundred
        rows instead of all of them."""
        self.ann = None
        rows = np.flatnonzero(self.has_vec)
        limit = int(getattr(settings, "MATCHING_ANN_MIN_PROFILES", EXACT_LIMIT))
        if not self.E.shape[1] or len(rows) <= limit:
            return
        try:
            ann = HnswIndex(self.E.shape[1], capacity=len(rows))
        except ImportError:  # hnswlib missing: exact scoring, slower but the same results
            return
        t0 = time.perf_counter()
        ann.add([int(r) for r in rows], self.E[rows])
        self.ann = ann
        logger.info("matching ANN index: %d vectors in %.1fs", len(rows), time.perf_counter() - t0)

    def _centre(self, profiles: Sequence[Profile], E: np.ndarray, fit: bool = False) -> np.ndarray:
        """Remove the language offset from each base model's block separately, as the engine's
        ``combined_centred`` does (each model centred on its own language subspace, then the
        blocks weighted), with the caches filled from the stored vectors so that nothing is
        embedded twice. One centring of the concatenated vector left most of E5's language
        offset in and let USE dominate after normalisation (bench/match_search_quality.py)."""
        if self.encoder is None or not E.shape[1]:
            return E
        from alpsbio.matching.engine.embedding import CombinedEmbedder, LanguageCentredEmbedder

        total = sum(w for _p, w in self.parts)
        spans, start = [], 0
        for dim in self.part_dims:
            spans.append((start, start + dim))
            start += dim
        scales = [float(np.sqrt(w / total)) for _p, w in self.parts]
        # Per block: the rows that have this model's vector (a few may still lack one).
        rows = [
            [i for i, p in enumerate(profiles) if p.text and np.any(E[i, a:b])] for a, b in spans
        ]
        if fit:
            # Per-language means need a pool; on a handful of profiles they would erase the text.
            self.centred = (
                CombinedEmbedder(
                    [LanguageCentredEmbedder(p) for p, _w in self.parts],
                    [w for _p, w in self.parts],
                )
                if max((len(r) for r in rows), default=0) >= MIN_CENTRING_POOL
                else None
            )
        if self.centred is None:
            return E
        out = E.copy()
        for part, (a, b), scale, rs in zip(self.centred.parts, spans, scales, rows, strict=True):
            texts = [profiles[i].text for i in rs]
            for i, text in zip(rs, texts, strict=True):
                part.cache.put(part.cache.key(text), E[i, a:b] / scale)
            if fit:
                part.fit(texts)
            if rs:
                out[rs, a:b] = part.embed(texts) * np.float32(scale)
        self._forget_raw_vectors()
        return out

    def _forget_raw_vectors(self) -> None:
        """Empty the centring's caches: the raw vectors were only put there for one computation
        (``E`` holds the result), and a query's would pile up for the life of the process (about
        90 MB for the demo's profiles; 3.5 kB for each distinct search)."""
        if self.centred is not None:
            for part in self.centred.parts:
                part.cache.clear()

    @_guarded
    def refresh(self, force: bool = False, background: bool = False) -> bool:
        """Bring the index up to date with the DB; returns True if anything changed.

        The state token costs a few aggregate queries, so it is read at most every
        ``MATCHING_REFRESH_SECONDS`` (default 1 s) per process unless ``force``. When rows were
        added or removed, the index is rebuilt; with ``background`` that happens in a thread
        (this index keeps answering meanwhile and is replaced when the new one is ready).
        """
        interval = float(getattr(settings, "MATCHING_REFRESH_SECONDS", 1.0))
        now = time.monotonic()
        if not force and now - self.checked_at < interval:
            return False
        self.checked_at = now
        token = state_token()
        if token == self.token:
            return False
        t0 = time.perf_counter()
        old = self.token
        if not old or token_shape(old) != token_shape(token) or self.tfidf is None:
            return self._rebuild(background)
        if (token[2] or 0) < (old[2] or 0):  # an opportunity deleted (admin only): rebuild
            return self._rebuild(background)
        # Only edits: patch the rows updated since the last build.
        since = old[1], old[3]
        org_ids = (
            list(Organisation.objects.filter(updated_at__gt=since[0]).values_list("pk", flat=True))
            if since[0]
            else []
        )
        # No opportunity at the last build: every one is new.
        opp_qs = (
            Opportunity.objects.filter(updated_at__gt=since[1])
            if since[1]
            else Opportunity.objects.all()
        )
        opp_ids = list(opp_qs.values_list("pk", flat=True))
        published = set(
            Opportunity.objects.filter(
                pk__in=opp_ids, status=OpportunityStatus.PUBLISHED
            ).values_list("pk", flat=True)
        )
        if len(org_ids) + len(opp_ids) > MAX_PATCH_ROWS:  # a bulk update: cheaper to rebuild
            return self._rebuild(background)
        # Edits pile up in the side matrix (one row per edit) and withdrawn profiles stay as
        # hidden rows until a build: past MAX_PATCH_ROWS of either, a rebuild folds them in and
        # refits the TF-IDF, so a long run of edits without imports cannot grow without bound.
        hidden = int(np.count_nonzero(~self.has_text & ~self.is_org))
        hidden += sum(i not in published and f"opp:{i}" in self.pos for i in opp_ids)
        if len(self.patch_rows) + len(org_ids) + len(opp_ids) > MAX_PATCH_ROWS or (
            hidden > MAX_PATCH_ROWS
        ):
            return self._rebuild(background)
        # An organisation's type, place and networks are part of its opportunities' profiles.
        published |= set(
            Opportunity.objects.filter(
                organisation_id__in=org_ids, status=OpportunityStatus.PUBLISHED
            ).values_list("pk", flat=True)
        )
        changed = load_org_profiles(org_ids) + load_opp_profiles(sorted(published))
        if any(p.key not in self.pos and p.opp_id is None for p in changed):
            return self._rebuild(background)  # an organisation became matchable
        # A profile published since is appended; one withdrawn or expired is hidden in place.
        new = [p for p in changed if p.key not in self.pos]
        changed = [p for p in changed if p.key in self.pos]
        self._append(new)
        self._hide(
            [self.pos[f"opp:{i}"] for i in opp_ids if i not in published and f"opp:{i}" in self.pos]
        )
        if changed:
            rows = [self.pos[p.key] for p in changed]
            for row, prof in zip(rows, changed, strict=True):
                self.term_df.subtract(_term_counts([self.profiles[row]]))
                self.term_df.update(_term_counts([prof]))
                self.profiles[row] = prof
                self.langs[row] = _languages([prof])[0]
                self._as_engine.pop(row, None)
            self._names = None
            self._countries = None
            new_t = sp.csr_matrix(self.tfidf.embed_sparse([p.text or p.name for p in changed]))
            # Edited rows live in a small side matrix that overrides the big one (O(edits), not
            # O(nnz)); the next full build folds them back in.
            for k, row in enumerate(rows):
                self.patch_pos[row] = len(self.patch_rows)
                self.patch_rows.append(new_t[k])
            self.P = sp.csr_matrix(sp.vstack(self.patch_rows))
            if self.E.shape[1]:
                self.E[rows] = self._centre(changed, self._embeddings(changed, self.parts))[
                    :, : self.E.shape[1]
                ]
            for row, prof in zip(rows, changed, strict=True):
                self.has_text[row] = bool(prof.text)
                self.kinds[row] = prof.kind
                self.countries[row] = prof.country
                self.org_types[row] = prof.org_type
                self.regions[row] = prof.region
                self.described[row] = _describes(prof)
                if self.E.shape[1]:
                    self.has_vec[row] = bool(np.any(self.E[row])) and self.described[row]
            if self.ann is not None:
                with_vec = [r for r in rows if self.has_vec[r]]
                self.ann.remove([r for r in rows if not self.has_vec[r]])
                if with_vec:
                    self.ann.add(with_vec, self.E[with_vec])
        self.policy = policy_from_db()
        self.token = token
        self.n_patches += 1
        self.last_refresh_seconds = time.perf_counter() - t0
        return True

    def _append(self, new: Sequence[Profile]) -> None:
        """Add profiles published since the build: rows at the end of every structure (the
        TF-IDF keeps its vocabulary weights, the vectors the fitted centring), so that a new
        profile is matched on the next read instead of after a rebuild."""
        if not new:
            return
        start = len(self.profiles)
        self.profiles.extend(new)
        self.langs = np.concatenate([self.langs, _languages(new)])
        self.term_df.update(_term_counts(new))
        for k, prof in enumerate(new):
            self.pos[prof.key] = start + k
        self.T = sp.csr_matrix(
            sp.vstack([self.T, self.tfidf.embed_sparse([p.text or p.name for p in new])])
        )
        if self.E.shape[1]:
            vectors = self._centre(new, self._embeddings(new, self.parts))[:, : self.E.shape[1]]
            self.E = np.vstack([self.E, vectors.astype(np.float32)])
        self._arrays()
        if self.ann is not None:
            rows = [r for r in range(start, len(self.profiles)) if self.has_vec[r]]
            if rows:
                self.ann.add(rows, self.E[rows])

    def _hide(self, rows: Sequence[int]) -> None:
        """Take profiles that left the published set out of every result until the next build:
        the row keeps its place but loses its text, type and vector (so later array rebuilds
        and the snapshot keep it hidden); publishing again patches it back."""
        self._countries = None
        for row in rows:
            self.term_df.subtract(_term_counts([self.profiles[row]]))
            self.profiles[row] = dataclasses.replace(self.profiles[row], texts={}, kind="")
            self._as_engine.pop(row, None)
            self.has_text[row] = False
            self.described[row] = False
            self.kinds[row] = ""
            if self.E.shape[1]:
                self.E[row] = 0.0
                self.has_vec[row] = False
        if self.ann is not None and rows:
            self.ann.remove(list(rows))

    def _rebuild(self, background: bool) -> bool:
        if background:
            rebuild_in_background()
            return False
        self.build()
        return True

    def countries_present(self) -> list[str]:
        """The country codes of the profiles that can be found, for a search's country filter
        (kept until the arrays change: a build, a patch or new rows)."""
        if self._countries is None:
            found = self.countries[self.has_text] if len(self.countries) else self.countries
            self._countries = sorted({str(c) for c in found if c})
        return self._countries

    # -- scoring -----------------------------------------------------------------------------

    def named(self, query: str) -> list[int]:
        """The rows of the profiles called exactly ``query`` (see ``name_key``)."""
        if self._names is None:
            names: dict[str, list[int]] = {}
            for row, p in enumerate(self.profiles):
                for key in {name_key(a) for a in p.aliases}:
                    if key:
                        names.setdefault(key, []).append(row)
            self._names = names
        return self._names.get(name_key(query), [])

    def text_scores(
        self,
        query_rows: np.ndarray | None = None,
        *,
        q_tfidf: Any = None,
        q_emb: np.ndarray | None = None,
        rows: np.ndarray | None = None,
        tfidf_weight: float = PROFILE_TFIDF_WEIGHT,
        cross_tfidf_weight: float | None = None,
    ) -> np.ndarray:
        """Cosine similarity of one query to every profile (embedding and TF-IDF blended), or
        to the profiles at ``rows`` only (in that order). With ``cross_tfidf_weight``, a profile
        query weighs TF-IDF so only against profiles in another language: character n-grams
        shared across languages are mostly endings and function words."""
        if query_rows is not None:
            q_tfidf = self._tfidf_row(int(query_rows[0]))
            q_emb = self.E[query_rows] if self.has_vec[int(query_rows[0])] else None
        T, E = (self.T, self.E) if rows is None else (self.T[rows], self.E[rows])
        has_vec = self.has_vec if rows is None else self.has_vec[rows]
        tf = np.zeros(T.shape[0])
        if q_tfidf is not None:
            # Sparse matrix times a dense vector: O(nnz), unlike a sparse-sparse product.
            q = np.asarray(q_tfidf.toarray(), dtype=np.float32).ravel()
            tf = np.asarray(T @ q).ravel()
            if self.patch_pos:  # edited rows: their TF-IDF row lives in the side matrix
                if rows is None:
                    hits = list(self.patch_pos.items())
                else:
                    patched = self.patch_pos
                    hits = [(i, patched[int(r)]) for i, r in enumerate(rows) if int(r) in patched]
                if hits:
                    at = np.array([i for i, _p in hits], dtype=np.int64)
                    pos = np.array([p for _i, p in hits], dtype=np.int64)
                    tf[at] = np.asarray(self.P[pos] @ q).ravel()
        if q_emb is not None and E.shape[1] and np.any(q_emb):
            emb = E @ np.asarray(q_emb, dtype=np.float32).ravel()
            w: Any = np.float32(tfidf_weight)
            if cross_tfidf_weight is not None and query_rows is not None:
                langs = self.langs if rows is None else self.langs[rows]
                same = langs == self.langs[int(query_rows[0])]
                w = np.where(same, w, np.float32(cross_tfidf_weight))
            return np.where(has_vec, (1 - w) * emb + w * tf, tf)
        return tf

    def _text_for_row(
        self,
        row: int,
        allowed: np.ndarray,
        graph: np.ndarray,
        limit: int,
        tfidf_weight: float = PROFILE_TFIDF_WEIGHT,
        cross_tfidf_weight: float | None = None,
    ) -> np.ndarray:
        """``text_scores`` of one profile against all, computed exactly where it can matter.

        With the ANN index, only for its nearest neighbours, the strongest graph candidates
        (common partners) and the profiles without a vector (new ones, ranked on TF-IDF); the
        rest count as 0. A narrow filter that leaves too few neighbours falls back to all rows.
        A profile that is only a name has nothing to match on: its text counts 0 everywhere."""
        if not self.described[row]:
            return np.zeros(len(self.profiles))
        if self.ann is None or not self.has_vec[row]:
            return self.text_scores(
                np.array([row]), tfidf_weight=tfidf_weight, cross_tfidf_weight=cross_tfidf_weight
            )
        k = min(len(self.ann), max(ANN_CANDIDATES, 20 * limit))
        near = np.fromiter((int(i) for i, _s in self.ann.search(self.E[row], k)), dtype=np.int64)
        near = near[allowed[near]]
        if len(near) < 5 * limit:
            return self.text_scores(
                np.array([row]), tfidf_weight=tfidf_weight, cross_tfidf_weight=cross_tfidf_weight
            )
        # The strongest graph candidates too (a hub's two-hop neighbourhood can be thousands).
        linked = np.flatnonzero(allowed & (graph > 0))
        if len(linked) > k:
            linked = linked[np.argpartition(-graph[linked], k - 1)[:k]]
        rows = np.union1d(np.union1d(near, linked), np.flatnonzero(allowed & ~self.has_vec))
        text = np.zeros(len(self.profiles))
        text[rows] = self.text_scores(
            np.array([row]),
            rows=rows,
            tfidf_weight=tfidf_weight,
            cross_tfidf_weight=cross_tfidf_weight,
        )
        return text

    def graph_scores(self, org_id: int) -> np.ndarray:
        """The strength of the collaboration history from the organisation to every profile's
        organisation: the engine's saturating map of Adamic-Adar, in [0, 1)."""
        n = len(self.profiles)
        if self.graph is None or org_id not in self.graph.index:
            return np.zeros(n)
        row = self.graph.scores([self.graph.index[org_id]], "adamic_adar")[0]
        row = scoring.history_strength(np.asarray(row, dtype=np.float64))
        return np.where(self.graph_pos >= 0, row[np.maximum(self.graph_pos, 0)], 0.0)

    def already_partners(self, org_id: int) -> set[int]:
        if self.graph is None or org_id not in self.graph.index:
            return set()
        return {
            int(str(self.graph.org_ids[j])) for j in self.graph.neighbours(self.graph.index[org_id])
        }

    def _rank(
        self,
        source: Profile,
        text: np.ndarray,
        graph: np.ndarray,
        allowed: np.ndarray,
        limit: int,
        policy: PolicyWeights | None = None,
    ) -> list[Suggestion]:
        """The engine's ``score_pair`` on a short list: the best on text and history, which
        dominate the score; the policy parts then re-order it."""
        pol = policy or self.policy
        coarse = np.where(allowed, pol.text * text + pol.history * graph, -np.inf)
        k = min(len(coarse), max(limit * 5, 50))
        if k == 0:
            return []
        me = source.as_engine()
        scored = []
        for row in np.argpartition(-coarse, k - 1)[:k]:
            if not np.isfinite(coarse[row]):
                continue
            other = self._as_engine.get(row)
            if other is None:
                other = self._as_engine[row] = self.profiles[row].as_engine()
            pair = scoring.score_pair(me, other, text[row], graph[row], pol)
            scored.append((round(pair.total, 4), self.profiles[row].key, int(row), pair))
        scored.sort(key=lambda x: (-x[0], x[1]))
        # The reasons of the ones shown only (building them for the whole short list took
        # about 4 ms of a 10 ms suggestion request).
        weights = {k: v for k, v in dataclasses.asdict(pol).items() if k in scoring.WEIGHTED_PARTS}
        out = []
        for score, _key, row, pair in scored[:limit]:
            cand = self.profiles[row]
            reasons = _reasons(source, cand, pair, weights)
            out.append(
                Suggestion(
                    cand.key,
                    cand.org_id,
                    cand.opp_id,
                    cand.name,
                    cand.kind,
                    score,
                    reasons,
                    cand.is_demo,
                    cand.org_type,
                    cand.country,
                    cand.region,
                )
            )
        return out

    def partner_candidates(self, org_id: int) -> np.ndarray:
        """Which rows may be suggested to the organisation: other organisations with a text,
        not already its partners."""
        known = self.already_partners(org_id)
        return np.asarray(
            self.is_org
            & self.has_text
            & (self.org_of != org_id)
            & ~np.isin(self.org_of, np.fromiter(known, dtype=np.int64, count=len(known)))
        )

    def match_candidates(self, row: int) -> np.ndarray:
        """Which rows may match the opportunity at ``row``: published profiles of complementary
        types (a request meets offers, never requests) of other organisations."""
        source = self.profiles[row]
        wanted = COMPLEMENTARY_TYPES.get(source.kind, frozenset())
        return np.asarray(np.isin(self.kinds, list(wanted)) & (self.org_of != source.org_id))

    @_guarded
    def suggest_partners(self, org_id: int, limit: int = 10) -> list[Suggestion]:
        """Organisations to meet: similar or complementary, preferably new partners."""
        row = self.pos.get(f"org:{org_id}")
        if row is None:
            return []
        source = self.profiles[row]
        graph = self.graph_scores(org_id)
        allowed = self.partner_candidates(org_id)
        text = self._text_for_row(
            row, allowed, graph, limit, PROFILE_TFIDF_WEIGHT, PROFILE_CROSS_TFIDF_WEIGHT
        )
        return self._rank(source, text, graph, allowed, limit)

    @_guarded
    def organisations_for_opportunity(
        self, opp_id: int, limit: int = 8, only_sought: bool = False
    ) -> list[Suggestion]:
        """Organisations (their own profiles) whose work fits a published profile: who could
        use an offer, or answer a request, whether or not they have published a profile.
        ``only_sought``: only the partner types and places the profile seeks, if it says."""
        row = self.pos.get(f"opp:{opp_id}")
        if row is None:
            return []
        source = self.profiles[row]
        sought = SearchFilters(
            org_types=frozenset(source.partner_types),
            regions=tuple(r.upper() for r in source.partner_regions),
        )
        # The profile's topic decides, not the owner's network: with the history part, a
        # company with large consortia saw its old partners first, whatever the profile said.
        graph = np.zeros(len(self.profiles))
        policy = dataclasses.replace(self.policy, history=0.0)
        allowed = np.asarray(self.is_org & self.has_text & (self.org_of != source.org_id))
        if only_sought:
            allowed &= sought.mask(self.countries, self.org_types, self.kinds, self.regions)
        text = self._text_for_row(row, allowed, graph, limit, MATCHES_TFIDF_WEIGHT)
        return self._rank(source, text, graph, allowed, limit, policy)

    @_guarded
    def opportunity_matches(self, opp_id: int, limit: int = 10) -> list[Suggestion]:
        """Published profiles of complementary types (a request meets offers, never requests)."""
        row = self.pos.get(f"opp:{opp_id}")
        if row is None:
            return []
        source = self.profiles[row]
        graph = self.graph_scores(source.org_id)
        allowed = self.match_candidates(row)
        text = self._text_for_row(row, allowed, graph, limit, MATCHES_TFIDF_WEIGHT)
        return self._rank(source, text, graph, allowed, limit)

    @_guarded
    def search(
        self,
        query: str,
        limit: int = 20,
        org_id: int | None = None,
        filters: SearchFilters | None = None,
    ) -> list[Suggestion]:
        """Free text in any of the four languages against organisations and published profiles,
        among those the filters let through."""
        if not query.strip() or not self.profiles:
            return []
        q_tfidf = self.tfidf.embed_sparse([query]) if self.tfidf is not None else None
        q_emb = None
        if self.E.shape[1] and self.encoder is not None:
            model = self.centred if self.centred is not None else self.encoder
            q_emb = model.embed([query], query=True)[0]
            self._forget_raw_vectors()
        text = self.text_scores(q_tfidf=q_tfidf, q_emb=q_emb, tfidf_weight=SEARCH_TFIDF_WEIGHT)
        source = Profile(
            key="query",
            org_id=0,
            name=query,
            org_type="",
            country="",
            region="",
            texts={"en": query},
        )
        row = self.pos.get(f"org:{org_id}") if org_id is not None else None
        # Searching for someone applies the whole policy; an anonymous query is text only.
        policy = self.policy if row is not None else self.policy.text_only()
        if row is not None:
            source = self.profiles[row]
        graph = self.graph_scores(org_id) if org_id else np.zeros(len(self.profiles))
        # Searching a partner's exact name finds it first: a perfect text match, whatever the
        # models make of a name (before this, 42% of the demo's legal names were not first).
        named = self.named(query)
        text[named] = 1.0
        allowed = self.has_text & (self.org_of != (org_id or 0))
        allowed &= text > 0.02
        if filters is not None:
            allowed &= filters.mask(self.countries, self.org_types, self.kinds, self.regions)
        # An organisation's own profile and its expertise profile describe the same thing: show
        # the better of the two only. Offers, requests and partner searches stay separate.
        results, seen = [], set()
        for r in self._rank(source, text, graph, allowed, 2 * limit, policy):
            if r.opp_id is None or r.kind == "EX":
                if r.org_id in seen:
                    continue
                seen.add(r.org_id)
            r.reasons["query"] = query
            if self.pos.get(r.key) in named:
                r.reasons["name"] = True
            results.append(r)
        return results[:limit]


def _reasons(
    source: Profile, cand: Profile, pair: scoring.PairScore, weights: dict[str, float]
) -> dict[str, Any]:
    """The score parts as the flags ``explain`` renders (and the API's ``reasons`` come from);
    ``weights``: the policy's weight of each part."""
    parts = pair.parts
    flags: dict[str, Any] = {
        "text": round(parts.text, 4),
        "graph": round(parts.history, 4),
        "score_parts": {k: round(v, 4) for k, v in dataclasses.asdict(parts).items()},
        "score_weights": dict(weights),
    }
    if parts.cross_border:
        flags["border"] = [source.country, cand.country]
    if parts.cross_sector:
        flags["sector"] = [source.org_type, cand.org_type]
    if pair.shared_networks:
        flags["networks"] = [int(n) for n in pair.shared_networks]
    if parts.complementarity >= COMPLEMENTARY_AT:
        flags["complementary_org_types"] = [source.org_type, cand.org_type]
    if source.kind and cand.kind:
        flags["complementary_kinds"] = [source.kind, cand.kind]
    if pair.matches_sought:
        flags["sought"] = list(pair.matches_sought)
    return flags


_lock = threading.Lock()
_index: MatchIndex | None = None


class IndexNotReady(Exception):
    """The index is being built in the background; ask again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int = 30) -> None:
        super().__init__("the matching index is being prepared")
        self.retry_after = retry_after


def _expected_profiles() -> int:
    """An upper bound of the number of profiles (cheap: two counts)."""
    return (
        Organisation.objects.filter(is_active=True).count()
        + Opportunity.objects.filter(status=OpportunityStatus.PUBLISHED).count()
    )


def _should_wait() -> bool:
    """Build inside the request only on small directories (tests, a fresh demo install)."""
    if not getattr(settings, "MATCHING_WARM_IN_BACKGROUND", True):
        return True
    limit = int(getattr(settings, "MATCHING_SYNC_BUILD_LIMIT", 5000))
    return _expected_profiles() <= limit


def _load_or_build() -> MatchIndex:
    """A usable snapshot from disk (brought up to date), else a full build (then saved)."""
    idx = load_snapshot()
    if idx is not None:
        idx.refresh(force=True)  # patches the edits made since the snapshot was written
        return idx
    idx = MatchIndex()
    idx.build()
    try:
        save_snapshot(idx)
    except OSError:
        logger.warning("could not write the matching index snapshot", exc_info=True)
    return idx


def loaded_index() -> MatchIndex | None:
    """The per-process index if it is already in memory (no load, no build, no refresh)."""
    return _index


def get_index(wait: bool | None = None) -> MatchIndex:
    """The per-process index, refreshed when the DB changed.

    On first use it is loaded from the snapshot on disk (seconds) when one matches the data and
    the text model; otherwise it is built. With ``wait=False`` (the default in web requests on a
    large directory, see ``MATCHING_SYNC_BUILD_LIMIT``) that build runs in a background thread
    and this raises :class:`IndexNotReady` at once; ``wait=True`` (tasks, commands) builds here.
    """
    global _index
    if _index is None:
        if wait is None:
            wait = _should_wait()
        if not wait:
            if _warming.is_set():
                raise IndexNotReady(retry_after=30)
            # A valid snapshot loads in seconds: do it here rather than make the user come back.
            if not _lock.locked() and snapshot_usable():
                with _lock:
                    if _index is None:
                        loaded = load_snapshot()  # None if it fails verification: build below
                        if loaded is not None:
                            # Edits since are patched; too many: rebuilt in a thread.
                            loaded.refresh(force=True, background=True)
                            _index = loaded
                    if _index is not None:
                        return _index
            warm_index_in_background()
            raise IndexNotReady(retry_after=60)
    with _lock:
        if _index is None:
            _index = _load_or_build()
        else:
            limit = int(getattr(settings, "MATCHING_SYNC_BUILD_LIMIT", 5000))
            in_background = wait is False or (
                wait is None
                and getattr(settings, "MATCHING_WARM_IN_BACKGROUND", True)
                and len(_index.profiles) > limit
            )
            _index.refresh(background=in_background)
        return _index


def preload_for_workers() -> bool:
    """Load the snapshot into this process before it forks its web workers (gunicorn's
    ``preload_app``): the workers then share the index's arrays and the models' weights
    copy-on-write instead of loading a copy each. No thread is started and the database
    connection is closed, so nothing of either crosses the fork; each worker brings the index
    up to date on its first request, as after any load. Returns whether an index was loaded."""
    global _index
    from django.db import connections

    try:
        with _lock:
            if _index is None and snapshot_usable():
                _index = load_snapshot()
            if _index is not None:
                # Models load their weights on first use; those that may cross a fork load
                # them here (USE: about 117 MB a worker). E5's C engine runs OpenMP, which a
                # forked child cannot use once the parent has: each worker loads it (13 MB).
                for part, _weight in _index.parts:
                    if getattr(part, "fork_safe", False):
                        part.embed(["warm-up"])
            return _index is not None
    finally:
        connections.close_all()


_warming = threading.Event()
_warm_lock = threading.Lock()


def index_ready() -> bool:
    return _index is not None


def index_warming() -> bool:
    return _warming.is_set()


def _in_thread(
    flag: threading.Event, name: str, work: Callable[[], object], skip: bool = False
) -> threading.Thread | None:
    """Run ``work`` in a daemon thread unless ``flag`` says one runs already (or ``skip``); the
    thread closes its own database connection and clears the flag when done."""
    with _warm_lock:
        if skip or flag.is_set():
            return None
        flag.set()

    def run() -> None:
        from django.db import connection

        try:
            work()
        except Exception:
            logger.exception("matching index: %s failed", name)
        finally:
            connection.close()
            flag.clear()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def warm_index_in_background() -> threading.Thread | None:
    """Load or build the index in a thread so that no request waits for it (a full build reads
    every profile and vector: half a minute or more on the real directory)."""
    return _in_thread(
        _warming, "matching-index-warm-up", lambda: get_index(wait=True), skip=_index is not None
    )


_rebuilding = threading.Event()


def rebuild_in_background() -> threading.Thread | None:
    """Replace the index with a new one built (or loaded from a fresher snapshot) in a thread;
    the current one keeps answering until then. At most one such thread per process."""

    def swap() -> None:
        global _index
        fresh = _load_or_build()
        with _lock:
            _index = fresh

    return _in_thread(_rebuilding, "matching-index-rebuild", swap)


def reset_index() -> None:
    global _index
    with _lock:
        _index = None


# --- Snapshot on disk -------------------------------------------------------------------------
# The built index is written to ``MATCHING_SNAPSHOT_DIR`` (default ``var/cache/matching``) as a
# signed numpy archive: a new web process loads it in seconds instead of building. No pickle:
# ``np.load(allow_pickle=False)`` and JSON, behind an HMAC-SHA256 (key derived from SECRET_KEY)
# that is checked before anything is parsed. It is used when it was built from the same text
# model and the same rows (or the same rows plus edits, which are patched on load like in a
# running process); anything else (missing, corrupt, tampered, other model, older format, rows
# added or removed since) is ignored and the index is built again.

# How the explanations' word counts in a snapshot were stemmed; other counts are recomputed.
STEM_SCHEME = "unaccented-6"
SNAPSHOT_FORMAT = 4  # 2: vectors per base model; 3: with the ANN graph; 4: centring per model
_MAGIC = b"ALPSBIO-MATCH-IDX1\n"
_MAC_SIZE = 32
SNAPSHOT_NAME = "matching-index.npz.signed"


def snapshot_path() -> Path | None:
    """Where the snapshot lives, or None when snapshots are off (``MATCHING_SNAPSHOT_DIR=""``)."""
    raw = getattr(settings, "MATCHING_SNAPSHOT_DIR", None)
    if raw is None:
        raw = Path(settings.VAR_DIR) / "cache" / "matching"
    if not str(raw):
        return None
    return Path(raw) / SNAPSHOT_NAME


def _snapshot_mac(body: bytes) -> bytes:
    key = hashlib.sha256(
        b"alpsbio.matching.index-snapshot:" + settings.SECRET_KEY.encode()
    ).digest()
    return hmac.new(key, body, hashlib.sha256).digest()


def _model_id(enc: Encoder | None) -> str:
    from alpsbio.matching.engine.embedding import TfidfEmbedder

    text = f"{enc.name}=={enc.version}" if enc is not None else "none"
    return f"format={SNAPSHOT_FORMAT};text={text};tfidf={TfidfEmbedder().version}"


def _text_model_of(meta: dict[str, Any]) -> tuple[list[tuple[Encoder, float]], list[int]] | None:
    """The base models (and their dimensions) a snapshot's vectors came from, if this process
    has them, in the same versions; None if the snapshot cannot be used with this text model."""
    installed = {p.name: (p, w) for p, w in encoder_parts(get_encoder())}
    named = meta.get("text_parts") or []
    if any(not isinstance(x, list) or len(x) != 2 or x[0] not in installed for x in named):
        return None
    parts = [installed[name] for name, _dim in named]
    if meta.get("model") != _model_id(compose(parts)):
        return None
    return parts, [int(dim) for _name, dim in named]


def _token_to_json(token: Sequence[Any]) -> list[Any]:
    return [v.isoformat() if isinstance(v, dt.datetime) else v for v in token]


def _token_from_json(raw: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        dt.datetime.fromisoformat(v) if i in (1, 3, 5, 6) and isinstance(v, str) else v
        for i, v in enumerate(raw)
    )


def _same_shape(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return bool(a) and bool(b) and token_shape(a) == token_shape(b)


def _csr_parts(name: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    m = sp.csr_matrix(m)
    return {
        f"{name}_data": m.data,
        f"{name}_indices": m.indices,
        f"{name}_indptr": m.indptr,
        f"{name}_shape": np.asarray(m.shape, dtype=np.int64),
    }


def _csr_from(z: Any, name: str) -> sp.csr_matrix:
    shape = tuple(int(v) for v in z[f"{name}_shape"])
    return sp.csr_matrix(
        (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]), shape=shape
    )


def _json_array(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, separators=(",", ":")).encode(), dtype=np.uint8)


def _profile_json(p: Profile) -> dict[str, Any]:
    d = dataclasses.asdict(p)
    for k in ("nace", "topics", "networks"):
        d[k] = sorted(d[k])
    return d


def _profile_from(d: dict[str, Any]) -> Profile:
    for k in ("nace", "topics", "networks"):
        d[k] = frozenset(d[k])
    return Profile(**d)


def save_snapshot(idx: MatchIndex, path: Path | None = None) -> Path | None:
    """Write ``idx`` atomically (temporary file + rename); returns the path, None when off."""
    path = path or snapshot_path()
    if path is None or idx.tfidf is None:
        return None
    t0 = time.perf_counter()
    meta: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "model": _model_id(idx.encoder),
        "text_parts": [
            [p.name, int(d)] for (p, _w), d in zip(idx.parts, idx.part_dims, strict=True)
        ],
        "token": _token_to_json(idx.token),
        "tfidf_version": idx.tfidf.version,
        "patch_rows": [[int(r), int(p)] for r, p in idx.patch_pos.items()],
        "graph": None,
        "centred": None,
        "built_at": idx.built_at,
        "build_seconds": idx.last_refresh_seconds,
    }
    arrays: dict[str, np.ndarray] = {
        "profiles": _json_array([_profile_json(p) for p in idx.profiles]),
        "idf": np.asarray(idx.tfidf.idf, dtype=np.float32),
        "E": idx.E,
        **_csr_parts("T", idx.T),
    }
    if idx.patch_rows:
        arrays.update(_csr_parts("P", idx.P))
    if idx.graph is not None:
        g = idx.graph
        meta["graph"] = {
            "org_ids": [int(str(o)) for o in g.org_ids],
            "n_projects": len(g.project_ids),
        }
        arrays.update(_csr_parts("B", g.B))
    arrays["langs"] = idx.langs
    stems = sorted(t for t, n in idx.term_df.items() if n > 0)
    meta["term_stems"] = STEM_SCHEME
    arrays["term_stems"] = np.array(stems, dtype="<U6")
    arrays["term_df"] = np.array([idx.term_df[t] for t in stems], dtype=np.int32)
    if idx.ann is not None:
        data, labels, next_label = idx.ann.to_bytes()
        meta["ann"] = {"dim": idx.ann.dim, "next": next_label}
        arrays["ann"] = np.frombuffer(data, dtype=np.uint8)
        arrays["ann_labels"] = np.array([[int(r), lab] for r, lab in labels], dtype=np.int64)
    c = idx.centred
    if c is not None and all(p.overall is not None for p in c.parts):
        meta["centred"] = []
        for k, part in enumerate(c.parts):
            langs = sorted(part.means)
            meta["centred"].append({"mode": part.mode, "min_count": part.min_count, "langs": langs})
            arrays[f"c{k}_overall"] = part.overall
            arrays[f"c{k}_means"] = (
                np.vstack([part.means[x] for x in langs])
                if langs
                else np.zeros((0, len(part.overall)))
            )
            if part.basis is not None:
                arrays[f"c{k}_basis"] = part.basis
    arrays["meta"] = _json_array(meta)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    body = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(_snapshot_mac(body))
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info(
        "matching index snapshot written: %d profiles, %.1f MB in %.2fs",
        len(idx.profiles),
        (len(body) + len(_MAGIC) + _MAC_SIZE) / 1e6,
        time.perf_counter() - t0,
    )
    return path


def _read_snapshot(path: Path, fh: Any) -> Any:
    """The verified archive (``np.load``'ed from ``fh``, no pickle) and its metadata, or None.

    The signature is checked in 1 MB chunks before numpy reads anything, and numpy then reads
    the members from the same open file (no second copy of the file in memory)."""
    head = len(_MAGIC)
    if fh.read(head) != _MAGIC:
        logger.warning("matching index snapshot %s: not a snapshot, ignored", path)
        return None
    digest = fh.read(_MAC_SIZE)
    key = hashlib.sha256(
        b"alpsbio.matching.index-snapshot:" + settings.SECRET_KEY.encode()
    ).digest()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    while chunk := fh.read(1 << 20):
        mac.update(chunk)
    if not hmac.compare_digest(digest, mac.digest()):
        logger.warning("matching index snapshot %s: bad signature, ignored", path)
        return None
    try:
        fh.seek(head + _MAC_SIZE)
        z = np.load(fh, allow_pickle=False)  # a zip archive after our prefix (zipfile allows it)
        meta = json.loads(bytes(z["meta"]).decode())
    except Exception:
        logger.warning("matching index snapshot %s: unreadable, ignored", path, exc_info=True)
        return None
    return z, meta


def _snapshot_meta(path: Path) -> dict[str, Any] | None:
    """The metadata of the snapshot, unverified (for cheap decisions only), or None."""
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_MAGIC)) != _MAGIC:
                return None
            fh.seek(len(_MAGIC) + _MAC_SIZE)
            # Reads only the small "meta" member of the archive (zipfile allows a prefix).
            with np.load(fh, allow_pickle=False) as z:
                meta: dict[str, Any] = json.loads(bytes(z["meta"]).decode())
                return meta
    except Exception:
        return None


def snapshot_usable(path: Path | None = None, token: Sequence[Any] | None = None) -> bool:
    """Cheap check (no verification) that the snapshot exists and could serve the current rows."""
    path = path or snapshot_path()
    if path is None or not path.is_file():
        return False
    meta = _snapshot_meta(path)
    if meta is None:
        return False
    current = tuple(token) if token is not None else state_token()
    return _text_model_of(meta) is not None and _same_shape(
        _token_from_json(meta.get("token") or []), current
    )


def refresh_snapshot(rebuild: bool = False) -> Path | None:
    """Bring this process's index up to date (``rebuild``: from scratch, e.g. after new vectors)
    and write it to disk unless the snapshot there already has the same state. For the worker
    (``tasks.refresh_index_snapshot``) and ``alpsbio matching_cron snapshot --now``."""
    path = snapshot_path()
    if path is None:
        return None
    started = time.time()
    idx = get_index(wait=True)
    with _lock:
        if rebuild and idx.built_at < started:  # not just built by get_index
            idx.build()
        meta = _snapshot_meta(path) if path.is_file() else None
        if (
            not rebuild
            and meta is not None
            and meta.get("model") == _model_id(idx.encoder)
            and _token_from_json(meta.get("token") or []) == idx.token
            and not idx.patch_pos
        ):
            return path
        return save_snapshot(idx, path)


def load_snapshot(path: Path | None = None) -> MatchIndex | None:
    """The index stored at ``path`` if it is ours, readable and built from the current rows and
    text model (edits since are left to ``refresh``); None otherwise."""

    path = path or snapshot_path()
    if path is None:
        return None
    t0 = time.perf_counter()
    try:
        with open(path, "rb") as fh:
            return _load_snapshot_from(path, fh, t0)
    except OSError:
        return None


def _load_snapshot_from(path: Path, fh: Any, t0: float) -> MatchIndex | None:
    from alpsbio.matching.engine.embedding import (
        CombinedEmbedder,
        LanguageCentredEmbedder,
        TfidfEmbedder,
    )

    read = _read_snapshot(path, fh)
    if read is None:
        return None
    z, meta = read
    token = _token_from_json(meta.get("token") or [])
    text_model = _text_model_of(meta) if meta.get("format") == SNAPSHOT_FORMAT else None
    if text_model is None:
        logger.info("matching index snapshot %s: other format or text model, ignored", path)
        return None
    if not _same_shape(token, state_token()):
        logger.info("matching index snapshot %s: rows added or removed since, ignored", path)
        return None
    try:
        idx = MatchIndex()
        idx.profiles = [_profile_from(d) for d in json.loads(bytes(z["profiles"]).decode())]
        idx.pos = {p.key: i for i, p in enumerate(idx.profiles)}
        tfidf = TfidfEmbedder()
        tfidf.idf = np.asarray(z["idf"], dtype=np.float32)
        tfidf.version = str(meta["tfidf_version"])
        idx.tfidf = tfidf
        idx.T = _csr_from(z, "T")
        if meta["patch_rows"]:
            idx.P = _csr_from(z, "P")
            idx.patch_pos = {int(r): int(p) for r, p in meta["patch_rows"]}
            idx.patch_rows = [idx.P[i] for i in range(idx.P.shape[0])]
        idx.E = np.asarray(z["E"], dtype=np.float32)
        idx.parts, idx.part_dims = text_model
        idx.encoder = compose(idx.parts)
        c = meta.get("centred")
        if c is not None and idx.encoder is not None:
            centred_parts: list[Any] = []
            for k, ((part, _w), cm) in enumerate(zip(idx.parts, c, strict=True)):
                lce = LanguageCentredEmbedder(part, min_count=cm["min_count"], mode=cm["mode"])
                lce.overall = np.asarray(z[f"c{k}_overall"])
                lce.means = {x: np.asarray(z[f"c{k}_means"][i]) for i, x in enumerate(cm["langs"])}
                lce.basis = np.asarray(z[f"c{k}_basis"]) if f"c{k}_basis" in z.files else None
                centred_parts.append(lce)
            idx.centred = CombinedEmbedder(centred_parts, [w for _p, w in idx.parts])
        g = meta.get("graph")
        if g is not None:
            idx.graph = CoParticipationGraph(
                list(g["org_ids"]), list(range(int(g["n_projects"]))), _csr_from(z, "B")
            )
        if len(idx.profiles) != idx.T.shape[0] or len(idx.E) != len(idx.profiles):
            raise ValueError("inconsistent sizes")
        idx.langs = (
            np.asarray(z["langs"]).astype("<U8") if "langs" in z.files else _languages(idx.profiles)
        )
        if len(idx.langs) != len(idx.profiles):
            raise ValueError("inconsistent sizes")
        if "term_stems" in z.files and meta.get("term_stems") == STEM_SCHEME:
            stems, counts = np.asarray(z["term_stems"]), np.asarray(z["term_df"])
            idx.term_df = Counter(dict(zip(stems.tolist(), counts.tolist(), strict=True)))
        else:  # written before the counts were kept, or with other stems
            idx.term_df = _term_counts(idx.profiles)
        a = meta.get("ann")
        if a is not None:
            labels = [(int(r), int(lab)) for r, lab in np.asarray(z["ann_labels"]).reshape(-1, 2)]
            idx.ann = HnswIndex.from_bytes(bytes(z["ann"]), int(a["dim"]), labels, int(a["next"]))
    except Exception:
        logger.warning("matching index snapshot %s: unreadable, ignored", path, exc_info=True)
        return None
    idx._arrays()
    idx.policy = policy_from_db()
    idx.token = token
    idx.built_at = float(meta.get("built_at") or 0.0)
    idx.loaded_from = str(path)
    idx.last_refresh_seconds = time.perf_counter() - t0
    logger.info(
        "matching index loaded from %s: %d profiles in %.2fs",
        path,
        len(idx.profiles),
        idx.last_refresh_seconds,
    )
    return idx


# --- Explanations -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 15)  # a directory's vocabulary repeats; NFKD per word does not
def _stem(word: str) -> str:
    """A word's first six letters without accents, lower case: "détectent" and "detecting",
    "résidus" and "residues", "Biosensoren" and "biosensors" meet across languages."""
    return strip_accents(word)[:6]


@functools.lru_cache(maxsize=2048)  # a page reads its source's text once per suggestion
def _terms(text: str) -> dict[str, str]:
    """Stem (``_stem``) -> a surface word, for content words of 4+ letters. Shared between
    callers through the cache: read it, never change it."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text):
        lw = w.lower()
        if lw in _STOP:
            continue
        out.setdefault(_stem(lw), lw)
    return out


def _term_counts(profiles: Sequence[Profile]) -> Counter[str]:
    """In how many of the profiles each word stem of ``_terms`` occurs."""
    df: Counter[str] = Counter()
    for p in profiles:
        df.update(_terms(p.text).keys())
    return df


def _without_names(p: Profile, text: str) -> str:
    """An organisation's text without its name lines: a word two names share ("university",
    "gmbh", "landwirtschaft") says nothing about what the two do. An opportunity keeps its
    title, which does."""
    return text if p.opp_id is not None else "\n".join(_lines_beyond_names(p, text))


def _lines_beyond_names(p: Profile, text: str) -> list[str]:
    """The text's non-empty lines, without those that are one of the profile's names or
    titles (compared as in search)."""
    names = {name_key(n) for n in (p.name, *p.aliases)}
    lines = (ln.strip() for ln in text.splitlines())
    return [ln for ln in lines if ln and name_key(ln) not in names]


def specific_terms(terms: dict[str, str], df: Mapping[str, int], pool: int) -> list[str]:
    """Shared words, the rarest in the directory first; on a pool of ``GENERIC_TERM_MIN_POOL``
    profiles or more, words that more than ``GENERIC_TERM_SHARE`` of them use are left out.
    ``terms`` maps stems to words in the order they were read (which breaks ties)."""
    limit = GENERIC_TERM_SHARE * pool if pool >= GENERIC_TERM_MIN_POOL else float("inf")
    ranked = [
        (df.get(stem, 0), k, word)
        for k, (stem, word) in enumerate(terms.items())
        if df.get(stem, 0) <= limit
    ]
    return [word for _n, _k, word in sorted(ranked)]


def summary_of(
    p: Profile, lang: str | None = None, about: Mapping[str, float] | None = None
) -> str:
    """What the profile says beyond its names and titles, in the reader's language when it has
    that language: its lines joined, those that weigh most in ``about`` (the word stems of the
    topics the two sides share, each with its weight) first, cut at a word after
    ``SUMMARY_CHARS``. A name alone says little to a reader who does not know the organisation
    ("EWAVE LTD"); its projects do."""
    lines: list[str] = []  # its names and titles head the result: left out here
    # The reader's language first; a profile that says more in another language says it there.
    for text in (localized(p.texts, lang), *p.texts.values()):
        lines = _lines_beyond_names(p, text)
        if lines:
            break
    if about:
        # sorted() is stable: lines with as many shared topics keep the profile's order.
        lines.sort(key=lambda ln: -sum(about.get(stem, 0.0) for stem in _terms(ln)))
    out = " · ".join(lines)
    if len(out) > SUMMARY_CHARS:
        out = out[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(" ·,;:") + " …"
    return out


def _rarity(words: Sequence[str], idx: MatchIndex | None) -> dict[str, float]:
    """Each word's stem and its inverse document frequency over the directory's profiles: a line
    naming one rare shared topic says more than one naming several common ones."""
    n = len(idx.profiles) if idx is not None else 0
    df = idx.term_df if idx is not None else Counter()
    return {_stem(w): float(np.log((1 + n) / (1 + max(df[_stem(w)], 0)))) + 1.0 for w in words}


@dataclass
class Labels:
    """The names a page of suggestions shows, in the reader's language, read once for the page
    (a query per kind, not per suggestion): the suggestions' organisations and profile titles,
    their common partners, thematic networks and NACE codes. The index keeps names in whichever
    language was active when it was built (a French request, the worker's English)."""

    common: dict[str, list[int]]  # suggestion key -> its common partners' ids, at most 5
    orgs: dict[int, str]  # in the directory's order (legal name), as listed everywhere
    titles: dict[int, str]  # opportunity id -> title
    networks: dict[int, str]  # in the networks' order (slug)
    nace: dict[str, str]

    def name_of(self, s: Suggestion) -> str:
        if s.opp_id is not None:
            return self.titles.get(s.opp_id) or s.name
        return self.orgs.get(s.org_id, s.name)


def labels_for(source_key: str, items: Sequence[Suggestion], lang: str | None = None) -> Labels:
    from alpsbio.directory.models import Network

    idx = _index
    src = idx.profiles[idx.pos[source_key]] if idx and source_key in idx.pos else None
    common: dict[str, list[int]] = {}
    codes: set[str] = set()
    network_ids: set[int] = set()
    for s in items:
        network_ids.update(int(n) for n in s.reasons.get("networks", ()))
        cand = idx.profiles[idx.pos[s.key]] if idx and s.key in idx.pos else None
        if idx is None or src is None or cand is None:
            continue
        codes.update(src.nace & cand.nace)
        g = idx.graph
        if g is not None and src.org_id in g.index and cand.org_id in g.index:
            ids = g.common_partners(g.index[src.org_id], g.index[cand.org_id])[:5]
            common[s.key] = [int(str(i)) for i in ids]
    org_ids = {i for ids in common.values() for i in ids} | {s.org_id for s in items}
    titles = Opportunity.objects.filter(pk__in=[s.opp_id for s in items if s.opp_id])
    nace_rows = NaceCode.objects.filter(code__in=codes).values_list(
        "code", "label_en", "label_fr", "label_de", "label_it"
    )
    return Labels(
        common=common,
        orgs={
            pk: localized(names, lang) or legal_name
            for pk, names, legal_name in Organisation.objects.filter(pk__in=org_ids).values_list(
                "pk", "names", "legal_name"
            )
        },
        titles={pk: localized(t, lang) for pk, t in titles.values_list("pk", "title")},
        networks={
            pk: localized(name, lang)
            for pk, name in Network.objects.filter(pk__in=network_ids).values_list("pk", "name")
        },
        nace={
            code: localized({"en": en, "fr": fr, "de": de, "it": it}, lang)
            for code, en, fr, de, it in nace_rows
        },
    )


def explain(
    source_key: str, s: Suggestion, lang: str | None = None, labels: Labels | None = None
) -> dict[str, Any]:
    """Why this suggestion, in the reader's language: shared topics, complementary types,
    common partners, border and sector crossing, shared thematic networks. ``labels``: the
    names read for the whole page (``labels_for``), else read for this suggestion."""
    from alpsbio.directory.models import OrganisationType
    from alpsbio.matching.models import OpportunityType

    if labels is None:
        labels = labels_for(source_key, [s], lang)
    idx = _index
    src = idx.profiles[idx.pos[source_key]] if idx and source_key in idx.pos else None
    cand = idx.profiles[idx.pos[s.key]] if idx and s.key in idx.pos else None
    reasons: list[str] = []
    topics: list[str] = []
    calls: list[str] = []
    specific: list[str] = []  # the shared words that say something, rarest first
    if cand is not None:
        # The candidate's text in the reader's language, else all of it: one whose only French
        # line is its name still shares the topics of its English projects with a French reader.
        reader = reader_language(lang)
        cand_terms = _terms(
            _without_names(cand, localized(cand.texts, lang)) or _without_names(cand, cand.text)
        )
        if src is not None:
            src_terms = _terms(_without_names(src, src.text))
            in_reader_lang = [_without_names(p, p.texts.get(reader, "")) for p in (cand, src)]
        else:  # a search: the words the user typed
            query = str(s.reasons.get("query", ""))
            src_terms = _terms(query)
            in_reader_lang = [_without_names(cand, cand.texts.get(reader, "")), query]
        # Each shared topic in the reader's language when either side writes it in that
        # language (a French member reads "résidus", not "residues"), else the candidate's word.
        reader_words = _terms("\n".join(in_reader_lang))
        shared = {
            stem: reader_words.get(stem, word)
            for stem, word in cand_terms.items()
            if stem in src_terms
        }
        specific = specific_terms(shared, idx.term_df, len(idx.profiles)) if idx else []
        topics = specific[:MAX_SHARED_WORDS]
        if src is not None:
            nace = sorted(src.nace & cand.nace)
            if nace:
                topics = [f"{c} {labels.nace.get(c, '')}".strip() for c in nace[:3]] + topics
            shared_codes = sorted(src.topics & cand.topics)
            if src.opp_id is None and cand.opp_id is None:
                # Two organisations' "topics" are the EU call topics of their projects: a code
                # says little to a reader, its title does.
                calls = [call_topics.label(code) for code in shared_codes[:3]]
            else:  # an opportunity's are its keywords
                topics += shared_codes[:3]
    r = s.reasons
    if r.get("name"):
        reasons.append(_("Its name is the one searched for"))
    if topics:
        reasons.append(_("Shared topics: %s") % ", ".join(topics[:8]))
    if calls:
        reasons.append(_("Funded under the same EU call topics: %s") % "; ".join(calls))
    types = dict(OrganisationType.choices)
    kinds = dict(OpportunityType.choices)
    if "complementary_kinds" in r:
        a, b = r["complementary_kinds"]
        reasons.append(
            _("Complementary profiles: %(a)s ↔ %(b)s")
            % {"a": kinds.get(a, a), "b": kinds.get(b, b)}
        )
    if "complementary_org_types" in r:
        a, b = r["complementary_org_types"]
        reasons.append(
            _("Types that work together: %(a)s ↔ %(b)s")
            % {"a": types.get(a, a), "b": types.get(b, b)}
        )
    if "sector" in r:
        reasons.append(_("Crosses sectors"))
    if "border" in r:
        reasons.append(
            _("Crosses a border: %(a)s → %(b)s") % {"a": r["border"][0], "b": r["border"][1]}
        )
    if "networks" in r:
        in_both = {int(n) for n in r["networks"]}
        names = [name for pk, name in labels.networks.items() if pk in in_both]
        reasons.append(_("Same thematic network: %s") % ", ".join(names))
    partners = set(labels.common.get(s.key, []))
    common = [name for pk, name in labels.orgs.items() if pk in partners]
    if common:
        reasons.append(_("Common partners in EU projects: %s") % ", ".join(common))
    if "sought" in r:
        reasons.append(_("Fits the partner sought"))
    return {
        "reasons": reasons,
        "topics": topics[:8],
        "call_topics": calls,
        "common_partners": common,
        "summary": (
            summary_of(cand, lang, about=_rarity(specific, idx)) if cand is not None else ""
        ),
        "crosses_border": "border" in r,
        "crosses_sector": "sector" in r,
    }
