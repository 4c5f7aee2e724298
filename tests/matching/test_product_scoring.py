"""The pages and the API rank with the engine's scorer (``engine.scoring.score_pair``), not a
second policy of their own: the same parts, the same weights, the cluster's tuned bonuses."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from alpsbio.directory.models import Organisation
from alpsbio.matching import index, queries, services
from alpsbio.matching.engine import PolicyWeights, score_pair
from alpsbio.matching.models import MatchingSettings, Opportunity


def _rescored(source_key: str, s: index.Suggestion, policy: PolicyWeights) -> float:
    """The engine's total for the parts the index reported."""
    idx = index.get_index(wait=True)
    me = idx.profiles[idx.pos[source_key]].as_engine()
    cand = idx.profiles[idx.pos[s.key]].as_engine()
    return score_pair(me, cand, s.reasons["text"], s.reasons["graph"], policy).total


def test_suggestions_and_matches_are_the_engines_scores(
    published: dict[str, Opportunity], orgs: dict[str, Organisation]
) -> None:
    idx = index.get_index(wait=True)
    assert idx.policy == PolicyWeights()  # the settings row starts at the engine's defaults
    partners = idx.suggest_partners(orgs["uga"].pk)
    matches = idx.opportunity_matches(published["request"].pk)
    assert partners
    assert matches
    for s in partners:
        assert s.score == pytest.approx(_rescored(f"org:{orgs['uga'].pk}", s, idx.policy), abs=1e-4)
    for s in matches:
        key = f"opp:{published['request'].pk}"
        assert s.score == pytest.approx(_rescored(key, s, idx.policy), abs=1e-4)
        assert s.reasons["score_parts"]["total"] == pytest.approx(s.score, abs=1e-4)


def test_history_is_the_engines_saturating_adamic_adar(
    orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    """UGA and UNIMI share one partner, HCL, whose degree is 2: Adamic-Adar = 1 / log 2."""
    idx = index.get_index(wait=True)
    row = idx.pos[f"org:{orgs['unimi'].pk}"]
    got = idx.graph_scores(orgs["uga"].pk)[row]
    assert got == pytest.approx(1 - math.exp(-1 / math.log(2)))


def test_a_wish_for_a_region_is_a_nuts_prefix_and_counts_both_ways(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    """A request from Milan seeks partners in Rhône-Alpes (FRK2): the offer from Grenoble
    (FRK24) meets the wish, the same offer from Lausanne does not; the gap between them is the
    sought weight (1 against 0 on one wish), on top of equal texts and types."""
    request = make_opp(
        org=orgs["unimi"],
        kind="TR",
        title=texts["request"],
        status="published",
        partner_regions=["FRK2"],
    )
    fr = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    ch = make_opp(org=orgs["epfl"], kind="TO", title=texts["offer"], status="published")
    got = {s.opp_id: s for s in index.get_index(wait=True).opportunity_matches(request.pk)}
    assert got[fr.pk].reasons["sought"] == ["region:FRK2"]
    assert "sought" not in got[ch.pk].reasons
    assert got[fr.pk].reasons["score_parts"]["sought"] == 1.0
    assert got[ch.pk].reasons["score_parts"]["sought"] == 0.0
    gap = got[fr.pk].score - got[ch.pk].score
    assert gap == pytest.approx(PolicyWeights().sought, abs=2e-4)
    reasons = queries.opportunity_matches(request.pk)
    assert any(
        "Fits the partner sought" in r for m in reasons if m.opp_id == fr.pk for r in m.reasons
    )


def test_complementarity_is_graded_like_the_engines(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    """The same offer text from a university and from a hospital, for a request of a
    university: lab-lab scores 0.5 (university-research), lab-hospital 0.8 in the engine's
    table; the product reports those values and only the second is named as complementary."""
    orgs["epfl"].org_type = "hospital"
    orgs["epfl"].save()
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    uni = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    hosp = make_opp(org=orgs["epfl"], kind="TO", title=texts["offer"], status="published")
    got = {s.opp_id: s for s in index.get_index(wait=True).opportunity_matches(request.pk)}
    assert got[uni.pk].reasons["score_parts"]["complementarity"] == 0.2  # same type
    assert got[hosp.pk].reasons["score_parts"]["complementarity"] == 0.8
    assert got[hosp.pk].reasons["complementary_org_types"] == ["university", "hospital"]
    assert "complementary_org_types" not in got[uni.pk].reasons


def test_anonymous_search_is_text_only_and_a_members_search_applies_the_policy(
    published: dict[str, Opportunity], orgs: dict[str, Organisation], personas: dict[str, Any]
) -> None:
    services.update_matching_policy(personas["admin"], 0.7, 0.0, 0.0)
    idx = index.get_index(wait=True)
    assert idx.policy.cross_border == 0.7
    query = "biopsia liquida diagnosi molecolare tumori"
    anonymous = idx.search(query)
    assert anonymous
    for s in anonymous:
        assert s.score == pytest.approx(s.reasons["text"], abs=1e-4)
        assert "border" not in s.reasons
    as_unimi = {s.key: s for s in idx.search(query, org_id=orgs["unimi"].pk)}
    offer = as_unimi[f"opp:{published['offer'].pk}"]  # from Grenoble, seen from Milan
    assert offer.reasons["border"] == ["IT", "FR"]
    assert offer.reasons["score_parts"]["cross_border"] == 1.0
    assert offer.score >= offer.reasons["text"] + 0.7 - 1e-4


def test_the_settings_defaults_are_the_engines(db: Any) -> None:
    s, engine = MatchingSettings.load(), PolicyWeights()
    assert (s.border_bonus, s.sector_bonus, s.network_bonus) == (
        engine.cross_border,
        engine.cross_sector,
        engine.shared_network,
    )


def test_the_history_weight_is_the_cluster_managers_choice(
    orgs: dict[str, Organisation], projects: dict[str, Any], personas: dict[str, Any]
) -> None:
    """UNIMI shares a partner with UGA; raising the history weight lifts it by exactly the
    change times its history part."""
    unimi = f"org:{orgs['unimi'].pk}"
    before = {s.key: s for s in index.get_index(wait=True).suggest_partners(orgs["uga"].pk)}
    services.update_matching_policy(personas["admin"], 0.1, 0.08, 0.05, history_weight=1.0)
    idx = index.get_index(wait=True)
    assert idx.policy.history == 1.0
    after = {s.key: s for s in idx.suggest_partners(orgs["uga"].pk)}
    history = before[unimi].reasons["graph"]
    assert history > 0.5
    assert after[unimi].score - before[unimi].score == pytest.approx(0.75 * history, abs=2e-4)
    services.update_matching_policy(personas["admin"], 0.1, 0.08, 0.05)  # None: unchanged
    assert MatchingSettings.load().history_weight == 1.0


def test_an_exact_name_short_name_or_reference_is_found_first(
    published: dict[str, Opportunity], orgs: dict[str, Organisation]
) -> None:
    """Names say little to a sentence model; a user who types one expects that partner."""
    idx = index.get_index(wait=True)
    for query, key in (
        ("UGA", f"org:{orgs['uga'].pk}"),  # short name
        ("hospices civils de LYON", f"org:{orgs['hcl'].pk}"),  # case and spacing
        ("Universita degli studi di Milano", f"org:{orgs['unimi'].pk}"),  # no accent
        (published["request"].reference, f"opp:{published['request'].pk}"),
    ):
        hits = idx.search(query)
        assert hits[0].key == key, query
        assert hits[0].reasons["name"] is True
    explained = queries.search_partners("UGA", lang="en")
    assert "Its name is the one searched for" in explained[0].reasons
    assert "name" not in idx.search("liquid biopsy")[0].reasons


def test_an_edited_organisation_type_is_scored_on_the_next_read(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    offer = make_opp(org=orgs["epfl"], kind="TO", title=texts["offer"], status="published")

    def complementarity() -> float:
        got = {s.opp_id: s for s in index.get_index(wait=True).opportunity_matches(request.pk)}
        return float(got[offer.pk].reasons["score_parts"]["complementarity"])

    assert complementarity() == 0.2  # university - university
    orgs["epfl"].org_type = "startup"
    orgs["epfl"].save()
    assert complementarity() == 1.0  # university - startup


def test_edits_and_withdrawals_are_folded_in_by_a_rebuild_past_a_bound(
    monkeypatch: pytest.MonkeyPatch,
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    """Each edit adds a row to the side matrix and each withdrawal leaves a hidden row; a long
    run of them without imports would grow the index without bound."""
    monkeypatch.setattr(index, "MAX_PATCH_ROWS", 3)
    offer = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    idx = index.get_index(wait=True)
    builds = idx.n_builds
    for k in range(3):
        offer.title = {"en": f"Liquid biopsy, edition {k}"}
        offer.save()
        assert index.get_index(wait=True) is idx
        assert len(idx.patch_rows) == k + 1  # patched in place
    offer.title = {"en": "Liquid biopsy, edition 4"}
    offer.save()
    rebuilt = index.get_index(wait=True)
    assert rebuilt.n_builds == builds + 1
    assert rebuilt.patch_rows == []
    assert "edition 4" in rebuilt.profiles[rebuilt.pos[f"opp:{offer.pk}"]].text


def test_withdrawn_profiles_are_folded_in_by_a_rebuild_past_a_bound(
    monkeypatch: pytest.MonkeyPatch,
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    monkeypatch.setattr(index, "MAX_PATCH_ROWS", 3)
    offers = [
        make_opp(
            org=orgs["uga"], kind="TO", title={"en": f"Biobank service {k}"}, status="published"
        )
        for k in range(5)
    ]
    idx = index.get_index(wait=True)
    builds = idx.n_builds
    for k, offer in enumerate(offers[:4]):
        offer.status = "expired"
        offer.save(update_fields=["status", "updated_at"])
        now = index.get_index(wait=True)
        if k < 3:
            assert now.n_builds == builds  # hidden in place
    assert now.n_builds == builds + 1  # the fourth hidden row: rebuilt without them
    assert [p.opp_id for p in now.profiles if p.opp_id] == [offers[4].pk]
