"""How the collaboration history enters the product's partner score, on real collaborations.

The product scores a candidate partner v of organisation u as ``text + w * f(AA(u, v)) + ...``
(``engine.scoring.score_pair``). This benchmark ranks, for every query organisation of
FR/IT/CH/AT/DE, all organisations known at the cut-off by ``text + w * f(AA)`` alone and scores
the new partner pairs formed afterwards (recall@20 and MRR, macro over queries; existing
partners excluded, random tie-break), exactly as ``alpsbio match evaluate`` does. ``text`` is
the cosine of the organisations' past project titles (TF-IDF, the linkpred feature
``title_sim``), the closest text signal these files hold; the product's embeddings are stronger.

f, each in [0, 1]:
  old     AA / AA(u, u): what the product did until 26 Nov 2026 (the row maximum it divided
          by included the organisation itself, which bounds every AA(u, v));
  sat     1 - exp(-AA): engine.scoring.history_strength, the product's history part now;
  logrel  log(1 + AA) / log(1 + max_v AA(u, v)), relative to the query's strongest candidate.

For the health subset, AA is taken on the graph of all projects, as in the product, whose
directory holds every project.

Run: .venv/bin/python bench/match_history_weight.py [--split val|test] [--subsets health,all]
  val  (default; labels in 2016 only): rank <= December 2015 -> new pairs in 2016;
  test (T = 2016, as the issue's link-prediction benchmark): rank <= 2016 -> 2017-2018.
Prints each setting's figures and its ratio to the old product score (old, w = 0.25) measured in
the same run.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alpsbio.matching.engine import linkpred as lp
from alpsbio.matching.engine.scoring import history_strength

WEIGHTS = (0.25, 0.5, 1.0)
BASELINE = "text + 0.25 * old"


def transforms(aa: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    aa = np.maximum(aa, 0.0)
    own = aa.max(axis=1, keepdims=True)  # includes AA(u, u), as the old code's row.max() did
    others = aa.copy()
    others[np.arange(len(rows)), rows] = 0.0
    top = others.max(axis=1, keepdims=True)
    return {
        "old": aa / np.where(own > 0, own, 1.0),
        "sat": history_strength(aa),
        "logrel": np.log1p(others) / np.log1p(np.where(top > 0, top, 1.0)),
    }


@dataclass
class TemporalSplit:
    """The link-prediction protocol's split: candidates known at the cut-off, new pairs after."""

    cutoff: float
    months: bool
    parts: list[Path]
    projs: list[Path]
    snap: lp.Snapshot
    ctx: lp.Snapshot | None  # the graph of all projects, for a subset (the product's graph)
    split: lp.Split
    cols: np.ndarray | None

    def adamic_adar(self, rows: np.ndarray) -> np.ndarray:
        """Adamic-Adar from ``rows`` to every candidate, on the graph the product would hold."""
        if self.ctx is not None and self.cols is not None:
            ok = self.cols >= 0
            aa = self.ctx.graph.scores(self.cols[rows], "adamic_adar")[
                :, np.where(ok, self.cols, 0)
            ]
            return np.asarray(np.where(ok, aa, 0.0))
        return np.asarray(self.snap.graph.scores(rows, "adamic_adar"))


class MethodTable(dict[str, lp.Metrics]):
    """Recall@20 and MRR per method name, each method with its own seeded random tie-break."""

    def __init__(self) -> None:
        super().__init__()
        self._rngs: dict[str, np.random.Generator] = {}

    def add(self, name: str, scores: np.ndarray, excl: np.ndarray, truth: list[np.ndarray]) -> None:
        if name not in self:
            self[name], self._rngs[name] = lp.Metrics(), np.random.default_rng(0)
        self[name].add(scores, excl, truth, self._rngs[name])


def temporal_split(data: Path, subset: str, split_name: str) -> TemporalSplit:
    """``val``: rank <= December 2015 -> new pairs in 2016; ``test``: <= 2016 -> 2017-2018."""
    health = subset == "health"
    if split_name == "val":
        months, t, y0, y1 = True, 2015.95, 2016.0, 2016.95
    else:
        months, t, y0, y1 = False, 2016.0, 2017.0, 2018.0
    parts = [data / "h2020_participations_2014_2018.csv.gz"]
    projs = [data / "h2020_projects_2014_2018.csv.gz"]
    corpus = lp.Corpus.load(parts, projs, health_only=health, months=months)
    snap = lp.Snapshot.build(corpus, t)
    ctx = None
    if health:  # the product's graph holds every project
        ctx = lp.Snapshot.build(lp.Corpus.load(parts, projs, months=months), t)
    split = lp.make_split(corpus, snap, y0, y1, ctx=ctx)
    return TemporalSplit(t, months, parts, projs, snap, ctx, split, lp._ctx_columns(split))


def run(data: Path, subset: str, split_name: str, batch: int = 128) -> dict[str, dict[str, float]]:
    ts = temporal_split(data, subset, split_name)
    snap, split = ts.snap, ts.split
    methods = MethodTable()
    add = methods.add

    for start in range(0, len(split.queries), batch):
        rows = split.queries[start : start + batch]
        truth = split.truth[start : start + batch]
        excl = lp._excluded(split, rows)
        text = np.asarray((snap.titles[rows] @ snap.titles.T).toarray())
        aa = ts.adamic_adar(rows)
        add("text alone", text, excl, truth)
        add("Adamic-Adar alone", aa, excl, truth)
        for fname, f in transforms(aa, rows).items():
            for w in WEIGHTS:
                add(f"text + {w:g} * {fname}", text + w * f, excl, truth)
    return {name: m.summary() for name, m in methods.items()} | {
        "_": {"queries": float(len(split.queries)), "candidates": float(snap.graph.n)}
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/cordis")
    )
    ap.add_argument("--split", choices=("val", "test"), default="val")
    ap.add_argument("--subsets", default="health,all")
    a = ap.parse_args()
    for subset in a.subsets.split(","):
        t0 = time.perf_counter()
        res = run(Path(a.data), subset, a.split)
        info = res.pop("_")
        base = res[BASELINE]["recall@20"] or 1.0
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n{subset}, split {a.split}: {info['queries']:.0f} queries, "
            f"{info['candidates']:.0f} candidates, {time.perf_counter() - t0:.0f} s, load {load}"
        )
        print(f"{'setting':28} {'recall@20':>9} {'MRR':>6} {'x old':>6}")
        for name, s in res.items():
            r = s["recall@20"]
            print(f"{name:28} {r:9.4f} {s['mrr']:6.3f} {r / base:6.2f}")


if __name__ == "__main__":
    main()
