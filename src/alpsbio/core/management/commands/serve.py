"""``alpsbio serve``: migrate, load the demo into an empty database, run a task worker, serve."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the platform: migrate, load the demo on first start, start a worker, serve HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--no-worker", action="store_true", help="No background worker.")
        parser.add_argument("--no-reload", action="store_true", help="No auto-reloader.")

    def handle(self, *args: Any, **options: Any) -> None:
        from alpsbio.core.demo import database_is_empty, load_demo

        # The auto-reloader re-runs this command in a child (RUN_MAIN=true): set up only once.
        first_process = os.environ.get("RUN_MAIN") != "true"
        if first_process:
            call_command("migrate", interactive=False, verbosity=0)
            if not options["no_demo"] and database_is_empty():
                load_demo(say=lambda m: self.stdout.write(m))
        worker = None
        if first_process and not options["no_worker"]:
            # Tasks (e-mails, embeddings, schedules) run in a separate process, as in production.
            worker = subprocess.Popen(
                [sys.executable, "-m", "alpsbio.cli", "db_worker", "--interval", "1"],
                env={**os.environ},
            )
            # Embedding the directory runs as a chain of one-minute tasks; stopping the server
            # mid-way broke the chain, and the slower model was never finished. Restart it
            # (a no-op when a run is queued or nothing is missing).
            call_command("matching_cron", "embed", stdout=io.StringIO())
        if first_process:
            self.stdout.write(f"The platform is at http://{options['addrport']}/")
        try:
            call_command("runserver", options["addrport"], use_reloader=not options["no_reload"])
        finally:
            if worker is not None:
                worker.terminate()
