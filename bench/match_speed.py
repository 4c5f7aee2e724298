"""Speed: top-20 among 100,000 profiles (exact numpy, hnswlib, faiss if installed), and
embedding throughput on 2 cores. Vectors are random unit vectors of the engine's dimension
(USE 512 + E5 384 = 896); latency does not depend on their content.

Run: .venv/bin/python bench/match_speed.py [--n 100000] [--queries 300] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from alpsbio.matching.engine.index import ExactIndex, HnswIndex


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, p))


def timed(fn, queries: np.ndarray) -> tuple[list[float], list]:  # type: ignore[no-untyped-def]
    lat, res = [], []
    for q in queries[:20]:  # warm-up
        fn(q)
    for q in queries:
        t = time.perf_counter()
        res.append(fn(q))
        lat.append(time.perf_counter() - t)
    return lat, res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=896)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-embed", action="store_true")
    a = ap.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} cores, n={a.n}, dim={a.dim}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((a.n, a.dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.choice(a.n, a.queries, replace=False)] + 0.5 * rng.standard_normal(
        (a.queries, a.dim), dtype=np.float32
    ) / np.sqrt(a.dim)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    ids = list(range(a.n))

    t = time.perf_counter()
    ex = ExactIndex(a.dim)
    ex.add(ids, x)
    ex.search(q[0], 20)
    build_exact = time.perf_counter() - t
    lat_ex, res_ex = timed(lambda v: ex.search(v, 20), q)
    truth = [{i for i, _ in r} for r in res_ex]
    print(
        f"exact numpy : build {build_exact:6.1f} s  p50 {pct(lat_ex, 50):6.2f} ms  p95 {pct(lat_ex, 95):6.2f} ms  recall 1.000"
    )

    t = time.perf_counter()
    hn = HnswIndex(a.dim, capacity=a.n)
    hn.add(ids, x)
    build_hnsw = time.perf_counter() - t
    lat_hn, res_hn = timed(lambda v: hn.search(v, 20), q)
    rec = np.mean([len(truth[i] & {j for j, _ in r}) / 20 for i, r in enumerate(res_hn)])
    print(
        f"hnswlib     : build {build_hnsw:6.1f} s  p50 {pct(lat_hn, 50):6.2f} ms  p95 {pct(lat_hn, 95):6.2f} ms  recall {rec:.3f}"
        f"  (p95 x{pct(lat_ex, 95) / pct(lat_hn, 95):.1f} faster than exact)"
    )
    try:
        import faiss

        t = time.perf_counter()
        fi = faiss.IndexFlatIP(a.dim)
        fi.add(x)
        build_f = time.perf_counter() - t
        lat_f, _ = timed(lambda v: fi.search(v[None, :], 20), q)
        print(
            f"faiss flat  : build {build_f:6.1f} s  p50 {pct(lat_f, 50):6.2f} ms  p95 {pct(lat_f, 95):6.2f} ms  recall 1.000"
        )
    except ImportError:
        print("faiss       : not installed")

    if a.skip_embed:
        return
    from alpsbio.matching.engine.crossling import load_statements
    from alpsbio.matching.engine.embedding import E5Embedder, TfidfEmbedder, UseEmbedder

    texts = [s.texts[lang] for s in load_statements() for lang in ("en", "fr", "de", "it")]
    for emb in (TfidfEmbedder(), UseEmbedder(a.threads), E5Embedder(a.threads)):
        emb.embed(texts[:8])
        t = time.perf_counter()
        emb.embed(texts)
        dt = time.perf_counter() - t
        t1 = []
        for s in texts[:30]:
            t0 = time.perf_counter()
            emb.embed([s], query=True)
            t1.append(time.perf_counter() - t0)
        print(
            f"embed {emb.name:28s} {len(texts) / dt:7.1f} texts/s batch, one query p50 {pct(t1, 50):6.1f} ms  [{emb.version}]"
        )


if __name__ == "__main__":
    main()
