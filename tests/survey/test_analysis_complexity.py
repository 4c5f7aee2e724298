"""Economic complexity: hand-checked small case and agreement with the ecomplexity package."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alpsbio.survey.analysis.complexity import complexity


def _nested() -> pd.DataFrame:
    # Counts chosen so that RCA >= 1 gives a nested M: r1 has {a,b,c}, r2 {a,b}, r3 {a}... built
    # by hand below via location quotients.
    return pd.DataFrame(
        [[10.0, 10.0, 10.0], [10.0, 10.0, 0.0], [10.0, 0.0, 0.0]],
        index=["r1", "r2", "r3"],
        columns=["a", "b", "c"],
    )


def test_hand_checked_diversity_ubiquity_proximity_density() -> None:
    res = complexity(_nested())
    # Totals: rows 30, 20, 10; cols a 30, b 20, c 10; total 60.
    # RCA(r1,a) = (10/30)/(30/60) = 0.667 < 1 → 0; RCA(r1,b) = (10/30)/(20/60) = 1 → 1;
    # RCA(r1,c) = (10/30)/(10/60) = 2 → 1; RCA(r2,a) = (10/20)/(30/60) = 1 → 1;
    # RCA(r2,b) = (10/20)/(20/60) = 1.5 → 1; RCA(r3,a) = (10/10)/(30/60) = 2 → 1.
    expected_m = np.array([[0, 1, 1], [1, 1, 0], [1, 0, 0]])
    assert (res.mcp.to_numpy() == expected_m).all()
    assert res.diversity.tolist() == [2, 2, 1]
    assert res.ubiquity.tolist() == [2, 2, 1]
    # phi(a,b) = co-occurrence 1 (r2) / max(2, 2) = 0.5; phi(b,c) = 1 (r1) / max(2,1) = 0.5;
    # phi(a,c) = 0 / 2 = 0.
    phi = res.proximity
    assert phi.at["a", "b"] == pytest.approx(0.5)
    assert phi.at["b", "c"] == pytest.approx(0.5)
    assert phi.at["a", "c"] == 0.0
    # density(r3, b) = sum_q M(r3,q) phi(b,q) / sum_q phi(b,q) = phi(b,a) / (0.5 + 1 + 0.5) = 0.25
    assert res.density.at["r3", "b"] == pytest.approx(0.25)
    # ECI is standardised: mean 0, population std 1.
    assert res.eci.mean() == pytest.approx(0.0, abs=1e-12)
    assert res.eci.std(ddof=0) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_agrees_with_ecomplexity_package(seed: int) -> None:
    ecomplexity = pytest.importorskip("ecomplexity")
    rng = np.random.default_rng(seed)
    counts = rng.gamma(0.7, 20.0, size=(25, 12)).round()
    m = pd.DataFrame(
        counts, index=[f"R{i:02d}" for i in range(25)], columns=[f"S{j:02d}" for j in range(12)]
    )
    long = m.stack().rename("val").reset_index()
    long.columns = ["loc", "prod", "val"]
    long["year"] = 2020
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ecomplexity.ecomplexity(
            long,
            {"time": "year", "loc": "loc", "prod": "prod", "val": "val"},
            verbose=False,
            check_logsupermodularity=False,
        )
        prox = ecomplexity.proximity(
            long, {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}
        )
    res = complexity(m)
    ref_eci = ref.groupby("loc")["eci"].first().reindex(m.index)
    ref_pci = ref.groupby("prod")["pci"].first().reindex(m.columns)
    np.testing.assert_allclose(res.eci.to_numpy(), ref_eci.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(res.pci.to_numpy(), ref_pci.to_numpy(), atol=1e-6)
    ref_div = ref.groupby("loc")["diversity"].first().reindex(m.index)
    ref_ubi = ref.groupby("prod")["ubiquity"].first().reindex(m.columns)
    np.testing.assert_array_equal(res.diversity.to_numpy(), ref_div.to_numpy())
    np.testing.assert_array_equal(res.ubiquity.to_numpy(), ref_ubi.to_numpy())
    ref_density = (
        ref.set_index(["loc", "prod"])["density"]
        .unstack()
        .reindex(index=m.index, columns=m.columns)
    )
    np.testing.assert_allclose(res.density.to_numpy(), ref_density.to_numpy(), atol=1e-9)
    ref_rca = (
        ref.set_index(["loc", "prod"])["rca"].unstack().reindex(index=m.index, columns=m.columns)
    )
    np.testing.assert_allclose(res.rca.to_numpy(), ref_rca.to_numpy(), atol=1e-9)
    ref_phi = (
        prox.set_index(["prod_1", "prod_2"])["proximity"]
        .unstack()
        .reindex(index=m.columns, columns=m.columns)
    )
    np.testing.assert_allclose(res.proximity.to_numpy(), ref_phi.to_numpy(), atol=1e-9)


def test_zscore_normalisation_of_pci() -> None:
    res = complexity(_random(), normalisation="zscore")
    assert res.pci.mean() == pytest.approx(0.0, abs=1e-9)
    assert res.pci.std(ddof=0) == pytest.approx(1.0)


def _random() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        rng.gamma(0.7, 20.0, size=(10, 6)).round(), index=list("ABCDEFGHIJ"), columns=list("uvwxyz")
    )
