"""A SWOT per region, every point carrying its evidence (measure, value, threshold, source).

Points are data, not prose: ``code`` names the rule (the caller translates it, e.g.
``swot.strength.sector``) and ``topic`` the sector, theme or indicator it is about.
Rules and thresholds live in :class:`SwotThresholds`; docs/analysis.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Category = Literal["strength", "weakness", "opportunity", "threat"]

SURVEY_THEMES = (
    "rd_capacity",
    "access_to_finance",
    "skills_training",
    "infrastructure",
    "cooperation",
    "market_access",
    "regulation",
)


@dataclass(frozen=True)
class Evidence:
    measure: str
    value: float
    threshold: float
    comparison: str  # ">=", "<=", ">", "<"
    source: str


@dataclass(frozen=True)
class SwotPoint:
    region: str
    category: Category
    code: str
    topic: str
    score: float  # for ordering within a category (larger = more salient)
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class IndicatorSpec:
    indicator: str
    unit: str = ""
    dims: str = ""
    higher_is_better: bool = True
    source: str = "Eurostat"


@dataclass(frozen=True)
class SwotThresholds:
    sector_min_stars: int = 2  # ECO: two or more stars
    sector_min_value: float = 5.0  # thin cells give extreme LQs: no strength below this count
    sector_weak_lq: float = 0.5
    survey_strong: float = 3.5  # on a 1-5 scale
    survey_weak: float = 2.5
    survey_min_respondents: int = 5
    indicator_high_pct: float = 75.0
    indicator_low_pct: float = 25.0
    trend_years: int = 5
    trend_low_pct: float = 25.0
    density_pct: float = 75.0
    opportunities_per_region: int = 3
    key_player_concentration: float = 0.5
    complementarity_min: float = 0.25
    max_points_per_category: int = 8
    focus_sectors: tuple[str, ...] = field(default_factory=tuple)


def indicator_positions(
    indicators: pd.DataFrame,
    specs: list[IndicatorSpec],
    regions: list[str],
    level: int = 2,
    trend_years: int = 5,
) -> pd.DataFrame:
    """Latest value and percentile rank among all NUTS regions of ``level`` per region x spec.

    Percentile rank = share of reference regions with a worse-or-equal value (direction-aware),
    in [0, 100]. Also the relative change over ``trend_years`` and its percentile rank.
    """
    rows = []
    lvl = indicators[indicators["geo"].str.len() == level + 2]
    for spec in specs:
        d = lvl[
            (lvl["indicator"] == spec.indicator)
            & (lvl["unit"] == spec.unit)
            & (lvl["dims"] == spec.dims)
        ]
        d = d[d["period"] == d["year"].astype(str)].dropna(subset=["value"])
        if d.empty:
            continue
        wide = d.pivot_table(index="geo", columns="year", values="value", aggfunc="first")
        sign = 1.0 if spec.higher_is_better else -1.0
        for r in regions:
            if r not in wide.index:
                continue
            series = wide.loc[r].dropna()
            if series.empty:
                continue
            year = int(series.index.max())
            ref = wide[year].dropna() * sign
            val = float(series[year])
            pct = float((ref <= val * sign).mean() * 100.0)
            back = year - trend_years
            change = np.nan
            change_pct = np.nan
            if back in wide.columns and not np.isnan(wide.loc[r, back]) and wide.loc[r, back] != 0:
                both = wide[[back, year]].dropna()
                both = both[both[back] != 0]
                ch = (both[year] - both[back]) / both[back].abs() * sign
                change = float((val - wide.loc[r, back]) / abs(wide.loc[r, back]) * sign)
                change_pct = float((ch <= change).mean() * 100.0)
            rows.append(
                {
                    "region": r,
                    "indicator": spec.indicator,
                    "unit": spec.unit,
                    "dims": spec.dims,
                    "year": year,
                    "value": val,
                    "percentile": pct,
                    "n_regions": len(ref),
                    "reference_median": float(wide[year].median()),
                    "change": change,
                    "change_percentile": change_pct,
                    "higher_is_better": spec.higher_is_better,
                    "source": spec.source,
                }
            )
    return pd.DataFrame(rows)


def build_swot(
    regions: list[str],
    specialisation: pd.DataFrame | None = None,
    complexity_long: pd.DataFrame | None = None,
    survey: pd.DataFrame | None = None,
    positions: pd.DataFrame | None = None,
    network_summary: pd.DataFrame | None = None,
    key_players: pd.DataFrame | None = None,
    complementarity_details: pd.DataFrame | None = None,
    thresholds: SwotThresholds | None = None,
    sector_source: str = "platform data",
    survey_source: str = "Alps Bio Cluster territorial survey",
) -> dict[str, list[SwotPoint]]:
    t = thresholds or SwotThresholds()
    points: dict[str, list[SwotPoint]] = {r: [] for r in regions}

    def add(p: SwotPoint) -> None:
        if p.region in points:
            points[p.region].append(p)

    if specialisation is not None:
        sp = specialisation[specialisation["region"].isin(regions)]
        for row in sp.itertuples(index=False):
            ev_lq = Evidence("location_quotient", float(row.lq), 1.0, ">=", sector_source)
            big_enough = row.value >= t.sector_min_value
            if big_enough and (
                row.stars >= t.sector_min_stars or bool(getattr(row, "us_strong", False))
            ):
                ev = [
                    Evidence(
                        "eco_stars",
                        float(row.stars),
                        float(t.sector_min_stars),
                        ">=",
                        "European Cluster Observatory method",
                    ),
                    ev_lq,
                    Evidence("count", float(row.value), t.sector_min_value, ">=", sector_source),
                ]
                if bool(getattr(row, "us_strong", False)):
                    ev.append(
                        Evidence(
                            "us_lq_p75",
                            float(row.lq),
                            float(row.us_lq_p75),
                            ">=",
                            "US Cluster Mapping method",
                        )
                    )
                add(
                    SwotPoint(
                        row.region,
                        "strength",
                        "swot.strength.sector",
                        str(row.sector),
                        float(row.lq),
                        tuple(ev),
                    )
                )
            elif (
                (not t.focus_sectors or row.sector in t.focus_sectors)
                and not np.isnan(row.lq)
                and row.lq <= t.sector_weak_lq
            ):
                add(
                    SwotPoint(
                        row.region,
                        "weakness",
                        "swot.weakness.sector",
                        str(row.sector),
                        float(1.0 - row.lq),
                        (
                            Evidence(
                                "location_quotient",
                                float(row.lq),
                                t.sector_weak_lq,
                                "<=",
                                sector_source,
                            ),
                        ),
                    )
                )
    if complexity_long is not None:
        absent = complexity_long[(complexity_long["mcp"] == 0) & complexity_long["density"].notna()]
        if not absent.empty:
            cut = float(np.percentile(absent["density"], t.density_pct))
            cand = absent[absent["region"].isin(regions) & (absent["density"] >= cut)]
            cand = cand.sort_values(
                ["region", "density", "sector"], ascending=[True, False, True], kind="stable"
            )
            for row in (
                cand.groupby("region").head(t.opportunities_per_region).itertuples(index=False)
            ):
                add(
                    SwotPoint(
                        row.region,
                        "opportunity",
                        "swot.opportunity.related_sector",
                        str(row.sector),
                        float(row.density),
                        (
                            Evidence(
                                "density",
                                float(row.density),
                                cut,
                                ">=",
                                "Hidalgo et al. 2007 (product space)",
                            ),
                        ),
                    )
                )
    if survey is not None:
        for row in survey[survey["region"].isin(regions)].itertuples(index=False):
            n = int(getattr(row, "n", t.survey_min_respondents))
            if n < t.survey_min_respondents:
                continue
            ev_n = Evidence(
                "respondents", float(n), float(t.survey_min_respondents), ">=", survey_source
            )
            if row.mean >= t.survey_strong:
                add(
                    SwotPoint(
                        row.region,
                        "strength",
                        "swot.strength.survey",
                        str(row.theme),
                        float(row.mean),
                        (
                            Evidence(
                                "survey_mean", float(row.mean), t.survey_strong, ">=", survey_source
                            ),
                            ev_n,
                        ),
                    )
                )
            elif row.mean <= t.survey_weak:
                add(
                    SwotPoint(
                        row.region,
                        "weakness",
                        "swot.weakness.survey",
                        str(row.theme),
                        float(5 - row.mean),
                        (
                            Evidence(
                                "survey_mean", float(row.mean), t.survey_weak, "<=", survey_source
                            ),
                            ev_n,
                        ),
                    )
                )
    if positions is not None and not positions.empty:
        for row in positions[positions["region"].isin(regions)].itertuples(index=False):
            if row.percentile >= t.indicator_high_pct:
                add(
                    SwotPoint(
                        row.region,
                        "strength",
                        "swot.strength.indicator",
                        str(row.indicator),
                        float(row.percentile),
                        (
                            Evidence(
                                f"{row.indicator} percentile ({row.year})",
                                float(row.percentile),
                                t.indicator_high_pct,
                                ">=",
                                str(row.source),
                            ),
                        ),
                    )
                )
            elif row.percentile <= t.indicator_low_pct:
                add(
                    SwotPoint(
                        row.region,
                        "weakness",
                        "swot.weakness.indicator",
                        str(row.indicator),
                        float(100 - row.percentile),
                        (
                            Evidence(
                                f"{row.indicator} percentile ({row.year})",
                                float(row.percentile),
                                t.indicator_low_pct,
                                "<=",
                                str(row.source),
                            ),
                        ),
                    )
                )
            if not np.isnan(row.change_percentile) and row.change_percentile <= t.trend_low_pct:
                add(
                    SwotPoint(
                        row.region,
                        "threat",
                        "swot.threat.indicator_trend",
                        str(row.indicator),
                        float(100 - row.change_percentile),
                        (
                            Evidence(
                                f"{row.indicator} change over {t.trend_years} years, percentile",
                                float(row.change_percentile),
                                t.trend_low_pct,
                                "<=",
                                str(row.source),
                            ),
                        ),
                    )
                )
    if network_summary is not None and not network_summary.empty:
        ns = network_summary.dropna(subset=["share_abroad"])
        if len(ns) >= 4:
            hi, lo = np.percentile(ns["share_abroad"], 75), np.percentile(ns["share_abroad"], 25)
            for row in ns[ns["region"].isin(regions)].itertuples(index=False):
                if row.share_abroad >= hi:
                    add(
                        SwotPoint(
                            row.region,
                            "strength",
                            "swot.strength.international_links",
                            "network",
                            float(row.share_abroad),
                            (
                                Evidence(
                                    "share_of_links_abroad",
                                    float(row.share_abroad),
                                    float(hi),
                                    ">=",
                                    "CORDIS co-participation",
                                ),
                            ),
                        )
                    )
                elif row.share_abroad <= lo:
                    add(
                        SwotPoint(
                            row.region,
                            "weakness",
                            "swot.weakness.international_links",
                            "network",
                            float(1 - row.share_abroad),
                            (
                                Evidence(
                                    "share_of_links_abroad",
                                    float(row.share_abroad),
                                    float(lo),
                                    "<=",
                                    "CORDIS co-participation",
                                ),
                            ),
                        )
                    )
    if key_players is not None and not key_players.empty:
        for r, grp in key_players[key_players["region"].isin(regions)].groupby("region"):
            total = float(grp["degree"].sum())
            top = float(grp["degree"].max())
            if total > 0 and len(grp) > 1 and top / total >= t.key_player_concentration:
                add(
                    SwotPoint(
                        str(r),
                        "threat",
                        "swot.threat.dependence_on_one_actor",
                        str(grp.iloc[0]["org"]),
                        top / total,
                        (
                            Evidence(
                                "top_key_player_share_of_degree",
                                top / total,
                                t.key_player_concentration,
                                ">=",
                                "CORDIS co-participation",
                            ),
                        ),
                    )
                )
    if complementarity_details is not None and not complementarity_details.empty:
        strong = complementarity_details[
            complementarity_details["contribution"] >= t.complementarity_min
        ]
        for row in strong.itertuples(index=False):
            add(
                SwotPoint(
                    row.weak_region,
                    "opportunity",
                    "swot.opportunity.partner_strength",
                    f"{row.dimension}@{row.strong_region}",
                    float(row.contribution),
                    (
                        Evidence(
                            "complementarity",
                            float(row.contribution),
                            t.complementarity_min,
                            ">=",
                            "complementarity matrix",
                        ),
                    ),
                )
            )
    for r in points:
        ordered: list[SwotPoint] = []
        for cat in ("strength", "weakness", "opportunity", "threat"):
            cat_points = sorted(
                (p for p in points[r] if p.category == cat),
                key=lambda p: (-p.score, p.code, p.topic),
            )
            ordered.extend(cat_points[: t.max_points_per_category])
        points[r] = ordered
    return points


def swot_table(swot: dict[str, list[SwotPoint]]) -> pd.DataFrame:
    """Flat table: one row per point and evidence item (for exports and the API)."""
    rows = [
        {
            "region": p.region,
            "category": p.category,
            "code": p.code,
            "topic": p.topic,
            "score": p.score,
            "measure": e.measure,
            "value": e.value,
            "threshold": e.threshold,
            "comparison": e.comparison,
            "source": e.source,
        }
        for pts in swot.values()
        for p in pts
        for e in p.evidence
    ]
    return pd.DataFrame(rows)
