"""The questionnaire builder after the first draft: re-word, re-order, delete, and the rules
once the survey has been opened and answered (services)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alpsbio.core.models import AuditEntry
from alpsbio.directory.models import Organisation
from alpsbio.survey import queries, services
from alpsbio.survey.models import Answer, Question, QuestionType, Section, Survey

CHOICES = [
    {"value": "x", "label": {"en": "X"}},
    {"value": "y", "label": {"en": "Y"}},
    {"value": "z", "label": {"en": "Z"}},
]


@pytest.fixture
def small(personas: dict[str, Any]) -> dict[str, Any]:
    """Section a: kind (single), why (text, shown if kind = y); section b: rate (scale), count
    (number 0-100), tags (multiple). Created by manager_fr, a draft."""
    m = personas["manager_fr"]
    s = services.create_survey(m, slug="pulse", title={"en": "Pulse"})
    a = services.add_section(m, s, key="a", title={"en": "A"})
    b = services.add_section(m, s, key="b", title={"en": "B"})
    kind = services.add_question(
        m, a, key="kind", qtype=QuestionType.SINGLE, text={"en": "Kind?"}, choices=CHOICES
    )
    why = services.add_question(
        m,
        a,
        key="why",
        qtype=QuestionType.TEXT,
        text={"en": "Why?"},
        condition_question=kind,
        condition_op="equals",
        condition_value="y",
    )
    rate = services.add_question(
        m, b, key="rate", qtype=QuestionType.SCALE, text={"en": "Rate"}, theme="cooperation"
    )
    count = services.add_question(
        m,
        b,
        key="count",
        qtype=QuestionType.NUMBER,
        text={"en": "How many?"},
        min_value=0,
        max_value=100,
    )
    tags = services.add_question(
        m, b, key="tags", qtype=QuestionType.MULTIPLE, text={"en": "Tags"}, choices=CHOICES
    )
    return {
        "m": m,
        "survey": s,
        "a": a,
        "b": b,
        "kind": kind,
        "why": why,
        "rate": rate,
        "count": count,
        "tags": tags,
    }


def _answer(small: dict[str, Any], invite: Any, org: Organisation, answers: dict[str, Any]) -> None:
    survey = small["survey"]
    if survey.status != Survey.Status.OPEN:
        services.open_survey(small["m"], survey)
    inv = invite(survey, org, "manager_fr")
    services.save_answers(inv.token, answers)


def _order(survey: Survey) -> list[tuple[str, list[str]]]:
    return [
        (s["section"].key, [q.key for q in s["questions"]])
        for s in queries.sections_with_questions(survey)
    ]


def test_reword_in_four_languages_with_audit(small: dict[str, Any]) -> None:
    m, kind = small["m"], small["kind"]
    texts = {"en": "What kind?", "fr": "Quel type ?", "it": "Che tipo?", "de": "Welche Art?"}
    services.update_question(
        m,
        kind,
        {
            "text": texts,
            "help_text": {"fr": "Un seul choix"},
            "required": True,
            "choices": [
                {"value": "x", "label": {"en": "Ex", "fr": "Ixe", "it": "Ics", "de": "Iks"}},
                {"value": "y", "label": {"en": "Y"}},
                {"value": "w", "label": {"en": "W (new)"}},
            ],
        },
    )
    kind.refresh_from_db()
    assert kind.text == texts
    assert kind.help_text == {"fr": "Un seul choix"}
    assert kind.required
    assert [c["value"] for c in kind.choices] == ["x", "y", "w"]
    assert kind.choice_label("x", "it") == "Ics"
    entry = AuditEntry.objects.filter(action="survey.question.update").latest("pk")
    assert entry.actor == m
    assert entry.data["changes"]["text"]["before"] == {"en": "Kind?"}
    assert entry.data["changes"]["text"]["after"] == texts
    assert "required" in entry.data["changes"]
    services.update_section(m, small["a"], title={"en": "About you", "de": "Über Sie"})
    small["a"].refresh_from_db()
    assert small["a"].title == {"en": "About you", "de": "Über Sie"}
    assert AuditEntry.objects.filter(action="survey.section.update").exists()
    # Nothing changed: no audit entry.
    n = AuditEntry.objects.count()
    services.update_question(m, kind, {"text": texts})
    assert AuditEntry.objects.count() == n


def test_field_errors_on_bad_edits(small: dict[str, Any]) -> None:
    m = small["m"]
    cases: list[tuple[Question, dict[str, Any], str]] = [
        (small["kind"], {"text": {}}, "text"),
        (small["kind"], {"text": {"xx": "?"}}, "text"),
        (small["kind"], {"choices": [{"value": "x", "label": {"en": "X"}}]}, "choices"),
        (small["kind"], {"key": "why"}, "key"),
        (small["kind"], {"key": "Not A Key"}, "key"),
        (small["kind"], {"qtype": "essay"}, "qtype"),
        (small["count"], {"min_value": 10, "max_value": 5}, "max_value"),
        (small["rate"], {"min_value": 0.5}, "min_value"),
        (small["rate"], {"theme": "weather"}, "theme"),
        (small["kind"], {"colour": "red"}, "colour"),
    ]
    for q, changes, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.update_question(m, q, changes)
        assert field in exc.value.message_dict, (changes, exc.value.message_dict)
    # Nothing was saved.
    small["kind"].refresh_from_db()
    assert small["kind"].text == {"en": "Kind?"}
    assert len(small["kind"].choices) == 3


def test_condition_only_on_an_earlier_question(small: dict[str, Any]) -> None:
    m, kind, why, rate, tags = (small[k] for k in ("m", "kind", "why", "rate", "tags"))
    for cond in (why, tags, kind):  # later, later (other section), itself
        with pytest.raises(ValidationError) as exc:
            services.update_question(
                m,
                kind,
                {"condition_question": cond, "condition_op": "equals", "condition_value": "x"},
            )
        assert "condition_question" in exc.value.message_dict
    services.update_question(
        m, tags, {"condition_question": rate, "condition_op": "equals", "condition_value": "5"}
    )
    tags.refresh_from_db()
    assert tags.condition_question == rate
    services.update_question(m, tags, {"condition_question": None})
    tags.refresh_from_db()
    assert tags.condition_question is None
    assert tags.condition_op == ""
    # A condition's value must stay one of the options.
    with pytest.raises(ValidationError) as exc:
        services.update_question(
            m, kind, {"choices": [{"value": "x", "label": {"en": "X"}}, CHOICES[2]]}
        )
    assert "choices" in exc.value.message_dict  # 'why' depends on kind = y


def test_reorder_keeps_conditions_after_their_question(small: dict[str, Any]) -> None:
    m, survey, kind, why = small["m"], small["survey"], small["kind"], small["why"]
    with pytest.raises(ValidationError) as exc:
        services.move_question(m, why, "up")
    assert "order" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.move_question(m, kind, "down")
    assert _order(survey) == [("a", ["kind", "why"]), ("b", ["rate", "count", "tags"])]
    # Moving a question into another section and back, with the buttons.
    services.move_question(m, small["rate"], "up")  # top of b -> end of a
    assert _order(survey) == [("a", ["kind", "why", "rate"]), ("b", ["count", "tags"])]
    services.move_question(m, small["rate"], "down")  # bottom of a -> top of b
    assert _order(survey) == [("a", ["kind", "why"]), ("b", ["rate", "count", "tags"])]
    services.move_question(m, small["tags"], "up")
    assert _order(survey) == [("a", ["kind", "why"]), ("b", ["rate", "tags", "count"])]
    assert list(small["b"].questions.values_list("position", flat=True)) == [0, 1, 2]
    # Moving 'why' to b keeps it after kind: allowed; then b may not go above a.
    services.update_question(m, why, {"section": small["b"]})
    assert _order(survey) == [("a", ["kind"]), ("b", ["rate", "tags", "count", "why"])]
    with pytest.raises(ValidationError) as exc:
        services.move_section(m, small["b"], "up")
    assert "order" in exc.value.message_dict
    # A whole new layout at once.
    ids = {k: small[k].pk for k in ("kind", "why", "rate", "count", "tags")}
    services.reorder_questionnaire(
        m,
        survey,
        [
            (small["b"].pk, [ids["count"]]),
            (small["a"].pk, [ids["kind"], ids["rate"], ids["tags"], ids["why"]]),
        ],
    )
    assert _order(survey) == [("b", ["count"]), ("a", ["kind", "rate", "tags", "why"])]
    entry = AuditEntry.objects.filter(action="survey.reorder").latest("pk")
    assert entry.data["after"][0] == {"section": "b", "questions": ["count"]}
    # Every section and question exactly once.
    with pytest.raises(ValidationError) as exc:
        services.reorder_questionnaire(m, survey, [(small["a"].pk, [ids["kind"]])])
    assert "order" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.reorder_questionnaire(
            m,
            survey,
            [
                (small["a"].pk, [ids["why"], ids["kind"], ids["rate"], ids["tags"]]),
                (small["b"].pk, [ids["count"]]),
            ],
        )
    assert _order(survey) == [("b", ["count"]), ("a", ["kind", "rate", "tags", "why"])]


def test_rules_once_answered(
    small: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    m, survey = small["m"], small["survey"]
    _answer(small, invite, orgs["uga"], {"kind": "x", "rate": "4", "count": "42", "tags": ["z"]})
    kind, rate, count, tags, why = (small[k] for k in ("kind", "rate", "count", "tags", "why"))
    # Re-wording, re-labelling, adding options, required: allowed and audited.
    services.update_question(
        m,
        kind,
        {
            "text": {"en": "Kind of organisation?", "fr": "Type d'organisation ?"},
            "required": True,
            "choices": [
                {"value": "x", "label": {"en": "Ex"}},
                {"value": "y", "label": {"en": "Y"}},
                {"value": "z", "label": {"en": "Z"}},
                {"value": "v", "label": {"en": "V"}},
            ],
        },
    )
    entry = AuditEntry.objects.filter(action="survey.question.update").latest("pk")
    assert entry.data["answered"] is True
    # Removing an option nobody chose: allowed; one that was chosen: refused.
    services.update_question(m, kind, {"choices": [c for c in kind.choices if c["value"] != "v"]})
    with pytest.raises(ValidationError) as exc:
        services.update_question(
            m, kind, {"choices": [{"value": "y", "label": {"en": "Y"}}, CHOICES[2]]}
        )
    assert "x" in exc.value.message_dict["choices"][0]
    with pytest.raises(ValidationError) as exc:
        services.update_question(m, tags, {"choices": CHOICES[:2]})
    assert "z" in exc.value.message_dict["choices"][0]
    services.update_question(m, tags, {"choices": [CHOICES[0], CHOICES[2]]})  # y unused
    # Type and identifier are fixed once opened.
    for q, changes, field in [
        (kind, {"qtype": "multiple"}, "qtype"),
        (why, {"qtype": "number"}, "qtype"),
        (kind, {"key": "kind2"}, "key"),
        (rate, {"max_value": 7}, "min_value"),
        (rate, {"theme": "regulation"}, "theme"),
        (count, {"max_value": 40}, "min_value"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.update_question(m, q, changes)
        assert field in exc.value.message_dict, (changes, exc.value.message_dict)
    services.update_question(m, count, {"max_value": 1000})  # widening keeps the answers valid
    with pytest.raises(ValidationError) as exc:
        services.update_section(m, small["a"], key="a2")
    assert "key" in exc.value.message_dict
    # Deleting: answered questions and sections holding them are refused; others are not.
    with pytest.raises(ValidationError):
        services.delete_question(m, kind)
    with pytest.raises(ValidationError):
        services.delete_section(m, small["b"])
    with pytest.raises(ValidationError) as exc:
        services.delete_question(m, tags)
    assert "tags" in str(exc.value)
    services.delete_question(m, why)  # unanswered
    assert not Question.objects.filter(pk=why.pk).exists()
    # Reordering is allowed and the answers stay with their questions.
    services.move_section(m, small["b"], "up")
    services.move_question(m, count, "up")
    assert _order(survey) == [("b", ["count", "rate", "tags"]), ("a", ["kind"])]
    assert Answer.objects.count() == 4


def test_dependants_block_deletion_once_opened(
    small: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    m = small["m"]
    _answer(small, invite, orgs["uga"], {"rate": "3"})
    with pytest.raises(ValidationError) as exc:
        services.delete_question(m, small["kind"])  # unanswered, but 'why' depends on it
    assert "why" in str(exc.value)
    services.delete_section(m, small["a"])  # kind and why go together
    assert list(Section.objects.filter(survey=small["survey"]).values_list("key", flat=True)) == [
        "b"
    ]
    assert small["b"].__class__.objects.get(pk=small["b"].pk).position == 0


def test_deleting_in_a_draft_removes_conditions(small: dict[str, Any]) -> None:
    m = small["m"]
    services.delete_question(m, small["kind"])
    why = Question.objects.get(pk=small["why"].pk)
    assert why.condition_question is None
    assert why.position == 0
    entry = AuditEntry.objects.filter(action="survey.question.delete").latest("pk")
    assert entry.data["conditions_removed"] == ["why"]
    services.delete_section(m, small["b"])
    assert not Question.objects.filter(key__in=["rate", "count", "tags"]).exists()


def test_in_a_draft_type_and_key_can_change(small: dict[str, Any]) -> None:
    m, count = small["m"], small["count"]
    services.update_question(m, count, {"qtype": "single", "key": "size", "choices": CHOICES[:2]})
    count.refresh_from_db()
    assert (count.qtype, count.key, count.min_value, count.max_value) == (
        "single",
        "size",
        None,
        None,
    )
    services.update_question(m, count, {"qtype": "text"})
    count.refresh_from_db()
    assert count.choices == []


def test_only_owners_change_the_questionnaire(
    small: dict[str, Any], personas: dict[str, Any], cluster_survey: Survey
) -> None:
    kind = small["kind"]
    for name in ("manager_it", "editor", "member", "outsider"):
        with pytest.raises(PermissionDenied):
            services.update_question(personas[name], kind, {"text": {"en": "Hacked"}})
        with pytest.raises(PermissionDenied):
            services.move_question(personas[name], kind, "down")
        with pytest.raises(PermissionDenied):
            services.delete_question(personas[name], kind)
        with pytest.raises(PermissionDenied):
            services.delete_section(personas[name], small["a"])
    services.update_question(personas["admin"], kind, {"text": {"en": "Kind (admin)?"}})
    # The shipped questionnaire has no creator: every cluster manager may look after it.
    first = Question.objects.filter(section__survey=cluster_survey).first()
    assert first is not None
    services.update_question(personas["manager_it"], first, {"help_text": {"it": "Aiuto"}})
    with pytest.raises(PermissionDenied):
        services.update_question(personas["editor"], first, {"help_text": {"it": "Aiuto"}})


def test_exports_and_scores_follow_the_new_order(
    small: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    m, survey = small["m"], small["survey"]
    _answer(small, invite, orgs["uga"], {"kind": "y", "why": "Because", "rate": "4", "count": "7"})
    header, rows = queries.export_table(survey.responses.all(), survey)
    assert header[-5:] == ["kind", "why", "rate", "count", "tags"]
    services.move_section(m, small["b"], "down")  # no-op: b is last
    services.move_section(m, small["a"], "down")
    services.move_question(m, small["count"], "up")
    header, rows = queries.export_table(survey.responses.all(), survey)
    assert header[-5:] == ["count", "rate", "tags", "kind", "why"]
    assert rows[0][-5:] == [7, 4, "", "Y", "Because"]
    scores = queries.survey_theme_scores(survey, submitted_only=False)
    assert list(scores["mean"]) == [4.0]


def test_copy_makes_a_draft_to_change_types(
    small: dict[str, Any], invite: Any, orgs: dict[str, Organisation], personas: dict[str, Any]
) -> None:
    _answer(small, invite, orgs["uga"], {"kind": "y"})
    copy = services.copy_survey(personas["manager_it"], small["survey"], slug="pulse-v2")
    assert copy.status == Survey.Status.DRAFT
    assert copy.created_by == personas["manager_it"]
    assert _order(copy) == _order(small["survey"])
    why = Question.objects.get(section__survey=copy, key="why")
    assert why.condition_question is not None
    assert why.condition_question.section.survey_id == copy.pk
    services.update_question(personas["manager_it"], why, {"qtype": "number"})
    with pytest.raises(ValidationError):
        services.copy_survey(personas["manager_it"], small["survey"], slug="pulse-v2")
