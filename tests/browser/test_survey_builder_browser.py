"""The survey builder as a manager uses it: arrow buttons (htmx), drag and drop, re-wording."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alpsbio.survey import queries, services
from alpsbio.survey.models import Question, QuestionType, Survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _order(survey: Survey) -> list[tuple[str, list[str]]]:
    return [
        (s["section"].key, [q.key for q in s["questions"]])
        for s in queries.sections_with_questions(survey)
    ]


def _login(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_reorder_and_reword_through_the_page(
    live_server: Any, page: Any, personas: dict[str, Any], tmp_path: Any
) -> None:
    m = personas["manager_fr"]
    survey = services.create_survey(m, slug="pulse", title={"en": "Pulse"})
    a = services.add_section(m, survey, key="a", title={"en": "About you"})
    b = services.add_section(m, survey, key="b", title={"en": "Your region"})
    services.add_question(
        m,
        a,
        key="kind",
        qtype=QuestionType.SINGLE,
        text={"en": "Kind?"},
        choices=[{"value": "x", "label": {"en": "X"}}, {"value": "y", "label": {"en": "Y"}}],
    )
    services.add_question(m, a, key="staff", qtype=QuestionType.NUMBER, text={"en": "Staff?"})
    services.add_question(m, b, key="rate", qtype=QuestionType.SCALE, text={"en": "Rate it"})
    _login(page, live_server, m)
    page.goto(f"{live_server.url}/en/analysis/surveys/{survey.pk}/")
    # Arrow button: htmx swaps the card in place (no reload), with a status message.
    # (The test waits for the server's answer before reading the database: SQLite's shared
    # in-memory test database refuses a read while the server thread writes.)
    with page.expect_response(lambda r: "/move/" in r.url and r.status == 200):
        page.get_by_role("button", name="Move question rate up").click()
    page.wait_for_selector("#questionnaire [role=status]")
    # The keyboard focus stays on the arrow that was pressed.
    rate_id = Question.objects.get(key="rate").pk
    page.wait_for_function(f"document.activeElement.id === 'move-q{rate_id}-up'")
    assert page.locator(f"#s-{a.pk} [data-key]").evaluate_all(
        "els => els.map(e => e.dataset.key)"
    ) == ["kind", "staff", "rate"]
    assert _order(survey) == [("a", ["kind", "staff", "rate"]), ("b", [])]
    # Drag and drop 'rate' above 'kind' (onto the top edge of its line).
    with page.expect_response(lambda r: "/reorder/" in r.url and r.status == 200):
        page.drag_and_drop(
            "#questionnaire [data-key=rate]",
            "#questionnaire [data-key=kind]",
            target_position={"x": 30, "y": 3},
        )
    page.wait_for_selector("#questionnaire [role=status] >> text=New order saved.")
    assert page.locator("#questionnaire [data-key]").evaluate_all(
        "els => els.map(e => e.dataset.key)"
    ) == ["rate", "kind", "staff"]
    assert _order(survey) == [("a", ["rate", "kind", "staff"]), ("b", [])]
    page.screenshot(path=str(tmp_path / "builder.png"), full_page=True)
    # Re-word in two languages through the edit page.
    kind = Question.objects.get(key="kind")
    page.click(f"#q-{kind.pk} a:text('Edit')")
    page.fill("#id_text_en", "What kind of organisation?")
    page.fill("#id_text_fr", "Quel type d'organisation ?")
    page.fill("#choice-1-label_de", "Ypsilon")
    page.screenshot(path=str(tmp_path / "edit.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/surveys/{survey.pk}/#q-{kind.pk}")
    page.wait_for_load_state("load")
    assert "What kind of organisation?" in page.locator(f"#q-{kind.pk}").inner_text()
    kind.refresh_from_db()
    assert kind.text == {"en": "What kind of organisation?", "fr": "Quel type d'organisation ?"}
    assert kind.choices[1]["label"] == {"en": "Y", "de": "Ypsilon"}
