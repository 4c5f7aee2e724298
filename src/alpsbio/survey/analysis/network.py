"""Collaboration network from co-participation in projects.

Nodes are organisations (attributes: region, type, sector); two organisations are linked when
they took part in the same project, weighted by the number of shared projects. The graph is a
sparse adjacency matrix (projection B^T B of the project x organisation incidence matrix); the
path- and community-based measures run in igraph's C core when it is installed (networkx
otherwise, same definitions, much slower on large graphs). Measures: degree, strength (weighted
degree), betweenness (exact while n*m stays under ``betweenness_budget``, otherwise estimated
from a fixed-seed sample of source nodes, Brandes & Pich 2007), Louvain communities (Blondel et al.
2008, fixed seed), the participation coefficient over regions and over sectors (Guimerà &
Amaral 2005) for every node, Gould & Fernandez (1989) brokerage roles (undirected form) for the
key players, and key players per region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

ORG_COLUMNS = ("org", "region", "type", "sector")
GF_ROLES = ("coordinator", "itinerant", "gatekeeper_representative", "liaison")


@dataclass(frozen=True)
class CoGraph:
    """Organisations (sorted ids) and their symmetric weighted adjacency (no self-loops)."""

    orgs: pd.DataFrame  # org, region, type, sector; row i = node i
    adjacency: sparse.csr_matrix

    @property
    def n(self) -> int:
        return int(self.adjacency.shape[0])

    def to_networkx(self) -> object:
        """For ad-hoc analysis; not used by the pipeline."""
        import networkx as nx

        g = nx.from_scipy_sparse_array(self.adjacency)
        return nx.relabel_nodes(g, dict(enumerate(self.orgs["org"])))


def build_graph(participations: pd.DataFrame, orgs: pd.DataFrame) -> CoGraph:
    """Weighted co-participation graph; ``participations`` has columns project, org."""
    p = participations[["project", "org"]].dropna().drop_duplicates()
    org_codes, org_index = pd.factorize(p["org"], sort=True)
    proj_codes, proj_index = pd.factorize(p["project"], sort=True)
    b = sparse.csr_matrix(
        (np.ones(len(p)), (proj_codes, org_codes)), shape=(len(proj_index), len(org_index))
    )
    a = (b.T @ b).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    attrs = orgs.drop_duplicates("org").set_index("org").reindex(org_index)
    nodes = pd.DataFrame({"org": np.asarray(org_index)})
    for c in ("region", "type", "sector"):
        col = attrs[c] if c in attrs.columns else pd.Series("", index=attrs.index)
        nodes[c] = col.fillna("").astype(str).to_numpy()
    return CoGraph(nodes, a)


def _onehot(labels: pd.Series) -> tuple[sparse.csr_matrix, np.ndarray]:
    codes, uniques = pd.factorize(labels, sort=True)
    m = sparse.csr_matrix(
        (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(uniques))
    )
    return m, np.asarray(uniques)


def participation_coefficient(graph: CoGraph, attribute: str) -> np.ndarray:
    """P_i = 1 - sum_g (k_ig / k_i)^2 over the groups g of i's neighbours (0 for isolates)."""
    binary = (graph.adjacency > 0).astype(float)
    onehot, _ = _onehot(graph.orgs[attribute])
    k_ig = (binary @ onehot).toarray() if graph.n else np.zeros((0, 0))
    k = k_ig.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 1.0 - (k_ig**2).sum(axis=1) / k**2
    return np.where(k > 0, p, 0.0)


def brokerage_roles(
    graph: CoGraph, attribute: str, nodes: np.ndarray | None = None
) -> pd.DataFrame:
    """Gould-Fernandez roles for undirected ties, for ``nodes`` (indices; default all).

    For node i and each pair of neighbours j, k that are not linked (i brokers j-k):
    coordinator (i, j, k in one group), itinerant (j, k in one group, i in another),
    gatekeeper_representative (i shares its group with exactly one of j, k: without direction
    the two roles merge), liaison (three different groups). Open pairs = all neighbour pairs
    (from group sizes) minus linked neighbour pairs (from the neighbourhood sub-matrix).
    """
    binary = (graph.adjacency > 0).astype(np.int8).tocsr()
    groups = pd.factorize(graph.orgs[attribute])[0]
    idx = np.arange(graph.n) if nodes is None else np.asarray(nodes)
    rows = []
    for i in idx:
        nb = binary.indices[binary.indptr[i] : binary.indptr[i + 1]]
        gi = groups[i]
        gn = groups[nb]
        same = int((gn == gi).sum())
        other_counts = np.bincount(gn[gn != gi]) if (gn != gi).any() else np.zeros(0, dtype=int)
        n_other = int(other_counts.sum())
        counts = [
            same * (same - 1) // 2,
            int((other_counts * (other_counts - 1) // 2).sum()),
            same * n_other,
            (n_other * n_other - int((other_counts**2).sum())) // 2,
        ]
        sub = sparse.triu(binary[nb][:, nb], k=1).tocoo()
        if sub.nnz:
            gj, gk = gn[sub.row], gn[sub.col]
            coord = (gj == gi) & (gk == gi)
            itin = (gj == gk) & (gj != gi)
            gate = (gj != gk) & ((gj == gi) | (gk == gi))
            liaison = (gj != gk) & (gj != gi) & (gk != gi)
            for r, mask in enumerate((coord, itin, gate, liaison)):
                counts[r] -= int(mask.sum())
        rows.append((graph.orgs["org"].iat[i], *counts))
    return pd.DataFrame(rows, columns=["org", *GF_ROLES]).set_index("org")


def _igraph_module() -> ModuleType | None:
    """igraph if installed (C core: ~50x faster than networkx on 500k links), else None."""
    try:
        import igraph
    except ImportError:  # pragma: no cover - exercised by forcing the fallback in the tests
        return None
    return igraph


BACKEND: str = "auto"  # "auto" (igraph when installed), "igraph" or "networkx"


def _use_igraph() -> ModuleType | None:
    if BACKEND == "networkx":
        return None
    ig = _igraph_module()
    if ig is None and BACKEND == "igraph":
        raise ImportError("igraph is not installed")
    return ig


def _edges(graph: CoGraph) -> sparse.coo_matrix:
    return sparse.triu(graph.adjacency, k=1).tocoo()


def to_igraph(graph: CoGraph) -> Any:
    """The same graph in igraph (edge list as Python lists: igraph converts those fastest)."""
    ig = _use_igraph()
    if ig is None:
        raise ImportError("igraph is not installed")
    up = _edges(graph)
    return ig.Graph(
        n=graph.n,
        edges=list(zip(up.row.tolist(), up.col.tolist(), strict=True)),
        edge_attrs={"weight": up.data.tolist()},
    )


def betweenness(
    graph: CoGraph, exact_max_nodes: int, samples: int, seed: int, gi: Any = None
) -> tuple[np.ndarray, bool]:
    """Normalised like networkx (divided by (n-1)(n-2)/2); sampled sources scaled by n/k."""
    n = graph.n
    if n < 3:
        return np.zeros(n), False
    sampled = n > exact_max_nodes
    ig = _use_igraph()
    up = _edges(graph)
    if ig is None:
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(up.row.tolist(), up.col.tolist(), strict=True))
        res = nx.betweenness_centrality(g, k=min(samples, n) if sampled else None, seed=seed)
        return np.array([res[i] for i in range(n)], dtype=float), sampled
    gi = gi if gi is not None else to_igraph(graph)
    if sampled:
        sources = np.sort(
            np.random.default_rng(seed).choice(n, size=min(samples, n), replace=False)
        )
        raw = (
            np.asarray(gi.betweenness(directed=False, sources=sources.tolist()), dtype=float)
            * n
            / len(sources)
        )
    else:
        raw = np.asarray(gi.betweenness(directed=False), dtype=float)
    return raw / ((n - 1) * (n - 2) / 2.0), sampled


def louvain(graph: CoGraph, seed: int, gi: Any = None) -> np.ndarray:
    """Community label per node; labels renumbered by decreasing size, then first node."""
    n = graph.n
    if n == 0:
        return np.zeros(0, dtype=int)
    up = _edges(graph)
    ig = _use_igraph()
    if ig is None:
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from(
            zip(up.row.tolist(), up.col.tolist(), up.data.tolist(), strict=True)
        )
        membership = np.empty(n, dtype=int)
        for ci, com in enumerate(nx.community.louvain_communities(g, weight="weight", seed=seed)):
            membership[list(com)] = ci
    else:
        gi = gi if gi is not None else to_igraph(graph)
        ig.set_random_number_generator(random.Random(seed))
        try:
            membership = np.asarray(
                gi.community_multilevel(weights="weight" if gi.ecount() else None).membership
            )
        finally:
            ig.set_random_number_generator(random)
    labels, first, sizes = np.unique(membership, return_index=True, return_counts=True)
    order = sorted(range(len(labels)), key=lambda i: (-sizes[i], first[i]))
    remap = np.empty(len(labels), dtype=int)
    remap[np.asarray(order, dtype=int)] = np.arange(len(labels))
    return np.asarray(remap[np.searchsorted(labels, membership)])


def _mode_per_group(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """Most frequent non-empty value per group (ties: smallest value), vectorised."""
    f = frame[frame[column] != ""]
    counts = f.groupby([key, column]).size().rename("n").reset_index()
    counts = counts.sort_values([key, "n", column], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates(key).set_index(key)[column]


def community_table(nodes: pd.DataFrame) -> pd.DataFrame:
    located = nodes[nodes["region"] != ""]
    out = pd.DataFrame({"size": nodes.groupby("community").size()})
    out["regions"] = (
        located.groupby("community")["region"].nunique().reindex(out.index, fill_value=0)
    )
    out["top_region"] = _mode_per_group(nodes, "community", "region").reindex(out.index).fillna("")
    out["top_sector"] = _mode_per_group(nodes, "community", "sector").reindex(out.index).fillna("")
    out.index.name = "community"
    return out.reset_index()


@dataclass(frozen=True)
class NetworkResult:
    nodes: pd.DataFrame  # one row per organisation with all measures
    links: pd.DataFrame  # region x region link weights (shared projects)
    communities: pd.DataFrame  # community id, size, regions, dominant region and sector
    key_players: pd.DataFrame  # top organisations per region, with brokerage roles
    region_summary: pd.DataFrame  # per region: links inside, with members, abroad; shares
    betweenness_sampled: bool


def analyse_network(
    participations: pd.DataFrame,
    orgs: pd.DataFrame,
    member_regions: list[str] | None = None,
    seed: int = 42,
    exact_betweenness_max_nodes: int = 20_000,
    betweenness_samples: int | None = None,
    betweenness_budget: float = 1e8,
    key_players_per_region: int = 10,
) -> NetworkResult:
    """All network measures. ``orgs`` has columns org, region, type, sector ('' = unknown)."""
    graph = build_graph(participations, orgs)
    # Exact Brandes costs ~n*m link traversals; above the budget, sample sources so that the
    # cost stays ~budget (at least 32 sources) unless the caller fixes the sample size.
    m = max(int(_edges(graph).nnz), 1)
    too_big = graph.n > exact_betweenness_max_nodes or graph.n * m > betweenness_budget
    if betweenness_samples is None:
        samples = max(32, int(betweenness_budget // m)) if too_big else graph.n
    else:
        samples = betweenness_samples
    gi = to_igraph(graph) if _use_igraph() is not None else None
    btw, sampled = betweenness(
        graph, graph.n - 1 if too_big else graph.n, min(samples, graph.n), seed, gi
    )
    binary = (graph.adjacency > 0).astype(float)
    nodes = graph.orgs.copy()
    nodes["degree"] = np.asarray(binary.sum(axis=1)).ravel().astype(int)
    nodes["strength"] = np.asarray(graph.adjacency.sum(axis=1)).ravel()
    nodes["betweenness"] = btw
    nodes["community"] = louvain(graph, seed, gi)
    nodes["participation_region"] = participation_coefficient(graph, "region")
    nodes["participation_sector"] = participation_coefficient(graph, "sector")
    # Region x region link weights from the sparse adjacency (each link counted from both ends).
    onehot, regions = _onehot(nodes["region"])
    rr = (onehot.T @ graph.adjacency @ onehot).toarray() if graph.n else np.zeros((0, 0))
    np.fill_diagonal(rr, rr.diagonal() / 2.0)  # a link inside a region was counted twice
    links = pd.DataFrame(rr, index=regions, columns=regions)
    links.index.name, links.columns.name = "region", "partner_region"
    members = set(member_regions or [])
    summary_rows = []
    per_region = nodes["region"].value_counts()
    for j, r in enumerate(regions):
        if r == "":
            continue
        row = links.iloc[j]
        total = float(row.sum())
        inside = float(row.iloc[j])
        with_members = float(sum(v for k, v in row.items() if k in members and k != r))
        abroad = float(sum(v for k, v in row.items() if k and k[:2] != r[:2]))
        unknown = float(row.get("", 0.0))
        summary_rows.append(
            {
                "region": r,
                "organisations": int(per_region.get(r, 0)),
                "links_total": total,
                "links_inside": inside,
                "links_with_members": with_members,
                "links_abroad": abroad,
                "links_unlocated": unknown,
                "share_inside": inside / total if total else np.nan,
                "share_abroad": abroad / total if total else np.nan,
            }
        )
    region_summary = pd.DataFrame(summary_rows)
    communities = community_table(nodes)
    # Key players: betweenness first (brokers hold the network together), then degree.
    ranked = nodes[nodes["region"] != ""].sort_values(
        ["region", "betweenness", "degree", "org"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    key = ranked.groupby("region", sort=True).head(key_players_per_region).copy()
    key["rank"] = key.groupby("region").cumcount() + 1
    # Brokerage roles only for the key players (of the member regions when given): the
    # neighbourhood scan is quadratic in degree and hubs have thousands of partners.
    scope = key[key["region"].isin(members)] if members else key
    roles = brokerage_roles(graph, "region", scope.index.to_numpy())
    key = key.join(roles, on="org")
    key["brokerage_total"] = key[list(GF_ROLES)].sum(axis=1, min_count=1)
    return NetworkResult(
        nodes, links, communities, key.reset_index(drop=True), region_summary, sampled
    )


def naive_projection_edges(participations: pd.DataFrame) -> dict[tuple[object, object], int]:
    """Reference projection by explicit pair enumeration (tests and the benchmark baseline)."""
    edges: dict[tuple[object, object], int] = {}
    for _, grp in participations.groupby("project"):
        for u, v in combinations(sorted(set(grp["org"]), key=str), 2):
            edges[(u, v)] = edges.get((u, v), 0) + 1
    return edges
