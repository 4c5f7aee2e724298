"""Events across the cluster's regions, registrations and B2B brokerage (partnering meetings).

An ``Event`` has registrations (with organiser-defined questions) and, optionally, one
``B2BSession``: its time slots (some are breaks), tables (a table with an owner is that owner's
booth), participants' marketplace profiles, meeting requests and the scheduled meetings. Every
change goes through ``alpsbio.events.services``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alpsbio.core.i18n import localized, localized_language
from alpsbio.core.models import TimeStamped


class EventType(models.TextChoices):
    PARTNERING_DAY = "partnering_day", _("Partnering day")
    NETWORK_LAUNCH = "network_launch", _("Network launch")
    SUMMER_SCHOOL = "summer_school", _("Summer school")
    CONVENTION = "convention", _("Convention")
    WORKSHOP = "workshop", _("Workshop")
    CONFERENCE = "conference", _("Conference")
    OTHER = "other", _("Other")


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class Event(TimeStamped):
    slug = models.SlugField(_("short name in URLs"), max_length=120, unique=True)
    title: models.JSONField[Any] = models.JSONField(_("title per language"), default=dict)
    description: models.JSONField[Any] = models.JSONField(
        _("description per language"), default=dict, blank=True
    )
    event_type = models.CharField(
        _("type"), max_length=20, choices=EventType.choices, default=EventType.WORKSHOP
    )
    region = models.ForeignKey(
        "directory.Region",
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("region"),
    )
    network = models.ForeignKey(
        "directory.Network",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("thematic network"),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"), default=100)
    registration_open = models.BooleanField(_("registration open"), default=True)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organised_events", verbose_name=_("organisers")
    )
    is_demo = models.BooleanField(_("demo"), default=False, db_index=True)
    # Titles in every language, venue and city, case-folded: what the calendar's text search
    # looks in (JSON columns cannot be searched per language on both databases).
    search_text = models.TextField(blank=True, editable=False)
    # Secret of the organisers' feeds (check-in list exports etc. stay behind login; this is
    # only used to derive stable iCal UIDs).
    uid_secret = models.CharField(max_length=40, default=_new_token, editable=False)

    class Meta:
        ordering = ["starts_at", "slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["region", "starts_at"])]

    def __str__(self) -> str:
        return self.display_title

    def save(self, *args: Any, **kwargs: Any) -> None:
        parts = [*self.title.values(), self.venue, self.city, self.slug]
        self.search_text = " ".join(p for p in parts if p).casefold()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        return localized(self.title) or self.slug

    @property
    def title_lang(self) -> str | None:
        """The language the shown title is in (pages mark fallback text with ``lang=``)."""
        return localized_language(self.title)

    @property
    def display_description(self) -> str:
        return localized(self.description)

    @property
    def description_lang(self) -> str | None:
        return localized_language(self.description)


class Question(models.Model):
    """A custom registration question of an event."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CHOICE = "choice", _("Choice")
        YES_NO = "yes_no", _("Yes/no")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label: models.JSONField[Any] = models.JSONField(_("question per language"), default=dict)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices: models.JSONField[Any] = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["event", "ordering", "pk"]
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")

    def __str__(self) -> str:
        return localized(self.label) or f"question {self.pk}"

    @property
    def display_label(self) -> str:
        return localized(self.label)


class Registration(TimeStamped):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("registration status", "Confirmed")
        WAITING = "waiting", pgettext_lazy("registration status", "Waiting list")
        CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")
        ATTENDED = "attended", pgettext_lazy("registration status", "Attended")

    # Statuses that hold a seat.
    SEATED = (Status.CONFIRMED, Status.ATTENDED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED, db_index=True
    )
    # Order on the waiting list (and of registration): the moment of the latest (re)registration.
    queued_at = models.DateTimeField(_("registered"), db_index=True)
    language = models.CharField(_("language"), max_length=2, default="en")
    answers: models.JSONField[Any] = models.JSONField(_("answers"), default=dict, blank=True)
    agenda_token = models.CharField(max_length=40, unique=True, default=_new_token, editable=False)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="events_one_registration")
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return f"{self.user} @ {self.event_id} ({self.status})"

    @property
    def display_name(self) -> str:
        full = self.user.get_full_name()
        return full or self.user.get_username()


class B2BSession(TimeStamped):
    """The brokerage of one event: slots, tables and booths, a target of K meetings each."""

    class Objective(models.TextChoices):
        # After K for everyone where possible (scheduler/model.py, Event.objective).
        MEETINGS = "meetings", _("As many meetings as possible (priorities break ties)")
        PRIORITY = "priority", _("Highest total priority (fewer meetings if need be)")

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="b2b")
    min_meetings = models.PositiveSmallIntegerField(_("target minimum meetings (K)"), default=3)
    objective = models.CharField(
        _("which meetings to schedule"),
        max_length=10,
        choices=Objective.choices,
        default=Objective.MEETINGS,
    )
    requests_open = models.BooleanField(_("meeting requests open"), default=True)
    agendas_published_at = models.DateTimeField(_("agendas published"), null=True, blank=True)

    class Meta:
        verbose_name = _("B2B session")
        verbose_name_plural = _("B2B sessions")

    def __str__(self) -> str:
        return f"B2B of {self.event}"


class TimeSlot(models.Model):
    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    is_break = models.BooleanField(_("break"), default=False)

    class Meta:
        ordering = ["session", "starts_at"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class Table(models.Model):
    """A meeting table; with an ``owner`` it is that participant's booth."""

    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="tables")
    number = models.PositiveSmallIntegerField(_("number"))
    label = models.CharField(_("label"), max_length=60, blank=True)
    owner = models.OneToOneField(
        "B2BProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="booth",
        verbose_name=_("booth owner"),
    )

    class Meta:
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="events_table_number")
        ]
        verbose_name = _("table")
        verbose_name_plural = _("tables")

    def __str__(self) -> str:
        return self.label or f"{self.number}"

    @property
    def is_booth(self) -> bool:
        return self.owner_id is not None


class B2BProfile(TimeStamped):
    """A participant's marketplace profile in one B2B session."""

    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="profiles")
    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="b2b_profile"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="b2b_profiles",
        verbose_name=_("organisation"),
    )
    headline = models.CharField(_("headline"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    offers = models.TextField(_("offers"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    # The organisation's published offers/requests of the matching app this profile points to.
    opportunities = models.ManyToManyField(
        "matching.Opportunity",
        blank=True,
        related_name="b2b_profiles",
        verbose_name=_("opportunities"),
    )
    unavailable_slots = models.ManyToManyField(
        TimeSlot,
        blank=True,
        related_name="unavailable_profiles",
        verbose_name=_("unavailable slots"),
    )

    class Meta:
        ordering = ["session", "headline"]
        verbose_name = _("B2B profile")
        verbose_name_plural = _("B2B profiles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        org = self.organisation.display_name if self.organisation else ""
        name = self.registration.display_name
        return f"{name} ({org})" if org else name


class MeetingRequest(TimeStamped):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("meeting request status", "Pending")
        ACCEPTED = "accepted", pgettext_lazy("meeting request status", "Accepted")
        DECLINED = "declined", pgettext_lazy("meeting request status", "Declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("meeting request status", "Withdrawn")

    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="requests")
    requester = models.ForeignKey(B2BProfile, on_delete=models.CASCADE, related_name="sent")
    recipient = models.ForeignKey(B2BProfile, on_delete=models.CASCADE, related_name="received")
    message = models.TextField(_("message"), blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "-priority", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "recipient"], name="events_one_request_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1) & models.Q(priority__lte=3),
                name="events_priority_1_3",
            ),
        ]
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")

    def __str__(self) -> str:
        return f"{self.requester_id} → {self.recipient_id} ({self.status})"


class Meeting(TimeStamped):
    """A scheduled one-to-one meeting: an accepted request placed at a slot and a table."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("meeting status", "Scheduled")
        HELD = "held", pgettext_lazy("meeting status", "Held")
        CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")

    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="meetings")
    request = models.OneToOneField(MeetingRequest, on_delete=models.CASCADE, related_name="meeting")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="meetings")
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="meetings")
    pinned = models.BooleanField(_("pinned"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )

    class Meta:
        ordering = ["session", "slot__starts_at", "table__number"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"meeting {self.request_id} at {self.slot} table {self.table}"


class ScheduleRun(models.Model):
    """One run of the scheduler (full or repair) in the background, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        FULL = "full", _("Full schedule")
        REPAIR = "repair", _("Repair after a cancellation")

    session = models.ForeignKey(B2BSession, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FULL)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(max_length=300, blank=True)
    time_limit = models.PositiveIntegerField(default=30)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    # For repairs: the participant (profile id) who cancelled.
    params: models.JSONField[Any] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("schedule run")
        verbose_name_plural = _("schedule runs")

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status}, {self.progress}%)"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
