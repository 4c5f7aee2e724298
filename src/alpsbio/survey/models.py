"""Territorial survey (questionnaires, invitations, responses) and regional indicators.

A ``Survey`` has ordered ``Section``s of ``Question``s whose texts are stored per language (JSON,
see ``alpsbio.core.i18n``). Organisations of the directory are invited by an ``Invitation`` that
carries an unguessable token: the personal link needs no account. The answers live in one
``Response`` per invitation; for an anonymous survey the link from the response to the invitation
(and so to the organisation) is cut when the response is submitted, and only the region and the
organisation type are kept on the response.

``Indicator``/``IndicatorValue`` hold official statistics (Eurostat) per NUTS 2021 region and year.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alpsbio.core.i18n import localized
from alpsbio.core.models import TimeStamped
from alpsbio.directory.models import Organisation, Region


def new_token() -> str:
    """256 bits from the OS's CSPRNG, URL-safe: unguessable personal links."""
    return secrets.token_urlsafe(32)


class Survey(TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    title: models.JSONField[Any] = models.JSONField(_("title per language"), default=dict)
    intro: models.JSONField[Any] = models.JSONField(
        _("introduction per language"), default=dict, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_(
            "Responses are never linked to the organisation in exports and analysis; only its "
            "region and type are kept."
        ),
    )
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set for the questionnaire shipped with the platform (seed/cluster_survey.json).
    seed_version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return localized(self.title) or self.slug

    @property
    def display_title(self) -> str:
        return localized(self.title) or self.slug

    @property
    def display_intro(self) -> str:
        return localized(self.intro)


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    title: models.JSONField[Any] = models.JSONField(_("title per language"), default=dict)
    intro: models.JSONField[Any] = models.JSONField(_("introduction"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["survey", "position", "pk"]
        unique_together = [("survey", "key")]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return localized(self.title) or self.key

    @property
    def display_intro(self) -> str:
        return localized(self.intro)


class QuestionType(models.TextChoices):
    SCALE = "scale", _("Scale (1-5)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Free text")


class ConditionOp(models.TextChoices):
    EQUALS = "equals", _("equals")
    CONTAINS = "contains", _("contains")


# The themes on which respondents rate their region (the analysis reads them by these keys).
THEMES: dict[str, Any] = {
    "rd_capacity": _("R&D capacity"),
    "access_to_finance": _("Access to finance"),
    "skills_training": _("Skills and training"),
    "infrastructure": _("Infrastructure"),
    "cooperation": _("Cooperation"),
    "market_access": _("Market access"),
    "regulation": _("Regulation"),
}


class Question(models.Model):
    """One question. ``choices`` is a list of ``{"value": str, "label": {lang: text}}``.

    Conditional display: shown only if the answer to ``condition_question`` equals (single choice,
    scale, number, text) or contains (multiple choice) ``condition_value``. The condition is
    checked on the server when answers are validated, not only in the browser.
    """

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("identifier"), max_length=60)
    qtype = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    text: models.JSONField[Any] = models.JSONField(_("question per language"), default=dict)
    help_text: models.JSONField[Any] = models.JSONField(_("help"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices: models.JSONField[Any] = models.JSONField(_("choices"), default=list, blank=True)
    theme = models.CharField(_("theme"), max_length=30, blank=True, choices=list(THEMES.items()))
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    condition_question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependants",
        verbose_name=_("show only if the answer to"),
    )
    condition_op = models.CharField(
        _("condition"), max_length=10, choices=ConditionOp.choices, blank=True
    )
    condition_value = models.CharField(_("value"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section__position", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "key"], name="survey_question_key_per_section"
            )
        ]

    def __str__(self) -> str:
        return localized(self.text) or self.key

    @property
    def display_text(self) -> str:
        return localized(self.text) or self.key

    def choice_label(self, value: str, lang: str | None = None) -> str:
        for c in self.choices or []:
            if c.get("value") == value:
                return localized(c.get("label"), lang) or value
        return value


class Invitation(TimeStamped):
    """A personal link to answer a survey for one organisation."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="en")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["survey", "organisation__legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "organisation"], name="survey_one_invitation_per_org"
            )
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.survey.slug} → {self.organisation_id}"

    @property
    def status(self) -> str:
        if self.submitted_at:
            return "submitted"
        if self.started_at:
            return "started"
        if self.sent_at:
            return "sent"
        return "created"


class Response(TimeStamped):
    """The answers of one invited organisation. ``invitation`` is cut on submit if anonymous."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", pgettext_lazy("survey response status", "In progress")
        SUBMITTED = "submitted", pgettext_lazy("survey response status", "Submitted")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    # Kept for every survey (also anonymous ones): the only context analysis may use.
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_type = models.CharField(_("organisation type"), max_length=20, blank=True)
    language = models.CharField(max_length=2, default="en")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True
    )
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # int for scale, str for single/text, list[str] for multiple, number (as str) for number.
    value: models.JSONField[Any] = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_one_answer")
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.question_id}={self.value!r}"


class Indicator(models.Model):
    """A statistic, e.g. Eurostat's ``tgs00003`` (regional GDP)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    label: models.JSONField[Any] = models.JSONField(_("label per language"), default=dict)
    source = models.CharField(_("source"), max_length=200, default="Eurostat")
    higher_is_better = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.display_label}"

    @property
    def display_label(self) -> str:
        return localized(self.label) or self.code


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    # Further Eurostat dimensions, "sex=T;age=Y_GE15"; empty when the table has none.
    dims = models.CharField(max_length=200, blank=True)
    # A NUTS 2021 code (levels 0-3) after recoding; not a foreign key, so that statistics for
    # every European region can be stored whether or not the directory holds that region.
    region_code = models.CharField(_("NUTS 2021 code"), max_length=5, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"), null=True, blank=True)
    flag = models.CharField(_("flag"), max_length=8, blank=True)
    original_code = models.CharField(_("code in the source"), max_length=12, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["indicator", "region_code", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "dims", "region_code", "year"], name="survey_one_value"
            )
        ]
        indexes = [models.Index(fields=["indicator", "unit", "year"])]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.region_code} {self.year}={self.value}"


class IndicatorImport(models.Model):
    """One run of the indicator import: files, counts, and the row-level report."""

    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    files = models.CharField(max_length=500)
    succeeded = models.BooleanField(default=False)
    stats: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    report: models.JSONField[Any] = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("indicator import")
        verbose_name_plural = _("indicator imports")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.files}"


from alpsbio.survey.models_analysis import AnalysisSnapshot  # noqa: E402, F401  (stored analysis)
