"""Every state change of the survey app: building questionnaires, inviting, answering, importing.

Each public function owns its transaction, checks permissions (``alpsbio.survey.permissions``),
writes an audit entry and raises ``PermissionDenied`` or ``ValidationError`` with field-level
messages (keyed by question key for answers).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.core.audit import record
from alpsbio.core.i18n import LANGUAGE_CODES, clean_translations
from alpsbio.core.links import site_url
from alpsbio.directory.models import Organisation
from alpsbio.survey import permissions
from alpsbio.survey.models import (
    THEMES,
    Answer,
    ConditionOp,
    Invitation,
    Question,
    QuestionType,
    Response,
    Section,
    Survey,
)

logger = logging.getLogger("alpsbio.survey")

SEED_DIR = Path(__file__).with_name("seed")
CLUSTER_SURVEY_PATH = SEED_DIR / "cluster_survey.json"
SCALE_MIN, SCALE_MAX = 1, 5
MAX_TEXT = 5000
REMINDER_INTERVAL_DAYS = 7
MAX_REMINDERS = 3


# --- questionnaire builder ------------------------------------------------------------------


def _require_manager(actor: Any, survey: Survey | None = None) -> None:
    if survey is None:
        allowed = permissions.can_manage_surveys(actor)
    else:
        allowed = permissions.can_edit_survey(actor, survey)
    if not allowed:
        raise PermissionDenied(_("Only cluster managers may manage surveys."))


def _translations(value: Any, field: str, required: bool = True) -> dict[str, str]:
    try:
        cleaned = clean_translations(value, field)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from exc
    if required and not cleaned:
        raise ValidationError({field: _("Give the text in at least one language.")})
    return cleaned


_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _check_key(key: str, field: str = "key") -> str:
    key = (key or "").strip()
    if not _KEY_RE.match(key):
        raise ValidationError(
            {field: _("Use 1-60 lower-case letters, digits, '-' or '_' (e.g. rate_finance).")}
        )
    return key


def _check_draft(survey: Survey) -> None:
    if survey.status != Survey.Status.DRAFT:
        raise ValidationError(
            {"__all__": _("The questionnaire can only be changed while the survey is a draft.")}
        )


def create_survey(
    actor: Any,
    *,
    slug: str,
    title: Mapping[str, str],
    intro: Mapping[str, str] | None = None,
    anonymous: bool = False,
) -> Survey:
    _require_manager(actor)
    slug = _check_key(slug, "slug")
    if Survey.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("A survey with this identifier exists already.")})
    with transaction.atomic():
        survey = Survey.objects.create(
            slug=slug,
            title=_translations(title, "title"),
            intro=_translations(intro, "intro", required=False),
            anonymous=anonymous,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record("survey.create", survey, actor, f"survey {slug}")
    return survey


def update_survey(
    actor: Any,
    survey: Survey,
    *,
    title: Mapping[str, str] | None = None,
    intro: Mapping[str, str] | None = None,
    anonymous: bool | None = None,
    closes_at: Any = None,
) -> Survey:
    _require_manager(actor, survey)
    with transaction.atomic():
        if title is not None:
            survey.title = _translations(title, "title")
        if intro is not None:
            survey.intro = _translations(intro, "intro", required=False)
        if anonymous is not None and anonymous != survey.anonymous:
            if survey.responses.exists():
                raise ValidationError(
                    {"anonymous": _("Anonymity cannot change once responses exist.")}
                )
            survey.anonymous = anonymous
        if closes_at is not None:
            survey.closes_at = closes_at
        survey.save()
        record("survey.update", survey, actor, f"survey {survey.slug}")
    return survey


def add_section(
    actor: Any,
    survey: Survey,
    *,
    key: str,
    title: Mapping[str, str],
    intro: Mapping[str, str] | None = None,
) -> Section:
    _require_manager(actor, survey)
    _check_draft(survey)
    key = _check_key(key)
    if survey.sections.filter(key=key).exists():
        raise ValidationError({"key": _("This survey has a section with this identifier already.")})
    with transaction.atomic():
        last = survey.sections.order_by("-position").values_list("position", flat=True).first()
        section = Section.objects.create(
            survey=survey,
            key=key,
            title=_translations(title, "title"),
            intro=_translations(intro, "intro", required=False),
            position=(last + 1) if last is not None else 0,
        )
        record("survey.section.add", survey, actor, f"section {key}")
    return section


def _clean_choices(qtype: str, choices: Any) -> list[dict[str, Any]]:
    if qtype not in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return []
    if not isinstance(choices, Sequence) or isinstance(choices, str) or len(choices) < 2:
        raise ValidationError({"choices": _("A choice question needs at least two choices.")})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, c in enumerate(choices):
        if not isinstance(c, Mapping):
            raise ValidationError({f"choices.{i}": _("Expected an object with value and label.")})
        value = str(c.get("value", "")).strip()
        if not value or len(value) > 100 or value in seen:
            raise ValidationError(
                {f"choices.{i}.value": _("Each choice needs a distinct value (1-100 characters).")}
            )
        seen.add(value)
        out.append({"value": value, "label": _translations(c.get("label"), f"choices.{i}.label")})
    return out


def _check_condition(
    survey: Survey, question: Question | None, cond_q: Question | None, op: str, value: str
) -> None:
    if cond_q is None:
        return
    if cond_q.section.survey_id != survey.pk:
        raise ValidationError({"condition_question": _("Choose a question of the same survey.")})
    if question is not None and cond_q.pk == question.pk:
        raise ValidationError({"condition_question": _("A question cannot depend on itself.")})
    if op not in ConditionOp.values:
        raise ValidationError({"condition_op": _("Choose 'equals' or 'contains'.")})
    if not value:
        raise ValidationError({"condition_value": _("Give the answer that shows the question.")})
    if op == ConditionOp.CONTAINS and cond_q.qtype not in (
        QuestionType.MULTIPLE,
        QuestionType.TEXT,
    ):
        raise ValidationError(
            {"condition_op": _("'contains' applies to multiple-choice and free-text questions.")}
        )
    if cond_q.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) and value not in {
        c["value"] for c in cond_q.choices
    }:
        raise ValidationError({"condition_value": _("This is not one of the choices.")})
    # The condition must come earlier in the questionnaire, so that conditions cannot loop.
    if question is not None:
        order = list(
            Question.objects.filter(section__survey=survey)
            .order_by("section__position", "position", "pk")
            .values_list("pk", flat=True)
        )
        if order.index(cond_q.pk) > order.index(question.pk):
            raise ValidationError(
                {"condition_question": _("The condition must be on an earlier question.")}
            )


def add_question(
    actor: Any,
    section: Section,
    *,
    key: str,
    qtype: str,
    text: Mapping[str, str],
    required: bool = False,
    choices: Any = None,
    help_text: Mapping[str, str] | None = None,
    theme: str = "",
    min_value: float | None = None,
    max_value: float | None = None,
    condition_question: Question | None = None,
    condition_op: str = "",
    condition_value: str = "",
) -> Question:
    survey = section.survey
    _require_manager(actor, survey)
    _check_draft(survey)
    key = _check_key(key)
    if qtype not in QuestionType.values:
        raise ValidationError({"qtype": _("Unknown question type.")})
    if Question.objects.filter(section__survey=survey, key=key).exists():
        raise ValidationError(
            {"key": _("This survey has a question with this identifier already.")}
        )
    if theme and theme not in THEMES:
        raise ValidationError({"theme": _("Unknown theme.")})
    if theme and qtype != QuestionType.SCALE:
        raise ValidationError({"theme": _("Only scale questions rate a theme.")})
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ValidationError({"max_value": _("The maximum is below the minimum.")})
    cleaned_choices = _clean_choices(qtype, choices)
    _check_condition(survey, None, condition_question, condition_op, condition_value)
    with transaction.atomic():
        last = section.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question.objects.create(
            section=section,
            key=key,
            qtype=qtype,
            text=_translations(text, "text"),
            help_text=_translations(help_text, "help_text", required=False),
            required=required,
            choices=cleaned_choices,
            theme=theme,
            min_value=min_value,
            max_value=max_value,
            condition_question=condition_question,
            condition_op=condition_op if condition_question else "",
            condition_value=condition_value if condition_question else "",
            position=(last + 1) if last is not None else 0,
        )
        record("survey.question.add", survey, actor, f"question {key} ({qtype})")
    return question


# --- editing, reordering and deleting (the builder once questions exist) ---------------------
#
# Rules (docs/survey.md, "Changing a questionnaire"): while a survey is a draft everything may
# change. Once it has been opened, texts (all languages), required/optional, conditions and the
# order may still change, and each change is recorded in the audit trail with its before and
# after; a question's type and identifier are fixed, an option that was chosen in an answer
# cannot be removed, the bounds of an answered scale cannot move, a number's bounds cannot
# exclude answers given, and an answered question (or a section holding one) cannot be deleted.

_QUESTION_FIELDS = frozenset(
    {
        "key",
        "qtype",
        "text",
        "help_text",
        "required",
        "choices",
        "theme",
        "min_value",
        "max_value",
        "condition_question",
        "condition_op",
        "condition_value",
        "section",
    }
)


def _lock_survey(survey: Survey) -> Survey:
    """Serialise builder changes of one survey (call inside the transaction)."""
    return Survey.objects.select_for_update().get(pk=survey.pk)


def _answered_values(question: Question) -> set[str]:
    """The option values (or scalar answers as text) chosen in any answer to ``question``."""
    out: set[str] = set()
    for value in Answer.objects.filter(question=question).values_list("value", flat=True):
        if isinstance(value, list):
            out.update(str(v) for v in value)
        elif value is not None:
            out.add(str(value))
    return out


def _ordered_questions(survey: Survey) -> list[Question]:
    return list(
        Question.objects.filter(section__survey=survey)
        .select_related("section", "condition_question")
        .order_by("section__position", "position", "pk")
    )


def _check_order(survey: Survey, field: str = "order") -> None:
    """Every condition must point to an earlier question in the (new) questionnaire order."""
    questions = _ordered_questions(survey)
    index = {q.pk: i for i, q in enumerate(questions)}
    for q in questions:
        if q.condition_question_id is None:
            continue
        cond_index = index.get(q.condition_question_id)
        if cond_index is None or cond_index >= index[q.pk]:
            cond_key = q.condition_question.key if q.condition_question else "?"
            raise ValidationError(
                {
                    field: _(
                        "Question %(q)s is shown depending on %(c)s, so it must come after it."
                    )
                    % {"q": q.key, "c": cond_key}
                }
            )


def _renumber(items: Sequence[Section | Question]) -> None:
    for pos, item in enumerate(items):
        if item.position != pos:
            if isinstance(item, Section):
                Section.objects.filter(pk=item.pk).update(position=pos)
            else:
                Question.objects.filter(pk=item.pk).update(position=pos)
            item.position = pos


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in after
        if before.get(k) != after.get(k)
    }


def _question_snapshot(q: Question) -> dict[str, Any]:
    return {
        "key": q.key,
        "qtype": q.qtype,
        "text": q.text,
        "help_text": q.help_text,
        "required": q.required,
        "choices": q.choices,
        "theme": q.theme,
        "min_value": q.min_value,
        "max_value": q.max_value,
        "condition_question": q.condition_question.key if q.condition_question else None,
        "condition_op": q.condition_op,
        "condition_value": q.condition_value,
        "section": q.section.key,
    }


def update_section(
    actor: Any,
    section: Section,
    *,
    key: str | None = None,
    title: Mapping[str, str] | None = None,
    intro: Mapping[str, str] | None = None,
) -> Section:
    """Re-word a section (any time) or change its identifier (draft only); audited with a diff."""
    survey = section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        section = Section.objects.get(pk=section.pk)
        before = {"key": section.key, "title": section.title, "intro": section.intro}
        if key is not None and key != section.key:
            if survey.status != Survey.Status.DRAFT:
                raise ValidationError(
                    {"key": _("The identifier is fixed once the survey has been opened.")}
                )
            key = _check_key(key)
            if survey.sections.filter(key=key).exclude(pk=section.pk).exists():
                raise ValidationError(
                    {"key": _("This survey has a section with this identifier already.")}
                )
            section.key = key
        if title is not None:
            section.title = _translations(title, "title")
        if intro is not None:
            section.intro = _translations(intro, "intro", required=False)
        after = {"key": section.key, "title": section.title, "intro": section.intro}
        changes = _diff(before, after)
        if changes:
            section.save(update_fields=["key", "title", "intro"])
            record(
                "survey.section.update",
                survey,
                actor,
                f"section {section.key}: {', '.join(sorted(changes))}",
                {"section": section.pk, "changes": changes},
            )
    return section


def update_question(actor: Any, question: Question, changes: Mapping[str, Any]) -> Question:
    """Change a question: only the fields named in ``changes`` (see ``_QUESTION_FIELDS``).

    ``condition_question`` is a ``Question`` or ``None`` (no condition); ``section`` a
    ``Section`` of the same survey (the question moves to its end). Raises ``ValidationError``
    keyed by field name; nothing is saved then.
    """
    unknown = set(changes) - _QUESTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    survey = question.section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        q = Question.objects.select_related("section", "condition_question").get(pk=question.pk)
        before = _question_snapshot(q)
        draft = survey.status == Survey.Status.DRAFT
        answered = Answer.objects.filter(question=q).exists()
        errors: dict[str, list[str]] = {}

        def err(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if "key" in changes and str(changes["key"] or "").strip() != q.key:
            if not draft:
                err("key", _("The identifier is fixed once the survey has been opened."))
            else:
                try:
                    new_key = _check_key(str(changes["key"] or ""))
                    if (
                        Question.objects.filter(section__survey=survey, key=new_key)
                        .exclude(pk=q.pk)
                        .exists()
                    ):
                        err("key", _("This survey has a question with this identifier already."))
                    q.key = new_key
                except ValidationError as exc:
                    err("key", exc.message_dict["key"][0])
        if "qtype" in changes and changes["qtype"] != q.qtype:
            if changes["qtype"] not in QuestionType.values:
                err("qtype", _("Unknown question type."))
            elif not draft:
                err(
                    "qtype",
                    _(
                        "The type of a question cannot change once the survey has been opened: "
                        "its answers would no longer fit. Add a new question to a copy of the "
                        "survey instead."
                    ),
                )
            else:
                q.qtype = changes["qtype"]
        for field in ("text", "help_text"):
            if field in changes:
                try:
                    setattr(
                        q, field, _translations(changes[field], field, required=field == "text")
                    )
                except ValidationError as exc:
                    for m in exc.message_dict.get(field, []):
                        err(field, m)
        if "required" in changes:
            q.required = bool(changes["required"])
        # Options: re-label and add at any time; remove only options nobody chose.
        is_choice = q.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        if "choices" in changes or "qtype" in changes:
            try:
                new_choices = _clean_choices(q.qtype, changes.get("choices", q.choices))
            except ValidationError as exc:
                for f, ms in exc.message_dict.items():
                    for m in ms:
                        err("choices" if f.startswith("choices") else f, m)
                new_choices = q.choices
            if is_choice and answered:
                removed = {c["value"] for c in before["choices"]} - {
                    c["value"] for c in new_choices
                }
                used = sorted(removed & _answered_values(q))
                if used:
                    err(
                        "choices",
                        _(
                            "These options were chosen in answers already and cannot be "
                            "removed: %(values)s. Re-label them instead."
                        )
                        % {"values": ", ".join(used)},
                    )
            q.choices = new_choices
        if "theme" in changes and (changes["theme"] or "") != q.theme:
            theme = changes["theme"] or ""
            if theme and theme not in THEMES:
                err("theme", _("Unknown theme."))
            elif answered:
                err("theme", _("The theme of an answered question cannot change."))
            else:
                q.theme = theme
        if q.theme and q.qtype != QuestionType.SCALE:
            err("theme", _("Only scale questions rate a theme."))
        # Bounds.
        for field in ("min_value", "max_value"):
            if field in changes:
                value = changes[field]
                if value is not None and (
                    not isinstance(value, int | float)
                    or isinstance(value, bool)
                    or math.isnan(value)
                    or math.isinf(value)
                ):
                    err(field, _("Enter a number."))
                else:
                    setattr(q, field, value)
        if q.qtype == QuestionType.SCALE:
            for field in ("min_value", "max_value"):
                value = getattr(q, field)
                if value is not None and not float(value).is_integer():
                    err(field, _("The bounds of a scale are whole numbers."))
            if answered and (q.min_value, q.max_value) != (
                before["min_value"],
                before["max_value"],
            ):
                err(
                    "min_value",
                    _(
                        "The bounds of an answered scale cannot change: the answers were "
                        "given on the old scale."
                    ),
                )
        elif q.qtype != QuestionType.NUMBER:
            q.min_value = q.max_value = None
        if q.min_value is not None and q.max_value is not None and q.min_value > q.max_value:
            err("max_value", _("The maximum is below the minimum."))
        if q.qtype == QuestionType.NUMBER and answered and "max_value" not in errors:
            outside = [
                v
                for v in Answer.objects.filter(question=q).values_list("value", flat=True)
                if isinstance(v, int | float)
                and (
                    (q.min_value is not None and v < q.min_value)
                    or (q.max_value is not None and v > q.max_value)
                )
            ]
            if outside:
                err(
                    "min_value",
                    _("%(n)s answers given already fall outside these bounds.")
                    % {"n": len(outside)},
                )
        # Moving to another section (at its end).
        if "section" in changes and changes["section"] is not None:
            target = changes["section"]
            if not isinstance(target, Section) or target.survey_id != survey.pk:
                err("section", _("Choose a section of the same survey."))
            elif target.pk != q.section_id:
                last = (
                    target.questions.order_by("-position")
                    .values_list("position", flat=True)
                    .first()
                )
                q.section = target
                q.position = (last + 1) if last is not None else 0
        if errors:
            raise ValidationError(errors)
        old_section_id = before["section"]
        q.save()
        if q.section.key != old_section_id:
            old = Section.objects.get(survey=survey, key=old_section_id)
            _renumber(list(old.questions.order_by("position", "pk")))
        # The condition, checked against the (new) order.
        if {"condition_question", "condition_op", "condition_value"} & set(changes):
            cond_q = changes.get("condition_question", q.condition_question)
            op = str(changes.get("condition_op", q.condition_op) or "")
            value = str(changes.get("condition_value", q.condition_value) or "").strip()
            if cond_q is not None and not isinstance(cond_q, Question):
                raise ValidationError({"condition_question": _("Choose a question.")})
            if cond_q is not None:
                cond_q = Question.objects.select_related("section").get(pk=cond_q.pk)
                _check_condition(survey, q, cond_q, op, value)
            q.condition_question = cond_q
            q.condition_op = op if cond_q else ""
            q.condition_value = value if cond_q else ""
            q.save(update_fields=["condition_question", "condition_op", "condition_value"])
        # Questions that depend on this one must still make sense with its new type/options.
        for dep in q.dependants.select_related("section"):
            try:
                _check_condition(survey, dep, q, dep.condition_op, dep.condition_value)
            except ValidationError as exc:
                field = "qtype" if "qtype" in changes and before["qtype"] != q.qtype else "choices"
                msgs = [m for ms in exc.message_dict.values() for m in ms]
                raise ValidationError(
                    {
                        field: _("Question %(q)s depends on this one: %(m)s")
                        % {"q": dep.key, "m": " ".join(msgs)}
                    }
                ) from exc
        _check_order(survey, "section" if "section" in changes else "condition_question")
        q.refresh_from_db()
        diff = _diff(before, _question_snapshot(q))
        if diff:
            record(
                "survey.question.update",
                survey,
                actor,
                f"question {q.key}: {', '.join(sorted(diff))}",
                {"question": q.pk, "answered": answered, "changes": diff},
            )
    return q


def _can_delete(survey: Survey, questions: Sequence[Question], field: str) -> None:
    if survey.status == Survey.Status.DRAFT:
        return
    ids = [q.pk for q in questions]
    answered = sorted(
        Question.objects.filter(pk__in=ids, answers__isnull=False)
        .values_list("key", flat=True)
        .distinct()
    )
    if answered:
        raise ValidationError(
            {
                field: _(
                    "Answered questions cannot be deleted once the survey has been opened: "
                    "%(keys)s."
                )
                % {"keys": ", ".join(answered)}
            }
        )
    dependants = sorted(
        Question.objects.filter(condition_question__in=ids)
        .exclude(pk__in=ids)
        .values_list("key", flat=True)
    )
    if dependants:
        raise ValidationError(
            {
                field: _("Remove the condition of %(keys)s first: they depend on this.")
                % {"keys": ", ".join(dependants)}
            }
        )
    if not Question.objects.filter(section__survey=survey).exclude(pk__in=ids).exists():
        raise ValidationError({field: _("An opened survey keeps at least one question.")})


def delete_question(actor: Any, question: Question) -> None:
    """Delete a question: any time while a draft (conditions on it are removed), afterwards only
    if nobody answered it and no question depends on it."""
    survey = question.section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        question = Question.objects.select_related("section").get(pk=question.pk)
        _can_delete(survey, [question], "__all__")
        dependants = list(
            Question.objects.filter(condition_question=question).values_list("key", flat=True)
        )
        Question.objects.filter(condition_question=question).update(
            condition_question=None, condition_op="", condition_value=""
        )
        record(
            "survey.question.delete",
            survey,
            actor,
            f"question {question.key}",
            {"question": _question_snapshot(question), "conditions_removed": dependants},
        )
        section = question.section
        question.delete()
        _renumber(list(section.questions.order_by("position", "pk")))


def delete_section(actor: Any, section: Section) -> None:
    """Delete a section and its questions, with the same rules as ``delete_question``."""
    survey = section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        section = Section.objects.get(pk=section.pk)
        questions = list(section.questions.select_related("section", "condition_question"))
        _can_delete(survey, questions, "__all__")
        ids = [q.pk for q in questions]
        Question.objects.filter(condition_question__in=ids).exclude(pk__in=ids).update(
            condition_question=None, condition_op="", condition_value=""
        )
        record(
            "survey.section.delete",
            survey,
            actor,
            f"section {section.key} ({len(questions)} questions)",
            {"section": section.key, "questions": [q.key for q in questions]},
        )
        section.delete()
        _renumber(list(survey.sections.order_by("position", "pk")))


Layout = Sequence[tuple[int, Sequence[int]]]


def _layout(survey: Survey) -> list[tuple[int, list[int]]]:
    sections = list(survey.sections.order_by("position", "pk").values_list("pk", flat=True))
    by_section: dict[int, list[int]] = {pk: [] for pk in sections}
    for q_id, s_id in (
        Question.objects.filter(section__survey=survey)
        .order_by("position", "pk")
        .values_list("pk", "section_id")
    ):
        by_section[s_id].append(q_id)
    return [(pk, by_section[pk]) for pk in sections]


def reorder_questionnaire(actor: Any, survey: Survey, layout: Layout) -> None:
    """Set the order of sections and questions at once: ``[(section id, [question ids])...]``.

    Every section and question of the survey must appear exactly once; a question may move to
    another section. Refused (``order``) if a condition would point to a later question.
    Allowed at any time: answers are stored per question, so exports and analysis follow.
    """
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        current = _layout(survey)
        _apply_layout(actor, survey, current, layout)


def _apply_layout(
    actor: Any, survey: Survey, current: Layout, layout: Layout, summary: str = ""
) -> None:
    section_ids = [s for s, _qs in current]
    question_ids = sorted(q for _s, qs in current for q in qs)
    try:
        new_sections = [int(s) for s, _qs in layout]
        new_questions = [int(q) for _s, qs in layout for q in qs]
    except (TypeError, ValueError):
        raise ValidationError({"order": _("Give section and question numbers.")}) from None
    if sorted(new_sections) != sorted(section_ids) or sorted(new_questions) != question_ids:
        raise ValidationError(
            {
                "order": _(
                    "Give every section and every question of the survey exactly once "
                    "(the questionnaire may have changed meanwhile: reload the page)."
                )
            }
        )
    if [(s, list(qs)) for s, qs in current] == [(int(s), [int(q) for q in qs]) for s, qs in layout]:
        return
    sections = {s.pk: s for s in survey.sections.all()}
    questions = {q.pk: q for q in Question.objects.filter(section__survey=survey)}
    for s_pos, (s_id, q_ids) in enumerate(layout):
        Section.objects.filter(pk=int(s_id)).update(position=s_pos)
        for q_pos, q_id in enumerate(q_ids):
            q = questions[int(q_id)]
            if q.position != q_pos or q.section_id != int(s_id):
                Question.objects.filter(pk=q.pk).update(section_id=int(s_id), position=q_pos)
    _check_order(survey)
    keys_before = [(sections[s].key, [questions[q].key for q in qs]) for s, qs in current]
    keys_after = [(sections[int(s)].key, [questions[int(q)].key for q in qs]) for s, qs in layout]
    record(
        "survey.reorder",
        survey,
        actor,
        summary or _("questionnaire reordered"),
        {
            "before": [{"section": s, "questions": qs} for s, qs in keys_before],
            "after": [{"section": s, "questions": qs} for s, qs in keys_after],
        },
    )


def move_section(actor: Any, section: Section, direction: str) -> None:
    """Move a section one place ``up`` or ``down``."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose up or down.")})
    survey = section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        current = _layout(survey)
        new = [(s, list(qs)) for s, qs in current]
        i = next(i for i, (s, _qs) in enumerate(new) if s == section.pk)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(new):
            return
        new[i], new[j] = new[j], new[i]
        _apply_layout(actor, survey, current, new, f"section {section.key} moved {direction}")


def move_question(actor: Any, question: Question, direction: str) -> None:
    """Move a question one place ``up`` or ``down``; past the top or bottom of its section it
    goes to the end of the previous section or the start of the next one."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose up or down.")})
    survey = question.section.survey
    _require_manager(actor, survey)
    with transaction.atomic():
        survey = _lock_survey(survey)
        current = _layout(survey)
        new = [(s, list(qs)) for s, qs in current]
        si = next(i for i, (_s, qs) in enumerate(new) if question.pk in qs)
        qs = new[si][1]
        qi = qs.index(question.pk)
        if direction == "up":
            if qi > 0:
                qs[qi - 1], qs[qi] = qs[qi], qs[qi - 1]
            elif si > 0:
                qs.pop(qi)
                new[si - 1][1].append(question.pk)
            else:
                return
        else:
            if qi + 1 < len(qs):
                qs[qi + 1], qs[qi] = qs[qi], qs[qi + 1]
            elif si + 1 < len(new):
                qs.pop(qi)
                new[si + 1][1].insert(0, question.pk)
            else:
                return
        _apply_layout(actor, survey, current, new, f"question {question.key} moved {direction}")


def copy_survey(actor: Any, survey: Survey, *, slug: str) -> Survey:
    """A draft copy of ``survey``'s questionnaire (no invitations, no responses), owned by
    ``actor``: the way to change question types once a survey has been opened."""
    _require_manager(actor)
    if not permissions.can_view_survey_results(actor, survey):
        raise PermissionDenied(_("Only cluster managers may manage surveys."))
    slug = _check_key(slug, "slug")
    if Survey.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("A survey with this identifier exists already.")})
    with transaction.atomic():
        copy = Survey.objects.create(
            slug=slug,
            title=survey.title,
            intro=survey.intro,
            anonymous=survey.anonymous,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        mapping: dict[int, Question] = {}
        for s in survey.sections.order_by("position", "pk"):
            new_s = Section.objects.create(
                survey=copy, key=s.key, title=s.title, intro=s.intro, position=s.position
            )
            for q in s.questions.order_by("position", "pk"):
                mapping[q.pk] = Question.objects.create(
                    section=new_s,
                    key=q.key,
                    qtype=q.qtype,
                    text=q.text,
                    help_text=q.help_text,
                    required=q.required,
                    choices=q.choices,
                    theme=q.theme,
                    min_value=q.min_value,
                    max_value=q.max_value,
                    condition_question=mapping.get(q.condition_question_id or 0),
                    condition_op=q.condition_op,
                    condition_value=q.condition_value,
                    position=q.position,
                )
        record("survey.copy", copy, actor, f"survey {slug} copied from {survey.slug}")
    return copy


def open_survey(actor: Any, survey: Survey) -> Survey:
    _require_manager(actor, survey)
    if not Question.objects.filter(section__survey=survey).exists():
        raise ValidationError(
            {"__all__": _("Add at least one question before opening the survey.")}
        )
    with transaction.atomic():
        survey.status = Survey.Status.OPEN
        survey.save(update_fields=["status", "updated_at"])
        record("survey.open", survey, actor, f"survey {survey.slug} opened")
    return survey


def close_survey(actor: Any, survey: Survey) -> Survey:
    _require_manager(actor, survey)
    with transaction.atomic():
        survey.status = Survey.Status.CLOSED
        survey.save(update_fields=["status", "updated_at"])
        record("survey.close", survey, actor, f"survey {survey.slug} closed")
    return survey


# --- the cluster's own questionnaire (seed) -------------------------------------------------


def load_questionnaire(
    data: Mapping[str, Any], actor: Any = None, open_it: bool = True
) -> tuple[Survey, bool]:
    """Create a survey from the seed format (see ``seed/cluster_survey.json``); idempotent.

    Returns ``(survey, created)``. An existing survey with the same slug and version is left
    alone; one with another version is rebuilt only while it has no responses.
    """
    slug = _check_key(str(data.get("slug", "")), "slug")
    version = str(data.get("version", ""))
    with transaction.atomic():
        existing = Survey.objects.filter(slug=slug).first()
        if existing is not None:
            if existing.seed_version == version or existing.responses.exists():
                return existing, False
            existing.sections.all().delete()
            survey = existing
            survey.title = _translations(data.get("title"), "title")
            survey.intro = _translations(data.get("intro"), "intro", required=False)
            survey.anonymous = bool(data.get("anonymous", False))
            survey.seed_version = version
            survey.save()
        else:
            survey = Survey.objects.create(
                slug=slug,
                title=_translations(data.get("title"), "title"),
                intro=_translations(data.get("intro"), "intro", required=False),
                anonymous=bool(data.get("anonymous", False)),
                seed_version=version,
            )
        by_key: dict[str, Question] = {}
        for s_pos, s in enumerate(data.get("sections", [])):
            section = Section.objects.create(
                survey=survey,
                key=_check_key(str(s.get("key", "")), f"sections.{s_pos}.key"),
                title=_translations(s.get("title"), f"sections.{s_pos}.title"),
                intro=_translations(s.get("intro"), f"sections.{s_pos}.intro", required=False),
                position=s_pos,
            )
            for q_pos, q in enumerate(s.get("questions", [])):
                where = f"sections.{s_pos}.questions.{q_pos}"
                qtype = str(q.get("type", ""))
                if qtype not in QuestionType.values:
                    raise ValidationError({f"{where}.type": _("Unknown question type.")})
                cond = q.get("condition") or {}
                cond_q = by_key.get(str(cond.get("question", ""))) if cond else None
                if cond and cond_q is None:
                    raise ValidationError(
                        {f"{where}.condition": _("The condition must be on an earlier question.")}
                    )
                key = _check_key(str(q.get("key", "")), f"{where}.key")
                if key in by_key:
                    raise ValidationError({f"{where}.key": _("Duplicate question identifier.")})
                question = Question.objects.create(
                    section=section,
                    key=key,
                    qtype=qtype,
                    text=_translations(q.get("text"), f"{where}.text"),
                    help_text=_translations(q.get("help"), f"{where}.help", required=False),
                    required=bool(q.get("required", False)),
                    choices=_clean_choices(qtype, q.get("choices")),
                    theme=str(q.get("theme", "")),
                    min_value=q.get("min"),
                    max_value=q.get("max"),
                    condition_question=cond_q,
                    condition_op=str(cond.get("op", "")) if cond_q else "",
                    condition_value=str(cond.get("value", "")) if cond_q else "",
                    position=q_pos,
                )
                if cond_q is not None:
                    _check_condition(
                        survey, question, cond_q, question.condition_op, question.condition_value
                    )
                by_key[key] = question
        if open_it:
            survey.status = Survey.Status.OPEN
            survey.save(update_fields=["status", "updated_at"])
        record("survey.seed", survey, actor, f"questionnaire {slug} version {version}")
    return survey, True


def load_cluster_questionnaire(actor: Any = None) -> Survey:
    """The cluster's territorial questionnaire (EN/FR/IT/DE), shipped in ``seed/``."""
    data = json.loads(CLUSTER_SURVEY_PATH.read_text(encoding="utf-8"))
    survey, _created = load_questionnaire(data, actor)
    return survey


# --- answers: cleaning, conditional display, validation -------------------------------------


def clean_answer(question: Question, raw: Any) -> Any:
    """Turn raw input (form strings or JSON) into the stored value; ``None`` if empty.

    Raises ``ValueError`` with a message for the respondent.
    """
    if raw is None or raw == "" or raw == []:
        return None
    qtype = question.qtype
    if qtype == QuestionType.MULTIPLE:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise ValueError(_("Choose one or more of the options."))
        allowed = [c["value"] for c in question.choices]
        values = [str(v) for v in items if str(v) != ""]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(_("Not an option: %(value)s") % {"value": bad[0]})
        return [v for v in allowed if v in values] or None  # choice order, no duplicates
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            raise ValueError(_("Give one answer."))
        raw = raw[0]
    if isinstance(raw, Mapping | list | tuple):
        raise ValueError(_("Give one answer."))
    if qtype == QuestionType.SINGLE:
        value = str(raw)
        if value not in {c["value"] for c in question.choices}:
            raise ValueError(_("Not an option: %(value)s") % {"value": value})
        return value
    if qtype == QuestionType.SCALE:
        lo = int(question.min_value) if question.min_value is not None else SCALE_MIN
        hi = int(question.max_value) if question.max_value is not None else SCALE_MAX
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValueError(
                _("Choose a value from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi}
            ) from None
        if not lo <= number <= hi:
            raise ValueError(_("Choose a value from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi})
        return number
    if qtype == QuestionType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(_("Enter a number."))
        try:
            number_f = float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        if math.isnan(number_f) or math.isinf(number_f):
            raise ValueError(_("Enter a number."))
        if question.min_value is not None and number_f < question.min_value:
            raise ValueError(_("Enter at least %(min)s.") % {"min": f"{question.min_value:g}"})
        if question.max_value is not None and number_f > question.max_value:
            raise ValueError(_("Enter at most %(max)s.") % {"max": f"{question.max_value:g}"})
        return int(number_f) if number_f.is_integer() else number_f
    # Free text.
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise ValueError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT})
    return text or None


def condition_met(question: Question, answers: Mapping[int, Any]) -> bool:
    """Whether the condition on ``question`` holds for ``answers`` (question id → value)."""
    if question.condition_question_id is None:
        return True
    given = answers.get(question.condition_question_id)
    if given is None:
        return False
    want = question.condition_value
    if question.condition_op == ConditionOp.CONTAINS:
        if isinstance(given, list):
            return want in given
        return want.lower() in str(given).lower()
    if isinstance(given, list):
        return given == [want]
    return str(given) == want


def visible_questions(questions: Sequence[Question], answers: Mapping[int, Any]) -> set[int]:
    """IDs of the questions shown for ``answers`` (conditions chain: a hidden question's
    answer does not count). ``questions`` must be in questionnaire order."""
    shown: set[int] = set()
    effective: dict[int, Any] = {}
    for q in questions:
        if q.condition_question_id is None or (
            q.condition_question_id in shown and condition_met(q, effective)
        ):
            shown.add(q.pk)
            if answers.get(q.pk) is not None:
                effective[q.pk] = answers[q.pk]
    return shown


def survey_questions(survey: Survey) -> list[Question]:
    return list(
        Question.objects.filter(section__survey=survey)
        .select_related("section")
        .order_by("section__position", "position", "pk")
    )


def validate_answers(
    questions: Sequence[Question],
    raw: Mapping[str, Any],
    existing: Mapping[int, Any],
    final: bool,
    strict: bool = False,
) -> dict[int, Any]:
    """Clean ``raw`` (question key → raw value) over ``existing`` answers.

    Returns all answers (question id → value, ``None`` = cleared) after the update. Raises
    ``ValidationError`` keyed by question key. On ``final`` every required visible question must
    be answered. Answers to hidden questions are never stored: they are dropped (forms, where a
    hidden field may keep its old value) or, with ``strict`` (the API), refused.
    """
    by_key = {q.key: q for q in questions}
    errors: dict[str, list[str]] = {}
    merged: dict[int, Any] = dict(existing)
    for key, value in raw.items():
        q = by_key.get(key)
        if q is None:
            errors.setdefault(key, []).append(_("No such question in this survey."))
            continue
        try:
            merged[q.pk] = clean_answer(q, value)
        except ValueError as exc:
            errors.setdefault(key, []).append(str(exc))
    shown = visible_questions(questions, {k: v for k, v in merged.items() if v is not None})
    for q in questions:
        if q.pk not in shown:
            if (
                strict
                and key_given(raw, q.key)
                and merged.get(q.pk) is not None
                and q.key not in errors
            ):
                errors.setdefault(q.key, []).append(
                    _("This question does not apply given your other answers.")
                )
            merged[q.pk] = None
        elif final and q.required and merged.get(q.pk) is None and q.key not in errors:
            errors.setdefault(q.key, []).append(_("This question is required."))
    if errors:
        raise ValidationError(errors)
    return merged


def key_given(raw: Mapping[str, Any], key: str) -> bool:
    return key in raw and raw[key] not in (None, "", [])


def invitation_by_token(token: str) -> Invitation:
    """The invitation for a personal link, or ``PermissionDenied`` (never say which part failed)."""
    inv = (
        Invitation.objects.select_related("survey", "organisation", "organisation__nuts2")
        .filter(token=token)
        .first()
        if token
        else None
    )
    if inv is None:
        raise PermissionDenied(_("This link is not valid."))
    return inv


def _response_for(inv: Invitation) -> Response:
    resp = Response.objects.filter(invitation=inv).first()
    if resp is None:
        org = inv.organisation
        resp = Response.objects.create(
            survey=inv.survey,
            invitation=inv,
            region=org.nuts2,
            org_type=org.org_type,
            language=inv.language,
        )
    return resp


def current_answers(resp: Response | None) -> dict[int, Any]:
    if resp is None:
        return {}
    return dict(resp.answers.values_list("question_id", "value"))


def save_answers(
    token: str, raw: Mapping[str, Any], *, submit: bool = False, strict: bool = False
) -> Response:
    """Save (partial) answers through a personal link; ``submit`` validates everything and ends.

    Save and resume: partial answers are kept as they are typed (only their format is checked);
    required questions are checked on submit. For an anonymous survey the response is detached
    from the invitation on submit, and only the submission day is kept.
    """
    with transaction.atomic():
        inv = invitation_by_token(token)
        inv = (
            Invitation.objects.select_for_update()
            .select_related("survey", "organisation")
            .get(pk=inv.pk)
        )
        survey = inv.survey
        if inv.submitted_at is not None:
            raise ValidationError(
                {"__all__": _("These answers were submitted already. Thank you!")}
            )
        if survey.status != Survey.Status.OPEN or (
            survey.closes_at is not None and survey.closes_at <= timezone.now()
        ):
            raise ValidationError({"__all__": _("This survey is not open.")})
        questions = survey_questions(survey)
        resp = _response_for(inv)
        existing = current_answers(resp)
        merged = validate_answers(questions, raw, existing, final=submit, strict=strict)
        now = timezone.now()
        for qid, value in merged.items():
            if existing.get(qid) == value and (value is not None or qid not in existing):
                continue
            if value is None:
                Answer.objects.filter(response=resp, question_id=qid).delete()
            else:
                Answer.objects.update_or_create(
                    response=resp, question_id=qid, defaults={"value": value}
                )
        if inv.started_at is None:
            inv.started_at = now
        if submit:
            inv.submitted_at = now
            resp.status = Response.Status.SUBMITTED
            resp.submitted_on = timezone.localdate(now)
            if survey.anonymous:
                resp.invitation = None
        resp.save()
        inv.save(update_fields=["started_at", "submitted_at", "updated_at"])
        if submit:
            # The audit entry names the invitation, never the anonymous response.
            record("survey.submit", inv, None, f"survey {survey.slug} submitted")
    return resp


# --- invitations and reminders --------------------------------------------------------------

_COUNTRY_LANGUAGE = {"FR": "fr", "IT": "it", "DE": "de", "AT": "de", "LI": "de", "BE": "fr"}
# Swiss NUTS-2 regions: Région lémanique French, Ticino Italian, the rest German-speaking
# (Espace Mittelland is mixed; German is the majority language there).
_SWISS_REGION_LANGUAGE = {"CH01": "fr", "CH07": "it"}


def _contact(org: Organisation) -> tuple[str, str | None]:
    """The first contact person with an e-mail address, and their first spoken language."""
    person = org.people.exclude(email="").order_by("pk").first()
    if person is None:
        return "", None
    langs = [
        x.strip().lower()[:2] for x in re.split(r"[,; ]+", person.languages or "") if x.strip()
    ]
    user_lang = getattr(person.user, "preferred_language", None) if person.user_id else None
    for lang in [user_lang, *langs]:
        if lang in LANGUAGE_CODES:
            return person.email, lang
    return person.email, None


def language_for(org: Organisation, preferred: str | None = None) -> str:
    if preferred in LANGUAGE_CODES:
        return str(preferred)
    code = org.nuts2.code if org.nuts2 else ""
    if org.country_code == "CH":
        return _SWISS_REGION_LANGUAGE.get(code[:4], "de")
    return _COUNTRY_LANGUAGE.get(org.country_code, "en")


@dataclass
class InviteResult:
    created: list[Invitation]
    skipped: list[tuple[Organisation, str]]


def invite_organisations(
    actor: Any, survey: Survey, organisations: Iterable[Organisation], send: bool = True
) -> InviteResult:
    """One invitation per organisation (existing ones are kept); e-mails go out after commit."""
    if not permissions.can_manage_surveys(actor):
        raise PermissionDenied(_("Only cluster managers may invite organisations."))
    if survey.status == Survey.Status.CLOSED:
        raise ValidationError({"__all__": _("This survey is closed.")})
    result = InviteResult([], [])
    with transaction.atomic():
        for org in organisations:
            if not permissions.can_invite(actor, survey, org):
                result.skipped.append((org, _("not in a region you manage")))
                continue
            if Invitation.objects.filter(survey=survey, organisation=org).exists():
                result.skipped.append((org, _("invited already")))
                continue
            email, lang = _contact(org)
            inv = Invitation.objects.create(
                survey=survey,
                organisation=org,
                email=email,
                language=language_for(org, lang),
                invited_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            result.created.append(inv)
            record("survey.invite", inv, actor, f"{survey.slug}: {org.display_name}")
        if send and survey.status == Survey.Status.OPEN:
            ids = [i.pk for i in result.created if i.email]
            if ids:
                from alpsbio.survey.tasks import send_invitations

                transaction.on_commit(lambda: send_invitations.enqueue(ids))
    return result


def invitation_link(inv: Invitation) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(inv.language):
        path = reverse("survey:respond", args=[inv.token])
    return f"{site_url()}{path}"


def _send_mail(inv: Invitation, kind: str) -> bool:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from alpsbio.core.i18n import language

    if not inv.email:
        return False
    with language(inv.language):
        context = {
            "invitation": inv,
            "survey_title": inv.survey.display_title,
            "organisation": inv.organisation.display_name,
            "link": invitation_link(inv),
            "reminder": kind == "reminder",
        }
        subject = render_to_string("survey/email/invitation_subject.txt", context).strip()
        body = render_to_string("survey/email/invitation.txt", context)
    send_mail(subject, body, None, [inv.email])
    return True


def send_invitation_emails(invitation_ids: Iterable[int]) -> int:
    """Send the first e-mail of each invitation not sent yet (idempotent: the task may retry)."""
    sent = 0
    for pk in invitation_ids:
        with transaction.atomic():
            inv = (
                Invitation.objects.select_for_update()
                .select_related("survey", "organisation")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if inv is None or inv.submitted_at is not None:
                continue
            if _send_mail(inv, "invitation"):
                inv.sent_at = timezone.now()
                inv.save(update_fields=["sent_at", "updated_at"])
                record("survey.invitation.sent", inv, None, inv.email)
                sent += 1
    return sent


def due_reminders(
    survey: Survey, now: Any = None, interval_days: int = REMINDER_INTERVAL_DAYS
) -> list[int]:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=interval_days)
    qs = Invitation.objects.filter(
        survey=survey,
        submitted_at__isnull=True,
        sent_at__isnull=False,
        sent_at__lte=cutoff,
        reminders_sent__lt=MAX_REMINDERS,
    ).exclude(email="")
    qs = qs.exclude(last_reminded_at__gt=cutoff)
    return list(qs.values_list("pk", flat=True))


def send_reminders(
    survey: Survey, actor: Any = None, now: Any = None, interval_days: int = REMINDER_INTERVAL_DAYS
) -> int:
    """Remind every invited organisation that has not submitted, at most once per interval and
    ``MAX_REMINDERS`` times, in the recipient's language. ``actor`` None = the scheduled task."""
    if actor is not None and not permissions.can_manage_surveys(actor):
        raise PermissionDenied(_("Only cluster managers may send reminders."))
    if survey.status != Survey.Status.OPEN:
        return 0
    now = now or timezone.now()
    sent = 0
    for pk in due_reminders(survey, now, interval_days):
        with transaction.atomic():
            inv = (
                Invitation.objects.select_for_update()
                .select_related("survey", "organisation")
                .get(pk=pk)
            )
            if actor is not None and not permissions.can_remind(actor, inv):
                continue
            if inv.submitted_at is not None:
                continue
            if _send_mail(inv, "reminder"):
                inv.reminders_sent += 1
                inv.last_reminded_at = now
                inv.save(update_fields=["reminders_sent", "last_reminded_at", "updated_at"])
                record("survey.invitation.reminded", inv, actor, inv.email)
                sent += 1
    return sent


def request_reminders(actor: Any, survey: Survey) -> None:
    """A manager asks for reminders now: enqueued as a task after commit."""
    if not permissions.can_manage_surveys(actor):
        raise PermissionDenied(_("Only cluster managers may send reminders."))
    from alpsbio.survey.tasks import send_survey_reminders

    with transaction.atomic():
        record("survey.reminders.requested", survey, actor, survey.slug)
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        transaction.on_commit(lambda: send_survey_reminders.enqueue(survey.pk, actor_id))


# --- indicators -----------------------------------------------------------------------------


def import_indicators(paths: Sequence[str | Path], actor: Any = None, **options: Any) -> Any:
    """Import Eurostat files (TSV or long CSV): see ``alpsbio.survey.indicators``."""
    if actor is not None and not permissions.can_import_indicators(actor):
        raise PermissionDenied(_("Only cluster managers may import indicators."))
    from alpsbio.survey.indicators import run_indicator_import

    return run_indicator_import(paths, actor=actor, **options)


def load_survey_demo() -> dict[str, Any]:
    """Idempotent demo: the cluster questionnaire and real Eurostat indicators.

    Reads ``settings.ALPSBIO_DATA_DIR/eurostat/*.csv`` when present, otherwise the compact
    extract shipped in ``seed/`` (Source: Eurostat). Invents no survey responses.
    """
    from alpsbio.survey.indicators import demo_indicator_files

    survey = load_cluster_questionnaire()
    files = demo_indicator_files()
    result = import_indicators(files) if files else None
    return {
        "survey": survey.slug,
        "indicator_files": [str(f) for f in files],
        "indicator_values": result.stats.get("stored", 0) if result else 0,
    }
