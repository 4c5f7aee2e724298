"""Queue reminder e-mails for events starting soon (run daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.events.tasks import send_due_reminders


class Command(BaseCommand):
    help = "Queue reminders for events starting within --days days (each participant once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        send_due_reminders.enqueue(options["days"])
        self.stdout.write(f"reminders queued for events within {options['days']} days")
