from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest


class AccountsConfig(AppConfig):
    name = "alpsbio.accounts"
    label = "accounts"

    def ready(self) -> None:
        from alpsbio.accounts.personal_data import erase_account, export_account
        from alpsbio.core.dashboard import register_panel
        from alpsbio.core.personal_data import register_section

        register_section("account", export_account, erase_account, order=100)
        register_panel(access_requests_panel)


def access_requests_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard: people waiting for an answer to act for an organisation the user runs."""
    from django.utils.translation import gettext as _

    from alpsbio.accounts.invitations import requests_for

    waiting = list(requests_for(request.user)[:20])
    if not waiting:
        return None
    return {
        "title": _("Requests to act for your organisations"),
        "template": "accounts/_requests_panel.html",
        "requests": waiting,
    }
