"""Signals other apps listen to, so the directory never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a full import (``import_all``) has committed; ``stats`` is its result per source.
directory_imported = Signal()
