"""Collaboration network measures on a hand-made consortium set."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from alpsbio.survey.analysis.network import (
    analyse_network,
    brokerage_roles,
    build_graph,
    naive_projection_edges,
    participation_coefficient,
)

# Projects P1 {a, b, c}, P2 {c, d}, P3 {d, e}, P4 {a, b}:
# edges a-b (weight 2: P1, P4), a-c, b-c, c-d, d-e.
PARTS = pd.DataFrame(
    {
        "project": ["P1", "P1", "P1", "P2", "P2", "P3", "P3", "P4", "P4"],
        "org": ["a", "b", "c", "c", "d", "d", "e", "a", "b"],
    }
)
ORGS = pd.DataFrame(
    {
        "org": ["a", "b", "c", "d", "e"],
        "region": ["FRK2", "FRK2", "FRK2", "ITC4", "AT33"],
        "type": ["HES", "PRC", "REC", "PRC", "HES"],
        "sector": ["bio", "bio", "med", "med", "ict"],
    }
)


def test_projection_matches_pair_enumeration() -> None:
    g = build_graph(PARTS, ORGS)
    a = g.adjacency.toarray()
    assert a[0, 1] == 2
    assert a[0, 2] == 1
    assert a[2, 3] == 1
    assert a[3, 4] == 1
    assert a[0, 3] == 0
    naive = naive_projection_edges(PARTS)
    assert naive == {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1, ("c", "d"): 1, ("d", "e"): 1}
    assert np.count_nonzero(np.triu(a)) == len(naive)


def test_participation_coefficient_hand_checked() -> None:
    g = build_graph(PARTS, ORGS)
    pc = dict(zip(g.orgs["org"], participation_coefficient(g, "region"), strict=True))
    # c: neighbours a, b (FRK2), d (ITC4) → 1 - ((2/3)^2 + (1/3)^2) = 1 - 5/9 = 4/9
    assert pc["c"] == pytest.approx(4 / 9)
    # d: neighbours c (FRK2), e (AT33) → 1 - (1/4 + 1/4) = 0.5; a: both FRK2 → 0
    assert pc["d"] == pytest.approx(0.5)
    assert pc["a"] == 0.0


def test_brokerage_roles_hand_checked() -> None:
    g = build_graph(PARTS, ORGS)
    roles = brokerage_roles(g, "region")
    # c (FRK2) brokers pairs (a,d) and (b,d): c shares FRK2 with a/b, d is ITC4 → 2 gatekeeper/
    # representative; (a,b) are linked so no coordinator role.
    assert roles.loc["c"].tolist() == [0, 0, 2, 0]
    # d (ITC4) brokers (c,e): FRK2, AT33, d ITC4 → three groups → 1 liaison.
    assert roles.loc["d"].tolist() == [0, 0, 0, 1]
    assert roles.loc["a"].sum() == 0


def test_analyse_network_against_networkx() -> None:
    res = analyse_network(PARTS, ORGS, member_regions=["FRK2", "ITC4", "AT33"], seed=1)
    nodes = res.nodes.set_index("org")
    g = nx.Graph([("a", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("d", "e")])
    ref = nx.betweenness_centrality(g)
    for o, v in ref.items():
        assert nodes.at[o, "betweenness"] == pytest.approx(v)
    # c lies on a-d, a-e, b-d, b-e: 4 of C(4,2)=6 pairs of the others → 4/6
    assert nodes.at["c", "betweenness"] == pytest.approx(4 / 6)
    assert nodes["degree"].to_dict() == {"a": 2, "b": 2, "c": 3, "d": 2, "e": 1}
    assert nodes.at["a", "strength"] == 3.0
    assert not res.betweenness_sampled
    # FRK2: links inside a-b (2) + a-c + b-c = 4; with ITC4: c-d = 1 → total 5, abroad 1.
    frk2 = res.region_summary.set_index("region").loc["FRK2"]
    assert frk2["links_inside"] == 4.0
    assert frk2["links_abroad"] == 1.0
    assert frk2["links_total"] == 5.0
    top = res.key_players[res.key_players["region"] == "FRK2"].iloc[0]
    assert top["org"] == "c"
    assert top["gatekeeper_representative"] == 2
    assert res.communities["size"].sum() == 5


def test_sampled_betweenness_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    parts = pd.DataFrame(
        {
            "project": rng.integers(0, 60, 400).astype(str),
            "org": rng.integers(0, 150, 400).astype(str),
        }
    )
    orgs = pd.DataFrame(
        {
            "org": [str(i) for i in range(150)],
            "region": ["FRK2", "ITC4", "AT33"] * 50,
            "type": "PRC",
            "sector": "bio",
        }
    )
    r1 = analyse_network(
        parts, orgs, exact_betweenness_max_nodes=50, betweenness_samples=40, seed=5
    )
    r2 = analyse_network(
        parts, orgs, exact_betweenness_max_nodes=50, betweenness_samples=40, seed=5
    )
    assert r1.betweenness_sampled
    pd.testing.assert_frame_equal(r1.nodes, r2.nodes)
    exact = analyse_network(parts, orgs, seed=5).nodes.set_index("org")["betweenness"]
    est = r1.nodes.set_index("org")["betweenness"]
    # A sample of 40 of ~150 sources ranks the top broker among the exact top five.
    assert est.idxmax() in set(exact.nlargest(5).index)


@pytest.mark.parametrize("backend", ["networkx", "igraph"])
def test_backends_agree_on_exact_measures(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    from alpsbio.survey.analysis import network

    if backend == "igraph":
        pytest.importorskip("igraph")
    monkeypatch.setattr(network, "BACKEND", backend)
    res = analyse_network(PARTS, ORGS, seed=3)
    nodes = res.nodes.set_index("org")
    assert nodes.at["c", "betweenness"] == pytest.approx(4 / 6)
    assert nodes.at["d", "betweenness"] == pytest.approx(3 / 6)
    # Two obvious groups: {a, b, c} and {d, e}.
    assert nodes.at["a", "community"] == nodes.at["b", "community"]
    assert nodes.at["d", "community"] == nodes.at["e", "community"]
