"""Solve one JAIR .dzn instance end to end: parse, solve, fall back to the greedy, check."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import portfolio_timing
from .checker import check_timing
from .cpsat_timing import solve_timing
from .dzn import load_dzn
from .greedy_timing import greedy_timing
from .timing import TimingProblem, TimingResult


@dataclass
class DznOutcome:
    """What ``alpsbio schedule solve-dzn`` reports for one instance."""

    instance: str
    breaks: int | None
    proved_optimal: bool
    seconds: float
    valid: bool
    status: str
    lower_bound: int | None
    method: str
    slots: list[int] | None
    check_errors: list[str]

    def as_json(self) -> dict[str, object]:
        return {
            "instance": self.instance,
            "breaks": self.breaks,
            "proved_optimal": self.proved_optimal,
            "seconds": round(self.seconds, 3),
            "valid": self.valid,
            "status": self.status,
            "lower_bound": self.lower_bound,
            "method": self.method,
        }


def instance_name(path: str | Path) -> str:
    """File name without the ``.dzn`` suffix (``tic-12.original``)."""
    name = Path(path).name
    return name[: -len(".dzn")] if name.endswith(".dzn") else name


def _cpsat_search(
    problem: TimingProblem,
    time_limit: float,
    fairness: int | None,
    workers: int,
    probe_share: float,
    greedy: list[int] | None,
) -> tuple[TimingResult, int]:
    """CP-SAT alone: probes from below, then the main solve; the result and the proved bound."""
    t0 = time.perf_counter()
    # Probes from below: "total breaks <= k" for k = 0, 1, 2, ... as near-SAT problems (k = 0 is
    # pure SAT: every window clause active). The first k that is feasible is optimal as soon as
    # k - 1 was proved infeasible. A probe that times out hands the rest of the time to the main
    # solve, keeping the bound.
    lb = 0
    res = None
    while time.perf_counter() - t0 < time_limit * probe_share and lb <= 8:
        left = time_limit * probe_share - (time.perf_counter() - t0)
        probe = solve_timing(
            problem,
            time_limit=max(0.5, min(left, time_limit * 0.25)),
            fairness=fairness,
            workers=workers,
            hint=greedy,
            max_total=lb,
        )
        if probe.slots is not None:
            res = probe
            break
        if probe.status != "infeasible":
            break  # timed out: optimise instead
        lb += 1
    if res is None:
        budget = max(0.5, time_limit - (time.perf_counter() - t0) - 0.2)
        # For 2 workers: a core-guided worker (lower bounds) plus CP-SAT's interleaved LNS.
        res = solve_timing(
            problem,
            time_limit=budget,
            fairness=fairness,
            workers=workers,
            hint=greedy,
            params={"subsolvers": ["core"]} if workers >= 2 else None,
        )
        if res.status == "infeasible" and lb > 0:
            lb = 0  # the whole problem is infeasible, not just the probes
    return res, lb


ENGINES = ("portfolio", "cp-sat")


def solve_dzn(
    path: str | Path,
    time_limit: float,
    fairness: int | None = 2,
    workers: int = 2,
    engine: str = "portfolio",
    probe_share: float = 0.5,
) -> DznOutcome:
    """Parse (raises DznError on bad input), solve within ``time_limit``, check independently.

    ``engine="portfolio"`` (the default): Exact's pseudo-Boolean optimisation beside SAT probes
    at the proved bound (:mod:`.portfolio_timing`), one core each (``workers=1``: Exact alone).
    ``engine="cp-sat"``, or when ``exact``/``python-sat`` are missing: CP-SAT alone, the baseline.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    t0 = time.perf_counter()
    problem = load_dzn(path)
    greedy = greedy_timing(problem)
    left = max(0.5, time_limit - (time.perf_counter() - t0))
    if engine == "portfolio" and portfolio_timing.available():
        res = portfolio_timing.solve_timing_portfolio(problem, left, fairness, probes=workers >= 2)
        lb = res.lower_bound or 0
    else:
        res, lb = _cpsat_search(problem, left, fairness, workers, probe_share, greedy)
    slots, method = res.slots, res.method
    if (
        slots is None
        and res.status != "infeasible"
        and greedy is not None
        and check_timing(problem, greedy, fairness).valid
    ):
        slots, method = greedy, "greedy"
    report = check_timing(problem, slots, fairness)
    breaks = report.total_breaks if slots is not None else None
    bound = max(lb, res.lower_bound or 0) if res.status != "infeasible" else None
    proved = res.status != "infeasible" and breaks is not None and breaks == bound
    status = "optimal" if proved else (res.status if method != "greedy" else "feasible")
    if res.status == "infeasible":
        status, proved = "infeasible", True
    return DznOutcome(
        instance=instance_name(path),
        breaks=breaks,
        proved_optimal=proved and breaks is not None,
        seconds=time.perf_counter() - t0,
        valid=report.valid and slots is not None,
        status=status,
        lower_bound=bound,
        method=method,
        slots=slots,
        check_errors=report.errors,
    )
