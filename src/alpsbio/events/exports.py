"""Registration and attendance exports of an event, as CSV and XLSX (openpyxl)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.events.models import Event, Registration
from alpsbio.events.queries import registrations


def table(event: Event, *, attendance: bool = False) -> tuple[list[str], list[list[Any]]]:
    """Header and rows; ``attendance`` keeps only seated participants (the check-in view)."""
    questions = list(event.questions.all())
    header = [
        _("Last name"),
        _("First name"),
        _("User"),
        _("E-mail"),
        _("Organisation"),
        _("Country"),
        _("Status"),
        _("Registered"),
        _("Checked in"),
        _("Language"),
    ] + [q.display_label for q in questions]
    rows: list[list[Any]] = []
    qs = registrations(event)
    if attendance:
        qs = qs.filter(status__in=Registration.SEATED)
    for reg in qs:
        org = reg.organisation
        answers = [reg.answers.get(str(q.pk), "") for q in questions]
        answers = [(_("yes") if a is True else _("no") if a is False else a) for a in answers]
        rows.append(
            [
                reg.user.last_name,
                reg.user.first_name,
                reg.user.get_username(),
                reg.user.email,
                org.legal_name if org else "",
                org.country_code if org else "",
                str(reg.get_status_display()),
                timezone.localtime(reg.queued_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(reg.checked_in_at).strftime("%Y-%m-%d %H:%M")
                if reg.checked_in_at
                else "",
                reg.language,
                *answers,
            ]
        )
    return header, rows
