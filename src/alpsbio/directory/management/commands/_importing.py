"""Shared plumbing of the import_* commands: path argument, --quiet, printing the run report."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alpsbio.directory.importers.base import ImportRejected, ImportResult


class ImportCommand(BaseCommand):
    importer: Callable[..., ImportResult]
    path_help = "input file or folder (default: under ALPSBIO_DATA_DIR)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=None, help=self.path_help)
        parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
        parser.add_argument("--json", action="store_true", help="print the stats as JSON")

    def run(self, options: dict[str, Any], **kwargs: Any) -> None:
        try:
            result = type(self).importer(options["path"], quiet=options["quiet"], **kwargs)
        except ImportRejected as exc:
            for err in exc.errors[:50]:
                self.stderr.write(str(err))
            if len(exc.errors) > 50:
                self.stderr.write(f"... {len(exc.errors) - 50} more (see the import run's report)")
            raise CommandError(
                f"rejected: {len(exc.errors)} problem(s); nothing was written"
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.stats, indent=2, default=str))
        elif not options["quiet"]:
            stats = {k: v for k, v in result.stats.items() if k != "resolution"}
            self.stdout.write(self.style.SUCCESS(f"{result.source}: {stats}"))
            res = result.stats.get("resolution")
            if res:
                self.stdout.write(
                    f"entity resolution: merged {res['merged']}, near misses {res['near_misses']},"
                    f" ambiguous {res['ambiguous']} (examples in ImportRun #{result.run_id})"
                )
            warnings = [r for r in result.report if r.get("severity") == "warning"]
            if warnings:
                self.stdout.write(f"{len(warnings)} warning(s), e.g. {warnings[0]['message']}")

    def handle(self, *args: Any, **options: Any) -> None:
        self.run(options)
