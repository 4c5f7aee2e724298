"""HTTP API of the territorial analysis and the survey (mounted at /api/v1/analysis/).

Public reads: region profiles, the cluster overview, indicators and their values. Survey
response rates are for cluster managers (token or session); the questionnaire builder's
endpoints (edit, reorder, delete) for the survey's owners. Respondents answer through their
personal token, without an account.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from alpsbio.api.auth import read_auth, write_auth
from alpsbio.core.i18n import localized
from alpsbio.directory.models import Region
from alpsbio.survey import indicators as ind
from alpsbio.survey import permissions, queries, services
from alpsbio.survey.models import Answer, IndicatorValue, Question, Section, Survey

router = Router(tags=["analysis"])


class LangQuery(Schema):
    lang: str | None = Field(None, pattern="^(en|fr|it|de)$", description="Language of the texts")


def _lang(q: LangQuery) -> str:
    return q.lang or translation.get_language() or "en"


@router.get(
    "/overview", auth=read_auth, summary="Cluster overview: complementarity and sector pairs"
)
def get_overview(request: HttpRequest, q: Query[LangQuery]) -> dict[str, Any]:
    with translation.override(_lang(q)):
        return queries.overview()


@router.get("/regions/{code}", auth=read_auth, summary="Profile of one NUTS-2 region")
def get_region(request: HttpRequest, code: str, q: Query[LangQuery]) -> dict[str, Any]:
    code = code.upper()
    if not (len(code) == 4 and code.isalnum()):
        raise Http404
    if not Region.objects.filter(code=code).exists() and code not in ind.member_region_codes():
        raise Http404
    with translation.override(_lang(q)):
        return queries.region_profile(code)


class IndicatorOut(Schema):
    code: str
    label: str
    source: str
    values: int
    regions: int
    last_year: int | None


@router.get("/indicators", response=list[IndicatorOut], auth=read_auth, summary="Stored indicators")
def list_indicators(request: HttpRequest, q: Query[LangQuery]) -> list[dict[str, Any]]:
    with translation.override(_lang(q)):
        return queries.indicator_overview()


class ValuesQuery(Schema):
    unit: str | None = Field(None, max_length=40)
    dims: str | None = Field(None, max_length=200)
    regions: str | None = Field(None, max_length=400, description="Comma-separated NUTS codes")
    year: int | None = Field(None, ge=1900, le=2100)
    limit: int = Field(5000, ge=1, le=50000)


class ValueOut(Schema):
    region: str
    year: int
    value: float | None
    flag: str
    unit: str
    dims: str


@router.get(
    "/indicators/{code}/values",
    response=list[ValueOut],
    auth=read_auth,
    summary="Values of one indicator (NUTS 2021)",
)
def indicator_values(
    request: HttpRequest, code: str, q: Query[ValuesQuery]
) -> list[dict[str, Any]]:
    qs = IndicatorValue.objects.filter(indicator__code=code)
    if not qs.exists():
        raise Http404
    if q.unit is not None:
        qs = qs.filter(unit=q.unit)
    if q.dims is not None:
        qs = qs.filter(dims=q.dims)
    if q.regions:
        qs = qs.filter(
            region_code__in=[r.strip().upper() for r in q.regions.split(",") if r.strip()]
        )
    if q.year is not None:
        qs = qs.filter(year=q.year)
    return [
        {
            "region": v.region_code,
            "year": v.year,
            "value": v.value,
            "flag": v.flag,
            "unit": v.unit,
            "dims": v.dims,
        }
        for v in qs.order_by("region_code", "year", "unit", "dims")[: q.limit]
    ]


class RateOut(Schema):
    key: str
    label: str
    invited: int
    started: int
    submitted: int
    rate: float | None


class RatesOut(Schema):
    survey: str
    total: RateOut
    by_region: list[RateOut]
    by_type: list[RateOut]


@router.get(
    "/surveys/{survey_id}/response-rates",
    response=RatesOut,
    auth=write_auth,
    summary="Response rates per region and organisation type (cluster managers)",
)
def response_rates(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = get_object_or_404(Survey, pk=survey_id)
    if not permissions.can_view_survey_results(request.user, survey):
        raise PermissionDenied("Only cluster managers may see response rates.")
    return {"survey": survey.slug, **queries.rates_as_dict(queries.response_rates(survey))}


class ChoiceOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    key: str
    section: str
    type: str
    text: str
    required: bool
    choices: list[ChoiceOut]
    min: float | None
    max: float | None
    condition: dict[str, str] | None
    answer: Any = None
    visible: bool


class QuestionnaireOut(Schema):
    survey: str
    title: str
    anonymous: bool
    status: str
    submitted: bool
    questions: list[QuestionOut]


def _questionnaire(token: str, lang: str | None) -> dict[str, Any]:
    inv = services.invitation_by_token(token)
    lang = lang or inv.language
    questions = services.survey_questions(inv.survey)
    resp = getattr(inv, "response", None) if inv.submitted_at is None else None
    answers = services.current_answers(resp)
    shown = services.visible_questions(
        questions, {k: v for k, v in answers.items() if v is not None}
    )
    return {
        "survey": inv.survey.slug,
        "title": localized(inv.survey.title, lang),
        "anonymous": inv.survey.anonymous,
        "status": inv.survey.status,
        "submitted": inv.submitted_at is not None,
        "questions": [
            {
                "key": q.key,
                "section": q.section.key,
                "type": q.qtype,
                "text": localized(q.text, lang),
                "required": q.required,
                "choices": [
                    {"value": c["value"], "label": localized(c.get("label"), lang)}
                    for c in q.choices or []
                ],
                "min": q.min_value,
                "max": q.max_value,
                "condition": (
                    {
                        "question": q.condition_question.key,
                        "op": q.condition_op,
                        "value": q.condition_value,
                    }
                    if q.condition_question is not None
                    else None
                ),
                "answer": answers.get(q.pk),
                "visible": q.pk in shown,
            }
            for q in questions
        ],
    }


@router.get(
    "/respond/{token}",
    response=QuestionnaireOut,
    auth=None,
    summary="The questionnaire and saved answers for a personal link",
)
def get_questionnaire(request: HttpRequest, token: str, q: Query[LangQuery]) -> dict[str, Any]:
    return _questionnaire(token, q.lang)


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(default_factory=dict, description="question key → answer")
    submit: bool = False


@router.put(
    "/respond/{token}",
    response=QuestionnaireOut,
    auth=None,
    summary="Save (and optionally submit) answers for a personal link",
)
def put_answers(request: HttpRequest, token: str, payload: AnswersIn) -> dict[str, Any]:
    if len(payload.answers) > 500:
        raise services.ValidationError({"answers": "Too many answers."})
    for key in payload.answers:
        if not isinstance(key, str) or len(key) > 60:
            raise services.ValidationError({"answers": "Unknown question key."})
    services.save_answers(token, payload.answers, submit=payload.submit, strict=True)
    return _questionnaire(token, None)


# --- the questionnaire builder (the survey's owners) ----------------------------------------

ShortText = Annotated[str, StringConstraints(max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=2000)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class ChoiceIn(Schema):
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    label: dict[str, ShortText]


class ConditionIn(Schema):
    question: Key = Field(..., description="Key of an earlier question")
    op: Literal["equals", "contains"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class QuestionPatch(Schema):
    """Only the fields sent change. ``condition: null`` removes the condition."""

    key: Key | None = None
    qtype: Literal["scale", "single", "multiple", "number", "text"] | None = None
    text: dict[str, LongText] | None = None
    help_text: dict[str, LongText] | None = None
    required: bool | None = None
    choices: list[ChoiceIn] | None = Field(None, max_length=200)
    theme: Annotated[str, StringConstraints(max_length=30)] | None = None
    min_value: float | None = Field(None, allow_inf_nan=False)
    max_value: float | None = Field(None, allow_inf_nan=False)
    condition: ConditionIn | None = None
    section: Key | None = Field(None, description="Key of the section to move the question to")


class SectionPatch(Schema):
    key: Key | None = None
    title: dict[str, ShortText] | None = None
    intro: dict[str, LongText] | None = None


class MoveIn(Schema):
    direction: Literal["up", "down"]


class SectionOrderIn(Schema):
    key: Key
    questions: list[Key] = Field(default_factory=list, max_length=1000)


class OrderIn(Schema):
    sections: list[SectionOrderIn] = Field(..., max_length=200)


class BuilderChoiceOut(Schema):
    value: str
    label: dict[str, str]


class BuilderQuestionOut(Schema):
    id: int
    key: str
    qtype: str
    text: dict[str, str]
    help_text: dict[str, str]
    required: bool
    choices: list[BuilderChoiceOut]
    theme: str
    min_value: float | None
    max_value: float | None
    condition: dict[str, str] | None
    answers: int


class BuilderSectionOut(Schema):
    id: int
    key: str
    title: dict[str, str]
    intro: dict[str, str]
    questions: list[BuilderQuestionOut]


class BuilderOut(Schema):
    id: int
    slug: str
    status: str
    sections: list[BuilderSectionOut]


def _owned_survey(request: HttpRequest, survey_id: int) -> Survey:
    survey = get_object_or_404(Survey, pk=survey_id)
    if not permissions.can_edit_survey(request.user, survey):
        raise PermissionDenied("Only the survey's owners may change its questionnaire.")
    return survey


def _builder(survey: Survey) -> dict[str, Any]:
    counts = dict(
        Answer.objects.filter(question__section__survey=survey)
        .values_list("question_id")
        .annotate(n=Count("pk"))
        .values_list("question_id", "n")
    )
    return {
        "id": survey.pk,
        "slug": survey.slug,
        "status": survey.status,
        "sections": [
            {
                "id": s["section"].pk,
                "key": s["section"].key,
                "title": s["section"].title,
                "intro": s["section"].intro,
                "questions": [
                    {
                        "id": q.pk,
                        "key": q.key,
                        "qtype": q.qtype,
                        "text": q.text,
                        "help_text": q.help_text,
                        "required": q.required,
                        "choices": q.choices or [],
                        "theme": q.theme,
                        "min_value": q.min_value,
                        "max_value": q.max_value,
                        "condition": (
                            {
                                "question": q.condition_question.key,
                                "op": q.condition_op,
                                "value": q.condition_value,
                            }
                            if q.condition_question is not None
                            else None
                        ),
                        "answers": counts.get(q.pk, 0),
                    }
                    for q in s["questions"]
                ],
            }
            for s in queries.sections_with_questions(survey)
        ],
    }


_API_FIELD = {
    "condition_question": "condition.question",
    "condition_op": "condition.op",
    "condition_value": "condition.value",
}


def _api_errors(exc: ValidationError) -> ValidationError:
    """The service's field names as the API's (``condition_question`` → ``condition.question``)."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {_API_FIELD.get(k, k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    )


@router.get(
    "/surveys/{survey_id}/questionnaire",
    response=BuilderOut,
    auth=write_auth,
    summary="The questionnaire in all languages, with answer counts (the survey's owners)",
)
def get_builder(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return _builder(_owned_survey(request, survey_id))


@router.patch(
    "/surveys/{survey_id}/questions/{question_id}",
    response=BuilderOut,
    auth=write_auth,
    summary="Change a question (texts, options, bounds, condition, section...)",
)
def patch_question(
    request: HttpRequest, survey_id: int, question_id: int, payload: QuestionPatch
) -> dict[str, Any]:
    survey = _owned_survey(request, survey_id)
    question = get_object_or_404(Question, pk=question_id, section__survey=survey)
    data = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field in ("key", "qtype", "text", "help_text", "required", "choices", "theme"):
        if field in data:
            if data[field] is None and field != "choices":
                raise ValidationError({field: "This field cannot be null."})
            changes[field] = data[field] if field != "theme" else (data[field] or "")
    if "choices" in data and data["choices"] is None:
        changes["choices"] = []
    for field in ("min_value", "max_value"):
        if field in data:
            changes[field] = data[field]
    if "condition" in data:
        cond = data["condition"]
        if cond is None:
            changes["condition_question"] = None
        else:
            cond_q = Question.objects.filter(section__survey=survey, key=cond["question"]).first()
            if cond_q is None:
                raise ValidationError({"condition.question": "No such question in this survey."})
            changes.update(
                condition_question=cond_q, condition_op=cond["op"], condition_value=cond["value"]
            )
    if "section" in data:
        section = survey.sections.filter(key=data["section"] or "").first()
        if section is None:
            raise ValidationError({"section": "No such section in this survey."})
        changes["section"] = section
    try:
        services.update_question(request.user, question, changes)
    except ValidationError as exc:
        raise _api_errors(exc) from exc
    return _builder(survey)


@router.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    response={204: None},
    auth=write_auth,
    summary="Delete a question (refused once answered, unless the survey is a draft)",
)
def delete_question(request: HttpRequest, survey_id: int, question_id: int) -> Status:
    survey = _owned_survey(request, survey_id)
    question = get_object_or_404(Question, pk=question_id, section__survey=survey)
    services.delete_question(request.user, question)
    return Status(204, None)


@router.post(
    "/surveys/{survey_id}/questions/{question_id}/move",
    response=BuilderOut,
    auth=write_auth,
    summary="Move a question one place up or down (across sections at their ends)",
)
def move_question(
    request: HttpRequest, survey_id: int, question_id: int, payload: MoveIn
) -> dict[str, Any]:
    survey = _owned_survey(request, survey_id)
    question = get_object_or_404(Question, pk=question_id, section__survey=survey)
    services.move_question(request.user, question, payload.direction)
    return _builder(survey)


@router.patch(
    "/surveys/{survey_id}/sections/{section_id}",
    response=BuilderOut,
    auth=write_auth,
    summary="Change a section's title, introduction or (draft only) identifier",
)
def patch_section(
    request: HttpRequest, survey_id: int, section_id: int, payload: SectionPatch
) -> dict[str, Any]:
    survey = _owned_survey(request, survey_id)
    section = get_object_or_404(Section, pk=section_id, survey=survey)
    data = payload.model_dump(exclude_unset=True)
    for field in ("key", "title"):
        if field in data and data[field] is None:
            raise ValidationError({field: "This field cannot be null."})
    services.update_section(
        request.user,
        section,
        key=data.get("key"),
        title=data.get("title"),
        intro=data.get("intro") if "intro" in data else None,
    )
    return _builder(survey)


@router.delete(
    "/surveys/{survey_id}/sections/{section_id}",
    response={204: None},
    auth=write_auth,
    summary="Delete a section and its questions (same rules as questions)",
)
def delete_section(request: HttpRequest, survey_id: int, section_id: int) -> Status:
    survey = _owned_survey(request, survey_id)
    section = get_object_or_404(Section, pk=section_id, survey=survey)
    services.delete_section(request.user, section)
    return Status(204, None)


@router.post(
    "/surveys/{survey_id}/sections/{section_id}/move",
    response=BuilderOut,
    auth=write_auth,
    summary="Move a section one place up or down",
)
def move_section(
    request: HttpRequest, survey_id: int, section_id: int, payload: MoveIn
) -> dict[str, Any]:
    survey = _owned_survey(request, survey_id)
    section = get_object_or_404(Section, pk=section_id, survey=survey)
    services.move_section(request.user, section, payload.direction)
    return _builder(survey)


@router.put(
    "/surveys/{survey_id}/order",
    response=BuilderOut,
    auth=write_auth,
    summary="Set the order of all sections and questions at once (by key)",
)
def put_order(request: HttpRequest, survey_id: int, payload: OrderIn) -> dict[str, Any]:
    survey = _owned_survey(request, survey_id)
    sections = dict(survey.sections.values_list("key", "pk"))
    questions = dict(Question.objects.filter(section__survey=survey).values_list("key", "pk"))
    layout: list[tuple[int, list[int]]] = []
    for i, s in enumerate(payload.sections):
        if s.key not in sections:
            raise ValidationError({f"sections.{i}.key": "No such section in this survey."})
        q_ids = []
        for j, key in enumerate(s.questions):
            if key not in questions:
                raise ValidationError(
                    {f"sections.{i}.questions.{j}": "No such question in this survey."}
                )
            q_ids.append(questions[key])
        layout.append((sections[s.key], q_ids))
    services.reorder_questionnaire(request.user, survey, layout)
    return _builder(survey)
