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


def _consortia(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """150 random consortia of 2-5 among 300 organisations (a few hubs take part often; 191
    take part at all), plus a separate chain of four organisations (a small component with
    brokers of its own)."""
    rng = np.random.default_rng(seed)
    n = 300
    weights = 1.0 / np.arange(1, n + 1) ** 0.8
    weights /= weights.sum()
    rows = []
    for p in range(150):
        for o in rng.choice(n, size=int(rng.integers(2, 6)), replace=False, p=weights):
            rows.append((f"P{p}", f"o{o}"))
    rows += [("C1", "x1"), ("C1", "x2"), ("C2", "x2"), ("C2", "x3"), ("C3", "x3"), ("C3", "x4")]
    parts = pd.DataFrame(rows, columns=["project", "org"])
    ids = sorted(set(parts["org"]))
    orgs = pd.DataFrame(
        {
            "org": ids,
            "region": ["FRK2", "ITC4", "AT33"] * (len(ids) // 3) + ["CH01"] * (len(ids) % 3),
        }
    ).assign(type="PRC", sector="bio")
    return parts, orgs


def test_sampled_betweenness_error_is_bounded() -> None:
    """60 sources of the largest component (187 nodes): small components exact, the estimate
    unbiased, the error bounded. (On the 24k-node H2020 component, docs/analysis.md gives the
    measured error of the production sample size.)"""
    from alpsbio.survey.analysis.network import betweenness

    parts, orgs = _consortia(11)
    graph = build_graph(parts, orgs)
    exact, sampled = betweenness(graph, graph.n, graph.n, seed=0)
    assert not sampled
    k = 60
    est, sampled = betweenness(graph, graph.n - 1, k, seed=3)
    assert sampled
    # x2, x3 broker the separate chain: computed exactly (2/C(n-1,2) each, in pairs of x's).
    chain = graph.orgs["org"].isin(["x1", "x2", "x3", "x4"]).to_numpy()
    np.testing.assert_allclose(est[chain], exact[chain], rtol=1e-12)
    assert exact[chain].max() > 0
    # One sample: every node within 25 % of the largest betweenness, the top five among the
    # exact top ten.
    assert np.abs(est - exact).max() <= 0.25 * exact.max()
    assert set(np.argsort(-est)[:5]) <= set(np.argsort(-exact)[:10])
    # Unbiased: the mean of 40 independent samples is within 10 % for the five main brokers
    # (one sample: up to ~25 %).
    mean = np.mean([betweenness(graph, graph.n - 1, k, seed=s)[0] for s in range(40)], axis=0)
    top5 = np.argsort(-exact)[:5]
    np.testing.assert_allclose(mean[top5], exact[top5], rtol=0.1)


def test_leiden_and_louvain_find_the_same_obvious_groups() -> None:
    from alpsbio.survey.analysis.network import communities

    g = build_graph(PARTS, ORGS)
    for method in ("leiden", "louvain"):
        labels = dict(zip(g.orgs["org"], communities(g, seed=1, method=method), strict=True))
        assert labels["a"] == labels["b"] == labels["c"], method
        assert labels["d"] == labels["e"] != labels["a"], method


def test_two_processes_sum_the_same_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("igraph")
    from alpsbio.survey.analysis import network

    parts, orgs = _consortia(5)
    graph = build_graph(parts, orgs)
    gi = network.to_igraph(graph)
    sources = np.arange(0, graph.n, 2)
    assert len(sources) >= network._MIN_PARALLEL_SOURCES
    monkeypatch.setattr(network, "BETWEENNESS_PROCESSES", 2)
    forked = network.sources_betweenness(gi, sources)
    monkeypatch.setattr(network, "BETWEENNESS_PROCESSES", 1)
    here = network.sources_betweenness(gi, sources)
    np.testing.assert_allclose(forked, here, rtol=1e-12, atol=1e-12)
    assert here.max() > 0


def test_work_meanwhile_runs_once_and_the_estimate_does_not_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("igraph")
    from alpsbio.survey.analysis import network

    parts, orgs = _consortia(7)
    graph = build_graph(parts, orgs)
    calls: list[int] = []
    results = []
    for processes in (1, 2):
        monkeypatch.setattr(network, "BETWEENNESS_PROCESSES", processes)
        est, sampled = network.betweenness(
            graph, graph.n - 1, 64, seed=2, meanwhile=lambda: calls.append(1)
        )
        assert sampled
        results.append(est)
    assert calls == [1, 1]
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-15)
    # Exact path: still called once.
    network.betweenness(graph, graph.n, graph.n, seed=2, meanwhile=lambda: calls.append(1))
    assert calls == [1, 1, 1]
