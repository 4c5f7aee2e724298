"""Economic complexity and relatedness (Hidalgo & Hausmann 2009; Hidalgo et al. 2007).

Follows the conventions of the ``ecomplexity`` package (Growth Lab, Harvard) so results can be
checked against it: M_cp = 1 if RCA >= 1; proximity phi_pq = sum_c M_cp M_cq / max(k_p, k_q);
density_cp = sum_q M_cq phi_pq / sum_q phi_pq; ECI from the eigenvector of the second largest
eigenvalue of M~PP = (M/k_c)^T (M/k_p), signed to correlate positively with diversity and
standardised; PCI standardised with the mean and standard deviation of ECI (so that ECI is the
mean PCI of a region's specialisations), or by its own mean/std with ``normalisation="zscore"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .specialisation import location_quotient


@dataclass(frozen=True)
class ComplexityResult:
    rca: pd.DataFrame  # region x sector
    mcp: pd.DataFrame  # region x sector, 0/1
    diversity: pd.Series  # k_c,0 per region
    ubiquity: pd.Series  # k_p,0 per sector
    proximity: pd.DataFrame  # sector x sector
    density: pd.DataFrame  # region x sector
    eci: pd.Series
    pci: pd.Series

    def long(self) -> pd.DataFrame:
        """Region x sector rows with rca, mcp, density and the region/sector indices."""
        idx = pd.MultiIndex.from_product(
            [self.rca.index, self.rca.columns], names=["region", "sector"]
        )
        out = pd.DataFrame(
            {
                "rca": self.rca.to_numpy().ravel(),
                "mcp": self.mcp.to_numpy().ravel(),
                "density": self.density.to_numpy().ravel(),
            },
            index=idx,
        ).reset_index()
        out["diversity"] = self.diversity.reindex(out["region"]).to_numpy()
        out["ubiquity"] = self.ubiquity.reindex(out["sector"]).to_numpy()
        out["eci"] = self.eci.reindex(out["region"]).to_numpy()
        out["pci"] = self.pci.reindex(out["sector"]).to_numpy()
        return out


def proximity_matrix(mcp: np.ndarray) -> np.ndarray:
    """phi_pq = co-occurrence / max(ubiquity_p, ubiquity_q); 0 where a sector is absent."""
    ubiquity = mcp.sum(axis=0)
    co = mcp.T @ mcp
    denom = np.maximum(ubiquity[:, None], ubiquity[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(denom > 0, co / denom, 0.0)
    return phi


def density_matrix(mcp: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """density_cp = sum_q M_cq phi_pq / sum_q phi_pq (NaN for sectors with no proximity)."""
    den = phi.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (mcp @ phi.T) / den[None, :]


def complexity(
    matrix: pd.DataFrame,
    rca_threshold: float = 1.0,
    normalisation: Literal["ecomplexity", "zscore"] = "ecomplexity",
) -> ComplexityResult:
    """All complexity measures from a region x sector count matrix."""
    rca_df = location_quotient(matrix)
    rca = rca_df.to_numpy()
    mcp = (np.nan_to_num(rca) >= rca_threshold).astype(float)
    diversity = mcp.sum(axis=1)
    ubiquity = mcp.sum(axis=0)
    phi = proximity_matrix(mcp)
    density = density_matrix(mcp, phi)
    eci = np.full(mcp.shape[0], np.nan)
    pci = np.full(mcp.shape[1], np.nan)
    rows, cols = diversity > 0, ubiquity > 0
    if rows.sum() >= 2 and cols.sum() >= 2:
        m = mcp[rows][:, cols]
        m1 = m / diversity[rows][:, None]
        m2 = m / ubiquity[cols][None, :]
        mpp = m2.T @ m1
        # Same eigen-solver as ecomplexity (M~PP is not symmetric in general).
        eigvals, eigvecs = np.linalg.eig(mpp)
        kp = np.real(eigvecs[:, np.argsort(np.real(eigvals))[-2]])
        kc = m1 @ kp
        sign = np.sign(np.corrcoef(diversity[rows], kc)[0, 1]) or 1.0
        kc, kp = sign * kc, sign * kp
        mu, sd = kc.mean(), kc.std()
        if sd > 0:
            eci[rows] = (kc - mu) / sd
            if normalisation == "ecomplexity":
                pci[cols] = (kp - mu) / sd
            else:
                pci[cols] = (kp - kp.mean()) / kp.std()
    return ComplexityResult(
        rca=rca_df,
        mcp=pd.DataFrame(mcp, index=matrix.index, columns=matrix.columns),
        diversity=pd.Series(diversity, index=matrix.index, name="diversity"),
        ubiquity=pd.Series(ubiquity, index=matrix.columns, name="ubiquity"),
        proximity=pd.DataFrame(phi, index=matrix.columns, columns=matrix.columns),
        density=pd.DataFrame(density, index=matrix.index, columns=matrix.columns),
        eci=pd.Series(eci, index=matrix.index, name="eci"),
        pci=pd.Series(pci, index=matrix.columns, name="pci"),
    )
