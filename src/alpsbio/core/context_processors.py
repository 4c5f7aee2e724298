from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# Sections of other apps shown in the main navigation once their URLs exist.
_NAV = (
    ("matching:opportunities", _("Opportunities")),
    ("events:calendar", _("Events")),
    ("survey:overview", _("Territorial analysis")),
    ("funding:projects", _("Funding")),
)


def _nav_items() -> list[dict[str, Any]]:
    items = []
    for name, label in _NAV:
        try:
            items.append({"url": reverse(name), "label": label})
        except NoReverseMatch:
            continue
    return items


def platform(request: HttpRequest) -> dict[str, Any]:
    """Values every page template may use."""
    return {
        "PLATFORM_NAME": "Alps Bio Cluster",
        "DEBUG_BANNER": settings.DEBUG,
        "EXTRA_NAV": _nav_items(),
    }
