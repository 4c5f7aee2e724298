"""``alpsbio schedule …``: the B2B meeting scheduler from the command line (no database).

``alpsbio schedule solve-dzn FILE --time-limit SECONDS [--json]`` solves one instance of the JAIR
2022 benchmark; with ``--json`` the last line of stdout is one JSON object (a contract others
script against: keys instance, breaks, proved_optimal, seconds, valid, plus status details).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alpsbio.events.scheduler.benchmark import ENGINES, instance_name, solve_dzn
from alpsbio.events.scheduler.dzn import DznError


def _positive(text: str) -> float:
    try:
        val = float(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"not a number: {text!r}") from exc
    if not val > 0:
        raise ArgumentTypeError(f"must be > 0: {text!r}")
    return val


class Command(BaseCommand):
    help = "B2B meeting scheduler: solve benchmark instances (no database access)."
    requires_system_checks: list[str] = []  # pure computation: no need to check models
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = sub.add_parser(
            "solve-dzn",
            help="solve one MiniZinc .dzn instance of the JAIR 2022 B2BSOP benchmark",
            description="Minimise total breaks (d = fairness bound on max-min breaks).",
        )
        p.add_argument("file", metavar="FILE", help="path to a .dzn file")
        p.add_argument("--time-limit", type=_positive, required=True, metavar="SECONDS")
        p.add_argument("--json", action="store_true", help="last stdout line is one JSON object")
        p.add_argument("--fairness", type=int, default=2, help="max-min breaks bound d (default 2)")
        p.add_argument(
            "--workers", type=int, default=2, help="cores to use (default 2; 1: Exact alone)"
        )
        p.add_argument(
            "--engine",
            choices=ENGINES,
            default="portfolio",
            help="portfolio: Exact beside SAT probes (default); cp-sat: CP-SAT alone (baseline)",
        )
        p.add_argument("--show", action="store_true", help="print the slot of every meeting")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "solve-dzn":
            self._solve_dzn(options)

    def _solve_dzn(self, options: dict[str, Any]) -> None:
        path = options["file"]
        try:
            out = solve_dzn(
                path,
                time_limit=options["time_limit"],
                fairness=options["fairness"],
                workers=max(1, options["workers"]),
                engine=options["engine"],
            )
        except DznError as exc:
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "instance": instance_name(path),
                            "breaks": None,
                            "proved_optimal": False,
                            "seconds": 0.0,
                            "valid": False,
                            "status": "error",
                            "error": str(exc),
                        }
                    )
                )
            raise CommandError(str(exc)) from None
        verdict = {
            "optimal": "optimal (proved)",
            "feasible": "best found, not proved optimal",
            "infeasible": "INFEASIBLE (proved: no timing satisfies all constraints)",
            "unknown": "no solution found within the time limit",
        }.get(out.status, out.status)
        self.stdout.write(f"instance {out.instance}: {verdict}")
        self.stdout.write(
            f"  breaks {out.breaks}  lower bound {out.lower_bound}  method {out.method}  "
            f"{out.seconds:.2f} s  checker: {'valid' if out.valid else 'INVALID'}"
        )
        for err in out.check_errors[:10]:
            if out.slots is not None:
                self.stdout.write(f"  check: {err}")
        if options["show"] and out.slots is not None:
            self.stdout.write(
                "  slots (meeting: slot, 1-based): "
                + " ".join(f"{i + 1}:{s + 1}" for i, s in enumerate(out.slots))
            )
        if options["json"]:
            self.stdout.write(json.dumps(out.as_json()))
