"""Benchmark: the full import of all real data from scratch, and the demo's first start.

Each step runs as its own ``alpsbio`` process on a scratch SQLite database (or the
PostgreSQL database given with --database-url), timed by wall clock; peak memory is the child's
maximum resident set size (``resource.getrusage(RUSAGE_CHILDREN)``).

    .venv/bin/python bench/import_full.py                 # import + load_demo, print a table
    .venv/bin/python bench/import_full.py --build-seed    # also rebuild the committed seed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource  # noqa: F401 - used in the wrapper's code string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALPSBIO = str(ROOT / ".venv" / "bin" / "alpsbio")


def step(name: str, args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run one command; peak memory from a wrapper process so each step is measured alone
    (``RUSAGE_CHILDREN`` would report the largest child so far)."""
    code = (
        "import resource, subprocess, sys;"
        "r = subprocess.run(sys.argv[1:]).returncode;"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
        "sys.exit(r)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, ALPSBIO, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{name} failed")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return {"step": name, "wall_s": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--build-seed", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ALPSBIO_VAR_DIR=tmp)
        env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/full.sqlite3"
        results.append(step("migrate (empty database)", ["migrate", "-v0"], env))
        results.append(
            step(
                "import_all (NUTS, NACE, ROR, CORDIS, H2020, rules)", ["import_all", "--quiet"], env
            )
        )
        if args.build_seed:
            results.append(step("build_demo_seed", ["build_demo_seed", "--quiet"], env))
        demo = dict(env, DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite3")
        if args.database_url:
            demo["DATABASE_URL"] = args.database_url
            results.append(step("flush", ["flush", "--no-input"], demo))
        results.append(step("migrate (demo database)", ["migrate", "-v0"], demo))
        results.append(step("load_demo (first start)", ["load_demo", "--quiet", "--force"], demo))
        count = (
            subprocess.run(
                [
                    ALPSBIO,
                    "shell",
                    "-c",
                    "from alpsbio.directory.models import Organisation as O; print(O.objects.count())",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg(),
        "organisations_after_import": count,
        "database": "PostgreSQL" if args.database_url else "SQLite",
    }
    print(json.dumps(meta))
    print("| step | wall (s) | peak RSS (MB) |\n| --- | ---: | ---: |")
    for r in results:
        print(f"| {r['step']} | {r['wall_s']} | {r['peak_rss_mb']} |")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
