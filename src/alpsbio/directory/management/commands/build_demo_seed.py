from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.directory import services
from alpsbio.directory.models import Organisation


class Command(BaseCommand):
    help = (
        "Build src/alpsbio/directory/seed/demo.json.gz from the real data. Runs the full import"
        " first when the database holds no organisations (use a scratch database: see docs/data.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=None)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Organisation.objects.exists():
            services.import_all(quiet=options["quiet"])
        stats = services.build_demo_seed(options["output"])
        if not options["quiet"]:
            self.stdout.write(self.style.SUCCESS(f"seed written: {stats}"))
