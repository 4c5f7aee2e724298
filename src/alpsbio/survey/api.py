"""HTTP API of the territorial analysis and the survey (mounted at /api/v1/analysis/).

Public reads: region profiles, the cluster overview, indicators and their values. Survey
response rates are for cluster managers (token or session). Respondents answer through their
personal token, without an account.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Field, Query, Router, Schema

from alpsbio.api.auth import read_auth, write_auth
from alpsbio.core.i18n import localized
from alpsbio.directory.models import Region
from alpsbio.survey import indicators as ind
from alpsbio.survey import permissions, queries, services
from alpsbio.survey.models import IndicatorValue, Survey

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
