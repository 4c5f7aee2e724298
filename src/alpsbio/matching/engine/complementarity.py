"""Which profiles may be matched, and how well two organisation types complement each other."""

from __future__ import annotations

from .types import Profile

# A request is answered by offers or expertise, never by another request; an organisation's
# own profile matches organisations and the requests it could answer.
COMPATIBLE: dict[str, frozenset[str]] = {
    "organisation": frozenset(
        {"organisation", "technology_request", "business_request", "rd_partner_request"}
    ),
    "technology_offer": frozenset({"technology_request", "rd_partner_request"}),
    "technology_request": frozenset({"technology_offer", "expertise", "organisation"}),
    "business_offer": frozenset({"business_request"}),
    "business_request": frozenset({"business_offer", "expertise", "organisation"}),
    "rd_partner_request": frozenset({"expertise", "technology_offer", "organisation"}),
    "expertise": frozenset({"rd_partner_request", "technology_request", "business_request"}),
}

_ACADEMIC = ("university", "research")
_COMPANY = ("startup", "sme", "large_company")
# Pairs that work together (symmetric), in [0, 1]. Same-type pairs get a low default: two
# universities do cooperate, but the cluster exists to connect different kinds of actors.
_PAIRS: dict[frozenset[str], float] = {}


def _set(a: str, b: str, v: float) -> None:
    _PAIRS[frozenset({a, b})] = v


for _lab in _ACADEMIC:
    for _co in _COMPANY:
        _set(_lab, _co, 1.0)  # a lab and a company: technology transfer
    _set(_lab, "hospital", 0.8)  # clinical research
    _set(_lab, "training", 0.4)
for _co in _COMPANY:
    _set(_co, "hospital", 1.0 if _co == "startup" else 0.9)  # a medtech finds its first users
    _set(_co, "training", 0.6)  # skills for industry
    _set(_co, "cluster", 0.5)
    _set(_co, "public_body", 0.4)
_set("startup", "large_company", 0.8)  # licensing, acquisition, supply
_set("startup", "sme", 0.5)
_set("sme", "large_company", 0.6)
_set("hospital", "training", 0.6)
_set("hospital", "public_body", 0.5)
_set("university", "research", 0.5)
SAME_TYPE = 0.2
DEFAULT = 0.3
# From this value on, an explanation names the two types as ones that work together.
COMPLEMENTARY_AT = 0.5


def compatible(a: Profile, b: Profile) -> bool:
    return b.kind in COMPATIBLE[a.kind]


def type_complementarity(a: str, b: str) -> float:
    if a == b:
        return SAME_TYPE
    return _PAIRS.get(frozenset({a, b}), DEFAULT)


def sought_match(seeker: Profile, other: Profile) -> tuple[float, tuple[str, ...]]:
    """How well ``other`` fits what ``seeker`` says it seeks: 1 when every stated wish is met.

    No stated wish gives a neutral 0.5 so that profiles that say nothing are not favoured, and a
    wish not met costs as much as a wish met gains.
    """
    wishes, met, why = 0, 0, []
    if seeker.seeks_types:
        wishes += 1
        if other.org_type in seeker.seeks_types:
            met += 1
            why.append(f"type:{other.org_type}")
    if seeker.seeks_regions:
        wishes += 1
        # A country code, or a NUTS code of any level (which starts with its country's code).
        hit = next(
            (
                r
                for r in seeker.seeks_regions
                if r and (other.country == r or other.region.startswith(r))
            ),
            None,
        )
        if hit is not None:
            met += 1
            why.append(f"{'country' if hit == other.country else 'region'}:{hit}")
    if wishes == 0:
        return 0.5, ()
    return met / wishes, tuple(why)
