#!/usr/bin/env python3
"""Directory search through the HTTP stack: p50/p95 over 20 representative queries.

    .venv/bin/python bench/directory_search.py [--postgres URL] [--scale 5] [--skip-import]

For each database (SQLite, and PostgreSQL when --postgres is given) it imports all the real data
(``alpsbio import_all`` from ../shared/data, ~45,000 organisations), serves the platform with
``alpsbio runserver`` (DEBUG off) and times 20 queries (text + two facets, first page) against
the API and the HTML page; then scales the organisations ×N (copies with a suffix) and times again.
Baselines in the same run: the same searches answered entirely in SQL (the facet index switched
off: the path searches take while the index rebuilds), and a naive ``LIKE '%word%'`` scan with only
the count and first page (ratios printed).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "alpsbio")
PY = str(ROOT / ".venv" / "bin" / "python")

# Twenty representative searches: a word in one of the four languages plus two facets.
QUERIES: list[dict[str, str | list[str]]] = [
    {"q": "biotech", "country": "FR", "type": "sme"},
    {"q": "universit", "region": "ITC4", "type": "university"},
    {"q": "hopital", "country": "FR", "type": "hospital"},
    {"q": "klinikum", "country": "DE", "type": "hospital"},
    {"q": "pharma", "region": "CH01", "type": "large_company"},
    {"q": "diagnostic", "country": "IT", "type": "sme"},
    {"q": "medical", "region": "DE2", "type": "sme"},
    {"q": "institut", "country": "AT", "type": "research"},
    {"q": "lyon", "region": "FRK2", "type": "research"},
    {"q": "milano", "region": "ITC4", "type": "research"},
    {"q": "innsbruck", "country": "AT", "type": "university"},
    {"q": "munchen", "region": "DE21", "type": "research"},
    {"q": "geneve", "region": "CH01", "type": "university"},
    {"q": "torino", "region": "ITC1", "type": "sme"},
    {"q": "cnrs", "country": "FR", "type": "research"},
    {"q": "fraunhofer", "country": "DE", "type": "research"},
    {"q": "sante", "country": "FR", "type": "public_body"},
    {"q": "bio", "country": "CH", "type": "sme"},
    {"q": "technology", "country": "DE", "type": "sme"},
    {"q": "ricerca", "country": "IT", "type": "research"},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "ALPSBIO_DEBUG": "0",
        "ALPSBIO_AXES_ENABLED": "0",
        "ALPSBIO_LOG_LEVEL": "ERROR",
    }


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([CLI, *args], env=env, check=True, cwd=ROOT)


def _scale(env: dict[str, str], factor: int) -> int:
    code = f"""
import django; django.setup()
from alpsbio.directory.models import Organisation
from django.db import connection, transaction
base = list(Organisation.objects.exclude(legal_name__contains=' (copy ').values())
with transaction.atomic():
    for k in range(1, {factor}):
        batch = []
        for row in base:
            row = dict(row); row.pop('id')
            row.update(legal_name=row['legal_name'] + f' (copy {{k}})', ror_id=None, pic=None,
                       search_text=row['search_text'] + f' copy{{k}}')
            batch.append(Organisation(**row))
        Organisation.objects.bulk_create(batch, batch_size=2000)
if connection.vendor == 'postgresql':
    with connection.cursor() as c: c.execute('ANALYZE directory_organisation')
else:
    with connection.cursor() as c: c.execute('ANALYZE')
print(Organisation.objects.count())
"""
    return int(_django_py(env, code))


def _django_py(env: dict[str, str], code: str) -> str:
    """Run ``code`` with Django set up against ``env``'s database; its last output line."""
    out = subprocess.run(
        [PY, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "alpsbio.config.settings"},
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return out.stdout.strip().splitlines()[-1]


def _count(env: dict[str, str]) -> int:
    code = "import django; django.setup(); from alpsbio.directory.models import Organisation as O; print(O.objects.count())"
    return int(_django_py(env, code))


def _time(base: str, path: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            url = f"{base}{path}?{urllib.parse.urlencode(query, doseq=True)}"
            t0 = time.perf_counter()
            with urllib.request.urlopen(url) as response:  # noqa: S310 (loopback only)
                response.read()
                assert response.status == 200
            times.append((time.perf_counter() - t0) * 1000)
    return times


def _baseline(env: dict[str, str]) -> list[float]:
    """The same queries with a LIKE scan instead of the index (no HTTP: the search alone)."""
    code = f"""
import django, json, time; django.setup()
from alpsbio.directory.models import Organisation
queries = json.loads({json.dumps(json.dumps(QUERIES))})
out = []
for q in queries:
    t0 = time.perf_counter()
    qs = Organisation.objects.filter(search_text__contains=q['q'], org_type=q['type'])
    qs = qs.filter(country_code=q['country']) if 'country' in q else qs.filter(nuts2__code__startswith=q['region'])
    qs.count(); list(qs.order_by('-n_projects')[:20])
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
"""
    return list(json.loads(_django_py(env, code)))


def _search_only(env: dict[str, str], facet_index: bool) -> list[float]:
    """search_organisations() alone; without the facet index it is the all-SQL path."""
    code = f"""
import django, json, time; django.setup()
from django.conf import settings
from alpsbio.directory import facet_index
from alpsbio.directory.search import SearchFilters, search_organisations
settings.DIRECTORY_FACET_INDEX = {facet_index!r}
settings.DIRECTORY_FACET_INDEX_SYNC_LIMIT = 10**9
facet_index.current()  # built once, as a warm server holds it
queries = json.loads({json.dumps(json.dumps(QUERIES))})
out = []
for q in queries:
    f = SearchFilters(type=[q['type']], country=[q['country']] if 'country' in q else [], region=[q['region']] if 'region' in q else [])
    t0 = time.perf_counter(); search_organisations(q['q'], f); out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
"""
    return list(json.loads(_django_py(env, code)))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(label: str, env: dict[str, str], rounds: int) -> dict[str, float]:
    port = _free_port()
    server = subprocess.Popen(
        # One thread, like a gunicorn sync worker (docs/deployment.md): its database connection
        # persists between requests (CONN_MAX_AGE). Threaded runserver opens one per request,
        # which on PostgreSQL alone costs 10-20 ms.
        [CLI, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/regions?level=0").read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        # Warm up: the first search starts building the in-memory facet index in the
        # background (above 20,000 organisations); searches take the SQL path until it is ready.
        _time(base, "/api/v1/organisations", 1)
        time.sleep(10)
        _time(base, "/api/v1/organisations", 1)
        api = _time(base, "/api/v1/organisations", rounds)
        html = _time(base, "/en/directory/", rounds)
    finally:
        server.terminate()
        server.wait()
    search = _search_only(env, facet_index=True)
    all_sql = _search_only(env, facet_index=False)
    naive = _baseline(env)
    row = {
        "organisations": _count(env),
        "api_p50": statistics.median(api),
        "api_p95": _pct(api, 95),
        "html_p50": statistics.median(html),
        "html_p95": _pct(html, 95),
        "search_p50": statistics.median(search),
        "search_p95": _pct(search, 95),
        "sql_p50": statistics.median(all_sql),
        "sql_p95": _pct(all_sql, 95),
        "like_p50": statistics.median(naive),
        "like_p95": _pct(naive, 95),
    }
    print(
        f"{label:<28} orgs {row['organisations']:>7}  API p50 {row['api_p50']:6.1f} ms p95 {row['api_p95']:6.1f} ms"
        f" | page p50 {row['html_p50']:6.1f} p95 {row['html_p95']:6.1f}"
        f" | search() p95 {row['search_p95']:6.1f} vs all-SQL search p95 {row['sql_p95']:6.1f}"
        f" (×{row['sql_p95'] / max(row['search_p95'], 0.01):.1f})"
        f" vs LIKE-scan p95 {row['like_p95']:6.1f} (×{row['like_p95'] / max(row['search_p95'], 0.01):.1f})",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (database is reset)"
    )
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--only-postgres", action="store_true")
    args = parser.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    targets = [("SQLite", f"sqlite:///{bench_dir / 'directory.sqlite3'}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
        if args.only_postgres:
            targets = targets[1:]
    results = {}
    for name, url in targets:
        env = _env(url)
        if not args.skip_import:
            if url.startswith("sqlite"):
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            else:
                _manage(env, "flush", "--no-input")
            _manage(env, "migrate", "--no-input", "-v", "0")
            t0 = time.perf_counter()
            _manage(env, "import_all", "--quiet")
            print(f"{name}: full import {time.perf_counter() - t0:.0f} s", flush=True)
        results[f"{name} real"] = measure(f"{name}, real data", env, args.rounds)
        total = _scale(env, args.scale)
        results[f"{name} x{args.scale}"] = measure(
            f"{name}, ×{args.scale} ({total})", env, args.rounds
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
