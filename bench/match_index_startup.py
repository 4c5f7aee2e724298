"""First request of a fresh web process on the matching index: without and with a snapshot.

Needs a database with the imported directory and the matching demo, e.g.::

    DATABASE_URL=sqlite:////tmp/full.sqlite3 .venv/bin/alpsbio migrate
    DATABASE_URL=sqlite:////tmp/full.sqlite3 .venv/bin/alpsbio import_all   # (or a copy)
    DATABASE_URL=sqlite:////tmp/full.sqlite3 .venv/bin/alpsbio matching_demo
    .venv/bin/python bench/match_index_startup.py --database-url sqlite:////tmp/full.sqlite3

Every step runs in a new Python process (``--step``), like a freshly started web worker, and
calls the real API through Django's test client:

1. ``blocking``: no snapshot, the request builds the index itself (the behaviour before the
   snapshot: the baseline), then writes the snapshot;
2. ``snapshot``: a new process with that snapshot: load + first answer;
3. ``background``: no snapshot, background build on: the first answer (503 at once) and how long
   until suggestions are served.

Prints the figures, the ratio of (2) to (1), and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUERY = {"q": "biopsie liquide cancer", "limit": "10"}


def _step(step: str) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client

    from alpsbio.matching import index

    settings.MATCHING_WARM_IN_BACKGROUND = step != "blocking"
    settings.MATCHING_SYNC_BUILD_LIMIT = 0
    client = Client()
    t0 = time.perf_counter()
    first = client.get("/api/v1/matching/search", QUERY)
    first_s = time.perf_counter() - t0
    out: dict[str, Any] = {"first_status": first.status_code, "first_seconds": round(first_s, 3)}
    if step == "background":
        while True:
            time.sleep(0.5)
            r = client.get("/api/v1/matching/search", QUERY)
            if r.status_code == 200:
                break
        out["ready_seconds"] = round(time.perf_counter() - t0, 3)
    idx = index.get_index(wait=True)
    out["profiles"] = len(idx.profiles)
    out["loaded_from_snapshot"] = bool(idx.loaded_from)
    out["build_or_load_seconds"] = round(idx.last_refresh_seconds, 3)
    t1 = time.perf_counter()
    second = client.get("/api/v1/matching/search", QUERY)
    out["second_seconds"] = round(time.perf_counter() - t1, 3)
    out["top"] = [s["key"] for s in second.json()[:3]]
    return out


def _run(step: str, env: dict[str, str]) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, __file__, "--step", step],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    ap.add_argument("--encoder", default="tfidf", help="MATCHING_ENCODER (default tfidf)")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(_step(args.step)))
        return
    if not args.database_url:
        ap.error("--database-url (or DATABASE_URL) is required")
    with tempfile.TemporaryDirectory(prefix="alpsbio-match-snap-") as tmp:
        env = dict(
            os.environ,
            DATABASE_URL=args.database_url,
            ALPSBIO_MATCHING_ENCODER=args.encoder,
            ALPSBIO_MATCHING_SNAPSHOT_DIR=tmp,
            ALPSBIO_TASK_BACKEND="django_tasks.backends.dummy.DummyBackend",
            ALPSBIO_LOG_LEVEL="WARNING",
        )
        load_before = os.getloadavg()
        blocking = _run("blocking", env)
        snap = Path(tmp) / "matching-index.npz.signed"
        size_mb = round(snap.stat().st_size / 1e6, 1) if snap.is_file() else 0.0
        with_snapshot = _run("snapshot", env)
        snap.unlink(missing_ok=True)
        background = _run("background", env)
        load_after = os.getloadavg()
    ratio = with_snapshot["first_seconds"] / max(blocking["first_seconds"], 1e-9)
    print(f"profiles: {blocking['profiles']}, encoder: {args.encoder}")
    print(
        f"1. no snapshot, request builds (baseline): first request {blocking['first_seconds']} s "
        f"(build {blocking['build_or_load_seconds']} s); snapshot written: {size_mb} MB"
    )
    print(
        f"2. with snapshot: first request {with_snapshot['first_seconds']} s "
        f"(load {with_snapshot['build_or_load_seconds']} s), next {with_snapshot['second_seconds']} s"
        f"; same top 3 as (1): {with_snapshot['top'] == blocking['top']}"
    )
    print(
        f"3. no snapshot, background build: first request {background['first_status']} in "
        f"{background['first_seconds']} s, suggestions after {background['ready_seconds']} s"
    )
    print(f"ratio first request (2)/(1): {ratio:.3f} ({1 / max(ratio, 1e-9):.0f}x faster)")
    print(
        "load average before/after: "
        f"{' '.join(f'{v:.2f}' for v in load_before)} / {' '.join(f'{v:.2f}' for v in load_after)}"
    )


if __name__ == "__main__":
    main()
