"""Absolute links for e-mails, which are read outside the site."""

from __future__ import annotations

from django.conf import settings


def site_url() -> str:
    """The platform's public address (``ALPSBIO_SITE_URL``), without a trailing slash."""
    return str(getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def absolute(path: str) -> str:
    return site_url() + path
