"""``alpsbio survey_reminders``: remind invited organisations that have not answered (daily cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.survey import services
from alpsbio.survey.models import Survey


class Command(BaseCommand):
    help = "Send due reminders for every open survey, in each recipient's language."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval-days", type=int, default=services.REMINDER_INTERVAL_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for survey in Survey.objects.filter(status=Survey.Status.OPEN):
            n = services.send_reminders(survey, interval_days=options["interval_days"])
            self.stdout.write(f"{survey.slug}: {n} reminders")
            total += n
        self.stdout.write(f"{total} reminders sent")
