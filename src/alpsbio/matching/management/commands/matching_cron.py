"""Enqueue the matching app's scheduled tasks; run from cron or a systemd timer.

alpsbio matching_cron daily    # expire past-due profiles, remind of expiring ones, ask due
                               # follow-ups, refresh snapshot
alpsbio matching_cron weekly   # e-mail the digest of new matches
alpsbio matching_cron embed    # embed every profile not cached for the current model
alpsbio matching_cron embed --now [--processes N]   # the same here, on every core (after an import)
alpsbio matching_cron snapshot # build the matching index and write its snapshot for web processes
alpsbio matching_cron snapshot --now   # the same in this process (e.g. in a deploy script)
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alpsbio.matching import tasks


class Command(BaseCommand):
    help = "Enqueue the matching app's scheduled tasks (daily, weekly, embed or snapshot)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("which", choices=["daily", "weekly", "embed", "snapshot"])
        parser.add_argument(
            "--now",
            action="store_true",
            help="embed or snapshot: do it here and wait for the end, do not enqueue",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="embed --now: processes to embed with, one thread each (default: every core)",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="snapshot: rebuild even if one is up to date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        which = options["which"]
        if which == "daily":
            names = [
                tasks.expire_opportunities_daily.enqueue().id,
                tasks.remind_expiring_daily.enqueue().id,
                tasks.ask_follow_ups_daily.enqueue().id,
                tasks.refresh_index_snapshot.enqueue(False).id,
            ]
        elif which == "weekly":
            names = [tasks.send_weekly_digests.enqueue().id]
        elif which == "embed" and options["now"]:
            processes = options["processes"]
            if processes < 1:
                raise CommandError("--processes: at least 1")
            t0 = time.perf_counter()
            done = tasks.embed_profiles(processes=processes)
            seconds = time.perf_counter() - t0
            per_model = ", ".join(
                f"{name} {before - done.missing_after[name]}"
                for name, before in done.missing_before.items()
            )
            self.stdout.write(
                f"embedded {done.made} texts ({per_model or 'no text model installed'}) on "
                f"{processes} process(es) in {seconds:.1f}s"
                + (f", {done.made / seconds:.1f} texts/s" if done.made and seconds > 0 else "")
            )
            return
        elif which == "embed":
            if tasks.embedding_queued():  # the running chain continues itself
                self.stdout.write("embed: a run is already queued")
                return
            names = [tasks.embed_all_profiles.enqueue().id]
        elif options["now"]:
            from alpsbio.matching import index

            t0 = time.perf_counter()
            path = index.refresh_snapshot(rebuild=options["rebuild"])
            idx = index.get_index(wait=True)
            self.stdout.write(
                f"matching index snapshot: {path or 'off (MATCHING_SNAPSHOT_DIR is empty)'}, "
                f"{len(idx.profiles)} profiles, {time.perf_counter() - t0:.1f}s"
            )
            return
        else:
            names = [tasks.refresh_index_snapshot.enqueue(options["rebuild"]).id]
        self.stdout.write(f"enqueued {which}: {', '.join(str(n) for n in names)}")
