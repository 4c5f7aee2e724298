from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    """Values every page template may use."""
    return {"PLATFORM_NAME": "Alps Bio Cluster", "DEBUG_BANNER": settings.DEBUG}
