"""Embedding the directory on every core: wall time of the bulk pass, one process against several.

``alpsbio matching_cron embed --now --processes N`` embeds every profile that lacks a vector with
N spawned processes of one thread each (``index.embed_missing(processes=N)``); the background
task uses one. This benchmark reads the profiles of a database (read only: nothing is stored),
takes a random sample of their texts, and times the product's batching path
(``index._embedded_batches``) for each base model of the text model, on 1 process (the baseline,
its models loaded before timing) and on N (pool start-up and model loading included). It prints texts/s, the ratio to one process
measured in the same run, and the wall time this gives for all the directory's profiles.

Run: .venv/bin/python bench/match_embed_wall.py --database-url sqlite:///PATH [--sample 640]
     [--processes 1,2] [--models use|e5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--database-url", help="default: the settings' database (read only)")
    ap.add_argument("--sample", type=int, default=640, help="texts embedded per setting")
    ap.add_argument("--processes", default="1,2", help="comma-separated; the first is the baseline")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--models", default="", help="only these, e.g. use or e5 (default: all)")
    a = ap.parse_args()
    counts = [int(x) for x in a.processes.split(",") if x.strip()]
    if not counts or min(counts) < 1:
        ap.error("--processes: positive integers, e.g. 1,2")
    if a.database_url:
        os.environ["DATABASE_URL"] = a.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    import django

    django.setup()
    from alpsbio.matching import index

    encoder = index.get_encoder()
    parts = index.encoder_parts(encoder)
    wanted = {m.strip() for m in a.models.split(",") if m.strip()}
    parts = [(p, w) for p, w in parts if not wanted or wanted & set(p.name.split("-"))]
    if not parts:
        raise SystemExit("no sentence-embedding model installed: nothing to time")
    profiles = index.load_org_profiles() + index.load_opp_profiles()
    texts = sorted({p.hash: p.text for p in profiles if p.text}.items())
    sample = random.Random(a.seed).sample(texts, min(a.sample, len(texts)))
    mean_chars = sum(len(t) for _h, t in sample) / max(len(sample), 1)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{len(texts)} profile texts in the directory; sample {len(sample)} "
        f"({mean_chars:.0f} chars each); {platform.machine()}, {os.cpu_count()} cores, "
        f"load {load}"
    )
    print(
        f"{'model':28} {'processes':>9} {'seconds':>8} {'texts/s':>8} {'x 1st':>6} {'all texts':>10}"
    )
    if len(sample) < 2 * index.EMBED_BATCH:
        raise SystemExit(f"--sample: at least {2 * index.EMBED_BATCH} (two batches) to use a pool")
    for part, _w in parts:  # load this process's models first: the baseline times embedding only
        part.embed(["warm-up"])
    wall: dict[int, float] = {}
    for part, _w in parts:
        base = 0.0
        for n in counts:
            t0 = time.perf_counter()
            made = sum(len(batch) for batch, _v in index._embedded_batches(part, sample, n))
            seconds = time.perf_counter() - t0
            rate = made / seconds
            base = base or rate
            wall[n] = wall.get(n, 0.0) + len(texts) / rate
            print(
                f"{part.name:28} {n:9d} {seconds:8.1f} {rate:8.1f} {rate / base:6.2f} "
                f"{len(texts) / rate / 60:8.1f} min"
            )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for n in counts:
        print(
            f"all {len(texts)} texts, every model, {n} process(es): {wall[n] / 60:.1f} min "
            f"(x {wall[counts[0]] / wall[n]:.2f} faster than {counts[0]})"
        )
    print(f"load at the end {load}")


if __name__ == "__main__":
    main()
