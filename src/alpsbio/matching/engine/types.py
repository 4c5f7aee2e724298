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
    "research",
    "hospital",
    "training",
    "public_body",
    "cluster",
    "other",
)
SECTORS = ("academia", "industry", "health", "training", "public", "other")
# The sector each organisation type belongs to: crossing sectors is one of the cluster's aims.
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
    seeks_regions: tuple[str, ...] = ()  # partner countries or NUTS regions sought (empty = any)

    def __post_init__(self) -> None:
        if self.kind not in PROFILE_KINDS:
            raise ValueError(f"profile {self.id}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class PolicyWeights:
    """The cluster's policy as tunable weights on the score parts (all parts lie in [0, 1]).

    The text part dominates: the other parts re-order candidates whose texts are close. The
    last three are the bonuses the cluster managers tune (``MatchingSettings``); a sought part
    of 0.1 moves a candidate by 0.05 either way from the neutral 0.5 of a seeker without wishes.
    """

    text: float = 1.0
    history: float = 0.25
    complementarity: float = 0.08
    sought: float = 0.1
    cross_border: float = 0.1
    cross_sector: float = 0.08
    shared_network: float = 0.05
    candidates: int = 200  # text neighbours re-scored per query

    def text_only(self) -> PolicyWeights:
        """For a query from no one: there is nobody to be complementary to or to cross from."""
        return PolicyWeights(
            text=self.text, history=0.0, complementarity=0.0, sought=0.0, cross_border=0.0,
            cross_sector=0.0, shared_network=0.0, candidates=self.candidates,
        )  # fmt: skip


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
