"""The questionnaire builder through the API: field-level 422s, owners only, the rules once a
survey is opened."""

from __future__ import annotations

from typing import Any

import pytest

from alpsbio.accounts.models import ApiToken
from alpsbio.directory.models import Organisation
from alpsbio.survey import services
from alpsbio.survey.models import Question, Survey

# The options of the shared survey's "kind" question (conftest ``built``).
CHOICES = [{"value": "x", "label": {"en": "X"}}, {"value": "y", "label": {"en": "Y"}}]


@pytest.fixture
def built(built: dict[str, Any]) -> dict[str, Any]:
    """The shared builder survey (conftest) plus the API address of its questionnaire."""
    return {**built, "base": f"/api/v1/analysis/surveys/{built['survey'].pk}"}


def _fields(resp: Any) -> list[str]:
    assert resp.status_code == 422, resp.content
    return [e["field"] for e in resp.json()["errors"]]


def _order(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["key"], [q["key"] for q in s["questions"]]) for s in data["sections"]]


def test_read_and_edit_a_question(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    base, kind = built["base"], built["kind"]
    data = c.get(f"{base}/questionnaire").json()
    assert _order(data) == [("a", ["kind", "why"]), ("b", ["rate"])]
    assert data["sections"][0]["questions"][1]["condition"] == {
        "question": "kind",
        "op": "equals",
        "value": "y",
    }
    resp = c.patch(
        f"{base}/questions/{kind.pk}",
        {
            "text": {"en": "Kind?", "fr": "Type ?", "it": "Tipo?", "de": "Art?"},
            "help_text": {"en": "One answer"},
            "required": True,
            "choices": [*CHOICES, {"value": "z", "label": {"en": "Z", "de": "Zett"}}],
        },
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    q = resp.json()["sections"][0]["questions"][0]
    assert q["text"]["de"] == "Art?"
    assert q["required"]
    assert len(q["choices"]) == 3
    # Only the fields sent change: the condition of 'why' is removed with null.
    resp = c.patch(
        f"{base}/questions/{built['why'].pk}", {"condition": None}, content_type="application/json"
    )
    assert resp.json()["sections"][0]["questions"][1]["condition"] is None
    assert resp.json()["sections"][0]["questions"][1]["text"] == {"en": "Why?"}
    resp = c.patch(
        f"{base}/sections/{built['b'].pk}",
        {"title": {"en": "Ratings", "fr": "Notes"}, "intro": {"it": "Valutazioni"}},
        content_type="application/json",
    )
    assert resp.json()["sections"][1]["title"] == {"en": "Ratings", "fr": "Notes"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "not an object"}, "text"),
        ({"text": {"xx": "?"}}, "text"),
        ({"text": {}}, "text"),
        ({"qtype": "essay"}, "qtype"),
        ({"required": "maybe"}, "required"),
        ({"choices": [{"value": "x", "label": {"en": "X"}}]}, "choices"),
        ({"choices": [{"value": "", "label": {"en": "X"}}, *CHOICES]}, "choices.0.value"),
        ({"min_value": "low"}, "min_value"),
        ({"condition": {"question": "rate", "op": "equals", "value": "3"}}, "condition.question"),
        ({"condition": {"question": "nope", "op": "equals", "value": "3"}}, "condition.question"),
        ({"condition": {"question": "kind", "op": "is", "value": "x"}}, "condition.op"),
        ({"section": "zzz"}, "section"),
        ({"key": None}, "key"),
        ({"key": "why"}, "key"),
    ],
)
def test_field_level_422(
    client_for: Any, built: dict[str, Any], payload: dict[str, Any], field: str
) -> None:
    """Bad input gives 422 with the field, never a 500."""
    c = client_for("manager_fr")
    target = built["why"] if "condition" in payload else built["kind"]
    resp = c.patch(
        f"{built['base']}/questions/{target.pk}", payload, content_type="application/json"
    )
    assert field in _fields(resp)


def test_reorder_and_move(client_for: Any, built: dict[str, Any]) -> None:
    c = client_for("manager_fr")
    base = built["base"]
    resp = c.put(
        f"{base}/order",
        {
            "sections": [
                {"key": "b", "questions": []},
                {"key": "a", "questions": ["kind", "rate", "why"]},
            ]
        },
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert _order(resp.json()) == [("b", []), ("a", ["kind", "rate", "why"])]
    bad = c.put(
        f"{base}/order",
        {
            "sections": [
                {"key": "b", "questions": []},
                {"key": "a", "questions": ["why", "kind", "rate"]},
            ]
        },
        content_type="application/json",
    )
    assert _fields(bad) == ["order"]
    assert "kind" in bad.json()["errors"][0]["message"]
    assert _fields(
        c.put(f"{base}/order", {"sections": [{"key": "a"}]}, content_type="application/json")
    ) == ["order"]
    assert "sections.0.questions.0" in _fields(
        c.put(
            f"{base}/order",
            {"sections": [{"key": "a", "questions": ["zz"]}]},
            content_type="application/json",
        )
    )
    assert "sections" in _fields(c.put(f"{base}/order", {}, content_type="application/json"))
    resp = c.post(
        f"{base}/questions/{built['rate'].pk}/move",
        {"direction": "down"},
        content_type="application/json",
    )
    assert _order(resp.json()) == [("b", []), ("a", ["kind", "why", "rate"])]
    resp = c.post(
        f"{base}/sections/{built['b'].pk}/move",
        {"direction": "down"},
        content_type="application/json",
    )
    assert _order(resp.json()) == [("a", ["kind", "why", "rate"]), ("b", [])]
    assert "direction" in _fields(
        c.post(
            f"{base}/sections/{built['b'].pk}/move",
            {"direction": "left"},
            content_type="application/json",
        )
    )
    # Moving to another section by key.
    resp = c.patch(
        f"{base}/questions/{built['rate'].pk}", {"section": "b"}, content_type="application/json"
    )
    assert _order(resp.json()) == [("a", ["kind", "why"]), ("b", ["rate"])]


def test_rules_once_answered(
    client_for: Any, built: dict[str, Any], invite: Any, orgs: dict[str, Organisation]
) -> None:
    survey, base, kind = built["survey"], built["base"], built["kind"]
    services.open_survey(survey.created_by, survey)
    inv = invite(survey, orgs["uga"], "manager_fr")
    services.save_answers(inv.token, {"kind": "x", "rate": "2"})
    c = client_for("manager_fr")
    url = f"{base}/questions/{kind.pk}"
    assert _fields(c.patch(url, {"qtype": "multiple"}, content_type="application/json")) == [
        "qtype"
    ]
    assert _fields(c.patch(url, {"key": "kind2"}, content_type="application/json")) == ["key"]
    resp = c.patch(
        url,
        {"choices": [CHOICES[1], {"value": "z", "label": {"en": "Z"}}]},
        content_type="application/json",
    )
    assert _fields(resp) == ["choices"]
    assert "x" in resp.json()["errors"][0]["message"]
    assert _fields(
        c.patch(
            f"{base}/questions/{built['rate'].pk}",
            {"max_value": 10},
            content_type="application/json",
        )
    ) == ["min_value"]
    resp = c.patch(url, {"text": {"en": "Which kind?"}}, content_type="application/json")
    assert resp.status_code == 200
    assert resp.json()["sections"][0]["questions"][0]["answers"] == 1
    assert _fields(c.delete(url)) == ["__all__"]
    assert _fields(c.delete(f"{base}/sections/{built['b'].pk}")) == ["__all__"]
    assert c.delete(f"{base}/questions/{built['why'].pk}").status_code == 204
    assert not Question.objects.filter(pk=built["why"].pk).exists()


def test_owners_only(client_for: Any, built: dict[str, Any], personas: dict[str, Any]) -> None:
    base, kind = built["base"], built["kind"]
    calls = [
        ("get", f"{base}/questionnaire", None),
        ("patch", f"{base}/questions/{kind.pk}", {"text": {"en": "Hacked"}}),
        ("post", f"{base}/questions/{kind.pk}/move", {"direction": "down"}),
        ("delete", f"{base}/questions/{kind.pk}", None),
        ("patch", f"{base}/sections/{built['a'].pk}", {"title": {"en": "Hacked"}}),
        ("delete", f"{base}/sections/{built['a'].pk}", None),
        ("put", f"{base}/order", {"sections": []}),
    ]
    for name, status in (("anonymous", 401), ("editor", 403), ("manager_it", 403)):
        c = client_for(name)
        for method, url, body in calls:
            kwargs = {"content_type": "application/json"} if body is not None else {}
            resp = (
                getattr(c, method)(url, body, **kwargs)
                if body is not None
                else getattr(c, method)(url)
            )
            assert resp.status_code == status, (name, method, url, resp.content)
    kind.refresh_from_db()
    assert kind.text == {"en": "Kind?"}
    # A bearer token of the admin works; a question of another survey is a 404.
    _token, raw = ApiToken.issue(personas["admin"], "builder")
    c = client_for("anonymous")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    resp = c.patch(
        f"{base}/questions/{kind.pk}",
        {"required": True},
        content_type="application/json",
        **auth,
    )
    assert resp.status_code == 200
    other = services.create_survey(personas["admin"], slug="other", title={"en": "Other"})
    resp = c.patch(
        f"/api/v1/analysis/surveys/{other.pk}/questions/{kind.pk}",
        {"required": True},
        content_type="application/json",
        **auth,
    )
    assert resp.status_code == 404
    assert Survey.objects.count() == 2
