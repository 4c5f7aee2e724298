"""Cross-lingual retrieval on the committed test set: top-1 for translations and paraphrases.

Run: .venv/bin/python bench/match_crosslingual.py [--embedders tfidf,use,e5,use+e5] [--threads 2]
The char-n-gram TF-IDF fallback is the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from alpsbio.matching.engine.crossling import build_task, load_statements, rank_texts, top1
from alpsbio.matching.engine.embedding import (
    CombinedEmbedder,
    E5Embedder,
    Embedder,
    LanguageCentredEmbedder,
    TfidfEmbedder,
    UseEmbedder,
    combined_centred,
)


def make(name: str, threads: int, w_use: float) -> Embedder:
    if name == "use/centred+e5/centred":
        return combined_centred(threads, w_use)
    if name.endswith("/centred"):
        return LanguageCentredEmbedder(make(name.removesuffix("/centred"), threads, w_use))
    if name == "tfidf":
        return TfidfEmbedder()
    if name == "use":
        return UseEmbedder(threads=threads)
    if name == "e5":
        return E5Embedder(threads=threads)
    if name == "use+e5":
        return CombinedEmbedder([UseEmbedder(threads), E5Embedder(threads)], [w_use, 1 - w_use])
    raise SystemExit(f"unknown embedder {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--embedders", default="tfidf,use,e5,use+e5,use/centred,e5/centred,use/centred+e5/centred"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--w-use", type=float, default=0.5)
    a = ap.parse_args()
    st = load_statements()
    pool, trans, para, gold = build_task(st)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{len(pool)} pool, {len(trans)} translation and {len(para)} paraphrase queries"
    )
    base = None
    for name in a.embedders.split(","):
        emb = make(name, a.threads, a.w_use)
        t = time.perf_counter()
        r = rank_texts(emb, pool, trans + para, top=10)
        dt = time.perf_counter() - t
        n = len(pool) + len(trans) + len(para)
        tr = top1(r, {q.id: gold[q.id] for q in trans})
        pa = top1(r, {q.id: gold[q.id] for q in para})
        base = pa if base is None else base
        print(
            f"{name:10s} translation@1 {tr:.3f}  paraphrase@1 {pa:.3f}  "
            f"(x{pa / base if base else float('nan'):.2f} vs {a.embedders.split(',')[0]})  "
            f"{n / dt:.1f} texts/s  [{emb.version}]"
        )


if __name__ == "__main__":
    main()
