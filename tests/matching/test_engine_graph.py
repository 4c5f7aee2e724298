"""Collaboration-history signals on a hand-checked graph."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alpsbio.matching.engine.graph import CoParticipationGraph

# p1: a b c   p2: c d   p3: d e   p4: a d
PAIRS = [
    ("a", "p1"), ("b", "p1"), ("c", "p1"),
    ("c", "p2"), ("d", "p2"),
    ("d", "p3"), ("e", "p3"),
    ("a", "p4"), ("d", "p4"),
]  # fmt: skip


@pytest.fixture
def g() -> CoParticipationGraph:
    return CoParticipationGraph.from_participations(PAIRS)


def test_adjacency_and_degree(g: CoParticipationGraph) -> None:
    deg = dict(zip(g.org_ids, g.degree, strict=True))
    assert deg == {"a": 3, "b": 2, "c": 3, "d": 3, "e": 1}
    assert sorted(g.org_ids[i] for i in g.neighbours(g.index["e"])) == ["d"]


def test_common_neighbours_adamic_adar_resource_allocation(g: CoParticipationGraph) -> None:
    b, e, d = g.index["b"], g.index["e"], g.index["d"]
    # b and d share a and c (degree 3 each).
    assert g.scores([b], "common_neighbours")[0, d] == 2
    assert g.scores([b], "adamic_adar")[0, d] == pytest.approx(2 / math.log(3))
    assert g.scores([b], "resource_allocation")[0, d] == pytest.approx(2 / 3)
    assert g.scores([b], "common_neighbours")[0, e] == 0
    assert g.scores([b], "jaccard")[0, d] == pytest.approx(2 / 3)
    assert g.scores([b], "preferential_attachment")[0, d] == 6


def test_common_partners_rarest_first(g: CoParticipationGraph) -> None:
    # a and e share only d; b and d share a and c.
    assert g.common_partners(g.index["a"], g.index["e"]) == ["d"]
    assert set(g.common_partners(g.index["b"], g.index["d"])) == {"a", "c"}


def test_pagerank_reaches_three_hops_and_prefers_near(g: CoParticipationGraph) -> None:
    r = g.personalised_pagerank([g.index["b"]], alpha=0.2, steps=4)[0]
    assert r[g.index["e"]] > 0  # b-a-d-e
    assert r[g.index["a"]] > r[g.index["e"]]


def test_unknown_signal_is_a_clear_error(g: CoParticipationGraph) -> None:
    with pytest.raises(ValueError, match="unknown signal"):
        g.scores([0], "katz-typo")


def test_batch_equals_single_rows(g: CoParticipationGraph) -> None:
    rows = [0, 2, 4]
    batch = g.scores(rows, "adamic_adar")
    for k, r in enumerate(rows):
        assert np.allclose(batch[k], g.scores([r], "adamic_adar")[0])
