"""The cluster's own questionnaire (seed) and the answer rules (types, conditions)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from alpsbio.survey import services
from alpsbio.survey.models import THEMES, Question, QuestionType, Survey


def test_seed_is_complete_in_four_languages(cluster_survey: Survey) -> None:
    """Every text of the shipped questionnaire exists in EN, FR, IT and DE."""
    assert set(cluster_survey.title) == {"en", "fr", "it", "de"}
    questions = Question.objects.filter(section__survey=cluster_survey)
    for q in questions:
        assert set(q.text) == {"en", "fr", "it", "de"}, q.key
        for c in q.choices:
            assert set(c["label"]) == {"en", "fr", "it", "de"}, (q.key, c["value"])
    for s in cluster_survey.sections.all():
        assert set(s.title) == {"en", "fr", "it", "de"}


def test_seed_rates_every_theme_and_asks_needs_and_offers(cluster_survey: Survey) -> None:
    scale = Question.objects.filter(section__survey=cluster_survey, qtype=QuestionType.SCALE)
    assert {q.theme for q in scale} == set(THEMES)
    keys = set(
        Question.objects.filter(section__survey=cluster_survey).values_list("key", flat=True)
    )
    assert {"needs", "needs_detail", "offers", "offers_detail"} <= keys
    assert cluster_survey.status == Survey.Status.OPEN


def test_seed_is_idempotent(cluster_survey: Survey) -> None:
    again = services.load_cluster_questionnaire()
    assert again.pk == cluster_survey.pk
    assert Survey.objects.count() == 1
    assert Question.objects.filter(section__survey=again).count() == Question.objects.count()


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("rate_rd_capacity", "4", 4),
        ("staff_life_sciences", "12,5", 12.5),
        ("staff_life_sciences", "40", 40),
        ("main_activity", "industry", "industry"),
        ("needs", ["finance", "research_partners", "finance"], ["research_partners", "finance"]),
        ("needs_detail", "  a lab  ", "a lab"),
        ("needs_detail", "", None),
    ],
)
def test_clean_answer(cluster_survey: Survey, key: str, raw: Any, expected: Any) -> None:
    q = Question.objects.get(section__survey=cluster_survey, key=key)
    assert services.clean_answer(q, raw) == expected


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("rate_rd_capacity", "6"),
        ("rate_rd_capacity", "x"),
        ("staff_life_sciences", "-1"),
        ("staff_life_sciences", "nan"),
        ("main_activity", "pirates"),
        ("needs", ["finance", "gold"]),
        ("needs_detail", "x" * 6000),
    ],
)
def test_clean_answer_refuses(cluster_survey: Survey, key: str, raw: Any) -> None:
    q = Question.objects.get(section__survey=cluster_survey, key=key)
    with pytest.raises(ValueError, match=r"."):
        services.clean_answer(q, raw)


def test_conditions_show_and_hide(cluster_survey: Survey) -> None:
    """finance_kind shows only if needs contains finance; cross_border_regions only for yes."""
    qs = services.survey_questions(cluster_survey)
    by_key = {q.key: q for q in qs}
    shown = services.visible_questions(qs, {by_key["needs"].pk: ["skills"]})
    assert by_key["finance_kind"].pk not in shown
    shown = services.visible_questions(qs, {by_key["needs"].pk: ["skills", "finance"]})
    assert by_key["finance_kind"].pk in shown
    shown = services.visible_questions(qs, {by_key["cross_border"].pk: "yes"})
    assert by_key["cross_border_regions"].pk in shown
    shown = services.visible_questions(qs, {by_key["cross_border"].pk: "maybe"})
    assert by_key["cross_border_regions"].pk not in shown


def test_validation_enforces_conditions_on_the_server(
    cluster_survey: Survey, full_answers: dict[str, Any]
) -> None:
    qs = services.survey_questions(cluster_survey)
    by_key = {q.key: q for q in qs}
    # A hidden question's answer is refused in strict mode (API) and dropped otherwise (forms).
    raw = {**full_answers, "needs": ["skills"], "finance_kind": "loans"}
    with pytest.raises(ValidationError) as exc:
        services.validate_answers(qs, raw, {}, final=True, strict=True)
    assert "finance_kind" in exc.value.message_dict
    merged = services.validate_answers(qs, raw, {}, final=True)
    assert merged[by_key["finance_kind"].pk] is None
    # A required question that is shown must be answered on submit.
    raw = {**full_answers, "cross_border": "yes"}
    with pytest.raises(ValidationError) as exc:
        services.validate_answers(qs, raw, {}, final=True)
    assert exc.value.message_dict.keys() == {"cross_border_regions"}
    # ... but not while saving a draft.
    services.validate_answers(qs, raw, {}, final=False)
