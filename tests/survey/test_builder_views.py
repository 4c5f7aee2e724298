"""The questionnaire builder's pages: edit forms, arrow buttons (with and without htmx), drag-
and-drop reorder endpoint, delete confirmations, and who sees what."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alpsbio.core.models import AuditEntry
from alpsbio.directory.models import Organisation
from alpsbio.survey import queries, services
from alpsbio.survey.models import Question, Survey


def _order(survey: Survey) -> list[tuple[str, list[str]]]:
    return [
        (s["section"].key, [q.key for q in s["questions"]])
        for s in queries.sections_with_questions(survey)
    ]


def _edit_data(q: Question, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "section": q.section_id,
        "key": q.key,
        "qtype": q.qtype,
        "theme": q.theme,
        "condition_question": q.condition_question_id or "",
        "condition_op": q.condition_op,
        "condition_value": q.condition_value,
        "choice-count": len(q.choices) + 1,
    }
    if q.required:
        data["required"] = "on"
    for lang, text in q.text.items():
        data[f"text_{lang}"] = text
    for i, c in enumerate(q.choices):
        data[f"choice-{i}-value"] = c["value"]
        data[f"choice-{i}-existing"] = "1"
        for lang, text in c["label"].items():
            data[f"choice-{i}-label_{lang}"] = text
    data.update(extra)
    return data


def test_edit_question_page_rewords_and_edits_options(
    client_for: Any, built: dict[str, Any]
) -> None:
    c = client_for("manager_fr")
    kind, survey = built["kind"], built["survey"]
    url = reverse("survey:question_edit", args=[survey.pk, kind.pk])
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="text_de"' in html
    assert 'name="help_text_it"' in html
    assert 'name="choice-1-label_fr"' in html
    assert 'name="choice-2-value"' in html
    resp = c.post(
        url,
        _edit_data(
            kind,
            text_fr="Quel type ?",
            text_de="Welche Art?",
            help_text_it="Una sola risposta",
            required="on",
            **{
                "choice-1-label_fr": "Igrec",
                "choice-0-remove": "1",
                "choice-2-value": "z",
                "choice-2-label_en": "Zed",
            },
        ),
    )
    assert resp.status_code == 302
    assert resp["Location"].endswith(f"#q-{kind.pk}")
    kind.refresh_from_db()
    assert kind.text == {"en": "Kind?", "fr": "Quel type ?", "de": "Welche Art?"}
    assert kind.help_text == {"it": "Una sola risposta"}
    assert kind.required
    assert kind.choices == [
        {"value": "y", "label": {"en": "Y", "fr": "Igrec"}},
        {"value": "z", "label": {"en": "Zed"}},
    ]


def test_edit_question_shows_field_errors(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    survey, rate, why = built["survey"], built["rate"], built["why"]
    url = reverse("survey:question_edit", args=[survey.pk, rate.pk])
    resp = c.post(url, _edit_data(rate, min_value="5", max_value="2"))
    assert resp.status_code == 422
    assert "The maximum is below the minimum." in resp.content.decode()
    # The condition picker offers only earlier questions; a later one is refused anyway.
    page = c.get(reverse("survey:question_edit", args=[survey.pk, built["kind"].pk])).content
    assert f'value="{why.pk}"' not in page.decode().split('name="condition_question"')[1][:400]
    resp = c.post(
        reverse("survey:question_edit", args=[survey.pk, why.pk]),
        _edit_data(why, condition_question=rate.pk, condition_op="equals", condition_value="3"),
    )
    assert resp.status_code == 422
    why.refresh_from_db()
    assert why.condition_question_id == built["kind"].pk


def test_opened_survey_keeps_answered_options(
    client_for: Any, built: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    survey, kind = built["survey"], built["kind"]
    services.open_survey(built["survey"].created_by, survey)
    inv = invite(survey, orgs["uga"], "manager_fr")
    services.save_answers(inv.token, {"kind": "x"})
    c = client_for("manager_fr")
    url = reverse("survey:question_edit", args=[survey.pk, kind.pk])
    page = c.get(url).content.decode()
    assert "This question has answers." in page
    assert 'name="qtype"' in page
    assert "disabled" in page.split('name="qtype"')[1][:200]
    resp = c.post(
        url,
        _edit_data(
            kind,
            qtype="multiple",
            **{"choice-0-remove": "1", "choice-2-value": "z", "choice-2-label_en": "Z"},
        ),
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "chosen in answers already" in html
    kind.refresh_from_db()
    assert kind.qtype == "single"
    assert len(kind.choices) == 2
    # Re-wording still works, and is audited.
    resp = c.post(url, _edit_data(kind, text_en="Which kind?"))
    assert resp.status_code == 302
    kind.refresh_from_db()
    assert kind.text["en"] == "Which kind?"
    assert AuditEntry.objects.filter(action="survey.question.update").exists()
    # Deleting the answered question: refused, with the reason shown.
    resp = c.post(reverse("survey:question_delete", args=[survey.pk, kind.pk]), follow=True)
    assert "Answered questions cannot be deleted" in resp.content.decode()
    assert Question.objects.filter(pk=kind.pk).exists()


def test_arrow_buttons_without_and_with_htmx(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    survey = built["survey"]
    url = reverse("survey:question_move", args=[survey.pk, built["rate"].pk])
    resp = c.post(url, {"direction": "up"})
    assert resp.status_code == 302
    assert resp["Location"].endswith(f"#q-{built['rate'].pk}")
    assert _order(survey) == [("a", ["kind", "why", "rate"]), ("b", [])]
    resp = c.post(url, {"direction": "down"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.lstrip().startswith('<section class="card survey-card builder" id="questionnaire"')
    assert "Question moved." in html
    assert _order(survey) == [("a", ["kind", "why"]), ("b", ["rate"])]
    # A refused move answers 422 with the reason, in the card.
    resp = c.post(
        reverse("survey:question_move", args=[survey.pk, built["why"].pk]),
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 422
    assert "must come after it" in resp.content.decode()
    resp = c.post(
        reverse("survey:section_move", args=[survey.pk, built["b"].pk]),
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    assert _order(survey) == [("b", ["rate"]), ("a", ["kind", "why"])]
    assert c.get(url).status_code == 405


def test_drag_and_drop_endpoint(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    survey = built["survey"]
    url = reverse("survey:reorder", args=[survey.pk])
    a, b = built["a"].pk, built["b"].pk
    kind, why, rate = built["kind"].pk, built["why"].pk, built["rate"].pk
    resp = c.post(url, {"layout": json.dumps([[a, [kind, rate, why]], [b, []]])})
    assert resp.status_code == 302
    assert _order(survey) == [("a", ["kind", "rate", "why"]), ("b", [])]
    for bad in ("not json", json.dumps({"a": 1}), json.dumps([[a, [kind]]])):
        resp = c.post(url, {"layout": bad}, HTTP_HX_REQUEST="true")
        assert resp.status_code == 422
    resp = c.post(
        url, {"layout": json.dumps([[a, [why, kind, rate]], [b, []]])}, HTTP_HX_REQUEST="true"
    )
    assert resp.status_code == 422
    assert _order(survey) == [("a", ["kind", "rate", "why"]), ("b", [])]


def test_delete_with_confirmation(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    survey = built["survey"]
    url = reverse("survey:section_delete", args=[survey.pk, built["a"].pk])
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Delete section a?" in html
    assert "Kind?" in html
    assert built["survey"].sections.count() == 2  # GET deletes nothing
    resp = c.post(url)
    assert resp.status_code == 302
    assert _order(survey) == [("b", ["rate"])]
    url = reverse("survey:question_delete", args=[survey.pk, built["rate"].pk])
    assert "Delete question rate?" in c.get(url).content.decode()
    c.post(url)
    assert not Question.objects.filter(section__survey=survey).exists()


def test_section_edit_page(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    survey, a = built["survey"], built["a"]
    url = reverse("survey:section_edit", args=[survey.pk, a.pk])
    assert c.get(url).status_code == 200
    resp = c.post(
        url, {"key": "about", "title_en": "About", "title_it": "Chi siete", "intro_fr": "Intro"}
    )
    assert resp.status_code == 302
    a.refresh_from_db()
    assert (a.key, a.title, a.intro) == (
        "about",
        {"en": "About", "it": "Chi siete"},
        {"fr": "Intro"},
    )
    resp = c.post(url, {"key": "about", "title_en": ""})
    assert resp.status_code == 422
    assert "at least one language" in resp.content.decode()


def test_only_owners_see_and_use_the_builder(client_for: Any, built: dict[str, Any]) -> None:
    survey, kind = built["survey"], built["kind"]
    owner = client_for("manager_fr").get(reverse("survey:survey", args=[survey.pk]))
    assert reverse("survey:question_edit", args=[survey.pk, kind.pk]) in owner.content.decode()
    assert 'id="reorder-form"' in owner.content.decode()
    other = client_for("manager_it").get(reverse("survey:survey", args=[survey.pk]))
    assert other.status_code == 200  # managers see the survey and its rates...
    assert "Open the survey" not in other.content.decode()
    assert "Open the survey" in owner.content.decode()
    assert reverse("survey:question_edit", args=[survey.pk, kind.pk]) not in other.content.decode()
    urls = [
        ("get", reverse("survey:question_edit", args=[survey.pk, kind.pk])),
        ("post", reverse("survey:question_move", args=[survey.pk, kind.pk])),
        ("post", reverse("survey:question_delete", args=[survey.pk, kind.pk])),
        ("get", reverse("survey:section_edit", args=[survey.pk, built["a"].pk])),
        ("post", reverse("survey:section_delete", args=[survey.pk, built["a"].pk])),
        ("post", reverse("survey:reorder", args=[survey.pk])),
    ]
    for name in ("manager_it", "editor", "anonymous"):
        c = client_for(name)
        for method, url in urls:
            resp = getattr(c, method)(url, {"direction": "down"} if method == "post" else None)
            assert resp.status_code in (302, 403), (name, url)
            if name != "anonymous":
                assert resp.status_code == 403
    assert _order(survey) == [("a", ["kind", "why"]), ("b", ["rate"])]
    assert client_for("admin").get(urls[0][1]).status_code == 200


def test_copy_from_an_opened_survey(client_for: Any, built: dict[str, Any]) -> None:
    survey = built["survey"]
    services.open_survey(survey.created_by, survey)
    c = client_for("manager_fr")
    page = c.get(reverse("survey:survey", args=[survey.pk])).content.decode()
    assert "Make a draft copy" in page
    resp = c.post(reverse("survey:survey_action", args=[survey.pk, "copy"]), {"slug": "pulse-2"})
    copy = Survey.objects.get(slug="pulse-2")
    assert resp.status_code == 302
    assert copy.status == "draft"
    resp = c.post(
        reverse("survey:survey_action", args=[survey.pk, "copy"]), {"slug": "pulse-2"}, follow=True
    )
    assert "exists already" in resp.content.decode()


def test_respondent_resumes_after_a_reorder(
    client_for: Any, built: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    """A question moved to another section while a respondent is half-way keeps its answer,
    and the personal page shows it in its new place."""
    survey = built["survey"]
    services.open_survey(survey.created_by, survey)
    inv = invite(survey, orgs["uga"], "manager_fr")
    services.save_answers(inv.token, {"kind": "y", "why": "Because of the lake"})
    services.update_question(survey.created_by, built["why"], {"section": built["b"]})
    with pytest.raises(ValidationError):  # b above a would put 'why' before 'kind'
        services.move_section(survey.created_by, built["b"], "up")
    assert _order(survey) == [("a", ["kind"]), ("b", ["rate", "why"])]
    page = client_for("anonymous").get(reverse("survey:respond", args=[inv.token]) + "?section=b")
    assert page.status_code == 200
    assert "Because of the lake" in page.content.decode()
    services.save_answers(inv.token, {"rate": "4"}, submit=True)
    header, rows = queries.export_table(survey.responses.all(), survey)
    assert header[-3:] == ["kind", "rate", "why"]
    assert rows[0][-3:] == ["Y", 4, "Because of the lake"]
