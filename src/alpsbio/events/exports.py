"""Registration and attendance exports of an event, as CSV and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from alpsbio.events.models import Event, Registration
from alpsbio.events.queries import registrations

# Spreadsheet apps run cells starting with these as formulas; prefix them (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31] or "export"
    ws.append(list(header))
    for row in rows:
        ws.append([_safe(v) for v in row])
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
