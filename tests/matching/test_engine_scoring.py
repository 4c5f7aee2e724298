"""The combined scorer: compatibility, complementarity, policy weights, explanations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alpsbio.matching.engine import (
    CoParticipationGraph,
    MatchingEngine,
    PolicyWeights,
    Profile,
    TfidfEmbedder,
    compatible,
    type_complementarity,
)

REQ = Profile(
    id="req", org_id="hosp", kind="technology_request", org_type="hospital", sector="health",
    country="IT", text="We need biosensors that detect sepsis in blood quickly",
    keywords=("biosensor", "sepsis"), networks=frozenset({"diagnosis"}),
    seeks_types=("startup", "sme"), seeks_regions=("FR", "CH"),
)  # fmt: skip
OFFER_FR = Profile(
    id="offer-fr", org_id="start", kind="technology_offer", org_type="startup", sector="industry",
    country="FR", text="Biosensors that detect sepsis in blood within minutes",
    keywords=("Biosensor",), networks=frozenset({"diagnosis"}),
)  # fmt: skip
OFFER_IT = replace(OFFER_FR, id="offer-it", org_id="start-it", country="IT", networks=frozenset())
OTHER_REQ = replace(REQ, id="req2", org_id="lab", org_type="university", sector="academia")
UNRELATED = replace(OFFER_FR, id="knee", org_id="ortho", text="Knee braces for skiers")


def engine(
    policy: PolicyWeights | None = None, graph: CoParticipationGraph | None = None
) -> MatchingEngine:
    return MatchingEngine.build(
        [REQ, OFFER_FR, OFFER_IT, OTHER_REQ, UNRELATED],
        graph=graph,
        policy=policy,
        embedder=TfidfEmbedder(),
    )


def test_request_is_matched_to_offers_not_requests() -> None:
    got = engine().suggest("req", k=10)
    ids = [s.profile_id for s in got]
    assert "req2" not in ids
    assert ids[0] == "offer-fr"
    assert not compatible(REQ, OTHER_REQ)
    assert compatible(REQ, OFFER_FR)
    assert compatible(OFFER_FR, REQ)


def test_complementarity_is_symmetric_and_prefers_different_types() -> None:
    assert type_complementarity("startup", "hospital") == type_complementarity(
        "hospital", "startup"
    )
    assert type_complementarity("startup", "hospital") > type_complementarity("startup", "startup")
    assert type_complementarity("university", "sme") == 1.0


def test_policy_weights_move_the_ranking() -> None:
    # The two offers have the same text and type; only the French one crosses the border
    # (the request is Italian) and shares a thematic network.
    def scores(policy: PolicyWeights) -> dict[str, float]:
        return {s.profile_id: s.score for s in engine(policy).suggest("req", k=10)}

    neutral = PolicyWeights(cross_border=0.0, shared_network=0.0, sought=0.0)
    s0 = scores(neutral)
    assert s0["offer-fr"] == pytest.approx(s0["offer-it"])
    s1 = scores(replace(neutral, cross_border=0.5))
    assert s1["offer-fr"] - s1["offer-it"] == pytest.approx(0.5)
    s2 = scores(replace(neutral, shared_network=0.3))
    assert s2["offer-fr"] - s2["offer-it"] == pytest.approx(0.3)


def test_explanation_is_structured() -> None:
    g = CoParticipationGraph.from_participations(
        [("hosp", "p1"), ("unige", "p1"), ("start", "p2"), ("unige", "p2")]
    )
    s = engine(graph=g).suggest("req", k=1)[0]
    ex = s.explanation
    assert s.profile_id == "offer-fr"
    assert ex.common_partners == ("unige",)
    assert ex.shared_keywords == ("biosensor",)
    assert ex.complementary_types == ("hospital", "startup")
    assert ex.crosses_border
    assert ex.crosses_sector
    assert ex.shared_networks == ("diagnosis",)
    assert set(ex.matches_sought) == {"type:startup", "country:FR"}
    assert s.parts.history > 0
    assert s.score == pytest.approx(s.parts.total)


def test_search_and_updates() -> None:
    e = engine()
    assert e.search("knee braces", k=1)[0].profile_id == "knee"
    e.upsert([replace(UNRELATED, text="Sepsis biosensors in blood, detect fast")])
    assert "knee" in [s.profile_id for s in e.search("sepsis biosensors", k=3)]
    e.remove(["knee"])
    assert "knee" not in [s.profile_id for s in e.search("sepsis biosensors", k=5)]
    with pytest.raises(KeyError):
        e.suggest("knee")


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Profile(id="x", org_id="y", kind="wish")


def test_suggest_for_org_uses_its_organisation_profile() -> None:
    org = Profile(
        id="org-start", org_id="start", kind="organisation", org_type="startup",
        text="Startup making biosensors for sepsis", country="FR",
    )  # fmt: skip
    hosp = Profile(
        id="org-hosp", org_id="hosp", kind="organisation", org_type="hospital",
        text="Hospital with an intensive care unit treating sepsis", country="IT",
    )  # fmt: skip
    e = MatchingEngine.build([org, hosp, REQ, OFFER_FR], embedder=TfidfEmbedder())
    got = {s.profile_id for s in e.suggest_for_org("start")}
    assert got == {"org-hosp", "req"}  # its own offer is excluded (same organisation)
    with pytest.raises(KeyError):
        e.suggest_for_org("nobody")


def test_make_index_switches_to_hnsw_for_large_pools() -> None:
    from alpsbio.matching.engine.index import EXACT_LIMIT, ExactIndex, make_index

    assert isinstance(make_index(8, expected=10), ExactIndex)
    pytest.importorskip("hnswlib")
    assert not isinstance(make_index(8, expected=EXACT_LIMIT + 1), ExactIndex)


def test_regions_sought_are_countries_or_nuts_prefixes() -> None:
    from alpsbio.matching.engine import sought_match

    seeker = replace(REQ, seeks_types=(), seeks_regions=("ITC4", "CH"))
    milan = replace(OFFER_IT, region="ITC4C")
    turin = replace(OFFER_IT, region="ITC11")
    geneva = replace(OFFER_FR, country="CH", region="CH013")
    assert sought_match(seeker, milan) == (1.0, ("region:ITC4",))
    assert sought_match(seeker, turin) == (0.0, ())
    assert sought_match(seeker, geneva) == (1.0, ("country:CH",))
    assert sought_match(replace(REQ, seeks_types=(), seeks_regions=("",)), turin)[0] == 0.0
    assert sought_match(OFFER_FR, turin) == (0.5, ())  # no wish: neutral


def test_expertise_answers_business_requests_too() -> None:
    expertise = replace(OFFER_FR, id="ex", kind="expertise")
    business = replace(REQ, id="br", kind="business_request")
    assert compatible(business, expertise)
    assert compatible(expertise, business)
    assert not compatible(business, replace(REQ, id="br2", kind="business_request"))


def test_history_strength_saturates() -> None:
    import numpy as np

    from alpsbio.matching.engine import history_strength

    assert history_strength(0.0) == 0.0
    assert history_strength(-1.0) == 0.0
    assert history_strength(1.0) == pytest.approx(1 - np.exp(-1))
    got = history_strength(np.array([0.0, 1.0, 5.0]))
    assert got[1] == pytest.approx(1 - np.exp(-1))
    assert 0.99 < got[2] < 1.0
