from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from alpsbio.core import tables
from alpsbio.events import exports, services


def test_registration_table_with_answers(
    event: Any, make_user: Any, personas: dict[str, Any], orgs: dict[str, Any]
) -> None:
    q = services.add_question(personas["manager_fr"], event, label={"en": "Dinner?"}, kind="yes_no")
    user = make_user(orgs["hcl"])
    services.register(user, event, answers={str(q.pk): "yes"})
    waiting = make_user()
    header, rows = exports.table(event)
    assert header[-1] == "Dinner?"
    assert rows[0][4] == "Hospices Civils de Lyon"
    assert rows[0][-1] == "yes"
    services.update_event(personas["manager_fr"], event, capacity=1)
    services.register(waiting, event)
    _h, rows = exports.table(event, attendance=True)
    assert len(rows) == 1  # only seated participants in the attendance list


def test_csv_and_xlsx_neutralise_formulas() -> None:
    header = ["Name", "Note"]
    rows = [['=HYPERLINK("http://evil")', "ok"], ["Zoë", "+1"]]
    text = tables.to_csv(header, rows).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][0].startswith("'=")
    assert parsed[2] == ["Zoë", "'+1"]
    wb = load_workbook(io.BytesIO(tables.to_xlsx(header, rows, "registrations")))
    ws = wb.active
    assert ws is not None
    assert ws["A2"].value.startswith("'=")
    assert ws["A3"].value == "Zoë"
