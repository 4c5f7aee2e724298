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

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils.translation import gettext as _

from alpsbio.core.i18n import LANGUAGE_CODES, localized
from alpsbio.directory.models import NaceCode, Organisation, Participation
from alpsbio.matching.engine.graph import CoParticipationGraph
from alpsbio.matching.models import (
    COMPLEMENTARY_TYPES,
    Embedding,
    MatchingSettings,
    Opportunity,
    OpportunityStatus,
)

logger = logging.getLogger("alpsbio.matching")

SECTOR_OF_TYPE = {
    "university": "academia",
    "research": "academia",
    "startup": "industry",
    "sme": "industry",
    "large_company": "industry",
    "hospital": "health",
    "training": "training",
    "public_body": "public",
    "cluster": "public",
    "other": "other",
}
# Organisation types that typically work together (either direction).
COMPLEMENTARY_ORG_TYPES = {
    frozenset({"startup", "hospital"}),
    frozenset({"sme", "hospital"}),
    frozenset({"university", "sme"}),
    frozenset({"university", "startup"}),
    frozenset({"research", "sme"}),
    frozenset({"research", "startup"}),
    frozenset({"research", "large_company"}),
    frozenset({"university", "large_company"}),
    frozenset({"hospital", "research"}),
    frozenset({"hospital", "university"}),
    frozenset({"training", "sme"}),
    frozenset({"training", "hospital"}),
}
TEXT_WEIGHT = 1.0
GRAPH_WEIGHT = 0.25
COMPLEMENT_BONUS = 0.05
SOUGHT_BONUS = 0.05
MAX_PROJECT_TITLES = 30
MIN_CENTRING_POOL = 50

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
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


def vector_to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def vector_from_bytes(raw: bytes | memoryview, dim: int) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype=np.float32, count=dim)


def embed_texts(texts: dict[str, str], encoder: Encoder | None = None) -> int:
    """Store vectors for ``{content_hash: text}`` not cached yet for the current model."""
    encoder = encoder or get_encoder()
    if encoder is None or not texts:
        return 0
    have = set(
        Embedding.objects.filter(
            content_hash__in=list(texts), model_name=encoder.name, model_version=encoder.version
        ).values_list("content_hash", flat=True)
    )
    todo = [(h, t) for h, t in texts.items() if h not in have]
    for start in range(0, len(todo), 64):
        batch = todo[start : start + 64]
        vecs = encoder.embed([t for _h, t in batch])
        Embedding.objects.bulk_create(
            [
                Embedding(
                    content_hash=h,
                    model_name=encoder.name,
                    model_version=encoder.version,
                    dim=int(v.shape[0]),
                    vector=vector_to_bytes(v),
                )
                for (h, _t), v in zip(batch, vecs, strict=True)
            ],
            ignore_conflicts=True,
        )
    return len(todo)


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

    @property
    def text(self) -> str:
        return "\n".join(v for v in self.texts.values() if v)

    @property
    def hash(self) -> str:
        from alpsbio.matching.services import content_hash

        return content_hash(self.text)


def _org_texts(org: Organisation, titles: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for lang in LANGUAGE_CODES:
        parts = [str(org.names.get(lang) or ""), str(org.description.get(lang) or "")]
        texts[lang] = "\n".join(p for p in parts if p)
    base = f"{org.legal_name}\n" + "\n".join(titles[:MAX_PROJECT_TITLES])
    texts["en"] = (base + "\n" + texts["en"]).strip()
    return {k: v for k, v in texts.items() if v}


def _opp_texts(opp: Opportunity) -> dict[str, str]:
    texts: dict[str, str] = {}
    for lang in LANGUAGE_CODES:
        parts = [str((f or {}).get(lang) or "") for f in (opp.title, opp.summary, opp.description)]
        if lang == "en" and opp.keywords:
            parts.append(", ".join(opp.keywords))
        text = "\n".join(p for p in parts if p)
        if text:
            texts[lang] = text
    return texts


def _region(org: Organisation) -> str:
    return org.nuts3.code if org.nuts3 else (org.nuts2.code if org.nuts2 else org.country_code)


def load_org_profiles(org_ids: Sequence[int] | None = None) -> list[Profile]:
    # Only organisations with something to match on: competences written, or EU projects.
    has_projects = Exists(Participation.objects.filter(organisation_id=OuterRef("pk")))
    qs = (
        Organisation.objects.filter(is_active=True)
        .filter(has_projects | ~Q(description={}))
        .select_related("nuts3", "nuts2")
    )
    if org_ids is not None:
        qs = qs.filter(pk__in=org_ids)
    orgs = list(qs.prefetch_related("nace_codes", "network_memberships"))
    ids = [o.pk for o in orgs]
    titles: dict[int, list[str]] = {}
    topics: dict[int, set[str]] = {}
    for org_id, title, topic in (
        Participation.objects.filter(organisation_id__in=ids)
        .order_by("organisation_id", "-project__start_date")
        .values_list("organisation_id", "project__title", "project__topic")
    ):
        if title:
            titles.setdefault(org_id, []).append(title)
        if topic:
            topics.setdefault(org_id, set()).add(topic)
    out = []
    for org in orgs:
        out.append(
            Profile(
                key=f"org:{org.pk}",
                org_id=org.pk,
                name=org.display_name,
                org_type=org.org_type,
                country=org.country_code,
                region=_region(org),
                texts=_org_texts(org, titles.get(org.pk, [])),
                nace=frozenset(n.code for n in org.nace_codes.all()),
                topics=frozenset(topics.get(org.pk, ())),
                networks=frozenset(m.network_id for m in org.network_memberships.all()),
            )
        )
    return out


def load_opp_profiles(opp_ids: Sequence[int] | None = None) -> list[Profile]:
    qs = Opportunity.objects.filter(status=OpportunityStatus.PUBLISHED).select_related(
        "organisation__nuts3", "organisation__nuts2"
    )
    if opp_ids is not None:
        qs = qs.filter(pk__in=opp_ids)
    out = []
    for opp in qs.prefetch_related("nace_codes", "organisation__network_memberships"):
        org = opp.organisation
        out.append(
            Profile(
                key=f"opp:{opp.pk}",
                org_id=org.pk,
                name=opp.display_title,
                org_type=org.org_type,
                country=org.country_code,
                region=_region(org),
                texts=_opp_texts(opp),
                kind=opp.kind,
                opp_id=opp.pk,
                partner_types=list(opp.partner_types or []),
                partner_regions=list(opp.partner_regions or []),
                nace=frozenset(n.code for n in opp.nace_codes.all()),
                topics=frozenset(opp.keywords or []),
                networks=frozenset(m.network_id for m in org.network_memberships.all()),
                is_demo=opp.is_demo,
            )
        )
    return out


def state_token() -> tuple[Any, ...]:
    """Cheap fingerprint of everything the index reads; a change means refresh."""
    o = Organisation.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    p = Opportunity.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    n_part = Participation.objects.count()
    s = MatchingSettings.objects.aggregate(t=Max("updated_at"))
    return (o["n"], o["t"], p["n"], p["t"], n_part, s["t"])


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


@dataclass
class Policy:
    border_bonus: float = 0.10
    sector_bonus: float = 0.08
    network_bonus: float = 0.05

    @classmethod
    def from_db(cls) -> Policy:
        s = MatchingSettings.load()
        return cls(s.border_bonus, s.sector_bonus, s.network_bonus)


class MatchIndex:
    """Profiles, their text vectors and the collaboration graph, held in memory."""

    def __init__(self) -> None:
        self.profiles: list[Profile] = []
        self.pos: dict[str, int] = {}
        self.tfidf: Any = None
        self.T: sp.csr_matrix = sp.csr_matrix((0, 0))
        self.E: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.encoder: Encoder | None = None
        self.centred: Any = None
        self.checked_at = time.monotonic()
        self.P: sp.csr_matrix = sp.csr_matrix((0, 0))
        self.patch_rows: list[Any] = []
        self.patch_pos: dict[int, int] = {}
        self.org_of = np.zeros(0, dtype=np.int64)
        self.is_org = np.zeros(0, dtype=bool)
        self.has_text = np.zeros(0, dtype=bool)
        self.kinds = np.zeros(0, dtype=object)
        self.has_vec = np.zeros(0, dtype=bool)
        self.graph_pos = np.zeros(0, dtype=np.int64)
        self.graph: CoParticipationGraph | None = None
        self.policy = Policy()
        self.token: tuple[Any, ...] = ()
        self.built_at = 0.0
        self.n_builds = 0
        self.n_patches = 0
        self.last_refresh_seconds = 0.0

    # -- building ----------------------------------------------------------------------------

    def build(self) -> None:
        from alpsbio.matching.engine.embedding import TfidfEmbedder

        t0 = time.perf_counter()
        token = state_token()
        profiles = load_org_profiles() + load_opp_profiles()
        self.profiles = profiles
        self.pos = {p.key: i for i, p in enumerate(profiles)}
        texts = [p.text or p.name for p in profiles]
        # The engine's model-free signal: hashed character n-grams, IDF learnt on the pool.
        self.tfidf = TfidfEmbedder().fit(texts or [""])
        self.T = (
            sp.csr_matrix(self.tfidf.embed_sparse(texts), dtype=np.float32)
            if texts
            else (sp.csr_matrix((0, 1), dtype=np.float32))
        )
        self.P, self.patch_rows, self.patch_pos = sp.csr_matrix((0, 0)), [], {}
        self.encoder = get_encoder()
        self.E = self._centre(profiles, self._embeddings(profiles), fit=True)
        pairs = Participation.objects.values_list("organisation_id", "project_id")
        self.graph = (
            CoParticipationGraph.from_participations(pairs.iterator()) if pairs.exists() else None
        )
        self._arrays()
        self.policy = Policy.from_db()
        self.token = token
        self.built_at = time.time()
        self.n_builds += 1
        self.last_refresh_seconds = time.perf_counter() - t0
        logger.info(
            "matching index built: %d profiles in %.2fs", len(profiles), self.last_refresh_seconds
        )

    def _embeddings(self, profiles: Sequence[Profile]) -> np.ndarray:
        enc = self.encoder
        if enc is None or not profiles:
            return np.zeros((len(profiles), 0), dtype=np.float32)
        hashes = {p.hash: p.text for p in profiles if p.text}
        cached = {
            e.content_hash: e
            for e in Embedding.objects.filter(
                content_hash__in=list(hashes), model_name=enc.name, model_version=enc.version
            )
        }
        missing = {h: t for h, t in hashes.items() if h not in cached}
        inline_limit = int(getattr(settings, "MATCHING_INLINE_EMBED_LIMIT", 200))
        if missing and len(missing) <= inline_limit:
            embed_texts(missing, enc)
            cached.update(
                {
                    e.content_hash: e
                    for e in Embedding.objects.filter(
                        content_hash__in=list(missing),
                        model_name=enc.name,
                        model_version=enc.version,
                    )
                }
            )
        elif missing:
            from alpsbio.matching import tasks

            tasks.embed_all_profiles.enqueue()
        dim = next((e.dim for e in cached.values()), 0)
        if not dim:
            return np.zeros((len(profiles), 0), dtype=np.float32)
        out = np.zeros((len(profiles), dim), dtype=np.float32)
        for i, p in enumerate(profiles):
            e = cached.get(p.hash) if p.text else None
            if e is not None and e.dim == dim:
                out[i] = vector_from_bytes(e.vector, dim)
        return out

    def _tfidf_row(self, row: int) -> Any:
        pos = self.patch_pos.get(row)
        return self.P[pos] if pos is not None else self.T[row]

    def _arrays(self) -> None:
        """Per-profile columns as arrays, so that filters are vectorised."""
        ps = self.profiles
        self.org_of = np.array([p.org_id for p in ps], dtype=np.int64)
        self.is_org = np.array([p.opp_id is None for p in ps], dtype=bool)
        self.has_text = np.array([bool(p.text) for p in ps], dtype=bool)
        self.kinds = np.array([p.kind for p in ps], dtype=object)
        self.has_vec = (
            np.any(self.E != 0, axis=1) if self.E.shape[1] else np.zeros(len(ps), dtype=bool)
        )
        g = self.graph
        self.graph_pos = np.array(
            [g.index.get(p.org_id, -1) if g is not None else -1 for p in ps], dtype=np.int64
        )

    def _centre(self, profiles: Sequence[Profile], E: np.ndarray, fit: bool = False) -> np.ndarray:
        """Remove each language's mean vector (the engine's ``LanguageCentredEmbedder``), with
        its cache filled from the stored vectors so that nothing is embedded twice."""
        if self.encoder is None or not E.shape[1]:
            return E
        from alpsbio.matching.engine.embedding import LanguageCentredEmbedder

        rows = [i for i, p in enumerate(profiles) if p.text and np.any(E[i])]
        texts = [profiles[i].text for i in rows]
        if fit:
            # Per-language means need a pool; on a handful of profiles they would erase the text.
            self.centred = (
                LanguageCentredEmbedder(self.encoder) if len(rows) >= MIN_CENTRING_POOL else None
            )
        if self.centred is None:
            return E
        for i, text in zip(rows, texts, strict=True):
            self.centred.cache.put(self.centred.cache.key(text), E[i])
        if fit:
            self.centred.fit(texts)
        out = E.copy()
        if rows:
            out[rows] = self.centred.embed(texts)
        return out

    def refresh(self, force: bool = False) -> bool:
        """Bring the index up to date with the DB; returns True if anything changed.

        The state token costs a few aggregate queries, so it is read at most every
        ``MATCHING_REFRESH_SECONDS`` (default 1 s) per process unless ``force``.
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
        same_shape = bool(old) and old[0] == token[0] and old[2] == token[2] and old[4] == token[4]
        if not same_shape or self.tfidf is None:
            self.build()
            return True
        # Only edits: patch the rows updated since the last build.
        since = old[1], old[3]
        org_ids = (
            list(Organisation.objects.filter(updated_at__gt=since[0]).values_list("pk", flat=True))
            if since[0]
            else []
        )
        opp_qs = Opportunity.objects.filter(updated_at__gt=since[1]) if since[1] else None
        opp_ids = list(opp_qs.values_list("pk", flat=True)) if opp_qs is not None else []
        published = set(
            Opportunity.objects.filter(
                pk__in=opp_ids, status=OpportunityStatus.PUBLISHED
            ).values_list("pk", flat=True)
        )
        # A profile entering or leaving the published set changes the shape: rebuild.
        if any((f"opp:{i}" in self.pos) != (i in published) for i in opp_ids):
            self.build()
            return True
        changed = load_org_profiles(org_ids) + load_opp_profiles(sorted(published))
        if any(p.key not in self.pos for p in changed):  # an organisation became matchable
            self.build()
            return True
        if changed:
            rows = [self.pos[p.key] for p in changed]
            for row, prof in zip(rows, changed, strict=True):
                self.profiles[row] = prof
            new_t = sp.csr_matrix(self.tfidf.embed_sparse([p.text or p.name for p in changed]))
            # Edited rows live in a small side matrix that overrides the big one (O(edits), not
            # O(nnz)); the next full build folds them back in.
            for k, row in enumerate(rows):
                self.patch_pos[row] = len(self.patch_rows)
                self.patch_rows.append(new_t[k])
            self.P = sp.csr_matrix(sp.vstack(self.patch_rows))
            if self.E.shape[1]:
                self.E[rows] = self._centre(changed, self._embeddings(changed))[
                    :, : self.E.shape[1]
                ]
            for row, prof in zip(rows, changed, strict=True):
                self.has_text[row] = bool(prof.text)
                self.kinds[row] = prof.kind
                if self.E.shape[1]:
                    self.has_vec[row] = bool(np.any(self.E[row]))
        self.policy = Policy.from_db()
        self.token = token
        self.n_patches += 1
        self.last_refresh_seconds = time.perf_counter() - t0
        return True

    # -- scoring -----------------------------------------------------------------------------

    def text_scores(
        self,
        query_rows: np.ndarray | None = None,
        *,
        q_tfidf: Any = None,
        q_emb: np.ndarray | None = None,
    ) -> np.ndarray:
        """Cosine similarity of one query to every profile (embedding and TF-IDF blended)."""
        n = len(self.profiles)
        if query_rows is not None:
            q_tfidf = self._tfidf_row(int(query_rows[0]))
            q_emb = self.E[query_rows] if self.E.shape[1] else None
        tf = np.zeros(n)
        if q_tfidf is not None:
            # Sparse matrix times a dense vector: O(nnz), unlike a sparse-sparse product.
            q = np.asarray(q_tfidf.toarray(), dtype=np.float32).ravel()
            tf = np.asarray(self.T @ q).ravel()
            if self.patch_pos:
                idx = np.fromiter(self.patch_pos.keys(), dtype=np.int64)
                pos = np.fromiter(self.patch_pos.values(), dtype=np.int64)
                tf[idx] = np.asarray(self.P[pos] @ q).ravel()
        if q_emb is not None and self.E.shape[1] and np.any(q_emb):
            emb = self.E @ np.asarray(q_emb, dtype=np.float32).ravel()
            return np.where(self.has_vec, 0.6 * emb + 0.4 * tf, tf)
        return tf

    def graph_scores(self, org_id: int) -> np.ndarray:
        """Adamic-Adar from the organisation to every profile's organisation (0..1)."""
        n = len(self.profiles)
        if self.graph is None or org_id not in self.graph.index:
            return np.zeros(n)
        row = self.graph.scores([self.graph.index[org_id]], "adamic_adar")[0]
        top = row.max()
        if top <= 0:
            return np.zeros(n)
        row = row / top
        return np.where(self.graph_pos >= 0, row[np.maximum(self.graph_pos, 0)], 0.0)

    def already_partners(self, org_id: int) -> set[int]:
        if self.graph is None or org_id not in self.graph.index:
            return set()
        return {
            int(str(self.graph.org_ids[j])) for j in self.graph.neighbours(self.graph.index[org_id])
        }

    def _score(
        self, source: Profile, cand: Profile, text: float, graph: float
    ) -> tuple[float, dict[str, Any]]:
        pol = self.policy
        score = TEXT_WEIGHT * text + GRAPH_WEIGHT * graph
        flags: dict[str, Any] = {"text": round(float(text), 4), "graph": round(float(graph), 4)}
        if source.country and cand.country and source.country != cand.country:
            score += pol.border_bonus
            flags["border"] = [source.country, cand.country]
        s1, s2 = SECTOR_OF_TYPE.get(source.org_type), SECTOR_OF_TYPE.get(cand.org_type)
        if s1 and s2 and s1 != s2:
            score += pol.sector_bonus
            flags["sector"] = [source.org_type, cand.org_type]
        shared_net = source.networks & cand.networks
        if shared_net:
            score += pol.network_bonus
            flags["networks"] = sorted(shared_net)
        if frozenset({source.org_type, cand.org_type}) in COMPLEMENTARY_ORG_TYPES:
            score += COMPLEMENT_BONUS
            flags["complementary_org_types"] = [source.org_type, cand.org_type]
        if source.kind and cand.kind:
            flags["complementary_kinds"] = [source.kind, cand.kind]
        sought = source.partner_types or []
        if sought and cand.org_type in sought:
            score += SOUGHT_BONUS
            flags["sought_type"] = cand.org_type
        regions = source.partner_regions or []
        if regions:
            if any(cand.region.startswith(r) or cand.country == r for r in regions):
                score += SOUGHT_BONUS
                flags["sought_region"] = cand.region
            else:
                score -= SOUGHT_BONUS
        return float(score), flags

    def _rank(
        self, source: Profile, text: np.ndarray, graph: np.ndarray, allowed: np.ndarray, limit: int
    ) -> list[Suggestion]:
        # Coarse pre-selection on the text signal plus graph, then the full score on the short list.
        coarse = np.where(allowed, TEXT_WEIGHT * text + GRAPH_WEIGHT * graph, -np.inf)
        k = min(len(coarse), max(limit * 5, 50))
        if k == 0:
            return []
        cand_rows = np.argpartition(-coarse, k - 1)[:k]
        out = []
        for row in cand_rows:
            if not np.isfinite(coarse[row]):
                continue
            cand = self.profiles[row]
            score, flags = self._score(source, cand, float(text[row]), float(graph[row]))
            out.append(
                Suggestion(
                    cand.key,
                    cand.org_id,
                    cand.opp_id,
                    cand.name,
                    cand.kind,
                    round(score, 4),
                    flags,
                    cand.is_demo,
                )
            )
        out.sort(key=lambda s: (-s.score, s.key))
        return out[:limit]

    def suggest_partners(self, org_id: int, limit: int = 10) -> list[Suggestion]:
        """Organisations to meet: similar or complementary, preferably new partners."""
        row = self.pos.get(f"org:{org_id}")
        if row is None:
            return []
        source = self.profiles[row]
        text = self.text_scores(np.array([row]))
        graph = self.graph_scores(org_id)
        known = self.already_partners(org_id)
        allowed = (
            self.is_org
            & self.has_text
            & (self.org_of != org_id)
            & ~np.isin(self.org_of, np.fromiter(known, dtype=np.int64, count=len(known)))
        )
        return self._rank(source, text, graph, allowed, limit)

    def opportunity_matches(self, opp_id: int, limit: int = 10) -> list[Suggestion]:
        """Published profiles of complementary types (a request meets offers, never requests)."""
        row = self.pos.get(f"opp:{opp_id}")
        if row is None:
            return []
        source = self.profiles[row]
        wanted = COMPLEMENTARY_TYPES.get(source.kind, frozenset())
        text = self.text_scores(np.array([row]))
        graph = self.graph_scores(source.org_id)
        allowed = np.isin(self.kinds, list(wanted)) & (self.org_of != source.org_id)
        return self._rank(source, text, graph, allowed, limit)

    def search(self, query: str, limit: int = 20, org_id: int | None = None) -> list[Suggestion]:
        """Free text in any of the four languages against organisations and published profiles."""
        if not query.strip() or not self.profiles:
            return []
        q_tfidf = self.tfidf.embed_sparse([query]) if self.tfidf is not None else None
        q_emb = None
        if self.E.shape[1] and self.encoder is not None:
            model = self.centred if self.centred is not None else self.encoder
            q_emb = model.embed([query], query=True)[0]
        text = self.text_scores(q_tfidf=q_tfidf, q_emb=q_emb)
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
        if row is not None:
            source = self.profiles[row]
        graph = self.graph_scores(org_id) if org_id else np.zeros(len(self.profiles))
        allowed = self.has_text & (self.org_of != (org_id or 0))
        allowed &= text > 0.02
        results = self._rank(source, text, graph, allowed, limit)
        for r in results:
            r.reasons["query"] = query
        return results


_lock = threading.Lock()
_index: MatchIndex | None = None


def get_index() -> MatchIndex:
    """The per-process index: built on first use, refreshed when the DB changed."""
    global _index
    with _lock:
        if _index is None:
            idx = MatchIndex()
            idx.build()
            _index = idx
        else:
            _index.refresh()
        return _index


_warming = threading.Event()


def index_ready() -> bool:
    return _index is not None


def warm_index_in_background() -> None:
    """Build the index in a thread so the first page asking for suggestions does not wait
    for it (the first build reads every profile and vector: a minute or more on real data)."""
    if _index is not None or _warming.is_set():
        return
    _warming.set()

    def run() -> None:
        from django.db import connection

        try:
            get_index()
        except Exception:
            logger.exception("matching index warm-up failed")
        finally:
            connection.close()
            _warming.clear()

    threading.Thread(target=run, name="matching-index-warm-up", daemon=True).start()


def reset_index() -> None:
    global _index
    with _lock:
        _index = None


# --- Explanations -----------------------------------------------------------------------------


def _terms(text: str) -> dict[str, str]:
    """Stem (first 6 letters, lower case) -> a surface word, for content words of 4+ letters."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text):
        lw = w.lower()
        if lw in _STOP:
            continue
        out.setdefault(lw[:6], lw)
    return out


def explain(source_key: str, s: Suggestion, lang: str | None = None) -> dict[str, Any]:
    """Why this suggestion, in the reader's language: shared topics, complementary types,
    common partners, border and sector crossing, shared thematic networks."""
    from alpsbio.directory.models import Network, OrganisationType
    from alpsbio.matching.models import OpportunityType

    idx = _index
    src = idx.profiles[idx.pos[source_key]] if idx and source_key in idx.pos else None
    cand = idx.profiles[idx.pos[s.key]] if idx and s.key in idx.pos else None
    reasons: list[str] = []
    topics: list[str] = []
    if cand is not None:
        cand_text = localized(cand.texts, lang)
        src_text = src.text if src is not None else str(s.reasons.get("query", ""))
        src_terms = _terms(src_text)
        shared = [w for stem, w in _terms(cand_text).items() if stem in src_terms]
        topics = shared[:8]
        if src is not None:
            nace = sorted(src.nace & cand.nace)
            if nace:
                labels = {n.code: n.label for n in NaceCode.objects.filter(code__in=nace)}
                topics = [f"{c} {labels.get(c, '')}".strip() for c in nace[:3]] + topics
            shared_topics = sorted(src.topics & cand.topics)
            topics += shared_topics[:3]
    if topics:
        reasons.append(_("Shared topics: %s") % ", ".join(topics[:8]))
    r = s.reasons
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
        names = [localized(n.name, lang) for n in Network.objects.filter(pk__in=r["networks"])]
        reasons.append(_("Same thematic network: %s") % ", ".join(names))
    common: list[str] = []
    if idx is not None and idx.graph is not None and src is not None and cand is not None:
        g = idx.graph
        if src.org_id in g.index and cand.org_id in g.index:
            ids = g.common_partners(g.index[src.org_id], g.index[cand.org_id])[:5]
            common = [
                o.display_name
                for o in Organisation.objects.filter(pk__in=[int(str(i)) for i in ids])
            ]
    if common:
        reasons.append(_("Common partners in EU projects: %s") % ", ".join(common))
    if "sought_type" in r or "sought_region" in r:
        reasons.append(_("Fits the partner sought"))
    return {
        "reasons": reasons,
        "topics": topics[:8],
        "common_partners": common,
        "crosses_border": "border" in r,
        "crosses_sector": "sector" in r,
    }
