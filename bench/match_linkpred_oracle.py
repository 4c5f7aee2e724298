"""Oracle diagnostics for the link-prediction goal: would foresight lift the rankers to 1.5x?

Each oracle hands a ranker one piece of knowledge from after the cut-off that no real system has:

1. who is active: candidates are limited to organisations taking part in a project of the label
   years, in the subset ("sub") or in any project ("any");
2. which old partners come back: Adamic-Adar computed through the query's existing partners that
   share a new project with it in the label years.

If perfect knowledge of a piece lifts a ranker only a little, predicting that piece cannot lift it
more. Diagnostics only: nothing in the engine is chosen from them. See docs/benchmarks/matching.md.

Run: .venv/bin/python bench/match_linkpred_oracle.py [--split validation|test] [--subset health|all]
     [--data ../shared/data/cordis]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from alpsbio.matching.engine import linkpred as lp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/cordis")
    )
    ap.add_argument("--split", default="validation", choices=("validation", "test"))
    ap.add_argument("--subset", default="health", choices=("health", "all"))
    args = ap.parse_args()
    if args.split == "validation":  # as bench/match_linkpred.py --half-year
        cfg = lp.EvalConfig(months=True, fit_until=2015.45)
        t, y0, y1 = 2015.95, 2016.0, 2016.95
    else:
        cfg = lp.EvalConfig()
        t, y0, y1 = 2016.0, 2017.0, 2018.0
    data = Path(args.data)
    parts = [data / "h2020_participations_2014_2018.csv.gz"]
    projects = [data / "h2020_projects_2014_2018.csv.gz"]
    health = args.subset == "health"
    corpus = lp.Corpus.load(parts, projects, health_only=health, months=cfg.months)
    full = lp.Corpus.load(parts, projects, months=cfg.months) if health else corpus

    def split_at(cut: float, a: float, b: float) -> lp.Split:
        snap = lp.Snapshot.build(corpus, cut)
        ctx = lp.Snapshot.build(full, cut) if health else None
        return lp.make_split(corpus, snap, a, b, ctx=ctx)

    test = split_at(t, y0, y1)
    fit_until = cfg.fit_until if cfg.fit_until is not None else t - 1
    model = lp.fit_model(split_at(fit_until, np.nextafter(fit_until, np.inf), t), cfg)
    g = test.snap.graph

    def label_years(c: lp.Corpus) -> pd.DataFrame:
        p = c.part[(c.part["year"] >= y0) & (c.part["year"] <= y1)]
        return p.assign(i=p["pic"].map(g.index)).dropna(subset=["i"])

    def active(c: lp.Corpus) -> np.ndarray:
        mask = np.zeros(g.n, dtype=bool)
        mask[label_years(c)["i"].astype(int).unique()] = True
        return mask

    active_any, active_sub = active(full), active(corpus)
    masks = {"none": None, "any": active_any, "sub": active_sub}
    # Oracle 2: per organisation, everyone it shares a project with in the label years.
    together: dict[int, set[int]] = {}
    for members in label_years(corpus).groupby("rcn")["i"]:
        ids = {int(x) for x in members[1]}
        for u in ids:
            together.setdefault(u, set()).update(ids)
    adj = (g.A > 0).astype(float).tocsr()
    inv_log = np.where(g.degree > 1, 1.0 / np.log(np.maximum(g.degree, 2.0)), 0.0)

    rng = np.random.default_rng(0)
    rankers = ("adamic_adar", "pagerank", "engine")
    metrics = {(r, o): lp.Metrics() for r in rankers for o in masks}
    via_core, via_core_engine = lp.Metrics(), lp.Metrics()
    returning = []
    for start in range(0, len(test.queries), 128):
        rows = test.queries[start : start + 128]
        truth = test.truth[start : start + 128]
        excl = lp._excluded(test, rows)
        f = lp.batch_features(test, rows, excl)
        engine = np.asarray(model.score(f))
        scores = {"adamic_adar": f["baseline_aa"], "pagerank": f["ppr_long"], "engine": engine}
        for o, mask in masks.items():
            e = excl if mask is None else excl | ~mask[None, :]
            for r in rankers:
                metrics[(r, o)].add(np.asarray(scores[r]), e, truth, rng)
        core = sp.lil_matrix((len(rows), g.n))
        for k, u in enumerate(rows):
            back = set(g.neighbours(int(u)).tolist()) & together.get(int(u), set())
            for w in back:
                core[k, w] = 1.0
            returning.append(bool(back))
        aa_core = np.asarray((core.tocsr() @ sp.diags(inv_log) @ adj).toarray())
        via_core.add(aa_core, excl, truth, rng)
        via_core_engine.add(aa_core + 1e-3 * engine, excl, truth, rng)

    aa = metrics[("adamic_adar", "none")].summary()[f"recall@{lp.K}"]
    print(f"{args.subset}, {args.split}: {len(test.queries)} queries, {g.n} candidates")
    print(
        f"  active in the label years: {active_sub.sum()} in the subset, "
        f"{active_any.sum()} anywhere; queries with a returning partner: "
        f"{np.mean(returning):.0%}"
    )
    rows_out = [(f"{r}, oracle 1 ({o})", m) for (r, o), m in metrics.items()]
    rows_out += [("adamic_adar through returning partners (oracle 2)", via_core)]
    rows_out += [("oracle 2, ties broken by the engine", via_core_engine)]
    for name, m in rows_out:
        recall = m.summary()[f"recall@{lp.K}"]
        print(f"  {name:52s} recall@{lp.K} {recall:.4f}  x{recall / aa:.2f} Adamic-Adar")


if __name__ == "__main__":
    main()
