"""The demo: the real directory seed plus each app's demo, loaded into an empty database."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from collections.abc import Callable

from django.core.management import call_command
from django.db import transaction

from alpsbio.accounts.models import RegionalManager, User
from alpsbio.directory.models import Organisation, Region

logger = logging.getLogger("alpsbio.demo")

# Each app's demo loader, run after the directory; a missing one is skipped.
APP_DEMOS = (
    ("alpsbio.funding.services", "load_funding_demo"),
    ("alpsbio.events.services", "load_events_demo"),
    ("alpsbio.matching.services", "load_matching_demo"),
    ("alpsbio.survey.services", "load_survey_demo"),
)


def database_is_empty() -> bool:
    return not Organisation.objects.exists()


def _app_demo(module: str, name: str) -> Callable[[], object] | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def load_demo(say: Callable[[str], None] = print) -> None:
    say("Loading the demo directory (real data: NUTS, NOGA/NACE, ROR, CORDIS)…")
    call_command("load_demo", verbosity=0)
    for module, name in APP_DEMOS:
        loader = _app_demo(module, name)
        if loader is None:
            continue
        say(f"Loading {module.split('.')[1]} demo…")
        loader()
    create_demo_accounts(say)


@transaction.atomic
def create_demo_accounts(say: Callable[[str], None] = print) -> None:
    """An admin and one cluster manager per member region, for trying the platform locally."""
    if User.objects.filter(username="admin").exists():
        return
    password = os.environ.get("ALPSBIO_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    User.objects.create_superuser("admin", "admin@localhost", password)
    for region in Region.objects.filter(is_member=True, level=2):
        user = User.objects.create_user(
            f"manager-{region.code.lower()}",
            f"manager-{region.code.lower()}@localhost",
            password,
            is_staff=True,
        )
        RegionalManager.objects.create(user=user, region=region)
    say(
        "Demo accounts: 'admin' (platform admin) and 'manager-<region>' (e.g. manager-frk2),"
        f" all with the password: {password}"
    )
