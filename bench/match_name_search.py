"""Exact-name search on a real directory: is the organisation named first?

Builds the matching index from the database (the demo: ``python3 dev.py run`` loads it), then
searches a random sample of organisations by their exact name and counts how often that
organisation is first and in the top three. The baseline, in the same run, is the same search
without the exact-name signal (``MatchIndex.named``): the text models and TF-IDF alone. A search tool for partners must find a partner one
already knows by name; sentence models say little about names.

Run: .venv/bin/python bench/match_name_search.py [--database-url sqlite:///PATH] [--sample 300]
"""

from __future__ import annotations

import argparse
import os
import random
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="default: the settings' database")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.database_url:
        os.environ["DATABASE_URL"] = a.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    import django

    django.setup()
    from django.conf import settings

    from alpsbio.matching import index

    settings.MATCHING_SNAPSHOT_DIR = ""  # build from the database, leave snapshots alone
    t0 = time.perf_counter()
    idx = index.MatchIndex()
    idx.build()
    built = time.perf_counter() - t0
    orgs = [p for p in idx.profiles if p.opp_id is None and p.text]
    sample = random.Random(a.seed).sample(orgs, min(a.sample, len(orgs)))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    models = " + ".join(part.name for part, _w in idx.parts) or "TF-IDF only"
    print(f"{len(idx.profiles)} profiles, text: {models}, built in {built:.0f} s, load {load}")
    n = len(sample)
    results = {}
    for label, named in (("without the name signal", lambda q: []), ("product", idx.named)):
        idx.named = named  # type: ignore[method-assign]
        first = top3 = 0
        for p in sample:
            keys = [r.key for r in idx.search(p.name, limit=5)]
            first += bool(keys) and keys[0] == p.key
            top3 += p.key in keys[:3]
        results[label] = first / n
        print(
            f"{label:24} exact name of {n} organisations: first {first / n:.3f}, top 3 {top3 / n:.3f}"
        )
    base = results["without the name signal"]
    print(f"first: product / baseline = {results['product'] / base if base else float('inf'):.2f}")


if __name__ == "__main__":
    main()
