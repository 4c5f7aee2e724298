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

import logging
import os
import random
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

logger = logging.getLogger("alpsbio.survey")

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


def participation_coefficient(
    graph: CoGraph, attribute: str, binary: sparse.csr_matrix | None = None
) -> np.ndarray:
    """P_i = 1 - sum_g (k_ig / k_i)^2 over the groups g of i's neighbours (0 for isolates).

    Sparse throughout: k_ig = (A > 0) @ onehot(groups) has one entry per (node, group present
    among its partners), so no n x groups dense array is built.
    """
    if binary is None:
        binary = _binary(graph)
    if not graph.n:
        return np.zeros(0)
    onehot, _ = _onehot(graph.orgs[attribute])
    k_ig = (binary @ onehot).tocsr()
    k = np.asarray(k_ig.sum(axis=1)).ravel()
    sq = np.asarray(k_ig.multiply(k_ig).sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 1.0 - sq / k**2
    return np.where(k > 0, p, 0.0)


def _binary(graph: CoGraph) -> sparse.csr_matrix:
    """0/1 adjacency (float), the same sparsity pattern as the weighted one."""
    a = graph.adjacency
    return sparse.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)


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
    binary = _binary(graph).astype(np.int8)
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
    graph: CoGraph,
    exact_max_nodes: int,
    samples: int,
    seed: int,
    gi: Any = None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[np.ndarray, bool]:
    """Normalised like networkx (divided by (n-1)(n-2)/2).

    Exact (Brandes) up to ``exact_max_nodes`` nodes. Above it, igraph estimates by source
    sampling stratified by connected component: a node's betweenness only comes from sources
    in its own component, so every component but the largest is computed exactly (its
    breadth-first searches stay inside the small component), and the largest one from
    ``samples`` of its own nodes drawn without replacement with a fixed seed, scaled by
    ``n_largest / samples`` (Brandes & Pich 2007). The networkx fallback samples from all
    nodes (its ``k`` argument).

    ``meanwhile`` (called exactly once) is work to run while a forked process shares the
    sampled searches (see ``sources_betweenness``).
    """
    called = False

    def once() -> None:
        nonlocal called
        if meanwhile is not None and not called:
            called = True
            meanwhile()

    result = _betweenness(graph, exact_max_nodes, samples, seed, gi, once)
    once()
    return result


def _betweenness(
    graph: CoGraph,
    exact_max_nodes: int,
    samples: int,
    seed: int,
    gi: Any,
    meanwhile: Callable[[], None],
) -> tuple[np.ndarray, bool]:
    n = graph.n
    if n < 3:
        return np.zeros(n), False
    sampled = n > exact_max_nodes
    ig = _use_igraph()
    norm = (n - 1) * (n - 2) / 2.0
    if ig is None:
        import networkx as nx

        up = _edges(graph)
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(up.row.tolist(), up.col.tolist(), strict=True))
        res = nx.betweenness_centrality(g, k=min(samples, n) if sampled else None, seed=seed)
        return np.array([res[i] for i in range(n)], dtype=float), sampled
    gi = gi if gi is not None else to_igraph(graph)
    if not sampled:
        return np.asarray(gi.betweenness(directed=False), dtype=float) / norm, False
    _n_comp, comp = csgraph.connected_components(graph.adjacency, directed=False)
    largest = int(np.bincount(comp).argmax())
    inside = np.flatnonzero(comp == largest)
    if samples >= len(inside):
        return np.asarray(gi.betweenness(directed=False), dtype=float) / norm, False
    outside = np.flatnonzero(comp != largest)
    raw = np.zeros(n)
    if len(outside):
        raw += np.asarray(gi.betweenness(directed=False, sources=outside.tolist()), dtype=float)
    picked = np.sort(np.random.default_rng(seed).choice(inside, size=samples, replace=False))
    part = sources_betweenness(gi, picked, meanwhile)
    raw += part * len(inside) / samples
    return raw / norm, True


# Processes sharing the sampled sources' searches (fork; 1 = in this process only).
BETWEENNESS_PROCESSES: int = min(2, os.cpu_count() or 1)
_MIN_PARALLEL_SOURCES = 32


# With other work to do meanwhile, the child takes this share of the sources (it balances
# ~2 s of searches against ~1 s of communities and participation coefficients on H2020).
_CHILD_SHARE_WITH_WORK = 0.7


def sources_betweenness(
    gi: Any, sources: np.ndarray, meanwhile: Callable[[], None] | None = None
) -> np.ndarray:
    """Sum over ``sources`` of their Brandes dependencies (igraph), unnormalised.

    With ``BETWEENNESS_PROCESSES`` = 2 and enough sources, part of them (every other one, or
    7 in 10 when there is ``meanwhile`` work) go to a forked child process that shares the
    graph copy-on-write and sends its sums back through a pipe, while this process runs
    ``meanwhile`` and its own part; the sum is the same up to floating-point rounding. A child
    that fails, or has not answered long after this process finished, is killed and its part
    computed here. ``meanwhile`` is called exactly once in every case.
    """
    sources = np.asarray(sources)
    if BETWEENNESS_PROCESSES < 2 or len(sources) < _MIN_PARALLEL_SOURCES or not hasattr(os, "fork"):
        out = np.asarray(gi.betweenness(directed=False, sources=sources.tolist()), dtype=float)
        if meanwhile is not None:
            meanwhile()
        return out
    share = _CHILD_SHARE_WITH_WORK if meanwhile is not None else 0.5
    i = np.arange(len(sources))
    to_child = np.floor((i + 1) * share) > np.floor(i * share)  # evenly spread
    mine, theirs = sources[~to_child], sources[to_child]
    n = int(gi.vcount())
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        status = 1
        try:
            os.close(read_fd)
            out = np.asarray(gi.betweenness(directed=False, sources=theirs.tolist()), dtype="<f8")
            view = memoryview(out.tobytes())
            while view:
                view = view[os.write(write_fd, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks: list[bytes] = []
    reaped = False
    try:
        started = time.monotonic()
        if meanwhile is not None:
            meanwhile()
        own = np.asarray(gi.betweenness(directed=False, sources=mine.tolist()), dtype=float)
        deadline = time.monotonic() + max(30.0, 10 * (time.monotonic() - started))
        while True:
            ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:  # no answer in time: stop it, compute its part here
                os.kill(pid, signal.SIGKILL)
                chunks = []
                break
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # ``meanwhile`` or this process's searches raised
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    data = b"".join(chunks)
    if status != 0 or len(data) != 8 * n:
        logger.warning("betweenness child process failed (status %s): computing here", status)
        other = np.asarray(gi.betweenness(directed=False, sources=theirs.tolist()), dtype=float)
    else:
        other = np.frombuffer(data, dtype="<f8")
    return np.asarray(own + other)


COMMUNITY_METHOD: str = "leiden"  # "leiden" (igraph) or "louvain"
# Link traversals allowed for betweenness (exact Brandes costs ~n*m); above, sampled sources
# k = max(32, budget / m): 1e8 → 190 sources (~2 s CPU, ~1 s wall on two processes) on the
# 523k-link H2020 network.
DEFAULT_BETWEENNESS_BUDGET: float = 1e8


def communities(graph: CoGraph, seed: int, gi: Any = None, method: str | None = None) -> np.ndarray:
    """Community label per node, maximising weighted modularity with a fixed seed.

    igraph: Leiden (Traag, Waltman & van Eck 2019; two iterations) by default, or Louvain
    (``method="louvain"``); the networkx fallback runs Louvain. Labels renumbered by
    decreasing size, then first node.
    """
    n = graph.n
    if n == 0:
        return np.zeros(0, dtype=int)
    method = method or COMMUNITY_METHOD
    ig = _use_igraph()
    if ig is None:
        import networkx as nx

        up = _edges(graph)
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
        weights = "weight" if gi.ecount() else None
        ig.set_random_number_generator(random.Random(seed))
        try:
            if method == "louvain":
                found = gi.community_multilevel(weights=weights)
            else:
                found = gi.community_leiden(
                    objective_function="modularity", weights=weights, n_iterations=2
                )
            membership = np.asarray(found.membership)
        finally:
            ig.set_random_number_generator(random)
    labels, first, sizes = np.unique(membership, return_index=True, return_counts=True)
    order = np.lexsort((first, -sizes))
    remap = np.empty(len(labels), dtype=int)
    remap[order] = np.arange(len(labels))
    return np.asarray(remap[np.searchsorted(labels, membership)])


def louvain(graph: CoGraph, seed: int, gi: Any = None) -> np.ndarray:
    """Louvain communities (Blondel et al. 2008), kept for comparison with Leiden."""
    return communities(graph, seed, gi, method="louvain")


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


def _region_summary(
    rr: np.ndarray, regions: np.ndarray, node_regions: pd.Series, members: set[str]
) -> pd.DataFrame:
    """Per located region: links in total, inside, with the other members, abroad (another
    country: the first two letters of the code differ), with unlocated partners; shares."""
    codes = pd.Series(regions, dtype=str)
    located = (codes != "").to_numpy()
    is_member = codes.isin(members).to_numpy()
    country_codes, _ = pd.factorize(codes.str[:2])
    total = rr.sum(axis=1)
    inside = rr.diagonal().copy()
    with_members = rr[:, is_member].sum(axis=1) - np.where(is_member, inside, 0.0)
    by_country = np.zeros((len(codes), int(country_codes.max()) + 1 if len(codes) else 0))
    np.add.at(by_country.T, country_codes[located], rr[:, located].T)
    own = by_country[np.arange(len(codes)), country_codes] if len(codes) else np.zeros(0)
    abroad = rr[:, located].sum(axis=1) - own
    unknown = rr[:, ~located].sum(axis=1)
    per_region = node_regions.value_counts()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "region": codes,
                "organisations": codes.map(per_region).fillna(0).astype(int),
                "links_total": total,
                "links_inside": inside,
                "links_with_members": with_members,
                "links_abroad": abroad,
                "links_unlocated": unknown,
                "share_inside": np.where(total > 0, inside / total, np.nan),
                "share_abroad": np.where(total > 0, abroad / total, np.nan),
            }
        )
    return out[located].reset_index(drop=True)


def analyse_network(
    participations: pd.DataFrame,
    orgs: pd.DataFrame,
    member_regions: list[str] | None = None,
    seed: int = 42,
    exact_betweenness_max_nodes: int = 20_000,
    betweenness_samples: int | None = None,
    betweenness_budget: float | None = None,
    key_players_per_region: int = 10,
    community_method: str | None = None,
) -> NetworkResult:
    """All network measures. ``orgs`` has columns org, region, type, sector ('' = unknown).

    ``community_method``: "leiden" (default, ``COMMUNITY_METHOD``) or "louvain".
    """
    graph = build_graph(participations, orgs)
    if betweenness_budget is None:
        betweenness_budget = DEFAULT_BETWEENNESS_BUDGET
    # Exact Brandes costs ~n*m link traversals; above the budget, sample sources so that the
    # cost stays ~budget (at least 32 sources) unless the caller fixes the sample size.
    m = max(int(graph.adjacency.nnz // 2), 1)
    too_big = graph.n > exact_betweenness_max_nodes or graph.n * m > betweenness_budget
    if betweenness_samples is None:
        samples = max(32, int(betweenness_budget // m)) if too_big else graph.n
    else:
        samples = betweenness_samples
    gi = to_igraph(graph) if _use_igraph() is not None else None
    binary = _binary(graph)
    nodes = graph.orgs.copy()
    nodes["degree"] = np.diff(binary.indptr).astype(int)
    nodes["strength"] = np.asarray(graph.adjacency.sum(axis=1)).ravel()

    def meanwhile() -> None:  # while a second process runs betweenness searches
        nodes["community"] = communities(graph, seed, gi, community_method)
        nodes["participation_region"] = participation_coefficient(graph, "region", binary)
        nodes["participation_sector"] = participation_coefficient(graph, "sector", binary)

    btw, sampled = betweenness(
        graph, graph.n - 1 if too_big else graph.n, min(samples, graph.n), seed, gi, meanwhile
    )
    nodes.insert(nodes.columns.get_loc("strength") + 1, "betweenness", btw)
    # Region x region link weights from the sparse adjacency (each link counted from both ends).
    onehot, regions = _onehot(nodes["region"])
    rr = (onehot.T @ graph.adjacency @ onehot).toarray() if graph.n else np.zeros((0, 0))
    np.fill_diagonal(rr, rr.diagonal() / 2.0)  # a link inside a region was counted twice
    links = pd.DataFrame(rr, index=regions, columns=regions)
    links.index.name, links.columns.name = "region", "partner_region"
    region_summary = _region_summary(rr, regions, nodes["region"], set(member_regions or []))
    community_summary = community_table(nodes)
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
    members = set(member_regions or [])
    scope = key[key["region"].isin(members)] if members else key
    roles = brokerage_roles(graph, "region", scope.index.to_numpy())
    key = key.join(roles, on="org")
    key["brokerage_total"] = key[list(GF_ROLES)].sum(axis=1, min_count=1)
    return NetworkResult(
        nodes, links, community_summary, key.reset_index(drop=True), region_summary, sampled
    )


def naive_projection_edges(participations: pd.DataFrame) -> dict[tuple[object, object], int]:
    """Reference projection by explicit pair enumeration (tests and the benchmark baseline)."""
    edges: dict[tuple[object, object], int] = {}
    for _, grp in participations.groupby("project"):
        for u, v in combinations(sorted(set(grp["org"]), key=str), 2):
            edges[(u, v)] = edges.get((u, v), 0) + 1
    return edges
