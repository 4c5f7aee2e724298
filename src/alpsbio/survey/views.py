"""Pages of the territorial analysis: cluster overview, region profiles, indicators, the PDF
report; the managers' survey builder; and the respondents' personal survey pages (no account)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.core.i18n import LANGUAGE_CODES, localized
from alpsbio.directory.models import OrganisationType, Region
from alpsbio.survey import forms, permissions, queries, services
from alpsbio.survey import indicators as ind
from alpsbio.survey.models import Answer, Question, Survey


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{k}: {m}" if k != "__all__" else str(m)
            for k, ms in exc.message_dict.items()
            for m in ms
        ]
    return [str(m) for m in exc.messages]


def _series_from(request: HttpRequest) -> tuple[str, str, str]:
    key = request.GET.get("series", "")
    try:
        return ind.parse_series_key(key)
    except ValueError:
        return ind.DEFAULT_SERIES[0]


# --- public analysis pages ------------------------------------------------------------------


def overview(request: HttpRequest) -> HttpResponse:
    data = queries.overview()
    series = _series_from(request)
    return render(
        request,
        "survey/overview.html",
        {
            "data": data,
            "series_choices": ind.series_choices(),
            "series_key": ind.series_key(*series),
            "maps": _maps(series, [m["code"] for m in data["members"]]),
            "can_manage": permissions.can_manage_surveys(request.user),
        },
    )


def _maps(series: tuple[str, str, str], highlight: list[str]) -> dict[str, Any]:
    return {
        "alps": queries.choropleth(series, "alps", highlight, svg_id="map-alps"),
        "europe": queries.choropleth(series, "europe", highlight, svg_id="map-europe"),
    }


def maps_fragment(request: HttpRequest) -> HttpResponse:
    """htmx: the two maps for the chosen indicator."""
    series = _series_from(request)
    members = ind.member_region_codes()
    return render(request, "survey/_maps.html", {"maps": _maps(series, members)})


def region(request: HttpRequest, code: str) -> HttpResponse:
    code = code.upper()
    if (
        not Region.objects.filter(code=code, level=2).exists()
        and code not in ind.member_region_codes()
    ):
        raise Http404
    profile = queries.region_profile(code)
    series = _series_from(request) if request.GET.get("series") else ind.DEFAULT_SERIES[0]
    locator = queries.choropleth(series, "alps", [code], svg_id="map-region")
    return render(
        request,
        "survey/region.html",
        {
            "p": profile,
            "locator": locator,
            "members": [(c, queries.region_name(c)) for c in ind.member_region_codes()],
        },
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    from alpsbio.survey.report import render_report_pdf

    lang = request.GET.get("lang") or translation.get_language() or "en"
    if lang not in LANGUAGE_CODES:
        lang = "en"
    regions = [r.strip().upper() for r in request.GET.get("regions", "").split(",") if r.strip()]
    pdf = render_report_pdf(regions or None, lang)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="alps-bio-territorial-analysis-{lang}.pdf"'
    )
    return response


def indicators_page(request: HttpRequest) -> HttpResponse:
    run = None
    form = forms.IndicatorUploadForm()
    can_import = permissions.can_import_indicators(request.user)
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        form = forms.IndicatorUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = "".join(Path(upload.name).suffixes)[-12:]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(upload.name).name
                if not path.name.endswith(suffix):
                    path = path.with_suffix(suffix)
                with path.open("wb") as fh:
                    for chunk in upload.chunks():
                        fh.write(chunk)
                try:
                    run = services.import_indicators([path], actor=request.user)
                    messages.success(
                        request, _("Imported %(n)s values.") % {"n": run.stats.get("stored", 0)}
                    )
                except ind.IndicatorImportRejected as exc:
                    run = exc.run
                    messages.error(request, _("The file was rejected; nothing was stored."))
    return render(
        request,
        "survey/indicators.html",
        {
            "indicators": queries.indicator_overview(),
            "form": form,
            "can_import": can_import,
            "run": run,
        },
    )


# --- managers: surveys ----------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_surveys(request.user))
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.create_survey(
                request.user,
                slug=form.cleaned_data["slug"],
                title=forms.translations(form.cleaned_data, "title"),
                intro=forms.translations(form.cleaned_data, "intro"),
                anonymous=form.cleaned_data["anonymous"],
            )
            return redirect("survey:survey", pk=survey.pk)
        except ValidationError as exc:
            for e in _errors(exc):
                form.add_error(None, e)
    return render(
        request, "survey/surveys.html", {"surveys": queries.surveys_for(request.user), "form": form}
    )


@login_required
@require_POST
def load_seed(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_surveys(request.user))
    survey = services.load_cluster_questionnaire(request.user)
    return redirect("survey:survey", pk=survey.pk)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    _require(permissions.can_view_survey_results(request.user, survey))
    orgs = (
        permissions.invitable_organisations(request.user)
        .exclude(survey_invitations__survey=survey)
        .select_related("nuts2")
    )
    region_filter = request.GET.get("region", "")
    type_filter = request.GET.get("type", "")
    if region_filter:
        orgs = orgs.filter(nuts2__code__startswith=region_filter)
    if type_filter:
        orgs = orgs.filter(org_type=type_filter)
    return render(
        request,
        "survey/survey_detail.html",
        {
            **_builder_context(request, survey),
            "rates": queries.response_rates(survey),
            "invite_form": forms.InviteForm(queryset=orgs.order_by("legal_name")[:200]),
            "n_invitable": orgs.count(),
            "invitations": survey.invitations.select_related("organisation", "organisation__nuts2")
            .filter(organisation__in=permissions.invitable_organisations(request.user))
            .order_by("organisation__legal_name")[:300],
            "org_types": OrganisationType.choices,
            "region_filter": region_filter,
            "type_filter": type_filter,
            "members": [(c, queries.region_name(c)) for c in ind.member_region_codes()],
        },
    )


@login_required
@require_POST
def survey_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    user = request.user
    try:
        if action == "open":
            services.open_survey(user, survey)
            messages.success(request, _("The survey is open."))
        elif action == "close":
            services.close_survey(user, survey)
            messages.success(request, _("The survey is closed."))
        elif action == "remind":
            services.request_reminders(user, survey)
            messages.success(
                request, _("Reminders are being sent to organisations that have not answered.")
            )
        elif action == "section":
            form = forms.SectionForm(request.POST)
            if form.is_valid():
                services.add_section(
                    user,
                    survey,
                    key=form.cleaned_data["key"],
                    title=forms.translations(form.cleaned_data, "title"),
                )
                messages.success(request, _("Section added."))
            else:
                messages.error(
                    request, _("Check the section: %(e)s") % {"e": form.errors.as_text()}
                )
        elif action == "question":
            qform = forms.QuestionForm(request.POST, survey=survey)
            if qform.is_valid():
                d = qform.cleaned_data
                section = get_object_or_404(survey.sections, pk=d["section"])
                cond = (
                    Question.objects.filter(
                        section__survey=survey, pk=d["condition_question"]
                    ).first()
                    if d.get("condition_question")
                    else None
                )
                services.add_question(
                    user,
                    section,
                    key=d["key"],
                    qtype=d["qtype"],
                    text=forms.translations(d, "text"),
                    required=d["required"],
                    choices=qform.parsed_choices(),
                    theme=d.get("theme") or "",
                    min_value=d.get("min_value"),
                    max_value=d.get("max_value"),
                    condition_question=cond,
                    condition_op=d.get("condition_op") or "",
                    condition_value=d.get("condition_value") or "",
                )
                messages.success(request, _("Question added."))
            else:
                messages.error(
                    request, _("Check the question: %(e)s") % {"e": qform.errors.as_text()}
                )
        elif action == "delete-question":
            q = get_object_or_404(Question, pk=request.POST.get("question"), section__survey=survey)
            services.delete_question(user, q)
            messages.success(request, _("Question deleted."))
        elif action == "copy":
            copy = services.copy_survey(user, survey, slug=request.POST.get("slug", ""))
            messages.success(request, _("A draft copy was made."))
            return redirect("survey:survey", pk=copy.pk)
        elif action == "invite":
            iform = forms.InviteForm(
                request.POST, queryset=permissions.invitable_organisations(user)
            )
            if iform.is_valid():
                result = services.invite_organisations(
                    user, survey, iform.cleaned_data["organisations"]
                )
                messages.success(
                    request,
                    _("%(n)s invitations created (%(s)s skipped).")
                    % {"n": len(result.created), "s": len(result.skipped)},
                )
            else:
                messages.error(request, _("Choose at least one organisation."))
        else:
            raise Http404
    except ValidationError as exc:
        for e in _errors(exc):
            messages.error(request, e)
    return redirect("survey:survey", pk=survey.pk)


@login_required
def survey_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    _require(permissions.can_view_survey_results(request.user, survey))
    header, rows = queries.export_table(
        permissions.exportable_responses(request.user, survey), survey
    )
    name = f"{survey.slug}-responses"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        resp = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("responses")
        ws.append(header)
        for row in rows:
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        resp = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


# --- respondents (personal link, no account) ------------------------------------------------


def respond(request: HttpRequest, token: str) -> HttpResponse:
    try:
        inv = services.invitation_by_token(token)
    except PermissionDenied:
        return render(request, "survey/respond_invalid.html", status=404)
    survey = inv.survey
    questions = services.survey_questions(survey)
    resp = getattr(inv, "response", None) if inv.submitted_at is None else None
    answers = services.current_answers(resp)
    errors: dict[str, list[str]] = {}
    sections = list(survey.sections.order_by("position", "pk"))
    current_key = (
        request.POST.get("section")
        or request.GET.get("section")
        or (sections[0].key if sections else "")
    )
    current = next((s for s in sections if s.key == current_key), sections[0] if sections else None)
    saved = False
    if request.method == "POST" and inv.submitted_at is None and current is not None:
        submit = "submit" in request.POST
        section_questions = [q for q in questions if q.section_id == current.pk]
        raw: dict[str, Any] = {}
        for q in section_questions:
            raw[q.key] = (
                request.POST.getlist(q.key)
                if q.qtype == "multiple"
                else request.POST.get(q.key, "")
            )
        try:
            services.save_answers(token, raw, submit=submit)
            saved = True
            if request.headers.get("HX-Request"):
                return render(request, "survey/_saved.html", {"saved": True})
            if submit:
                return redirect("survey:respond", token=token)
            nxt = request.POST.get("next")
            if nxt and any(s.key == nxt for s in sections):
                return redirect(f"{request.path}?section={nxt}")
            inv.refresh_from_db()
            resp = getattr(inv, "response", None)
            answers = services.current_answers(resp)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            if request.headers.get("HX-Request"):
                return render(request, "survey/_saved.html", {"saved": False, "errors": errors})
            # Show what was typed, with the errors, on the section of the first error.
            for q in section_questions:
                try:
                    answers[q.pk] = services.clean_answer(q, raw.get(q.key))
                except ValueError:
                    answers[q.pk] = raw.get(q.key)
            first = next((q for q in questions if q.key in errors), None)
            if first is not None and first.section_id != current.pk:
                current = next(s for s in sections if s.pk == first.section_id)
    visible = services.visible_questions(
        questions, {k: v for k, v in answers.items() if v is not None}
    )
    idx = sections.index(current) if current in sections else 0
    context = {
        "invitation": inv,
        "survey": survey,
        "sections": sections,
        "current": current,
        "previous": sections[idx - 1] if idx > 0 else None,
        "next": sections[idx + 1] if idx + 1 < len(sections) else None,
        "questions": [
            {
                "q": q,
                "value": answers.get(q.pk),
                "visible": q.pk in visible,
                "errors": errors.get(q.key, []),
                "scale": list(range(int(q.min_value or 1), int(q.max_value or 5) + 1))
                if q.qtype == "scale"
                else [],
                "choices": [
                    (c["value"], localized(c.get("label")) or c["value"]) for c in q.choices or []
                ],
            }
            for q in questions
            if current is not None and q.section_id == current.pk
        ],
        "errors_all": errors.get("__all__", []),
        "has_errors": bool(errors),
        "saved": saved,
        "submitted": inv.submitted_at is not None,
        "is_open": survey.status == Survey.Status.OPEN,
    }
    return render(request, "survey/respond.html", context)


# --- managers: changing the questionnaire (edit, reorder, delete) ---------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _builder_context(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    return {
        "survey": survey,
        "sections": queries.sections_with_questions(survey),
        "can_edit": permissions.can_edit_survey(request.user, survey),
        "section_form": forms.SectionForm(),
        "question_form": forms.QuestionForm(survey=survey),
    }


def _builder_done(
    request: HttpRequest,
    survey: Survey,
    message: str = "",
    exc: ValidationError | None = None,
    anchor: str = "questionnaire",
) -> HttpResponse:
    """htmx: the questionnaire card again, with the message or errors; otherwise back to the
    survey page (the buttons work without JavaScript)."""
    errors = _errors(exc) if exc is not None else []
    if _is_htmx(request):
        context = _builder_context(request, survey)
        context.update({"builder_message": "" if errors else message, "builder_errors": errors})
        return render(request, "survey/_builder.html", context, status=422 if errors else 200)
    for e in errors:
        messages.error(request, e)
    if message and not errors:
        messages.success(request, message)
    return redirect(reverse("survey:survey", args=[survey.pk]) + f"#{anchor}")


def _editable(request: HttpRequest, pk: int) -> Survey:
    survey = get_object_or_404(Survey, pk=pk)
    _require(permissions.can_edit_survey(request.user, survey))
    return survey


@login_required
def builder_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the questionnaire card alone."""
    survey = get_object_or_404(Survey, pk=pk)
    _require(permissions.can_view_survey_results(request.user, survey))
    return render(request, "survey/_builder.html", _builder_context(request, survey))


def _form_errors(form: Any, exc: ValidationError, shown: tuple[str, ...] = ()) -> None:
    """Put the service's field errors on the form: on the field of that name, on the English
    field of a per-language text (``text`` → ``text_en``), else at the top of the form. Errors
    on fields in ``shown`` are displayed by the template itself."""
    for field, msgs in exc.message_dict.items():
        if field.split(".")[0] in shown:
            continue
        for m in msgs:
            if field in form.fields and not form.fields[field].disabled:
                form.add_error(field, m)
            elif f"{field}_en" in form.fields:
                form.add_error(f"{field}_en", m)
            else:
                form.add_error(None, m if field == "__all__" else f"{field}: {m}")


@login_required
def question_edit(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    survey = _editable(request, pk)
    question = get_object_or_404(
        Question.objects.select_related("section", "section__survey"),
        pk=qpk,
        section__survey=survey,
    )
    form = forms.QuestionEditForm(request.POST or None, question=question)
    field_errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        changes = form.changes()
        changes["section"] = get_object_or_404(survey.sections, pk=d["section"])
        changes["condition_question"] = (
            Question.objects.filter(section__survey=survey, pk=d["condition_question"]).first()
            if d.get("condition_question")
            else None
        )
        try:
            services.update_question(request.user, question, changes)
            messages.success(request, _("Question %(key)s saved.") % {"key": question.key})
            return redirect(reverse("survey:survey", args=[survey.pk]) + f"#q-{question.pk}")
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                name = field.split(".")[0]
                if name == "choices" or (name in form.fields and form.fields[name].disabled):
                    field_errors.setdefault(name, []).extend(msgs)
            _form_errors(form, exc, shown=tuple(field_errors))
    return render(
        request,
        "survey/builder_question_edit.html",
        {
            "survey": survey,
            "question": question,
            "form": form,
            "choice_rows": form.choice_rows(),
            "is_choice": question.qtype in ("single", "multiple"),
            "field_errors": field_errors,
            "answered": question.answers.exists(),
            "draft": survey.status == Survey.Status.DRAFT,
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def section_edit(request: HttpRequest, pk: int, spk: int) -> HttpResponse:
    survey = _editable(request, pk)
    section = get_object_or_404(survey.sections.select_related("survey"), pk=spk)
    form = forms.SectionEditForm(request.POST or None, section=section)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_section(
                request.user,
                section,
                key=None if form.fields["key"].disabled else d["key"],
                title=forms.translations(d, "title"),
                intro=forms.translations(d, "intro"),
            )
            messages.success(request, _("Section %(key)s saved.") % {"key": section.key})
            return redirect(reverse("survey:survey", args=[survey.pk]) + f"#s-{section.pk}")
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(
        request,
        "survey/builder_section_edit.html",
        {"survey": survey, "section": section, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def question_delete(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    """GET: the confirmation page; POST: delete."""
    survey = _editable(request, pk)
    question = get_object_or_404(Question, pk=qpk, section__survey=survey)
    if request.method == "POST":
        try:
            services.delete_question(request.user, question)
        except ValidationError as exc:
            return _builder_done(request, survey, exc=exc, anchor=f"q-{question.pk}")
        return _builder_done(request, survey, _("Question deleted."))
    return render(
        request,
        "survey/builder_confirm_delete.html",
        {
            "survey": survey,
            "what": question.display_text,
            "key": question.key,
            "answers": question.answers.count(),
            "dependants": list(question.dependants.values_list("key", flat=True)),
            "questions": [],
        },
    )


@login_required
def section_delete(request: HttpRequest, pk: int, spk: int) -> HttpResponse:
    survey = _editable(request, pk)
    section = get_object_or_404(survey.sections, pk=spk)
    if request.method == "POST":
        try:
            services.delete_section(request.user, section)
        except ValidationError as exc:
            return _builder_done(request, survey, exc=exc, anchor=f"s-{section.pk}")
        return _builder_done(request, survey, _("Section deleted."))
    questions = list(section.questions.order_by("position", "pk"))
    return render(
        request,
        "survey/builder_confirm_delete.html",
        {
            "survey": survey,
            "what": str(section),
            "key": section.key,
            "answers": Answer.objects.filter(question__section=section).count(),
            "dependants": list(
                Question.objects.filter(condition_question__section=section)
                .exclude(section=section)
                .values_list("key", flat=True)
            ),
            "questions": questions,
            "is_section": True,
        },
    )


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    survey = _editable(request, pk)
    question = get_object_or_404(Question, pk=qpk, section__survey=survey)
    try:
        services.move_question(request.user, question, request.POST.get("direction", ""))
    except ValidationError as exc:
        return _builder_done(request, survey, exc=exc, anchor=f"q-{question.pk}")
    return _builder_done(request, survey, _("Question moved."), anchor=f"q-{question.pk}")


@login_required
@require_POST
def section_move(request: HttpRequest, pk: int, spk: int) -> HttpResponse:
    survey = _editable(request, pk)
    section = get_object_or_404(survey.sections, pk=spk)
    try:
        services.move_section(request.user, section, request.POST.get("direction", ""))
    except ValidationError as exc:
        return _builder_done(request, survey, exc=exc, anchor=f"s-{section.pk}")
    return _builder_done(request, survey, _("Section moved."), anchor=f"s-{section.pk}")


@login_required
@require_POST
def reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """The drag-and-drop enhancement: ``layout`` = JSON ``[[section id, [question ids]], ...]``."""
    survey = _editable(request, pk)
    try:
        raw = json.loads(request.POST.get("layout", ""))
        if not isinstance(raw, list) or not all(
            isinstance(item, list) and len(item) == 2 and isinstance(item[1], list) for item in raw
        ):
            raise ValueError
        layout = [(item[0], item[1]) for item in raw]
    except ValueError:
        return _builder_done(
            request, survey, exc=ValidationError({"order": _("The new order could not be read.")})
        )
    try:
        services.reorder_questionnaire(request.user, survey, layout)
    except ValidationError as exc:
        return _builder_done(request, survey, exc=exc)
    return _builder_done(request, survey, _("New order saved."))
