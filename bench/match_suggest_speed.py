"""Suggested partners on the product path (the Django-side index): full scan against ANN.

Needs a database with the directory, the matching demo and the vectors (``python3 dev.py run``
once and let the worker embed, or ``alpsbio matching_cron embed``)::

    .venv/bin/python bench/match_suggest_speed.py --database-url sqlite:////path/alpsbio.sqlite3
    .venv/bin/python bench/match_suggest_speed.py --database-url ... --tile 5   # ~100,000 profiles

It builds the index once (with the HNSW graph over the vectors), then for a sample of
organisations asks ``suggest_partners(org, limit=20)`` on the same index twice: with the ANN
candidates (the product's path above ``MATCHING_ANN_MIN_PROFILES``) and with a full scan of
every profile (the baseline: the path before, and the one below the threshold). Prints p50/p95
wall time of each, their ratio, and how many of the full scan's top 20 the ANN path also
returns (overlap@20).

On the real directory (no ``--tile``) it then times what the organisation page asks for: 8
suggestions on the ANN path with their explanations, excerpts and names in the reader's language
(``queries.suggested_partners``, French), against the ranking alone in the same loop.

``--tile K`` repeats the real profiles K times in memory (new keys and organisation ids, the
same texts, vectors jittered and normalised again) to measure speed at about 100,000 profiles.
The overlap figure is meaningful on the real, untiled directory only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from typing import Any

import numpy as np


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _tile(idx: Any, k: int, seed: int = 0) -> None:
    """Repeat the index's profiles ``k`` times (speed only: clones have no graph)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    base = list(idx.profiles)
    offset = max(p.org_id for p in base) + 1
    profiles = list(base)
    for copy in range(1, k):
        profiles += [
            dataclasses.replace(
                p,
                key=f"{p.key}~{copy}",
                org_id=p.org_id + copy * offset,
                opp_id=None if p.opp_id is None else p.opp_id + copy * offset,
            )
            for p in base
        ]
    E = np.vstack([idx.E] * k)
    if E.shape[1]:
        jitter = rng.normal(scale=0.02, size=E.shape).astype(np.float32)
        jitter[: len(base)] = 0.0
        E = E + np.where(np.any(E != 0, axis=1, keepdims=True), jitter, 0.0)
        norms = np.linalg.norm(E, axis=1, keepdims=True)
        E = (E / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    idx.profiles = profiles
    idx.pos = {p.key: i for i, p in enumerate(profiles)}
    idx.T = sp.csr_matrix(sp.vstack([idx.T] * k))
    idx.E = E
    idx.langs = np.tile(idx.langs, k)
    idx._arrays()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", help="default: the settings' database")
    ap.add_argument("--orgs", type=int, default=200, help="query organisations (sampled)")
    ap.add_argument("--tile", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.database_url:
        os.environ["DATABASE_URL"] = a.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    import django

    django.setup()
    from django.conf import settings

    from alpsbio.matching import index

    settings.MATCHING_ANN_MIN_PROFILES = 0
    t0 = time.perf_counter()
    idx = index.MatchIndex()
    idx.build()
    if a.tile > 1:
        _tile(idx, a.tile, a.seed)
        idx._build_ann()
    build_s = time.perf_counter() - t0
    if idx.ann is None:
        sys.exit("no vectors in this database: embed the profiles first (matching_cron embed)")
    text_model = "+".join(p.name for p, _w in idx.parts)
    rng = np.random.default_rng(a.seed)
    orgs = [p.org_id for p in idx.profiles if p.opp_id is None and "~" not in p.key]
    sample = [int(o) for o in rng.choice(orgs, size=min(a.orgs, len(orgs)), replace=False)]
    ann = idx.ann
    times: dict[str, list[float]] = {"ann": [], "full": []}
    overlap = []
    for org in [*sample[:5], *sample]:  # the first five warm up both paths
        got: dict[str, list[str]] = {}
        for path in ("full", "ann"):
            idx.ann = ann if path == "ann" else None
            t = time.perf_counter()
            got[path] = [s.key for s in idx.suggest_partners(org, limit=20)]
            times[path].append((time.perf_counter() - t) * 1000)
        if got["full"]:
            overlap.append(len(set(got["ann"]) & set(got["full"])) / len(got["full"]))
    for path in times:
        times[path] = times[path][5:]
    idx.ann = ann
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"# {len(idx.profiles)} profiles ({a.tile}x the directory), text model {text_model}, "
        f"{idx.E.shape[1]} dims; build + ANN {build_s:.1f}s; {len(sample)} organisations; "
        f"load {load}"
    )
    for path, label in (("full", "full scan (baseline)"), ("ann", "ANN candidates")):
        ts = times[path]
        print(
            f"{label:22s} p50 {_percentile(ts, 50):7.2f} ms  p95 {_percentile(ts, 95):7.2f} ms  "
            f"mean {statistics.fmean(ts):7.2f} ms"
        )
    ratio = _percentile(times["ann"], 95) / _percentile(times["full"], 95)
    print(f"p95 ratio ANN / full scan: {ratio:.2f}")
    print(f"overlap@20 with the full scan: {statistics.fmean(overlap):.3f} over {len(overlap)}")
    if a.tile == 1:
        _page_path(idx, sample)


def _page_path(idx: Any, sample: list[int]) -> None:
    """The organisation page's fragment: 8 suggestions, explained, as ``queries`` serves them."""
    from alpsbio.matching import index, queries

    index._index = idx  # the process's index, which ``explain`` reads
    times: dict[str, list[float]] = {"rank": [], "page": []}
    for org in [*sample[:5], *sample]:
        t = time.perf_counter()
        idx.suggest_partners(org, limit=8)
        times["rank"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        queries.suggested_partners(org, limit=8, lang="fr", wait=True)
        times["page"].append((time.perf_counter() - t) * 1000)
    for key, label in (("rank", "8 ranked (baseline)"), ("page", "8 explained, as paged")):
        ts = times[key][5:]
        print(
            f"{label:22s} p50 {_percentile(ts, 50):7.2f} ms  p95 {_percentile(ts, 95):7.2f} ms  "
            f"mean {statistics.fmean(ts):7.2f} ms"
        )
    print(
        f"explanations cost: x {_percentile(times['page'][5:], 50) / _percentile(times['rank'][5:], 50):.2f} at p50"
    )


if __name__ == "__main__":
    main()
