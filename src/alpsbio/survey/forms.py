"""Forms of the survey pages (managers' questionnaire builder, invitations, indicator upload)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.survey.models import THEMES, ConditionOp, Question, QuestionType, Section, Survey

LANG_LABELS = {"en": _("English"), "fr": _("French"), "it": _("Italian"), "de": _("German")}


def _lang_fields(
    prefix: str, label: Any, widget: type[forms.Widget] = forms.TextInput
) -> dict[str, forms.Field]:
    return {
        f"{prefix}_{lang}": forms.CharField(
            label=f"{label} ({LANG_LABELS[lang]})", required=False, widget=widget
        )
        for lang in LANGUAGE_CODES
    }


def translations(data: dict[str, Any], prefix: str) -> dict[str, str]:
    return {lang: data.get(f"{prefix}_{lang}") or "" for lang in LANGUAGE_CODES}


class SurveyForm(forms.Form):
    slug = forms.SlugField(label=_("Identifier"), max_length=60, help_text=_("e.g. survey-2026"))
    anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        help_text=_("Exports and analysis keep only the region and type of the organisation."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_lang_fields("title", _("Title")))
        self.fields.update(_lang_fields("intro", _("Introduction"), forms.Textarea))


class SectionForm(forms.Form):
    key = forms.SlugField(label=_("Identifier"), max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_lang_fields("title", _("Title")))


class _QuestionFields(forms.Form):
    """The fields a question has whether it is added or edited."""

    section = forms.ChoiceField(label=_("Section"))
    key = forms.SlugField(label=_("Identifier"), max_length=60)
    qtype = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    theme = forms.ChoiceField(
        label=_("Theme rated (scale questions)"),
        required=False,
        choices=[("", "—"), *THEMES.items()],
    )
    min_value = forms.FloatField(label=_("Minimum"), required=False)
    max_value = forms.FloatField(label=_("Maximum"), required=False)
    condition_question = forms.ChoiceField(label=_("Show only if the answer to"), required=False)
    condition_op = forms.ChoiceField(
        label=_("Condition"), required=False, choices=[("", "—"), *ConditionOp.choices]
    )
    condition_value = forms.CharField(label=_("Value"), required=False, max_length=100)


class QuestionForm(_QuestionFields):
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | English | French | Italian | German"),
    )
    field_order = [
        "section",
        "key",
        "qtype",
        "required",
        "choices",
        "theme",
        "min_value",
        "max_value",
        "condition_question",
        "condition_op",
        "condition_value",
    ]

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        section_field: Any = self.fields["section"]
        section_field.choices = [(s.pk, str(s)) for s in survey.sections.all()]
        questions = Question.objects.filter(section__survey=survey).order_by(
            "section__position", "position"
        )
        cond_field: Any = self.fields["condition_question"]
        cond_field.choices = [("", "—")] + [
            (q.pk, f"{q.key}: {q.display_text[:60]}") for q in questions
        ]
        self.fields.update(_lang_fields("text", _("Question")))

    def parsed_choices(self) -> list[dict[str, Any]]:
        out = []
        for line in (self.cleaned_data.get("choices") or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts or not parts[0]:
                continue
            labels = dict(zip(LANGUAGE_CODES, parts[1:], strict=False))
            out.append(
                {
                    "value": parts[0],
                    "label": {k: v for k, v in labels.items() if v} or {"en": parts[0]},
                }
            )
        return out


class InviteForm(forms.Form):
    organisations: Any = forms.ModelMultipleChoiceField(
        label=_("Organisations"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["organisations"]
        field.queryset = queryset


class IndicatorUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Eurostat file (TSV or long CSV, optionally .gz)"),
    )


# --- editing an existing section or question ------------------------------------------------

EXTRA_CHOICE_ROWS = 3


class SectionEditForm(forms.Form):
    key = forms.SlugField(label=_("Identifier"), max_length=60)

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        initial = {"key": section.key}
        for lang in LANGUAGE_CODES:
            initial[f"title_{lang}"] = (section.title or {}).get(lang, "")
            initial[f"intro_{lang}"] = (section.intro or {}).get(lang, "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields.update(_lang_fields("title", _("Title")))
        self.fields.update(_lang_fields("intro", _("Introduction"), _SmallTextarea))
        if section.survey.status != Survey.Status.DRAFT:
            self.fields["key"].disabled = True


class _SmallTextarea(forms.Textarea):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 2, **(attrs or {})})


class QuestionEditForm(_QuestionFields):
    """All fields of a question; its options come as rows ``choice-N-value``,
    ``choice-N-label_<lang>`` and ``choice-N-remove`` (see ``choice_rows``)."""

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        self.question = question
        survey = question.section.survey
        initial: dict[str, Any] = {
            "section": question.section_id,
            "key": question.key,
            "qtype": question.qtype,
            "required": question.required,
            "theme": question.theme,
            "min_value": question.min_value,
            "max_value": question.max_value,
            "condition_question": question.condition_question_id or "",
            "condition_op": question.condition_op,
            "condition_value": question.condition_value,
        }
        for lang in LANGUAGE_CODES:
            initial[f"text_{lang}"] = (question.text or {}).get(lang, "")
            initial[f"help_text_{lang}"] = (question.help_text or {}).get(lang, "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields.update(_lang_fields("text", _("Question")))
        self.fields.update(_lang_fields("help_text", _("Help text"), _SmallTextarea))
        section_field: Any = self.fields["section"]
        section_field.choices = [(s.pk, f"{s.key}: {s}") for s in survey.sections.all()]
        # Only questions before this one can carry its condition (the service checks it too).
        earlier: list[Question] = []
        for q in Question.objects.filter(section__survey=survey).order_by(
            "section__position", "position", "pk"
        ):
            if q.pk == question.pk:
                break
            earlier.append(q)
        cond_field: Any = self.fields["condition_question"]
        cond_field.choices = [("", "—")] + [
            (q.pk, f"{q.key}: {q.display_text[:60]}") for q in earlier
        ]
        if survey.status != Survey.Status.DRAFT:
            self.fields["key"].disabled = True
            self.fields["qtype"].disabled = True

    def choice_rows(self) -> list[dict[str, Any]]:
        """The option rows to show: the submitted ones when bound, else the stored ones, plus
        empty rows for new options."""
        rows: list[dict[str, Any]] = []
        if self.is_bound:
            for i in range(self._row_count()):
                rows.append(
                    {
                        "i": i,
                        "value": self.data.get(f"choice-{i}-value", ""),
                        "labels": [
                            (lang, LANG_LABELS[lang], self.data.get(f"choice-{i}-label_{lang}", ""))
                            for lang in LANGUAGE_CODES
                        ],
                        "remove": bool(self.data.get(f"choice-{i}-remove")),
                        "existing": bool(self.data.get(f"choice-{i}-existing")),
                    }
                )
            return rows
        for i, c in enumerate(self.question.choices or []):
            rows.append(
                {
                    "i": i,
                    "value": c.get("value", ""),
                    "labels": [
                        (lang, LANG_LABELS[lang], (c.get("label") or {}).get(lang, ""))
                        for lang in LANGUAGE_CODES
                    ],
                    "remove": False,
                    "existing": True,
                }
            )
        start = len(rows)
        for i in range(start, start + EXTRA_CHOICE_ROWS):
            rows.append(
                {
                    "i": i,
                    "value": "",
                    "labels": [(lang, LANG_LABELS[lang], "") for lang in LANGUAGE_CODES],
                    "remove": False,
                    "existing": False,
                }
            )
        return rows

    def _row_count(self) -> int:
        try:
            n = int(self.data.get("choice-count", "0"))
        except ValueError:
            n = 0
        return max(0, min(n, 200))

    def parsed_choices(self) -> list[dict[str, Any]]:
        """The options kept, in row order: rows marked remove and empty rows are left out."""
        out: list[dict[str, Any]] = []
        for i in range(self._row_count()):
            if self.data.get(f"choice-{i}-remove"):
                continue
            value = (self.data.get(f"choice-{i}-value") or "").strip()
            labels = {
                lang: (self.data.get(f"choice-{i}-label_{lang}") or "").strip()
                for lang in LANGUAGE_CODES
            }
            if not value and not any(labels.values()):
                continue
            out.append({"value": value, "label": {k: v for k, v in labels.items() if v}})
        return out

    def changes(self) -> dict[str, Any]:
        """The service's ``changes`` from the cleaned data (the view resolves the section and
        the condition's question)."""
        d = self.cleaned_data
        out: dict[str, Any] = {
            "text": translations(d, "text"),
            "help_text": translations(d, "help_text"),
            "required": d["required"],
            "theme": d.get("theme") or "",
            "min_value": d.get("min_value"),
            "max_value": d.get("max_value"),
            "condition_op": d.get("condition_op") or "",
            "condition_value": d.get("condition_value") or "",
        }
        if not self.fields["key"].disabled:
            out["key"] = d["key"]
        if not self.fields["qtype"].disabled:
            out["qtype"] = d["qtype"]
        qtype = out.get("qtype", self.question.qtype)
        if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            out["choices"] = self.parsed_choices()
        return out
