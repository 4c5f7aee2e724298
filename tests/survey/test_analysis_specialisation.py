"""Location quotients, ECO stars and the US strong-cluster rule on hand-checked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpsbio.survey.analysis.specialisation import (
    eco_stars,
    location_quotient,
    matrix_from_long,
    specialisation_table,
    us_strong_clusters,
)


def _m() -> pd.DataFrame:
    # Region totals: A 100, B 100, C 200; sector totals: bio 100, med 100, ict 200; total 400.
    return pd.DataFrame(
        {"bio": [60.0, 20.0, 20.0], "med": [20.0, 60.0, 20.0], "ict": [20.0, 20.0, 160.0]},
        index=["A", "B", "C"],
    )


def test_location_quotient_hand_checked() -> None:
    lq = location_quotient(_m())
    # LQ(A, bio) = (60/100) / (100/400) = 0.6 / 0.25 = 2.4
    assert lq.at["A", "bio"] == pytest.approx(2.4)
    # LQ(C, ict) = (160/200) / (200/400) = 0.8 / 0.5 = 1.6
    assert lq.at["C", "ict"] == pytest.approx(1.6)
    # LQ(B, ict) = (20/100) / (200/400) = 0.2 / 0.5 = 0.4
    assert lq.at["B", "ict"] == pytest.approx(0.4)


def test_location_quotient_empty_rows_are_nan_and_negative_rejected() -> None:
    m = _m()
    m.loc["D"] = 0.0
    assert lq_all_nan(location_quotient(m).loc["D"])
    m.loc["D", "bio"] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        location_quotient(m)


def lq_all_nan(s: pd.Series) -> bool:
    return bool(s.isna().all())


def test_matrix_from_long_sums_duplicates() -> None:
    long = pd.DataFrame({"region": ["A", "A", "B"], "sector": ["x", "x", "y"], "value": [1, 2, 5]})
    m = matrix_from_long(long)
    assert m.at["A", "x"] == 3
    assert m.at["A", "y"] == 0
    assert m.at["B", "y"] == 5


def test_eco_stars_hand_checked() -> None:
    stars = eco_stars(_m()).set_index(["region", "sector"])
    # Size share x_rs/x_.s: A-bio 0.6, B-med 0.6, C-ict 0.8, others 0.2 or 0.1.
    # 9 cells; 90th percentile (linear) of [0.1,0.1,0.2,0.2,0.2,0.2,0.6,0.6,0.8] = 0.6 + 0.4*0.2 = 0.68
    # → only C-ict (0.8) gets the size star.
    assert stars.loc[("C", "ict"), "star_size"]
    assert not stars.loc[("A", "bio"), "star_size"]
    # Specialisation: LQ >= 2 → A-bio (2.4) and B-med (2.4), not C-ict (1.6).
    assert stars.loc[("A", "bio"), "star_specialisation"]
    assert not stars.loc[("C", "ict"), "star_specialisation"]
    # Focus x_rs/x_r.: A-bio .6, A-med .2, A-ict .2, B-bio .2, B-med .6, B-ict .2, C-bio .1,
    # C-med .1, C-ict .8 → 90th pct = 0.68 → C-ict only.
    assert stars.loc[("C", "ict"), "star_focus"]
    assert stars.loc[("C", "ict"), "stars"] == 2
    assert stars.loc[("A", "bio"), "stars"] == 1


def test_us_strong_cluster_rule_hand_checked() -> None:
    emp = pd.DataFrame(
        {"bio": [50.0, 10.0, 5.0, 35.0], "ict": [50.0, 90.0, 95.0, 65.0]}, index=list("ABCD")
    )
    est = pd.DataFrame(
        {"bio": [5.0, 3.0, 1.0, 1.0], "ict": [9.0, 8.0, 10.0, 9.0]}, index=list("ABCD")
    )
    strong, thr = us_strong_clusters(emp, est)
    # bio total 100 of 400 → share .25; LQ(A) = .5/.25 = 2, LQ(B) = .1/.25 = .4, LQ(C) = .2, LQ(D) = 1.4
    # LQ 75th pct of [0.2, 0.4, 1.4, 2.0] = 1.4 + 0.25*(2.0-1.4) = 1.55 → only A passes LQ.
    assert thr.lq_p75["bio"] == pytest.approx(1.55)
    # employment 25th pct of [5, 10, 35, 50] = 5 + 0.75*5 = 8.75; A has 50 > 8.75.
    assert thr.employment_p25["bio"] == pytest.approx(8.75)
    # establishments 25th pct of [1, 1, 3, 5] = 1; A has 5 > 1 → strong.
    assert strong.at["A", "bio"]
    assert not strong.at["D", "bio"]
    # Without A's establishments above the 25th percentile it would fail.
    est.loc["A", "bio"] = 1.0
    strong2, _ = us_strong_clusters(emp, est)
    assert not strong2.at["A", "bio"]
    # ict: LQs all ≈ 1 or below; max LQ(C) = .95/.75 = 1.27 ≥ p75 and ≥ 1 → strong.
    assert strong.at["C", "ict"]
    assert strong.sum().sum() == 2


def test_specialisation_table_long() -> None:
    t = specialisation_table(_m())
    assert len(t) == 9
    assert {"lq", "stars", "us_strong", "us_lq_p75"} <= set(t.columns)
    assert np.isfinite(t["lq"]).all()
