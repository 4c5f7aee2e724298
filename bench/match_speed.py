"""Speed: top-20 among 100,000 profiles (exact numpy, hnswlib, faiss if installed), and
embedding throughput on 2 cores. Vectors are clustered synthetic unit vectors of the engine's
dimension (USE 512 + E5 384 = 896); exact latency does not depend on their content.

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


CPU: list[list[float]] = []


def timed(fn, queries: np.ndarray) -> tuple[list[float], list]:  # type: ignore[no-untyped-def]
    """Wall-clock latencies (and, in CPU, process CPU time per query: on a shared machine the
    wall clock mostly measures waiting for a core, CPU time what the query itself costs)."""
    lat, cpu, res = [], [], []
    for q in queries[:20]:  # warm-up
        fn(q)
    for q in queries:
        c = time.process_time()
        t = time.perf_counter()
        res.append(fn(q))
        lat.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU.append(cpu)
    return lat, res


def cpu95() -> str:
    return f"cpu p95 {pct(CPU[-1], 95):6.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=896)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-embed", action="store_true")
    a = ap.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, n={a.n}, dim={a.dim}"
    )
    rng = np.random.default_rng(0)
    # Profiles cluster by topic: random centres plus noise, so that nearest neighbours are
    # meaningful (on pure noise every point is equidistant and no ANN index can have recall).
    centres = rng.standard_normal((a.n // 50, a.dim), dtype=np.float32)
    x = centres[rng.integers(len(centres), size=a.n)]
    x += 0.7 * rng.standard_normal((a.n, a.dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.choice(a.n, a.queries, replace=False)]
    q = q + 0.3 * rng.standard_normal(q.shape, dtype=np.float32) / np.sqrt(a.dim)
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
        f"exact numpy : build {build_exact:6.1f} s  p50 {pct(lat_ex, 50):6.2f} ms  p95 {pct(lat_ex, 95):6.2f} ms  recall 1.000  {cpu95()}"
    )

    t = time.perf_counter()
    hn = HnswIndex(a.dim, capacity=a.n)
    hn.add(ids, x)
    build_hnsw = time.perf_counter() - t
    lat_hn, res_hn = timed(lambda v: hn.search(v, 20), q)
    rec = np.mean([len(truth[i] & {j for j, _ in r}) / 20 for i, r in enumerate(res_hn)])
    print(
        f"hnswlib     : build {build_hnsw:6.1f} s  p50 {pct(lat_hn, 50):6.2f} ms  p95 {pct(lat_hn, 95):6.2f} ms  recall {rec:.3f}"
        f"  {cpu95()}  (wall p95 x{pct(lat_ex, 95) / pct(lat_hn, 95):.1f} vs exact)"
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
    edit_delay(a.threads)


def edit_delay(threads: int) -> None:
    """Delay from a profile edit to updated suggestions, in-process (excluding the task queue)."""
    from dataclasses import replace

    from alpsbio.matching.engine import MatchingEngine, Profile, combined_centred
    from alpsbio.matching.engine.crossling import load_statements

    st = load_statements()
    profiles = [
        Profile(
            id=f"{s.id}-{lang}", org_id=f"{s.id}-{lang}", kind="organisation", text=s.texts[lang]
        )
        for s in st
        for lang in ("en", "fr", "de", "it")
    ]
    t = time.perf_counter()
    engine = MatchingEngine.build(profiles, embedder=combined_centred(threads))
    build = time.perf_counter() - t
    lat = []
    for k, p in enumerate(profiles[:10]):
        edited = replace(p, text=p.text + f" Nouvelle version {k}.")
        t = time.perf_counter()
        engine.upsert([edited])
        engine.suggest(edited.id, k=20)
        lat.append(time.perf_counter() - t)
    print(
        f"engine build on {len(profiles)} profiles (USE+E5) {build:.1f} s; "
        f"edit -> new suggestions p50 {pct(lat, 50):.0f} ms, max {max(lat) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
