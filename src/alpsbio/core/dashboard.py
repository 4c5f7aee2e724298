"""Dashboard panels contributed by the apps (matching suggestions, events, reports, ...).

An app registers a callable ``(request) -> dict | None`` with ``register_panel``; the dict has
``title`` and ``template`` (plus any context the template needs). Returning None hides the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

PanelProvider = Callable[[HttpRequest], dict[str, Any] | None]
_providers: list[PanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def dashboard_panels(request: HttpRequest) -> list[dict[str, Any]]:
    panels = []
    for provider in _providers:
        panel = provider(request)
        if panel:
            panels.append(panel)
    return panels
