"""Delete unanswered access invitations a month after they expired (run daily from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alpsbio.accounts import invitations


class Command(BaseCommand):
    help = (
        "Delete access invitations nobody accepted, "
        f"{invitations.KEEP_EXPIRED_DAYS} days after they expired (run it daily)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = invitations.purge_expired()
        self.stdout.write(f"{deleted} expired invitation(s) deleted")
