"""One candidate, one score: the cluster's policy applied to a pair of profiles.

This is the only place where the score parts are defined and weighted. ``MatchingEngine`` and
the Django index (``alpsbio.matching.index``) both call it, so the ranking users see is the one
the engine's tests and benchmarks describe.

score = w.text * text + w.history * history + w.complementarity * complementarity
      + w.sought * sought + w.cross_border * [countries differ] + w.cross_sector * [sectors differ]
      + w.shared_network * [a thematic network in common]

Each part lies in [0, 1]; see docs/algorithms/matching.md for the definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from .complementarity import sought_match, type_complementarity
from .types import PolicyWeights, Profile, ScoreParts


@overload
def history_strength(adamic_adar: float) -> float: ...
@overload
def history_strength(adamic_adar: np.ndarray) -> np.ndarray: ...
def history_strength(adamic_adar: float | np.ndarray) -> float | np.ndarray:
    """Saturating map of Adamic-Adar into [0, 1): two rare shared partners already say a lot,
    and a hub's many two-hop neighbours do not all count as certainties of one another."""
    if isinstance(adamic_adar, np.ndarray):
        return -np.expm1(-np.maximum(adamic_adar, 0.0))
    return -float(np.expm1(-max(adamic_adar, 0.0)))


# The parts of ``ScoreParts`` that ``PolicyWeights`` weighs (all but the total), in order.
WEIGHTED_PARTS = (
    "text",
    "history",
    "complementarity",
    "sought",
    "cross_border",
    "cross_sector",
    "shared_network",
)


@dataclass(frozen=True)
class PairScore:
    parts: ScoreParts
    shared_networks: tuple[str, ...]  # the thematic networks both belong to
    matches_sought: tuple[str, ...]  # the seeker's wishes the candidate meets, e.g. "type:sme"

    @property
    def total(self) -> float:
        return self.parts.total


def crosses_sector(me: Profile, other: Profile) -> bool:
    """Different sectors, when both are known (an anonymous query has none)."""
    return bool(me.sector and other.sector) and me.sector != other.sector


def score_pair(
    me: Profile, other: Profile, text: float, history: float, policy: PolicyWeights
) -> PairScore:
    """Score ``other`` as a partner for ``me``, given their text similarity (a cosine) and the
    strength of their collaboration history (``history_strength``)."""
    text = max(0.0, min(1.0, float(text)))
    history = max(0.0, min(1.0, float(history)))
    comp = type_complementarity(me.org_type, other.org_type)
    sought, why = sought_match(me, other)
    border = float(bool(me.country and other.country and me.country != other.country))
    sector = float(crosses_sector(me, other))
    nets = tuple(sorted(me.networks & other.networks))
    network = float(bool(nets))
    total = (
        policy.text * text
        + policy.history * history
        + policy.complementarity * comp
        + policy.sought * sought
        + policy.cross_border * border
        + policy.cross_sector * sector
        + policy.shared_network * network
    )
    parts = ScoreParts(text, history, comp, sought, border, sector, network, total)
    return PairScore(parts, nets, why)
