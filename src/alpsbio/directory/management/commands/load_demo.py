from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.directory import services


class Command(BaseCommand):
    help = "Load the committed demo seed into an empty database (--force replaces the directory)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", default=None, help="seed file (default: the committed one)")
        parser.add_argument("--force", action="store_true")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = services.load_demo(options["path"], force=options["force"])
        if not options["quiet"]:
            if stats.get("skipped"):
                self.stdout.write(f"demo not loaded: {stats['reason']} (use --force to replace)")
            else:
                self.stdout.write(self.style.SUCCESS(f"demo loaded: {stats}"))
