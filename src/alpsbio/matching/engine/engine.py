"""The matching engine: text meaning + collaboration history + complementarity + policy.

Candidates come from the vector index and the graph; ``scoring.score_pair`` scores each one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable

import numpy as np

from .complementarity import COMPLEMENTARY_AT, compatible
from .embedding import Embedder, TfidfEmbedder
from .graph import CoParticipationGraph
from .index import ExactIndex, VectorIndex, make_index
from .scoring import history_strength, score_pair
from .types import Explanation, PolicyWeights, Profile, Suggestion

_WORD = re.compile(r"\w{4,}", re.UNICODE)


def _terms(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


class MatchingEngine:
    """Build once from profiles (and optionally the co-participation graph), then query.

    Thread-safety: queries only read; ``upsert``/``remove`` must be serialised by the caller
    (the service rebuilds or updates the engine from a background task).
    """

    def __init__(
        self,
        embedder: Embedder,
        graph: CoParticipationGraph | None = None,
        policy: PolicyWeights | None = None,
        index_factory: Callable[[int], VectorIndex] = ExactIndex,
    ) -> None:
        self.embedder = embedder
        self.graph = graph
        self.policy = policy or PolicyWeights()
        self._index_factory = index_factory
        self._index: VectorIndex | None = None
        self.profiles: dict[str, Profile] = {}
        self._vectors: dict[str, np.ndarray] = {}

    @classmethod
    def build(
        cls,
        profiles: Iterable[Profile],
        graph: CoParticipationGraph | None = None,
        policy: PolicyWeights | None = None,
        embedder: Embedder | None = None,
        index_factory: Callable[[int], VectorIndex] | None = None,
    ) -> MatchingEngine:
        from .embedding import default_embedder

        profiles = list(profiles)
        emb = embedder if embedder is not None else default_embedder()
        fit = getattr(emb, "fit", None)
        if callable(fit):  # language means / IDF come from the indexed corpus itself
            fit([p.text for p in profiles])
        n = len(profiles)
        factory = index_factory or (lambda dim: make_index(dim, expected=n))
        engine = cls(emb, graph, policy, factory)
        engine.upsert(profiles)
        return engine

    # ------------------------------------------------------------------ maintenance
    def upsert(self, profiles: Iterable[Profile]) -> None:
        """Add or replace profiles (an edit re-embeds only the changed text, via the cache)."""
        profiles = list(profiles)
        if not profiles:
            return
        vecs = self.embedder.embed([p.text for p in profiles])
        if self._index is None:
            self._index = self._index_factory(vecs.shape[1])
        self._index.add([p.id for p in profiles], vecs)
        for p, v in zip(profiles, vecs, strict=True):
            self.profiles[p.id] = p
            self._vectors[p.id] = v

    def remove(self, profile_ids: Iterable[str]) -> None:
        ids = [i for i in profile_ids if i in self.profiles]
        if self._index is not None:
            self._index.remove(ids)
        for i in ids:
            del self.profiles[i]
            del self._vectors[i]

    # ------------------------------------------------------------------ queries
    def suggest(self, profile_id: str, k: int = 20) -> list[Suggestion]:
        """Best partners for a profile: compatible kinds, other organisations, best first."""
        if profile_id not in self.profiles:
            raise KeyError(f"unknown profile {profile_id!r}")
        me = self.profiles[profile_id]
        return self._rank(me, self._vectors[profile_id], k)

    def suggest_for_org(self, org_id: str, k: int = 20) -> list[Suggestion]:
        """ "Suggested partners" for an organisation: from its own organisation profile."""
        for p in self.profiles.values():
            if p.org_id == org_id and p.kind == "organisation":
                return self.suggest(p.id, k)
        raise KeyError(f"organisation {org_id!r} has no organisation profile")

    def search(
        self,
        text: str,
        k: int = 20,
        kinds: Iterable[str] | None = None,
        seeker: Profile | None = None,
    ) -> list[Suggestion]:
        """Free-text partner search in any of the four languages.

        Without a ``seeker`` only the text counts (there is no one to be complementary to);
        with one, its type, country, networks and wishes apply as in ``suggest``.
        """
        vec = self.embedder.embed([text], query=True)[0]
        me = seeker or Profile(id="\x00query", org_id="\x00query", kind="organisation", text=text)
        wanted = frozenset(kinds) if kinds is not None else None
        return self._rank(
            me, vec, k, kinds=wanted, check_kind=seeker is not None, text_only=seeker is None
        )

    # ------------------------------------------------------------------ scoring
    def _history(self, a: str, b: str) -> tuple[float, tuple[str, ...]]:
        g = self.graph
        if g is None or a not in g.index or b not in g.index:
            return 0.0, ()
        i, j = g.index[a], g.index[b]
        common = g.common_partners(i, j)
        aa = sum(1.0 / math.log(g.degree[g.index[c]]) for c in common if g.degree[g.index[c]] > 1)
        return history_strength(aa), tuple(str(c) for c in common[:5])

    def _graph_candidates(self, org: Hashable, limit: int) -> set[str]:
        g = self.graph
        if g is None or org not in g.index:
            return set()
        row = g.scores([g.index[org]], "adamic_adar")[0]
        top = np.argsort(-row)[:limit]
        orgs = {g.org_ids[t] for t in top if row[t] > 0}
        return {p.id for p in self.profiles.values() if p.org_id in orgs}

    def _rank(
        self,
        me: Profile,
        vec: np.ndarray,
        k: int,
        kinds: frozenset[str] | None = None,
        check_kind: bool = True,
        text_only: bool = False,
    ) -> list[Suggestion]:
        if self._index is None or k <= 0:
            return []
        pol = self.policy.text_only() if text_only else self.policy
        hits = dict(self._index.search(vec, max(pol.candidates, k * 5)))
        cand = set(hits) | self._graph_candidates(me.org_id, pol.candidates)
        out: list[Suggestion] = []
        my_terms = _terms(me.text)
        for pid in cand:
            other = self.profiles.get(str(pid))
            if other is None or other.org_id == me.org_id:
                continue
            if check_kind and not compatible(me, other):
                continue
            if kinds is not None and other.kind not in kinds:
                continue
            sim = hits.get(pid)
            if sim is None:
                sim = float(self._vectors[other.id] @ vec)
            hist, common = self._history(me.org_id, other.org_id)
            pair = score_pair(me, other, sim, hist, pol)
            parts = pair.parts
            expl = Explanation(
                shared_keywords=tuple(
                    sorted({x.lower() for x in me.keywords} & {x.lower() for x in other.keywords})
                ),
                shared_nace=tuple(sorted(set(me.nace) & set(other.nace))),
                shared_terms=tuple(sorted(my_terms & _terms(other.text))[:10]),
                complementary_types=(
                    (me.org_type, other.org_type)
                    if parts.complementarity >= COMPLEMENTARY_AT
                    else None
                ),
                common_partners=common,
                crosses_border=bool(parts.cross_border),
                crosses_sector=bool(parts.cross_sector),
                shared_networks=pair.shared_networks,
                matches_sought=pair.matches_sought,
            )
            out.append(Suggestion(other.id, other.org_id, other.kind, pair.total, parts, expl))
        out.sort(key=lambda s: (-s.score, s.profile_id))
        return out[:k]


def fallback_engine(profiles: Iterable[Profile], **kw: object) -> MatchingEngine:
    """An engine on the model-free TF-IDF text signal (tests, or when no model can load)."""
    return MatchingEngine.build(profiles, embedder=TfidfEmbedder(), **kw)  # type: ignore[arg-type]
