from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest


def funding_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Member dashboard panel: the funded projects the user takes part in."""
    from django.utils.translation import gettext as _

    from alpsbio.funding.permissions import visible_projects

    projects = list(visible_projects(request.user)[:10])
    if not projects:
        return None
    return {
        "title": _("Funded projects"),
        "template": "funding/_panel.html",
        "projects": projects,
    }


class FundingConfig(AppConfig):
    name = "alpsbio.funding"
    label = "funding"

    def ready(self) -> None:
        from alpsbio.core.dashboard import register_panel
        from alpsbio.funding.providers import register_platform_sources

        # Built-in counters for the platform's modules; an app that registered its own
        # provider (in its ready(), which runs earlier) keeps it.
        register_platform_sources()
        register_panel(funding_panel)

        from alpsbio.core.personal_data import register_section
        from alpsbio.funding.personal_data import erase_funding, export_funding

        register_section("funding", export_funding, erase_funding)
