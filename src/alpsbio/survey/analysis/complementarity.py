"""Transnational complementarity between member regions.

A region's profile is a vector of scores in [-1, 1] over dimensions (sectors from location
quotients, survey themes from mean scores); positive = strength, negative = weakness.
C[a, b] = (1/K) * sum_k max(s_ak, 0) * max(-s_bk, 0): how much a's strengths meet b's
weaknesses (asymmetric; C + C^T is the mutual complementarity). Cross-border sector pairs
rank (region a, sector s, region b, sector t) with a and b in different countries by
min(LQ_as, 3)/3 * min(LQ_bt, 3)/3 * phi_st, phi being the proximity of the two sectors
(phi_ss = 1): specialisations that are strong on both sides and related.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LQ_CAP = 3.0


def country(region: str) -> str:
    return region[:2]


def sector_scores(lq: pd.DataFrame) -> pd.DataFrame:
    """clip(log2(LQ) / 2, -1, 1): LQ 4 → 1, 2 → 0.5, 1 → 0, 0.5 → -0.5, 0 → -1."""
    with np.errstate(divide="ignore"):
        s = np.log2(lq.to_numpy(dtype=float)) / 2.0
    s = np.clip(np.where(np.isnan(s), np.nan, s), -1.0, 1.0)
    out = pd.DataFrame(s, index=lq.index, columns=[f"sector:{c}" for c in lq.columns])
    return out.dropna(axis=1, how="all")


def survey_scores(
    survey: pd.DataFrame, scale_min: float = 1.0, scale_max: float = 5.0
) -> pd.DataFrame:
    """(mean - midpoint) / half-range per region x theme (survey columns region, theme, mean)."""
    mid, half = (scale_min + scale_max) / 2.0, (scale_max - scale_min) / 2.0
    w = survey.pivot_table(index="region", columns="theme", values="mean", aggfunc="mean")
    w = ((w - mid) / half).clip(-1.0, 1.0)
    w.columns = [f"theme:{c}" for c in w.columns]
    return w


@dataclass(frozen=True)
class ComplementarityResult:
    profiles: pd.DataFrame  # region x dimension scores
    matrix: pd.DataFrame  # C[a, b]: a's strengths meeting b's weaknesses
    details: pd.DataFrame  # a, b, dimension, strength_a, weakness_b, contribution
    sector_pairs: pd.DataFrame  # most promising cross-border sector pairs


def complementarity(
    profiles: pd.DataFrame,
    members: list[str],
    lq: pd.DataFrame | None = None,
    proximity: pd.DataFrame | None = None,
    top_pairs: int = 30,
) -> ComplementarityResult:
    members = [m for m in members if m in profiles.index]
    p = profiles.loc[members]
    s = np.nan_to_num(p.to_numpy(dtype=float))
    pos, neg = np.maximum(s, 0), np.maximum(-s, 0)
    k = max(s.shape[1], 1)
    contrib = pos[:, None, :] * neg[None, :, :]  # a x b x dimension
    c = contrib.sum(axis=2) / k
    np.fill_diagonal(c, 0.0)
    matrix = pd.DataFrame(c, index=members, columns=members)
    matrix.index.name, matrix.columns.name = "strong_region", "weak_region"
    ia, ib, ik = np.nonzero(contrib)
    details = pd.DataFrame(
        {
            "strong_region": np.asarray(members)[ia],
            "weak_region": np.asarray(members)[ib],
            "dimension": np.asarray(p.columns)[ik],
            "strength": s[ia, ik],
            "weakness": -s[ib, ik],
            "contribution": contrib[ia, ib, ik],
        }
    )
    details = details[details["strong_region"] != details["weak_region"]]
    details = details.sort_values(
        ["contribution", "strong_region", "weak_region", "dimension"],
        ascending=[False, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    pairs = pd.DataFrame(
        columns=[
            "region_a",
            "sector_a",
            "lq_a",
            "region_b",
            "sector_b",
            "lq_b",
            "proximity",
            "score",
        ]
    )
    if lq is not None:
        pairs = cross_border_sector_pairs(lq, members, proximity, top_pairs)
    return ComplementarityResult(p, matrix, details, pairs)


def cross_border_sector_pairs(
    lq: pd.DataFrame, members: list[str], proximity: pd.DataFrame | None = None, top: int = 30
) -> pd.DataFrame:
    sectors = list(lq.columns)
    phi = (
        np.array(
            proximity.reindex(index=sectors, columns=sectors).fillna(0.0).to_numpy(), dtype=float
        )
        if proximity is not None
        else np.zeros((len(sectors), len(sectors)))
    )
    np.fill_diagonal(phi, 1.0)
    rows = []
    mem = [m for m in members if m in lq.index]
    for i, a in enumerate(mem):
        la = np.nan_to_num(lq.loc[a].to_numpy(dtype=float))
        for b in mem[i + 1 :]:
            if country(a) == country(b):
                continue
            lb = np.nan_to_num(lq.loc[b].to_numpy(dtype=float))
            sa, sb = np.nonzero(la >= 1.0)[0], np.nonzero(lb >= 1.0)[0]
            if not len(sa) or not len(sb):
                continue
            score = (
                (np.minimum(la[sa], LQ_CAP) / LQ_CAP)[:, None]
                * (np.minimum(lb[sb], LQ_CAP) / LQ_CAP)[None, :]
                * phi[np.ix_(sa, sb)]
            )
            for x, y in zip(*np.nonzero(score > 0), strict=True):
                rows.append(
                    (
                        a,
                        sectors[sa[x]],
                        la[sa[x]],
                        b,
                        sectors[sb[y]],
                        lb[sb[y]],
                        phi[sa[x], sb[y]],
                        score[x, y],
                    )
                )
    out = pd.DataFrame(
        rows,
        columns=[
            "region_a",
            "sector_a",
            "lq_a",
            "region_b",
            "sector_b",
            "lq_b",
            "proximity",
            "score",
        ],
    )
    return (
        out.sort_values(
            ["score", "region_a", "region_b", "sector_a", "sector_b"],
            ascending=[False, True, True, True, True],
            kind="stable",
        )
        .head(top)
        .reset_index(drop=True)
    )
