"""Temporal link prediction on Horizon 2020 consortia, all projects and health/biotech only.

Runs ``alpsbio match evaluate`` logic in-process for both subsets and prints every method's
recall@20 and MRR with its ratio to Adamic-Adar measured in the same run.

Run: .venv/bin/python bench/match_linkpred.py [--data ../shared/data/cordis] [--train-until 2016]
     [--subsets health,all] [--model logistic|lambdamart]

Validation (labels <= T only): --train-until 2015 --test-from 2016 --test-until 2016.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from alpsbio.matching.engine.linkpred import MODELS, EvalConfig, evaluate


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
    a = ap.parse_args()
    d = Path(a.data)
    parts = [d / "h2020_participations_2014_2018.csv.gz"]
    projs = [d / "h2020_projects_2014_2018.csv.gz"]
    for subset in a.subsets.split(","):
        t = time.perf_counter()
        r = evaluate(
            parts,
            projs,
            a.train_until,
            a.test_from,
            a.test_until,
            health_only=subset == "health",
            cfg=EvalConfig(model=a.model),
        )
        dt = time.perf_counter() - t
        methods = r["methods"]
        assert isinstance(methods, dict)
        aa = methods["adamic-adar"]["recall@20"]
        print(
            f"## {subset}: T={a.train_until}, test {a.test_from}-{a.test_until}, "
            f"{r['queries']} queries, {r['candidates']} candidates, engine model {r['model']}, "
            f"{dt:.0f} s, load average {os.getloadavg()[0]:.1f}"
        )
        for name, m in methods.items():
            ratio = m["recall@20"] / aa if aa else float("nan")
            print(f"{name:24s} recall@20 {m['recall@20']:.4f}  MRR {m['mrr']:.4f}  x{ratio:.2f} AA")


if __name__ == "__main__":
    main()
