"""Partner matching engine: pure Python/numpy, no Django.

Public API (plain dataclasses in and out)::

    engine = MatchingEngine.build(profiles, graph=graph, policy=PolicyWeights())
    engine.suggest(profile_id, k=20)      -> list[Suggestion]
    engine.suggest_for_org(org_id, k=20)  -> list[Suggestion]
    engine.search("Biosensori per ...", k=20, kinds={"technology_offer"}) -> list[Suggestion]
    engine.upsert([profile]); engine.remove([profile_id])

Each Suggestion carries ``parts`` (ScoreParts) and ``explanation`` (Explanation).
"""

from .complementarity import COMPATIBLE, compatible, sought_match, type_complementarity
from .embedding import (
    CombinedEmbedder,
    E5Embedder,
    Embedder,
    EmbeddingCache,
    LanguageCentredEmbedder,
    TfidfEmbedder,
    UseEmbedder,
    combined_centred,
    content_hash,
    default_embedder,
)
from .engine import MatchingEngine, fallback_engine
from .errors import InputError
from .graph import CoParticipationGraph
from .index import ExactIndex, HnswIndex, VectorIndex
from .scoring import PairScore, history_strength, score_pair
from .types import SECTOR_OF_TYPE, Explanation, PolicyWeights, Profile, ScoreParts, Suggestion

__all__ = [
    "COMPATIBLE",
    "SECTOR_OF_TYPE",
    "CoParticipationGraph",
    "CombinedEmbedder",
    "E5Embedder",
    "Embedder",
    "EmbeddingCache",
    "ExactIndex",
    "Explanation",
    "HnswIndex",
    "InputError",
    "LanguageCentredEmbedder",
    "MatchingEngine",
    "PairScore",
    "PolicyWeights",
    "Profile",
    "ScoreParts",
    "Suggestion",
    "TfidfEmbedder",
    "UseEmbedder",
    "VectorIndex",
    "combined_centred",
    "compatible",
    "content_hash",
    "default_embedder",
    "fallback_engine",
    "history_strength",
    "score_pair",
    "sought_match",
    "type_complementarity",
]
