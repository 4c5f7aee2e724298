"""``alpsbio funding <subcommand>``: summary, demo, import-rates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alpsbio.funding import queries, services
from alpsbio.funding.models import FundingProject


class Command(BaseCommand):
    help = "Funded projects: summary [--json], demo, import-rates FILE."
    # The funding CLI touches only its own tables: do not fail because another app's URLs do.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        summary = sub.add_parser("summary", help="Budget, co-financing and spending per project.")
        summary.add_argument(
            "--json", action="store_true", help="Print one JSON object on the last line."
        )
        sub.add_parser("demo", help="Create the Alps Bio Cluster demo project (idempotent).")
        rates = sub.add_parser("import-rates", help="Import monthly exchange rates from CSV.")
        rates.add_argument("file", type=Path, help="CSV with columns month,currency,rate")
        rates.add_argument("--source", default="", help="Where the rates come from.")

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["subcommand"]
        if sub == "summary":
            self._summary(as_json=options["json"])
        elif sub == "demo":
            project = services.load_funding_demo()
            self.stdout.write(f"{project.acronym}: {project.total_budget} {project.currency}")
        elif sub == "import-rates":
            path: Path = options["file"]
            if not path.exists():
                raise CommandError(f"{path} does not exist")
            try:
                result = services.import_exchange_rates(
                    None, path.read_text(encoding="utf-8"), source=options["source"] or path.name
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(f"{result.created} rates created, {result.updated} updated")

    def _summary(self, as_json: bool) -> None:
        projects = [
            queries.project_summary(p)
            for p in FundingProject.objects.select_related("programme").order_by("acronym")
        ]
        if as_json:
            self.stdout.write(json.dumps({"projects": projects}, ensure_ascii=False))
            return
        for p in projects:
            self.stdout.write(
                f"{p['acronym']}: {p['total_budget']} {p['currency']}, "
                f"EU rate(s) {', '.join(p['co_financing_rates']) or '-'}"
            )
            for fund in p["funds"]:
                self.stdout.write(f"  {fund['source']}: {fund['amount']} {fund['currency']}")
            for currency, spent in p["spent_to_date"].items():
                self.stdout.write(
                    f"  spent: {spent['declared']} declared, {spent['certified']} certified "
                    f"{currency}"
                )
