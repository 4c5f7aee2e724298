"""SWOT rules, complementarity and the whole pipeline on a small hand-made case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpsbio.survey.analysis import NetworkInput, run_regional_analysis
from alpsbio.survey.analysis.complementarity import (
    complementarity,
    cross_border_sector_pairs,
    sector_scores,
    survey_scores,
)
from alpsbio.survey.analysis.swot import IndicatorSpec, build_swot, indicator_positions, swot_table


def test_sector_and_survey_scores() -> None:
    lq = pd.DataFrame({"bio": [4.0, 1.0, 0.5, 0.0]}, index=["A", "B", "C", "D"])
    s = sector_scores(lq)["sector:bio"]
    # clip(log2(LQ)/2): 4 → 1; 1 → 0; 0.5 → -0.5; 0 → -inf → -1
    assert s.tolist() == [1.0, 0.0, -0.5, -1.0]
    survey = pd.DataFrame(
        {"region": ["A", "B"], "theme": ["finance", "finance"], "mean": [4.0, 2.0], "n": [9, 9]}
    )
    # (mean - 3) / 2: 4 → 0.5; 2 → -0.5
    assert survey_scores(survey)["theme:finance"].tolist() == [0.5, -0.5]


def test_complementarity_matrix_hand_checked() -> None:
    profiles = pd.DataFrame(
        {"sector:bio": [1.0, -0.5], "theme:finance": [-1.0, 0.5]}, index=["FRK2", "ITC4"]
    )
    res = complementarity(profiles, ["FRK2", "ITC4"])
    # C[FRK2, ITC4] = (max(1,0)*max(0.5,0) + max(-1,0)*max(-0.5,0)) / 2 = (0.5 + 0) / 2 = 0.25
    assert res.matrix.at["FRK2", "ITC4"] == pytest.approx(0.25)
    # C[ITC4, FRK2] = (0 * 0 + 0.5 * 1) / 2 = 0.25
    assert res.matrix.at["ITC4", "FRK2"] == pytest.approx(0.25)
    assert res.matrix.at["FRK2", "FRK2"] == 0.0
    top = res.details.iloc[0]
    assert top["contribution"] == pytest.approx(0.5)


def test_cross_border_pairs_skip_same_country() -> None:
    lq = pd.DataFrame(
        {"bio": [2.0, 3.0, 1.5], "ict": [0.5, 1.2, 1.0]}, index=["CH01", "CH02", "ITC4"]
    )
    phi = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=["bio", "ict"], columns=["bio", "ict"])
    pairs = cross_border_sector_pairs(lq, ["CH01", "CH02", "ITC4"], phi)
    assert not ((pairs["region_a"] == "CH01") & (pairs["region_b"] == "CH02")).any()
    best = pairs.iloc[0]
    # CH02-bio (min(3,3)/3 = 1) x ITC4-bio (1.5/3 = 0.5) x phi 1 = 0.5
    assert (best["region_a"], best["sector_a"], best["region_b"], best["sector_b"]) == (
        "CH02",
        "bio",
        "ITC4",
        "bio",
    )
    assert best["score"] == pytest.approx(0.5)


def _indicators() -> pd.DataFrame:
    regions = ["AT33", "FRK2", "ITC4", "DE21", "ES30"]
    rows = []
    for year, vals in ((2014, [10, 20, 30, 40, 50]), (2019, [12, 19, 33, 60, 50])):
        for r, v in zip(regions, vals, strict=True):
            rows.append(("pat", "P_MHAB", r, year, str(year), float(v), "", ""))
    return pd.DataFrame(
        rows, columns=["indicator", "unit", "geo", "year", "period", "value", "flag", "dims"]
    )


def test_indicator_positions_hand_checked() -> None:
    pos = indicator_positions(
        _indicators(), [IndicatorSpec("pat", "P_MHAB")], ["DE21", "AT33", "FRK2"]
    )
    p = pos.set_index("region")
    # 2019 values 12, 19, 33, 60, 50: DE21 = 60 → all 5 ≤ 60 → 100th; AT33 = 12 → 1/5 = 20th
    assert p.at["DE21", "percentile"] == 100.0
    assert p.at["AT33", "percentile"] == 20.0
    # change 2014→2019: AT33 +20 %, FRK2 -5 %, ITC4 +10 %, DE21 +50 %, ES30 0 → FRK2 lowest: 1/5
    assert p.at["FRK2", "change"] == pytest.approx(-0.05)
    assert p.at["FRK2", "change_percentile"] == 20.0
    lower = indicator_positions(
        _indicators(), [IndicatorSpec("pat", "P_MHAB", higher_is_better=False)], ["AT33"]
    )
    assert lower.iloc[0]["percentile"] == 100.0  # lowest value is best when lower is better


def test_swot_points_carry_evidence() -> None:
    pos = indicator_positions(_indicators(), [IndicatorSpec("pat", "P_MHAB")], ["AT33", "FRK2"])
    survey = pd.DataFrame(
        {
            "region": ["AT33", "AT33", "FRK2"],
            "theme": ["access_to_finance", "cooperation", "regulation"],
            "mean": [2.1, 4.2, 3.0],
            "n": [12, 12, 3],
        }
    )
    swot = build_swot(["AT33", "FRK2"], survey=survey, positions=pos)
    at = {(p.category, p.code, p.topic): p for p in swot["AT33"]}
    fin = at[("weakness", "swot.weakness.survey", "access_to_finance")]
    assert fin.evidence[0].measure == "survey_mean"
    assert fin.evidence[0].value == 2.1
    assert fin.evidence[0].threshold == 2.5
    assert fin.evidence[0].comparison == "<="
    assert ("strength", "swot.strength.survey", "cooperation") in at
    assert ("weakness", "swot.weakness.indicator", "pat") in at  # 20th percentile ≤ 25
    # FRK2 has 3 respondents only: no survey point; its -5 % trend is a threat.
    fr = {(p.category, p.code) for p in swot["FRK2"]}
    assert ("threat", "swot.threat.indicator_trend") in fr
    assert not any(c == "swot.weakness.survey" for _, c in fr)
    table = swot_table(swot)
    assert {"region", "category", "measure", "value", "threshold", "source"} <= set(table.columns)


def test_run_regional_analysis_end_to_end() -> None:
    rng = np.random.default_rng(11)
    regions = ["FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE21", "ES30", "NL33", "BE10"]
    sectors = ["bio", "med", "ict", "agri", "chem", "pharma"]
    counts = pd.DataFrame(
        rng.gamma(0.8, 30.0, size=(10, 6)).round() + 1, index=regions, columns=sectors
    )
    survey = pd.DataFrame(
        [
            (r, t, float(m), 10)
            for r in regions[:7]
            for t, m in zip(
                ("rd_capacity", "access_to_finance"), rng.uniform(1.5, 4.5, 2), strict=True
            )
        ],
        columns=["region", "theme", "mean", "n"],
    )
    parts = pd.DataFrame(
        {
            "project": rng.integers(0, 30, 200).astype(str),
            "org": rng.integers(0, 60, 200).astype(str),
        }
    )
    orgs = pd.DataFrame(
        {
            "org": [str(i) for i in range(60)],
            "region": [regions[i % 10] for i in range(60)],
            "type": "PRC",
            "sector": [sectors[i % 6] for i in range(60)],
        }
    )
    res = run_regional_analysis(
        counts,
        indicators=_indicators(),
        survey=survey,
        network=NetworkInput(parts, orgs),
        indicator_specs=[IndicatorSpec("pat", "P_MHAB")],
    )
    assert set(res.swot) == {"FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE21"}
    assert all(p.evidence for pts in res.swot.values() for p in pts)
    assert res.complementarity.matrix.shape == (7, 7)
    profile = res.region_profile("FRK2")
    assert profile["specialisation"]
    assert "key_players" in profile
    overview = res.overview()
    assert overview["member_regions"][0] == "FRK2"
    again = run_regional_analysis(
        counts,
        indicators=_indicators(),
        survey=survey,
        network=NetworkInput(parts, orgs),
        indicator_specs=[IndicatorSpec("pat", "P_MHAB")],
    )
    assert swot_table(again.swot).equals(swot_table(res.swot))  # deterministic
