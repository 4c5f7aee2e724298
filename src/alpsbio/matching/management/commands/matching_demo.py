"""Load the matching demo: one expertise profile per organisation, generated from its real
Horizon 2020 projects (CORDIS) and flagged as such. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alpsbio.matching.services import load_matching_demo


class Command(BaseCommand):
    help = "Generate demo expertise profiles from the organisations' real CORDIS projects."

    def handle(self, *args: Any, **options: Any) -> None:
        n = load_matching_demo()
        self.stdout.write(f"{n} demo expertise profiles (generated from CORDIS projects)")
