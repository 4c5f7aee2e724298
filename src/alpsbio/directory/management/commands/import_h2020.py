from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from alpsbio.directory.importers.h2020 import import_h2020
from alpsbio.directory.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import H2020 projects and participations (folder cordis/), creating missing participants."
    )
    importer = staticmethod(import_h2020)

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--participations", help="participations CSV(.gz)")
        parser.add_argument("--projects", help="projects CSV(.gz)")
        parser.add_argument("--names", help="PIC → name CSV(.gz)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.run(
            options,
            participations=options["participations"],
            projects=options["projects"],
            names=options["names"],
        )
