"""Memory of the web processes: every gunicorn worker loading its own matching index, against
the index preloaded in the master and shared copy-on-write (``-c python:alpsbio.config.gunicorn``).

Needs a database with the directory and the matching demo, and a usable index snapshot for it
(``alpsbio matching_cron snapshot --now``); point it at a copy, never at a database in use::

    .venv/bin/python bench/web_memory.py --database-url sqlite:////tmp/demo.sqlite3 \\
        --snapshot-dir /tmp/demo-snap --workers 3

For each way it starts ``gunicorn alpsbio.config.wsgi -w N`` on a free local port and sends
requests from N threads until every worker has answered both kinds (the access log names the
worker): an organisation's suggested partners (the page fragment, which needs the index) and a
search in one of the four languages (which also embeds the query with the models). It then
sums the proportional set size (PSS: a page shared by k processes counts 1/k in each) of the
master and the workers from ``/proc/<pid>/smaps_rollup``, and prints both totals, the memory
per worker and the ratio. RSS counts shared pages in every process, so it is printed but not
summed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
SEARCHES = [
    "biocapteurs+pour+le+diagnostic+rapide",
    "Biomarker+f%C3%BCr+Alzheimer+im+Blut",
    "dispositivi+medici+impiantabili",
    "home+telemonitoring+of+elderly+patients",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory(pid: int) -> dict[str, int]:
    """PSS, RSS and private (USS) memory of a process, in MB."""
    out = {"pss": 0, "rss": 0, "uss": 0}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            kb = int(rest.split()[0]) if rest.strip() else 0
            if key == "Pss":
                out["pss"] += kb
            elif key == "Rss":
                out["rss"] += kb
            elif key in ("Private_Clean", "Private_Dirty"):
                out["uss"] += kb
    return {k: v // 1024 for k, v in out.items()}


def _children(pid: int) -> list[int]:
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(k) for k in kids]


def _org_ids(env: dict[str, str], n: int) -> list[int]:
    code = (
        "import django, json; django.setup();"
        "from alpsbio.directory.models import Organisation as O;"
        "print(json.dumps(list(O.objects.filter(n_projects__gt=0)"
        ".values_list('pk', flat=True)[:2000])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    ids = [int(x) for x in re.findall(r"\d+", out.stdout.strip().splitlines()[-1])]
    return random.Random(1).sample(ids, min(n, len(ids)))


@dataclass
class Run:
    preload: bool
    started_s: float
    requests: int
    ok: int
    workers_served: int
    master: dict[str, int]
    workers: list[dict[str, int]]

    @property
    def pss_total(self) -> int:
        return self.master["pss"] + sum(w["pss"] for w in self.workers)


def measure(preload: bool, workers: int, env: dict[str, str], orgs: list[int]) -> Run:
    port = _free_port()
    fd, name = tempfile.mkstemp(prefix="alpsbio-web-memory-", suffix=".log")
    os.close(fd)
    log = Path(name)
    cmd = [str(GUNICORN)]
    if preload:
        cmd += ["-c", "python:alpsbio.config.gunicorn"]
    cmd += [
        "alpsbio.config.wsgi",
        "-w", str(workers),
        "-b", f"127.0.0.1:{port}",
        "--timeout", "300",
        "--access-logfile", str(log),
        "--access-logformat", "%(p)s %(s)s %(U)s",
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(f"{base}/en/", timeout=60).read()  # noqa: S310 (loopback)
                break
            except OSError as exc:
                if proc.poll() is not None:
                    msg = f"gunicorn exited ({proc.returncode}): {' '.join(cmd)}"
                    raise SystemExit(msg) from exc
                time.sleep(0.5)
        started = time.perf_counter() - t0
        statuses: list[int] = []
        lock = threading.Lock()

        def hit(k: int, org: int) -> None:
            # Suggestions need the index; searches also embed the query with the models.
            if k % 2:
                url = f"{base}/en/opportunities/suggested/{org}/"
            else:
                url = f"{base}/en/opportunities/search/?q={SEARCHES[k // 2 % len(SEARCHES)]}"
            with urllib.request.urlopen(url, timeout=300) as r:  # noqa: S310 (loopback only)
                r.read()
                with lock:
                    statuses.append(r.status)

        served: set[str] = set()
        pending = list(enumerate(orgs))
        rounds = 0
        while pending and rounds < 30:
            rounds += 1
            batch, pending = pending[: workers * 4], pending[workers * 4 :]
            threads = [threading.Thread(target=hit, args=item) for item in batch]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            lines = log.read_text().splitlines() if log.exists() else []
            suggested = {ln.split()[0] for ln in lines if "/suggested/" in ln}
            searched = {ln.split()[0] for ln in lines if "/search/" in ln}
            served = suggested & searched
            if len(served) >= workers and rounds >= 2:
                break
        pids = _children(proc.pid)
        mem = {pid: _memory(pid) for pid in [proc.pid, *pids]}
        return Run(
            preload=preload,
            started_s=started,
            requests=len(statuses),
            ok=sum(1 for s in statuses if s == 200),
            workers_served=len(served),
            master=mem[proc.pid],
            workers=[mem[p] for p in pids],
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--snapshot-dir", required=True)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--requests", type=int, default=120, help="requests sent at most")
    args = ap.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "ALPSBIO_MATCHING_SNAPSHOT_DIR": args.snapshot_dir,
        "DJANGO_SETTINGS_MODULE": "alpsbio.config.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    orgs = _org_ids(env, args.requests)
    print(f"{args.workers} workers, load {os.getloadavg()[0]:.1f}", flush=True)
    results = [measure(False, args.workers, env, orgs), measure(True, args.workers, env, orgs)]
    for r in results:
        way = "preloaded in the master" if r.preload else "each worker loads its own"
        print(
            f"{way:26}  PSS total {r.pss_total:5d} MB  "
            f"(master {r.master}, workers PSS {[w['pss'] for w in r.workers]}, "
            f"RSS {[w['rss'] for w in r.workers]}, private {[w['uss'] for w in r.workers]})  "
            f"{r.ok}/{r.requests} requests ok, {r.workers_served} workers served, "
            f"first page after {r.started_s:.1f} s"
        )
    each, pre = (r.pss_total for r in results)
    print(f"ratio preloaded / each loads: {pre / each:.2f}  ({each - pre} MB less)")


if __name__ == "__main__":
    main()
