"""Benchmark of the funding dashboards on a programme-sized data set.

Builds (once per database) 100 projects x 10 partners x 6 periods, 4 work packages, a budget
line per partner x work package x category x period, 6 000 partner reports and N expenditure
items per project (default 1 000, i.e. 100 000 items), then times the queries behind the
project dashboard (planned vs declared vs certified per partner, category, work package and
period, the forecast and the summary) and reports p50/p95. As a baseline it times the same
figures summed in Python over every row (``queries.naive_planned_vs_spent``) in the same run.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/alpsbio_funding_bench \\
        .venv/bin/python bench/funding_dashboard.py
    DATABASE_URL=sqlite:////tmp/alpsbio_funding_bench.sqlite3 .venv/bin/python bench/funding_dashboard.py

The data are generated directly with ``bulk_create`` (the services would audit every row);
amounts are random but rounded to the cent. Use a dedicated database: it is filled once and
reused by later runs with the same size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/alpsbio_funding_bench.sqlite3")


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark database on PostgreSQL if it does not exist yet."""
    if not url.startswith("postgres"):
        return
    import psycopg

    base, _sep, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(projects: int, partners: int, items_per_project: int) -> None:
    from alpsbio.directory.models import Organisation
    from alpsbio.funding import models as m
    from alpsbio.funding.services import period_bounds

    tag = f"BENCH-{projects}x{partners}x{items_per_project}"
    if m.FundingProject.objects.filter(acronym=f"{tag}-0").exists():
        print(f"data set {tag} already present")
        return
    rng = random.Random(42)
    t0 = time.perf_counter()
    programme, _ = m.Programme.objects.get_or_create(name="Benchmark programme")
    orgs = Organisation.objects.bulk_create(
        Organisation(legal_name=f"Bench organisation {i}", country_code="FR", sources=["bench"])
        for i in range(projects * partners)
    )
    categories = list(m.CostCategory)
    for n in range(projects):
        project = m.FundingProject.objects.create(
            programme=programme,
            acronym=f"{tag}-{n}",
            start_date=dt.date(2008, 9, 1),
            end_date=dt.date(2011, 8, 31),
            total_budget=Decimal("1862505.00"),
        )
        periods = m.ReportingPeriod.objects.bulk_create(
            m.ReportingPeriod(project=project, number=i, start_date=s, end_date=e)
            for i, (s, e) in enumerate(period_bounds(project.start_date, project.end_date, 6), 1)
        )
        wps = m.WorkPackage.objects.bulk_create(
            m.WorkPackage(project=project, number=i, title=f"WP{i}") for i in range(1, 5)
        )
        pps = m.ProjectPartner.objects.bulk_create(
            m.ProjectPartner(
                project=project,
                organisation=orgs[n * partners + i],
                number=i + 1,
                role="lead" if i == 0 else "partner",
                currency="CHF" if i == partners - 1 else "EUR",
            )
            for i in range(partners)
        )
        m.FundingSource.objects.bulk_create(
            src
            for pp in pps
            for src in (
                [
                    m.FundingSource(partner=pp, kind="swiss_federal", rate=Decimal("0.5")),
                    m.FundingSource(partner=pp, kind="swiss_cantonal", rate=Decimal("0.5")),
                ]
                if pp.currency == "CHF"
                else [
                    m.FundingSource(partner=pp, kind="eu_fund", rate=Decimal("0.76")),
                    m.FundingSource(partner=pp, kind="national_public", rate=Decimal("0.24")),
                ]
            )
        )
        m.BudgetLine.objects.bulk_create(
            m.BudgetLine(
                partner=pp,
                work_package=wp,
                category=cat,
                period=per,
                amount=Decimal(rng.randint(100_00, 5_000_00)) / 100,
            )
            for pp in pps
            for wp in wps
            for cat in categories
            for per in periods
        )
        reports = m.PartnerReport.objects.bulk_create(
            m.PartnerReport(
                partner=pp,
                period=per,
                status=rng.choice(["draft", "submitted", "in_control", "certified", "certified"]),
            )
            for pp in pps
            for per in periods
        )
        items = []
        for _i in range(items_per_project):
            report = rng.choice(reports)
            amount = Decimal(rng.randint(10_00, 2_000_00)) / 100
            deduction = Decimal(rng.randint(0, 50_00)) / 100 if rng.random() < 0.1 else Decimal(0)
            items.append(
                m.ExpenditureItem(
                    report=report,
                    partner_id=report.partner_id,
                    period_id=report.period_id,
                    work_package=rng.choice(wps),
                    category=rng.choice(categories[:1] + categories[2:]),
                    date=dt.date(2009, 1, 1),
                    amount=amount,
                    currency="EUR",
                    converted=amount,
                    deduction=deduction,
                    eligible=amount - deduction,
                )
            )
        m.ExpenditureItem.objects.bulk_create(items, batch_size=2000)
    print(f"built {tag} in {time.perf_counter() - t0:.1f} s")


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--items-per-project", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=40, help="projects timed (DB queries)")
    parser.add_argument("--baseline-samples", type=int, default=10)
    args = parser.parse_args()
    ensure_postgres_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from alpsbio.funding import queries
    from alpsbio.funding.models import BudgetLine, ExpenditureItem, FundingProject

    call_command("migrate", verbosity=0)
    build(args.projects, args.partners, args.items_per_project)
    tag = f"BENCH-{args.projects}x{args.partners}x{args.items_per_project}-"
    projects = list(FundingProject.objects.filter(acronym__startswith=tag))
    rng = random.Random(7)
    sample = [rng.choice(projects) for _ in range(args.samples)]
    print(
        f"engine {connection.vendor}; {len(projects)} projects, "
        f"{BudgetLine.objects.filter(partner__project__acronym__startswith=tag).count()} budget lines, "
        f"{ExpenditureItem.objects.filter(partner__project__acronym__startswith=tag).count()} items"
    )
    results: dict[str, list[float]] = {}
    for dim in queries.DIMENSIONS:
        results[f"planned_vs_spent[{dim}]"] = [
            t for p in sample for t in timed(lambda p=p, d=dim: queries.planned_vs_spent(p, d), 1)
        ]
    results["forecast"] = [t for p in sample for t in timed(lambda p=p: queries.forecast(p), 1)]
    results["project_summary"] = [
        t for p in sample for t in timed(lambda p=p: queries.project_summary(p), 1)
    ]

    def whole_dashboard(p: FundingProject) -> None:
        for dim in queries.DIMENSIONS:
            queries.planned_vs_spent(p, dim)
        queries.forecast(p)
        queries.project_summary(p)

    results["dashboard, one query per dimension"] = [
        t for p in sample for t in timed(lambda p=p: whole_dashboard(p), 1)
    ]

    def cube_dashboard(p: FundingProject) -> None:
        tables = queries.dashboard_tables(p)
        queries.forecast(p, by_period=tables["period"])
        queries.project_summary(p)

    results["dashboard page (dashboard_tables)"] = [
        t for p in sample for t in timed(lambda p=p: cube_dashboard(p), 1)
    ]
    naive = [
        t
        for p in sample[: args.baseline_samples]
        for dim in queries.DIMENSIONS
        for t in timed(lambda p=p, d=dim: queries.naive_planned_vs_spent(p, d), 1)
    ]
    db_dims = [t for k, v in results.items() if k.startswith("planned_vs_spent") for t in v]
    # Same figures either way (checked on one project).
    check = sample[0]
    for dim in queries.DIMENSIONS:
        a = {
            (r.key, r.currency): (r.planned, r.declared, r.certified)
            for r in queries.planned_vs_spent(check, dim)
        }
        b = {
            k: (r.planned, r.declared, r.certified)
            for k, r in queries.naive_planned_vs_spent(check, dim).items()
        }
        assert a == b, f"DB and Python sums differ for {dim}"
    print(f"{'query':34} {'p50 ms':>8} {'p95 ms':>8} {'n':>4}")
    for name, values in results.items():
        print(f"{name:34} {statistics.median(values):8.1f} {p95(values):8.1f} {len(values):4d}")
    print(
        f"{'naive Python sum (per dimension)':34} {statistics.median(naive):8.1f} {p95(naive):8.1f} {len(naive):4d}"
    )
    ratio = statistics.median(naive) / statistics.median(db_dims)
    print(f"baseline ratio (naive median / DB median per dimension): {ratio:.1f}x")
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
