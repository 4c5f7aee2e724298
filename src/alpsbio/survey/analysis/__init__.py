"""Territorial analysis of the Alps Bio Cluster: pure functions, tables in, tables out.

No Django here: services call :func:`run_regional_analysis` with DataFrames built from the
database and render :class:`AnalysisResult` into pages, the API and the PDF report.
Formulas and sources: docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .complementarity import ComplementarityResult, complementarity, sector_scores, survey_scores
from .complexity import ComplexityResult, complexity
from .network import NetworkResult, analyse_network
from .specialisation import specialisation_table
from .swot import (
    IndicatorSpec,
    SwotPoint,
    SwotThresholds,
    build_swot,
    indicator_positions,
    swot_table,
)

MEMBER_REGIONS = ("FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33", "DE21")


@dataclass(frozen=True)
class NetworkInput:
    participations: pd.DataFrame  # project, org
    orgs: pd.DataFrame  # org, region, type, sector


@dataclass(frozen=True)
class AnalysisResult:
    member_regions: tuple[str, ...]
    specialisation: pd.DataFrame  # long: region, sector, value, lq, stars..., us_strong
    complexity: ComplexityResult
    indicator_positions: pd.DataFrame
    network: NetworkResult | None
    complementarity: ComplementarityResult
    swot: dict[str, list[SwotPoint]]
    notes: list[str] = field(default_factory=list)

    def region_profile(self, region: str) -> dict[str, Any]:
        """Everything one region page needs, as plain tables (records)."""
        sp = self.specialisation[self.specialisation["region"] == region]
        cx = self.complexity.long()
        cx = cx[cx["region"] == region]
        out: dict[str, Any] = {
            "region": region,
            "specialisation": sp.sort_values("lq", ascending=False).to_dict("records"),
            "eci": _num(self.complexity.eci.get(region)),
            "diversity": _num(self.complexity.diversity.get(region)),
            "opportunities": cx[cx["mcp"] == 0]
            .nlargest(5, "density")[["sector", "density", "pci"]]
            .to_dict("records"),
            "indicators": self.indicator_positions[
                self.indicator_positions.get("region", pd.Series(dtype=str)) == region
            ].to_dict("records")
            if not self.indicator_positions.empty
            else [],
            "swot": swot_table({region: self.swot.get(region, [])}).to_dict("records"),
        }
        if self.network is not None:
            kp = self.network.key_players
            out["key_players"] = kp[kp["region"] == region].to_dict("records")
            rs = self.network.region_summary
            out["network"] = rs[rs["region"] == region].to_dict("records")
        return out

    def overview(self) -> dict[str, Any]:
        """The cluster overview: complementarity matrix, promising pairs, SWOT of all members."""
        return {
            "member_regions": list(self.member_regions),
            "complementarity": self.complementarity.matrix.round(6)
            .reset_index()
            .to_dict("records"),
            "sector_pairs": self.complementarity.sector_pairs.to_dict("records"),
            "swot": swot_table(self.swot).to_dict("records"),
            "notes": list(self.notes),
        }


def _num(v: object) -> float | None:
    if v is None:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if np.isnan(f) else f


def run_regional_analysis(
    counts: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
    survey: pd.DataFrame | None = None,
    network: NetworkInput | None = None,
    member_regions: list[str] | tuple[str, ...] = MEMBER_REGIONS,
    establishments: pd.DataFrame | None = None,
    indicator_specs: list[IndicatorSpec] | None = None,
    thresholds: SwotThresholds | None = None,
    seed: int = 42,
) -> AnalysisResult:
    """The whole analysis.

    counts: region x sector matrix (employment, organisations or participations; all regions
        of the reference area, not only members: LQs and percentiles need the reference).
    indicators: tidy Eurostat table (see eurostat.TIDY_COLUMNS), already NUTS 2021.
    survey: region, theme, mean, n (mean score per theme on a 1-5 scale).
    network: co-participations and organisation attributes.
    """
    members = list(member_regions)
    notes: list[str] = []
    missing = [m for m in members if m not in counts.index]
    if missing:
        notes.append(f"no sector counts for {', '.join(missing)}")
    spec = specialisation_table(counts, establishments)
    cx = complexity(counts)
    positions = (
        indicator_positions(indicators, indicator_specs or [], members)
        if indicators is not None and indicator_specs
        else pd.DataFrame()
    )
    net = (
        analyse_network(network.participations, network.orgs, members, seed=seed)
        if network is not None
        else None
    )
    if net is not None and net.betweenness_sampled:
        notes.append("betweenness estimated from a fixed-seed sample of source nodes")
    profiles = sector_scores(cx.rca)
    if survey is not None and not survey.empty:
        profiles = profiles.join(survey_scores(survey), how="outer")
    comp = complementarity(profiles, members, cx.rca, cx.proximity)
    swot = build_swot(
        members,
        specialisation=spec,
        complexity_long=cx.long(),
        survey=survey,
        positions=positions,
        network_summary=net.region_summary if net is not None else None,
        key_players=net.key_players if net is not None else None,
        complementarity_details=comp.details,
        thresholds=thresholds,
    )
    return AnalysisResult(tuple(members), spec, cx, positions, net, comp, swot, notes)


__all__ = [
    "MEMBER_REGIONS",
    "AnalysisResult",
    "IndicatorSpec",
    "NetworkInput",
    "SwotThresholds",
    "run_regional_analysis",
]
