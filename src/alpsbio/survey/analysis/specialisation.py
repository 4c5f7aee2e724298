"""Regional specialisation: location quotients, ECO stars, US Cluster Mapping strong clusters.

All functions take a region x sector matrix (``DataFrame``: index regions, columns sectors,
non-negative counts such as employment, organisations or participations) and return tables with
the same index/columns or long tables. Formulas and sources are in ``docs/analysis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# European Cluster Observatory star rating (Sölvell, Ketels & Lindqvist 2009, Europe INNOVA
# paper 12; ECO "Methodology" 2008): one star per criterion.
ECO_SIZE_TOP_SHARE = (
    0.10  # size: the region's share of European employment in the category in the top 10 %
)
ECO_SPECIALISATION_LQ = 2.0  # specialisation: location quotient >= 2
ECO_FOCUS_TOP_SHARE = 0.10  # focus: the category's share of regional employment in the top 10 %

# US Cluster Mapping Project strong clusters (Delgado, Porter & Stern 2014/2016; clustermapping.us).
US_LQ_PERCENTILE = 75.0
US_LQ_MIN = 1.0
US_SIZE_PERCENTILE = 25.0


def matrix_from_long(
    data: pd.DataFrame, region: str = "region", sector: str = "sector", value: str = "value"
) -> pd.DataFrame:
    """Long (region, sector, value) rows → region x sector matrix (sums duplicates, zeros fill)."""
    m = data.pivot_table(index=region, columns=sector, values=value, aggfunc="sum", fill_value=0)
    m.index.name, m.columns.name = "region", "sector"
    return m.sort_index().sort_index(axis=1).astype(float)


def _check(matrix: pd.DataFrame) -> np.ndarray:
    x = matrix.to_numpy(dtype=float)
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError("the matrix must be non-negative and without NaN (use 0 for absence)")
    return x


def location_quotient(matrix: pd.DataFrame) -> pd.DataFrame:
    """LQ_rs = (x_rs / x_r.) / (x_.s / x_..); NaN where a region or a sector is empty.

    Also Balassa's revealed comparative advantage (RCA) when x are exports.
    """
    x = _check(matrix)
    row = x.sum(axis=1, keepdims=True)
    col = x.sum(axis=0, keepdims=True)
    total = x.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (x / row) / (col / total)
    lq[(row == 0).repeat(x.shape[1], axis=1) | (col == 0).repeat(x.shape[0], axis=0)] = np.nan
    return pd.DataFrame(lq, index=matrix.index, columns=matrix.columns)


def _top_share_flag(
    values: np.ndarray, present: np.ndarray, top: float, scope_axis: int | None
) -> np.ndarray:
    """True where a present cell is within the top ``top`` share (ties at the cut-off included)."""
    out = np.zeros(values.shape, dtype=bool)
    if scope_axis is None:
        v = values[present]
        if v.size:
            cut = np.quantile(v, 1.0 - top)
            out = present & (values >= cut)
        return out
    for j in range(values.shape[1]):
        col, pres = values[:, j], present[:, j]
        if pres.any():
            cut = np.quantile(col[pres], 1.0 - top)
            out[:, j] = pres & (col >= cut)
    return out


def eco_stars(matrix: pd.DataFrame, per_sector: bool = False) -> pd.DataFrame:
    """European Cluster Observatory stars per region x sector, long table.

    Columns: region, sector, value, size_share (x_rs / x_.s), lq, focus (x_rs / x_r.),
    star_size, star_specialisation, star_focus, stars (0-3).

    The top-10 % cut-offs are taken over all present region x sector cells, as the Observatory
    ranked all regional clusters of Europe together; ``per_sector=True`` ranks within each sector.
    """
    x = _check(matrix)
    present = x > 0
    col = x.sum(axis=0, keepdims=True)
    row = x.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        size_share = np.where(col > 0, x / col, 0.0)
        focus = np.where(row > 0, x / row, 0.0)
    lq = location_quotient(matrix).to_numpy()
    axis = 0 if per_sector else None
    s_size = _top_share_flag(size_share, present, ECO_SIZE_TOP_SHARE, axis)
    s_spec = present & (np.nan_to_num(lq) >= ECO_SPECIALISATION_LQ)
    s_focus = _top_share_flag(focus, present, ECO_FOCUS_TOP_SHARE, axis)
    r_idx, s_idx = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    out = pd.DataFrame(
        {
            "region": np.asarray(matrix.index)[r_idx.ravel()],
            "sector": np.asarray(matrix.columns)[s_idx.ravel()],
            "value": x.ravel(),
            "size_share": size_share.ravel(),
            "lq": lq.ravel(),
            "focus": focus.ravel(),
            "star_size": s_size.ravel(),
            "star_specialisation": s_spec.ravel(),
            "star_focus": s_focus.ravel(),
        }
    )
    out["stars"] = out[["star_size", "star_specialisation", "star_focus"]].sum(axis=1).astype(int)
    return out


@dataclass(frozen=True)
class StrongClusterThresholds:
    """The per-sector cut-offs used by :func:`us_strong_clusters` (for the evidence trail)."""

    lq_p75: pd.Series
    employment_p25: pd.Series
    establishments_p25: pd.Series | None


def us_strong_clusters(
    employment: pd.DataFrame, establishments: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, StrongClusterThresholds]:
    """US Cluster Mapping Project "strong cluster" rule per region x sector.

    Strong if LQ >= the sector's 75th percentile of LQ and LQ >= 1, and employment (and
    establishments, when given) above the sector's 25th percentile. Percentiles are over the
    regions where the sector is present (x_rs > 0), linear interpolation (numpy default).
    Returns a boolean matrix and the thresholds.
    """
    e = _check(employment)
    lq = location_quotient(employment).to_numpy()
    present = e > 0

    def _pct(values: np.ndarray, q: float) -> np.ndarray:
        res = np.full(values.shape[1], np.nan)
        for j in range(values.shape[1]):
            v = values[present[:, j], j]
            v = v[~np.isnan(v)]
            if v.size:
                res[j] = np.percentile(v, q)
        return res

    lq75 = _pct(lq, US_LQ_PERCENTILE)
    emp25 = _pct(e, US_SIZE_PERCENTILE)
    with np.errstate(invalid="ignore"):
        strong = present & (lq >= lq75) & (lq >= US_LQ_MIN) & (e > emp25)
    est25_s: pd.Series | None = None
    if establishments is not None:
        est = _check(
            establishments.reindex(index=employment.index, columns=employment.columns, fill_value=0)
        )
        est25 = _pct(est, US_SIZE_PERCENTILE)
        strong &= est > est25
        est25_s = pd.Series(est25, index=employment.columns)
    cols = employment.columns
    return (
        pd.DataFrame(np.nan_to_num(strong).astype(bool), index=employment.index, columns=cols),
        StrongClusterThresholds(pd.Series(lq75, index=cols), pd.Series(emp25, index=cols), est25_s),
    )


def specialisation_table(
    employment: pd.DataFrame, establishments: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One long table: ECO stars and measures plus the US strong-cluster flag and its cut-offs."""
    stars = eco_stars(employment)
    strong, thr = us_strong_clusters(employment, establishments)
    stars["us_strong"] = strong.to_numpy().ravel()
    stars["us_lq_p75"] = thr.lq_p75.reindex(stars["sector"]).to_numpy()
    stars["us_employment_p25"] = thr.employment_p25.reindex(stars["sector"]).to_numpy()
    if establishments is not None and thr.establishments_p25 is not None:
        est = establishments.reindex(
            index=employment.index, columns=employment.columns, fill_value=0
        )
        stars["establishments"] = est.to_numpy(dtype=float).ravel()
        stars["us_establishments_p25"] = thr.establishments_p25.reindex(stars["sector"]).to_numpy()
    return stars
