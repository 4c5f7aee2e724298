"""Printable PDFs (WeasyPrint): name badges of an event, a participant's meeting agenda."""

from __future__ import annotations

import warnings
from typing import Any

from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    with warnings.catch_warnings():
        # Debian's pango build lacks HarfBuzz-Subset: WeasyPrint warns at import, works anyway.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML  # imported lazily: it is slow to import

    html = render_to_string(template, context)
    pdf = HTML(string=html, base_url=None).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def badges_pdf(event: Any, registrations: Any) -> bytes:
    return render_pdf("events/pdf/badges.html", {"event": event, "registrations": registrations})


def agenda_pdf(event: Any, profile: Any, meetings: Any) -> bytes:
    return render_pdf(
        "events/pdf/agenda.html", {"event": event, "profile": profile, "meetings": meetings}
    )
