"""Plain dataclasses in and out of the engine, so a service layer needs no engine internals."""

from __future__ import annotations

from dataclasses import dataclass, field

# The Enterprise Europe Network's five profile types, an expertise profile, and an
# organisation's own profile (its description), which is what "suggested partners" ranks.
PROFILE_KINDS = (
    "organisation",
    "technology_offer",
    "technology_request",
    "business_offer",
    "business_request",
    "rd_partner_request",
    "expertise",
)
ORG_TYPES = (
    "startup",
    "sme",
    "large_company",
    "university",
    "research_centre",
    "hospital",
    "training",
    "public",
    "cluster",
    "other",
)
SECTORS = ("academia", "industry", "health_care", "training", "public", "other")


@dataclass(frozen=True)
class Profile:
    """Something that can be matched: an organisation's profile or one of its opportunities."""

    id: str
    org_id: str
    kind: str = "organisation"
    text: str = ""  # title + summary + description, in any of EN/FR/DE/IT
    keywords: tuple[str, ...] = ()
    nace: tuple[
        str, ...
    ] = ()  # language-neutral codes the service renders in the reader's language
    org_type: str = "other"
    sector: str = "other"
    country: str = ""
    region: str = ""  # NUTS code
    networks: frozenset[str] = frozenset()  # the cluster's thematic networks the org belongs to
    seeks_types: tuple[str, ...] = ()  # partner types sought (empty = any)
    seeks_countries: tuple[str, ...] = ()  # partner countries sought (empty = any)

    def __post_init__(self) -> None:
        if self.kind not in PROFILE_KINDS:
            raise ValueError(f"profile {self.id}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class PolicyWeights:
    """The cluster's policy as tunable weights on the score parts (all parts lie in [0, 1])."""

    text: float = 1.0
    history: float = 0.4
    complementarity: float = 0.25
    sought: float = 0.2
    cross_border: float = 0.1
    cross_sector: float = 0.1
    shared_network: float = 0.1
    candidates: int = 200  # text neighbours re-scored per query


@dataclass(frozen=True)
class ScoreParts:
    text: float
    history: float
    complementarity: float
    sought: float
    cross_border: float
    cross_sector: float
    shared_network: float
    total: float


@dataclass(frozen=True)
class Explanation:
    """Why a suggestion was made, as data: the service renders it in the reader's language."""

    shared_keywords: tuple[str, ...] = ()
    shared_nace: tuple[str, ...] = ()
    shared_terms: tuple[str, ...] = ()  # words both texts use (same-language pairs)
    complementary_types: tuple[str, str] | None = None
    common_partners: tuple[str, ...] = ()
    crosses_border: bool = False
    crosses_sector: bool = False
    shared_networks: tuple[str, ...] = ()
    matches_sought: tuple[str, ...] = ()  # e.g. ("type:hospital", "country:IT")


@dataclass(frozen=True)
class Suggestion:
    profile_id: str
    org_id: str
    kind: str
    score: float
    parts: ScoreParts
    explanation: Explanation = field(default_factory=Explanation)
