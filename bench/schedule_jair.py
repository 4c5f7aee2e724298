"""JAIR 2022 B2BSOP benchmark: our timing solver on the 20 Table 1 instances and variants.

Reads ../shared/data/b2b_jair2022 (never copied into the repo). For each instance: breaks vs the
published optimum (d = 2), proved optimal or not, seconds; the baseline measured in the same run is
our greedy (ratio = our breaks / greedy breaks). Variant families (forbidden slots, fixed
meetings, precedences) are summarised, with infeasibility detected. ``--engine cp-sat`` runs the
CP-SAT-only solver (the second baseline) instead of the Exact + SAT-probe portfolio.

    .venv/bin/python bench/schedule_jair.py                      # originals at 60 s, variants at 10 s
    .venv/bin/python bench/schedule_jair.py --only tic-12 --no-variants
    .venv/bin/python bench/schedule_jair.py --engine cp-sat --no-variants
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
from pathlib import Path

from alpsbio.events.scheduler.benchmark import ENGINES, solve_dzn
from alpsbio.events.scheduler.checker import check_timing
from alpsbio.events.scheduler.cpsat_timing import solve_timing
from alpsbio.events.scheduler.dzn import load_dzn
from alpsbio.events.scheduler.greedy_timing import greedy_timing

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "b2b_jair2022"
FAMILIES = ("forb0003", "forb0007", "fixed020-Forb", "fixed040-Forb", "prec15", "prec25")


def greedy_breaks(path: Path) -> int | None:
    prob = load_dzn(path)
    slots = greedy_timing(prob)
    rep = check_timing(prob, slots, fairness=None)
    return rep.total_breaks if rep.valid else None


def recheck_infeasible(path: Path) -> str:
    """A second opinion on an "infeasible" verdict: CP-SAT on its own model (not Exact's 0-1
    model), with the fairness bound and without it. (The clause encoding with CaDiCaL is no use
    here: capacity infeasibility is pigeonhole-like, which resolution refutes only slowly.)"""
    prob = load_dzn(path)
    out = [solve_timing(prob, time_limit=30, fairness=d, workers=1).status for d in (2, None)]
    return f"CP-SAT: d=2 {out[0]}, without fairness {out[1]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--variant-time-limit", type=float, default=10.0)
    ap.add_argument("--only", nargs="*", default=None, help="instance names (no suffix)")
    ap.add_argument("--no-variants", action="store_true")
    ap.add_argument("--families", nargs="*", default=list(FAMILIES), help="variant families")
    ap.add_argument("--variants-only", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--verify-infeasible",
        action="store_true",
        help="re-check each infeasible variant with CP-SAT, with and without fairness",
    )
    ap.add_argument(
        "--engine", choices=ENGINES, default="portfolio", help="cp-sat: the CP-SAT-only baseline"
    )
    args = ap.parse_args()
    if not (args.data / "optima.csv").is_file():
        print(f"benchmark data not found in {args.data}", file=sys.stderr)
        return 2
    with (args.data / "optima.csv").open(encoding="utf-8") as fh:
        optima = {r["instance"]: r for r in csv.DictReader(fh)}
    names = args.only or list(optima)
    print(f"# JAIR 2022 B2BSOP, d = 2, {args.workers} workers, limit {args.time_limit:.0f} s")
    print(
        f"# {dt.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
        f"{os.cpu_count()} cpus  {platform.processor() or platform.machine()}  "
        f"load average {os.getloadavg()[0]:.2f}  engine {args.engine}"
    )
    if not args.variants_only:
        print(
            "| instance | optimum | breaks | proved | bound | by | seconds | valid | greedy | "
            "ratio to greedy | MaxSAT s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        n_opt = n_proved = n_valid = 0
        for nm in names:
            path = args.data / "instances" / f"{nm}.original.dzn"
            best = int(optima[nm]["optimal_breaks"])
            g = greedy_breaks(path)
            out = solve_dzn(path, args.time_limit, workers=args.workers, engine=args.engine)
            n_opt += int(out.breaks == best and out.valid)
            n_proved += int(out.proved_optimal and out.breaks == best)
            n_valid += int(out.valid)
            ratio = "-" if out.breaks is None or not g else f"{out.breaks / g:.2f}"
            print(
                f"| {nm} | {best} | {out.breaks} | {'yes' if out.proved_optimal else 'no'} | "
                f"{out.lower_bound} | {out.method} | {out.seconds:.1f} | {out.valid} | {g if g is not None else 'fail'} | {ratio} | "
                f"{optima[nm]['maxsat_seconds']} |",
                flush=True,
            )
        print(
            f"\noptimum reached {n_opt}/{len(names)}, proved {n_proved}/{len(names)}, "
            f"valid {n_valid}/{len(names)}  (load average now {os.getloadavg()[0]:.2f})"
        )
    if args.no_variants:
        return 0
    print(f"\n## variants ({args.variant_time_limit:.0f} s each)")
    print(
        "| family | instances | proved optimal | feasible (not proved) | infeasible (proved) | "
        "unknown | valid | mean breaks | mean s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for fam in args.families:
        rows = []
        for nm in names:
            path = args.data / "instances" / f"{nm}.{fam}.dzn"
            if path.is_file():
                rows.append(
                    solve_dzn(
                        path,
                        args.variant_time_limit,
                        workers=args.workers,
                        engine=args.engine,
                    )
                )
        if not rows:
            continue
        solved = [r for r in rows if r.breaks is not None]
        mean_b = sum(r.breaks or 0 for r in solved) / len(solved) if solved else float("nan")
        print(
            f"| {fam} | {len(rows)} | {sum(r.status == 'optimal' for r in rows)} | "
            f"{sum(r.status == 'feasible' for r in rows)} | "
            f"{sum(r.status == 'infeasible' for r in rows)} | "
            f"{sum(r.status == 'unknown' for r in rows)} | {sum(r.valid for r in rows)} | "
            f"{mean_b:.2f} | {sum(r.seconds for r in rows) / len(rows):.1f} |",
            flush=True,
        )
        infeasible = [r.instance for r in rows if r.status == "infeasible"]
        if infeasible:
            print(f"|  infeasible: {', '.join(infeasible)} |||||||||")
        if args.verify_infeasible:
            for nm in infeasible:
                check = recheck_infeasible(args.data / "instances" / f"{nm}.dzn")
                print(f"|  re-check {nm}: {check} |||||||||", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
