"""Opportunities (EEN partnership profiles), expressions of interest, outcome follow-up, and the
state the matching engine needs (embedding cache, policy weights, digest preferences)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from alpsbio.core.i18n import localized
from alpsbio.core.models import TimeStamped
from alpsbio.matching.engine.complementarity import COMPATIBLE
from alpsbio.matching.engine.types import PolicyWeights


class OpportunityType(models.TextChoices):
    """The Enterprise Europe Network's five profile types, plus an expertise profile.

    The two-letter value is the first part of the reference code (``TOFR20261126001``).
    """

    TECHNOLOGY_OFFER = "TO", _("Technology offer")
    TECHNOLOGY_REQUEST = "TR", _("Technology request")
    BUSINESS_OFFER = "BO", _("Business offer")
    BUSINESS_REQUEST = "BR", _("Business request")
    RD_REQUEST = "RD", _("R&D partner request")
    EXPERTISE = "EX", _("Expertise profile")


OFFER_TYPES = frozenset({"TO", "BO", "EX"})
REQUEST_TYPES = frozenset({"TR", "BR", "RD"})
# The engine's name for each type ("" is an organisation's own profile).
ENGINE_KIND: dict[str, str] = {
    "": "organisation",
    "TO": "technology_offer",
    "TR": "technology_request",
    "BO": "business_offer",
    "BR": "business_request",
    "RD": "rd_partner_request",
    "EX": "expertise",
}
# Which types answer which (a request is matched to offers, never to another request): the
# engine's table, in the two-letter codes.
COMPLEMENTARY_TYPES: dict[str, frozenset[str]] = {
    code: frozenset(c for c, k in ENGINE_KIND.items() if c and k in COMPATIBLE[kind])
    for code, kind in ENGINE_KIND.items()
    if code
}
_POLICY = PolicyWeights()


class OpportunityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned for changes")
    PUBLISHED = "published", _("Published")
    EXPIRED = "expired", _("Expired")


class Opportunity(TimeStamped):
    """An offer or request published by an organisation, reviewed by its regional manager."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="opportunities",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("type"), max_length=2, choices=OpportunityType.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.DRAFT,
        db_index=True,
    )
    title: models.JSONField[Any] = models.JSONField(_("title per language"), default=dict)
    summary: models.JSONField[Any] = models.JSONField(
        _("summary per language"), default=dict, blank=True
    )
    description: models.JSONField[Any] = models.JSONField(
        _("description per language"), default=dict, blank=True
    )
    keywords: models.JSONField[Any] = models.JSONField(_("keywords"), default=list, blank=True)
    nace_codes = models.ManyToManyField(
        "directory.NaceCode",
        blank=True,
        related_name="opportunities",
        verbose_name=_("NACE codes"),
    )
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    partner_types: models.JSONField[Any] = models.JSONField(
        _("partner types sought"), default=list, blank=True
    )
    partner_regions: models.JSONField[Any] = models.JSONField(
        _("partner countries or regions sought"),
        default=list,
        blank=True,
        help_text=_("Country codes (FR) or NUTS codes (ITC4); empty means anywhere."),
    )
    expires_on = models.DateField(_("expires on"))
    # The expiry date the editors were reminded of: a renewal (a new date) earns a new reminder.
    expiry_reminded_for = models.DateField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    is_demo = models.BooleanField(_("demo profile"), default=False, db_index=True)
    demo_source = models.CharField(max_length=200, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.display_title}"

    @property
    def display_title(self) -> str:
        return localized(self.title)

    @property
    def display_summary(self) -> str:
        return localized(self.summary)

    @property
    def display_description(self) -> str:
        return localized(self.description)

    @property
    def is_offer(self) -> bool:
        return self.kind in OFFER_TYPES


class ReferenceCounter(models.Model):
    """Last sequence number per reference prefix (type + country + date), locked while used."""

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class ExpressionOfInterest(TimeStamped):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the owner")
        ACCEPTED = "accepted", _("Accepted: contacts shared")
        DECLINED = "declined", _("Declined")

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="expressions_of_interest"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        unique_together = [("opportunity", "organisation")]
        verbose_name = _("expression of interest")
        verbose_name_plural = _("expressions of interest")

    def __str__(self) -> str:
        return f"EOI {self.organisation_id} → {self.opportunity_id}"


FOLLOW_UP_MONTHS = (3, 6, 12)


class OutcomeFollowUp(models.Model):
    """One question to one side of an accepted expression of interest, 3, 6 or 12 months on."""

    class Side(models.TextChoices):
        OWNER = "owner", _("Opportunity owner")
        RESPONDER = "responder", _("Interested organisation")

    eoi = models.ForeignKey(
        ExpressionOfInterest, on_delete=models.CASCADE, related_name="follow_ups"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    months = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    meeting = models.BooleanField(_("we met"), null=True)
    agreement = models.BooleanField(_("we signed a cooperation agreement"), null=True)
    joint_project = models.BooleanField(_("we started a joint project"), null=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        unique_together = [("eoi", "side", "months")]
        ordering = ["-asked_at"]
        verbose_name = _("outcome follow-up")
        verbose_name_plural = _("outcome follow-ups")

    def __str__(self) -> str:
        return f"follow-up {self.months}m {self.side} of EOI {self.eoi_id}"

    @property
    def organisation_id(self) -> int:
        if self.side == self.Side.OWNER:
            return int(self.eoi.opportunity.organisation_id)
        return int(self.eoi.organisation_id)


class MatchingSettings(models.Model):
    """The cluster's matching policy as tunable weights (one row, edited by platform admins)."""

    border_bonus = models.FloatField(
        _("bonus for crossing a border"),
        default=_POLICY.cross_border,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    sector_bonus = models.FloatField(
        _("bonus for crossing sectors"),
        default=_POLICY.cross_sector,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    network_bonus = models.FloatField(
        _("bonus for a shared thematic network"),
        default=_POLICY.shared_network,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    history_weight = models.FloatField(
        _("weight of the collaboration history"),
        default=_POLICY.history,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_(
            "How much shared partners in EU projects count against the meaning of the texts. "
            "Higher finds the partners an organisation is likely to work with anyway (measured "
            "on Horizon 2020: recall of next years' new partners rises with it); lower leaves "
            "more room for relevant organisations outside its network."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # When a text model's vectors last became complete (set by the embedding task, read by the
    # index's state token): every process then rebuilds its index with the better model.
    vectors_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("matching policy")
        verbose_name_plural = _("matching policy")

    def __str__(self) -> str:
        return str(_("Matching policy"))

    @classmethod
    def load(cls) -> MatchingSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Embedding(models.Model):
    """A text vector of one base model (USE or E5, not their combination), cached by content hash;
    the model name and version say where it came from."""

    content_hash = models.CharField(max_length=64)
    model_name = models.CharField(max_length=100)
    model_version = models.CharField(max_length=100)
    dim = models.PositiveIntegerField()
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("content_hash", "model_name", "model_version")]
        verbose_name = _("embedding")
        verbose_name_plural = _("embeddings")

    def __str__(self) -> str:
        return f"{self.model_name}@{self.model_version} {self.content_hash[:10]}"


class MatchingPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matching_preference"
    )
    weekly_digest = models.BooleanField(_("weekly e-mail of new matches"), default=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("matching preference")
        verbose_name_plural = _("matching preferences")

    def __str__(self) -> str:
        return f"{self.user_id} digest={self.weekly_digest}"
