"""Enqueue the matching app's scheduled tasks; run from cron or a systemd timer.

alpsbio matching_cron daily    # expire past-due profiles, ask due 3/6/12-month follow-ups
alpsbio matching_cron weekly   # e-mail the digest of new matches
alpsbio matching_cron embed    # embed every profile not cached for the current model
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alpsbio.matching import tasks


class Command(BaseCommand):
    help = "Enqueue the matching app's scheduled tasks (daily, weekly or embed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("which", choices=["daily", "weekly", "embed"])

    def handle(self, *args: Any, **options: Any) -> None:
        which = options["which"]
        if which == "daily":
            names = [
                tasks.expire_opportunities_daily.enqueue().id,
                tasks.ask_follow_ups_daily.enqueue().id,
            ]
        elif which == "weekly":
            names = [tasks.send_weekly_digests.enqueue().id]
        else:
            names = [tasks.embed_all_profiles.enqueue().id]
        self.stdout.write(f"enqueued {which}: {', '.join(str(n) for n in names)}")
