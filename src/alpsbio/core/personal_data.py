"""A person's own data: a copy of everything the platform holds about them (GDPR art. 15 and 20,
FADP art. 25 and 28), and the erasure of their account (GDPR art. 17, FADP art. 32).

Each app registers a section with ``register_section(name, export, erase)``: ``export(user)``
returns JSON-ready data about the user, ``erase(user)`` removes what the app keeps about them
beyond the records it must keep. Erasure anonymises the account rather than deleting the row:
records of the cluster's work that others rely on (an expression of interest sent on an
organisation's behalf, an attendance that the EU project reports) stay, attached to an account
with no name, address or log-in left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], None]


@dataclass(frozen=True)
class Section:
    name: str
    export: Exporter
    erase: Eraser | None = None
    # Erasers run in this order: the account itself goes last, after the apps that still
    # need its address or roles to find their records.
    order: int = 0


_sections: dict[str, Section] = {}


def iso(value: Any) -> str | None:
    """A date or time for the export, or None."""
    return value.isoformat() if value else None


def register_section(
    name: str, export: Exporter, erase: Eraser | None = None, order: int = 0
) -> None:
    _sections[name] = Section(name, export, erase, order)


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: s.order)


def export(user: Any) -> dict[str, Any]:
    """Everything about ``user``, one key per section, with when it was made."""
    data: dict[str, Any] = {"generated_at": timezone.now().isoformat()}
    # The account first: the section a reader looks for; the apps' sections after it.
    for section in sorted(_sections.values(), key=lambda s: -s.order):
        data[section.name] = section.export(user)
    return data


class ErasureRefused(Exception):
    """The account cannot erase itself; ``str(exc)`` says why."""


@transaction.atomic
def erase(user: Any) -> None:
    """Run every section's eraser, then anonymise the account itself (the accounts section)."""
    if user.is_superuser:
        raise ErasureRefused(
            _("A platform admin's account is closed by another platform admin, in the admin.")
        )
    for section in sections():
        if section.erase is not None:
            section.erase(user)
