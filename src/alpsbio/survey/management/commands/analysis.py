"""``alpsbio analysis report|run``: the territorial analysis from the command line.

alpsbio analysis report --regions FRK2,ITC4,ITC1,CH01,CH02,AT33,DE21 --lang fr --out FILE.pdf
alpsbio analysis run [--regions ...] --json
alpsbio analysis refresh [--regions ...] [--force | --background]   (the stored result)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import translation

from alpsbio.core.i18n import LANGUAGE_CODES


def _regions(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
    bad = [c for c in codes if not (2 <= len(c) <= 5 and c.isalnum())]
    if bad:
        raise CommandError(f"not NUTS codes: {', '.join(bad)}")
    return codes


class Command(BaseCommand):
    help = (
        "Territorial analysis: 'report' writes the PDF report, 'run' prints the key figures, "
        "'refresh' recomputes the stored result the pages serve."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rep = sub.add_parser(
            "report", help="Write the PDF report 'Territorial analysis of the Alps Bio Cluster'."
        )
        rep.add_argument(
            "--regions", help="Comma-separated NUTS-2 codes (default: the member regions)"
        )
        rep.add_argument("--lang", default="en", choices=list(LANGUAGE_CODES))
        rep.add_argument("--out", required=True, help="PDF file to write")
        rep.add_argument("--html", help="Also write the HTML source here")
        run = sub.add_parser("run", help="Run the analysis and print the key figures.")
        run.add_argument(
            "--regions", help="Comma-separated NUTS-2 codes (default: the member regions)"
        )
        run.add_argument("--lang", default="en", choices=list(LANGUAGE_CODES))
        run.add_argument("--json", action="store_true", help="One JSON object on the last line")
        ref = sub.add_parser(
            "refresh",
            help="Recompute and store the analysis the pages serve (if the data changed).",
        )
        ref.add_argument(
            "--regions", help="Comma-separated NUTS-2 codes (default: the member regions)"
        )
        ref.add_argument("--force", action="store_true", help="Even if the stored one is current")
        ref.add_argument(
            "--background", action="store_true", help="Enqueue it for the task worker instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self._report(options)
            return
        try:
            if options["action"] == "refresh":
                self._refresh(options)
            else:
                self._run(options)
        except DatabaseError as exc:
            raise CommandError(
                f"the database is not set up ({exc}): run 'alpsbio migrate' and load data first"
            ) from exc

    def _report(self, options: dict[str, Any]) -> None:
        from alpsbio.survey.report import render_report_html, render_report_pdf

        regions = _regions(options.get("regions"))
        out = Path(options["out"])
        started = time.perf_counter()
        pdf = render_report_pdf(regions, options["lang"])
        if not pdf:
            raise CommandError("the PDF is empty")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
        if options.get("html"):
            Path(options["html"]).write_text(
                render_report_html(regions, options["lang"]), encoding="utf-8"
            )
        self.stdout.write(
            f"wrote {out} ({len(pdf):,} bytes) in {time.perf_counter() - started:.1f} s"
        )

    def _refresh(self, options: dict[str, Any]) -> None:
        from alpsbio.survey import analysis_cache

        regions = _regions(options.get("regions"))
        if options["background"]:
            analysis_cache.request_refresh(regions)  # autocommit: enqueued at once
            self.stdout.write("analysis refresh enqueued")
            return
        started = time.perf_counter()
        if options["force"]:
            analysis_cache.compute_and_store(regions)
            done = True
        else:
            done = analysis_cache.refresh_if_stale(regions)
        verb = "recomputed and stored" if done else "already current"
        self.stdout.write(f"analysis {verb} ({time.perf_counter() - started:.1f} s)")

    def _run(self, options: dict[str, Any]) -> None:
        from alpsbio.survey import queries

        regions = _regions(options.get("regions"))
        with translation.override(options["lang"]):
            a = queries.compute_analysis(regions)
            overview = queries.overview(a)
            figures: dict[str, Any] = {
                "members": a.members,
                "seconds": round(a.seconds, 2),
                "measure": a.measure,
                "sector_vocabulary": a.sector_vocabulary,
                "notes": [queries.note_text(n) for n in a.notes],
                "regions": {},
                "top_sector_pairs": overview["sector_pairs"][:5],
                "top_complementarities": overview["top_links"][:5],
            }
            for code in a.members:
                p = queries.region_profile(code, a)
                figures["regions"][code] = {
                    "name": p["name"],
                    "strengths": [s["text"] for s in p["swot"]["strength"]],
                    "weaknesses": [s["text"] for s in p["swot"]["weakness"]],
                    "top_specialisations": [
                        {"sector": s["label"], "lq": s["lq"], "stars": s["stars"]}
                        for s in sorted(p["specialisation"], key=lambda s: -(s["lq"] or 0))[:5]
                    ],
                    "key_players": [k["name"] for k in p["key_players"][:5]],
                    "network": p["network"],
                    "eu_projects": p.get("eu_projects"),
                    "eci": p["eci"],
                }
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, default=str))
            return
        self.stdout.write(
            f"Members: {', '.join(a.members)} ({figures['seconds']} s, size = {a.measure})"
        )
        for note in figures["notes"]:
            self.stdout.write(f"  note: {note}")
        for code, r in figures["regions"].items():
            self.stdout.write(f"{code} {r['name']}")
            for s in r["top_specialisations"]:
                self.stdout.write(
                    f"  {s['sector']}: LQ {s['lq']:.2f}, {s['stars']} stars"
                    if s["lq"] is not None
                    else f"  {s['sector']}"
                )
            for s in r["strengths"]:
                self.stdout.write(f"  + {s}")
            for s in r["weaknesses"]:
                self.stdout.write(f"  - {s}")
