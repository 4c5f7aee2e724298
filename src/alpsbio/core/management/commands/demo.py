"""``alpsbio demo``: load the whole demo (directory seed, then each app's demo) into this database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo of every app (what `alpsbio serve` does on an empty database)."

    def handle(self, *args: Any, **options: Any) -> None:
        from alpsbio.core.demo import load_demo

        load_demo(say=lambda m: self.stdout.write(m))
