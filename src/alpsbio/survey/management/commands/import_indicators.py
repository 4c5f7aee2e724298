"""``alpsbio import_indicators FILE...``: Eurostat statistics (TSV or long CSV) into the database.

Atomic: a file that cannot be read rejects the whole import (exit code 1) with its line; rows
that cannot be placed are skipped and reported, one line each.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alpsbio.survey import services
from alpsbio.survey.indicators import IndicatorImportRejected


class Command(BaseCommand):
    help = (
        "Import Eurostat indicators (TSV dissemination format or long CSV), recoded to NUTS 2021."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="Files (.tsv, .csv, optionally .gz)")
        parser.add_argument("--indicator", help="Indicator code when the file does not name it")
        parser.add_argument(
            "--no-boundary-changes",
            action="store_true",
            help="Drop rows whose region changed boundaries (instead of recoding them approximately)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, store nothing"
        )
        parser.add_argument("--quiet-report", action="store_true", help="Only the summary")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = services.import_indicators(
                options["files"],
                indicator=options.get("indicator"),
                allow_boundary_changes=not options["no_boundary_changes"],
                dry_run=options["dry_run"],
            )
        except IndicatorImportRejected as exc:
            for r in exc.run.report:
                self.stderr.write(
                    f"{r['level']}: {r['file']}, line {r['line'] or '-'}: {r['message']}"
                )
            raise CommandError("import rejected: nothing was stored") from exc
        if not options["quiet_report"]:
            for r in run.report:
                where = f"{r['file']}, line {r['line']}" if r.get("line") else (r.get("geo") or "")
                self.stdout.write(f"{r['level']}: {where}: {r['message']}")
        s = run.stats
        verb = "would store" if options["dry_run"] else "stored"
        self.stdout.write(
            f"{verb} {s['stored']} values of {len(s['indicators'])} indicators from {s['rows_read']} rows "
            f"({s['missing_values']} missing, {s['skipped_not_nuts']} not NUTS 2021; recoding {s['recoding']})"
        )
