"""Temporal link prediction on Horizon 2020 consortia, all projects and health/biotech only.

Runs ``alpsbio match evaluate`` logic in-process for both subsets and prints every method's
recall@20 and MRR with its ratio to Adamic-Adar measured in the same run.

Run: .venv/bin/python bench/match_linkpred.py [--data ../shared/data/cordis] [--train-until 2016]
     [--subsets health,all] [--model logistic|lambdamart] [--fit-countries target|all]
     [--half-year]

Validation (labels <= T only): --train-until 2015 --test-from 2016 --test-until 2016 (the fit is
then <= 2014 -> 2015, where the 2014 graph holds only 379 projects), or --half-year: fit on
<= June 2015 -> July-December 2015, rank <= December 2015 -> 2016. The graph grows about 1.8x
between the two cut-offs and the horizon doubles, as between the test's fit (<= 2015 -> 2016)
and the test (<= 2016 -> 2017-2018).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from alpsbio.matching.engine.linkpred import FIT_COUNTRIES, MODELS, EvalConfig, evaluate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/cordis")
    )
    ap.add_argument("--train-until", type=int, default=2016)
    ap.add_argument("--test-from", type=int, default=2017)
    ap.add_argument("--test-until", type=int, default=2018)
    ap.add_argument("--subsets", default="health,all")
    ap.add_argument("--model", default="logistic", choices=MODELS, help="the engine's ranker")
    ap.add_argument(
        "--fit-countries",
        default="target",
        choices=FIT_COUNTRIES,
        help="queries of the fitting split: the target countries (default) or all",
    )
    ap.add_argument(
        "--half-year",
        action="store_true",
        help="validation: fit <= 2015-06 -> 2015-07..12, rank <= 2015-12 -> 2016 (labels <= 2016)",
    )
    a = ap.parse_args()
    cfg = EvalConfig(model=a.model, fit_countries=a.fit_countries)
    train_until, test_from, test_until = float(a.train_until), float(a.test_from), a.test_until
    if a.half_year:  # fractional years: 2015.5 is 1 July 2015
        cfg.months, cfg.fit_until = True, 2015.45
        train_until, test_from, test_until = 2015.95, 2016.0, 2016.95
    d = Path(a.data)
    parts = [d / "h2020_participations_2014_2018.csv.gz"]
    projs = [d / "h2020_projects_2014_2018.csv.gz"]
    for subset in a.subsets.split(","):
        t = time.perf_counter()
        r = evaluate(
            parts,
            projs,
            train_until,
            test_from,
            test_until,
            health_only=subset == "health",
            cfg=cfg,
        )
        dt = time.perf_counter() - t
        methods = r["methods"]
        assert isinstance(methods, dict)
        aa = methods["adamic-adar"]["recall@20"]
        print(
            f"## {subset}: T={train_until:g}, test {test_from:g}-{test_until:g}, "
            f"{r['queries']} queries, {r['candidates']} candidates, engine model {r['model']} "
            f"(fitted on {a.fit_countries} countries), "
            f"{dt:.0f} s, load average {os.getloadavg()[0]:.1f}"
        )
        for name, m in methods.items():
            ratio = m["recall@20"] / aa if aa else float("nan")
            print(f"{name:24s} recall@20 {m['recall@20']:.4f}  MRR {m['mrr']:.4f}  x{ratio:.2f} AA")


if __name__ == "__main__":
    main()
