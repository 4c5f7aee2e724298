"""Solve one JAIR .dzn instance end to end: parse, solve, fall back to the greedy, check."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checker import check_timing
from .cpsat_timing import Stopper, solve_timing
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
    main_workers: int,
    probe_share: float,
    greedy: list[int] | None,
    stopper: Stopper | None,
    on_solution: Callable[[int], None] | None = None,
    bound: Callable[[], int] | None = None,
    probe_at: list[int | None] | None = None,
) -> tuple[TimingResult, int]:
    """CP-SAT: probes from below, then the main solve; returns the result and the proved bound."""
    t0 = time.perf_counter()
    # Probes from below: "total breaks <= k" for k = 0, 1, 2, ... as near-SAT problems (k = 0 is
    # pure SAT: every window clause active). The first k that is feasible is optimal as soon as
    # k - 1 was proved infeasible: a linear search from below like the paper's MaxSAT solvers. A
    # probe that times out hands the rest of the time to the main solve, keeping the bound.
    # With the MaxSAT side running, each probe starts at k = RC2's proved lower bound (so a
    # feasible probe is optimal at once) and is interrupted to restart when that bound rises.
    lb = 0
    res = None
    while time.perf_counter() - t0 < time_limit * probe_share:
        left = time_limit * probe_share - (time.perf_counter() - t0)
        k = max(lb, bound()) if bound else lb
        if k > 8:  # beyond a few breaks the cardinality makes probes slow; optimise instead
            break
        if probe_at is not None:
            probe_at[0] = k
        probe = solve_timing(
            problem,
            time_limit=max(0.5, min(left, time_limit * 0.25)),
            fairness=fairness,
            workers=workers,
            hint=greedy,
            max_total=k,
            stopper=stopper,
            on_solution=on_solution,
        )
        if probe_at is not None:
            probe_at[0] = None
        if probe.slots is not None:
            res = probe
            lb = k
            break
        if probe.status == "infeasible":
            lb = k + 1
            continue
        if stopper is not None and stopper.stopped:
            break
        if not (bound and bound() > k):
            break  # timed out (not interrupted by a better bound): optimise instead
    if res is None:
        budget = max(0.5, time_limit - (time.perf_counter() - t0) - 0.2)
        # Portfolio for 2 cores: a core-guided worker (MaxSAT-style lower bounds, like the
        # paper's best solver) plus CP-SAT's interleaved LNS/local search for solutions.
        res = solve_timing(
            problem,
            time_limit=budget,
            fairness=fairness,
            workers=main_workers,
            hint=greedy,
            params={"subsolvers": ["core"]} if main_workers >= 2 else None,
            stopper=stopper,
            on_solution=on_solution,
        )
        if res.status == "infeasible" and lb > 0:
            lb = 0  # the whole problem is infeasible, not just the probes
    return res, lb


def solve_dzn(
    path: str | Path,
    time_limit: float,
    fairness: int | None = 2,
    workers: int = 2,
    probe_share: float = 0.5,
    maxsat: bool = True,
) -> DznOutcome:
    """Parse (raises DznError on bad input), solve within ``time_limit``, check independently.

    With ``maxsat`` (and python-sat installed) the two cores run a portfolio: RC2 on the paper's
    MaxSAT encoding in a child process, CP-SAT with one worker fewer in this one; the first proof
    of optimality (or infeasibility) stops the other.
    """
    t0 = time.perf_counter()
    problem = load_dzn(path)
    greedy = greedy_timing(problem)
    run: Any = None
    if maxsat and workers >= 2:
        try:
            from .maxsat_timing import MaxSatRun
        except ImportError:  # python-sat missing: CP-SAT alone
            pass
        else:
            run = MaxSatRun(problem, fairness)
    stopper = Stopper()
    done = threading.Event()
    ms_box: list[TimingResult] = []

    best = [10**9]  # best total breaks CP-SAT has found so far
    probe_at: list[int | None] = [None]  # k of the CP-SAT probe running now

    def seen(value: int) -> None:
        best[0] = min(best[0], value)

    def watch() -> None:
        # Stop CP-SAT when RC2 proves the optimum (or infeasibility), or when RC2's lower bound
        # reaches the best timing CP-SAT already has (that timing is then optimal).
        got = None
        while got is None and not done.is_set():
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0:
                return
            got = run.wait(min(0.2, left))
            if got is None and best[0] <= run.lower_bound:
                break
            k = probe_at[0]
            if got is None and k is not None and run.lower_bound > k:
                stopper.interrupt()  # restart the probe at the higher bound
        if got is not None and got.proved_optimal:
            ms_box.append(got)
        elif got is not None:
            return
        while not done.is_set():  # repeat: a stop may land between two CP-SAT solves
            stopper.stop()
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True) if run is not None else None
    if watcher is not None:
        watcher.start()
    try:
        res, lb = _cpsat_search(
            problem,
            max(0.5, time_limit - (time.perf_counter() - t0)),
            fairness,
            max(1, workers - 1) if run is not None else workers,
            workers,
            probe_share,
            greedy,
            stopper,
            seen if run is not None else None,
            (lambda: run.lower_bound) if run is not None else None,
            probe_at,
        )
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
        if run is not None:
            run.close()  # CP-SAT finished first (proof or time limit): stop RC2
    if ms_box and not (res.proved_optimal or res.status == "infeasible"):
        ms = ms_box[0]
        if ms.status == "infeasible" or check_timing(problem, ms.slots, fairness).valid:
            res, lb = ms, 0
    if run is not None and res.status != "infeasible":
        lb = max(lb, run.lower_bound)  # RC2's cores: a proved lower bound
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
