from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.directory import services


class Command(BaseCommand):
    help = "Full import from ALPSBIO_DATA_DIR: NUTS, NACE, ROR, CORDIS, H2020, derived sectors and networks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = services.import_all(quiet=options["quiet"])
        if not options["quiet"]:
            slim = {
                k: {kk: vv for kk, vv in v.items() if kk != "resolution"} for k, v in stats.items()
            }
            self.stdout.write(json.dumps(slim, indent=1, default=str))
