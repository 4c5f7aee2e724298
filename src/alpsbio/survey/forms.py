"""Forms of the survey pages (managers' questionnaire builder, invitations, indicator upload)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.survey.models import THEMES, ConditionOp, Question, QuestionType, Survey

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


class QuestionForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"))
    key = forms.SlugField(label=_("Identifier"), max_length=60)
    qtype = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | English | French | Italian | German"),
    )
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
