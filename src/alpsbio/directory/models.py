"""The cluster's actors: regions (NUTS 2021), taxonomy, organisations, people, networks, projects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alpsbio.core.i18n import localized
from alpsbio.core.models import TimeStamped


class Region(models.Model):
    """A NUTS 2021 region, levels 0 (country) to 3. Membership in a region is a code prefix."""

    code = models.CharField(_("NUTS code"), max_length=5, unique=True)
    level = models.PositiveSmallIntegerField(_("level"), db_index=True)
    country_code = models.CharField(_("country"), max_length=2, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # The cluster's member regions carry the label the cluster uses (e.g. "Rhône-Alpes").
    is_member = models.BooleanField(_("cluster member region"), default=False, db_index=True)
    member_label = models.CharField(_("cluster label"), max_length=100, blank=True)
    mount_type = models.PositiveSmallIntegerField(null=True, blank=True)
    urban_type = models.PositiveSmallIntegerField(null=True, blank=True)
    coast_type = models.PositiveSmallIntegerField(null=True, blank=True)
    label_lat = models.FloatField(null=True, blank=True)
    label_lng = models.FloatField(null=True, blank=True)
    # GeoJSON geometry (WGS84, GISCO 1:60M, coordinates rounded): enough for small offline maps.
    geometry: models.JSONField[Any] = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.member_label or self.name_latin or self.name


class RegionCodeAlias(models.Model):
    """An older NUTS code (2010/2013/2016) and the 2021 region it became (Eurostat tables)."""

    code = models.CharField(max_length=5, db_index=True)
    version = models.PositiveSmallIntegerField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="aliases")
    change = models.CharField(max_length=100, blank=True)

    class Meta:
        unique_together = [("code", "version", "region")]
        verbose_name = _("older region code")
        verbose_name_plural = _("older region codes")

    def __str__(self) -> str:
        return f"{self.code} ({self.version}) → {self.region.code}"


class NaceCode(models.Model):
    """NACE Rev.2 (= NOGA 2008 to four digits; five/six-digit Swiss types kept as 'type')."""

    class Level(models.TextChoices):
        SECTION = "section", _("section")
        DIVISION = "division", _("division")
        GROUP = "group", _("group")
        CLASS = "class", _("class")
        TYPE = "type", _("type")

    code = models.CharField(_("code"), max_length=10, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    label_en = models.CharField(max_length=300)
    label_fr = models.CharField(max_length=300, blank=True)
    label_de = models.CharField(max_length=300, blank=True)
    label_it = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("NACE code")
        verbose_name_plural = _("NACE codes")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        return localized(
            {"en": self.label_en, "fr": self.label_fr, "de": self.label_de, "it": self.label_it}
        )


class Sector(models.Model):
    """The cluster's own sector vocabulary (red/green/white biotech, medtech, ...)."""

    slug = models.SlugField(unique=True)
    name: models.JSONField[Any] = models.JSONField(_("name"), default=dict)
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "slug"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return localized(self.name) or self.slug


class OrganisationType(models.TextChoices):
    UNIVERSITY = "university", _("University")
    RESEARCH = "research", _("Research organisation")
    STARTUP = "startup", _("Startup")
    SME = "sme", _("SME")
    LARGE_COMPANY = "large_company", _("Large company")
    HOSPITAL = "hospital", _("Hospital")
    PUBLIC_BODY = "public_body", _("Public body")
    TRAINING = "training", _("Training body")
    CLUSTER = "cluster", _("Cluster organisation")
    OTHER = "other", _("Other")


class SizeClass(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    MICRO = "micro", _("Micro (< 10)")
    SMALL = "small", _("Small (10–49)")
    MEDIUM = "medium", _("Medium (50–249)")
    LARGE = "large", _("Large (250+)")


class ValidationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("organisation status", "Pending validation")
    VALIDATED = "validated", pgettext_lazy("organisation status", "Validated")
    REJECTED = "rejected", pgettext_lazy("organisation status", "Rejected")


class Organisation(TimeStamped):
    legal_name = models.CharField(_("legal name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    names: models.JSONField[Any] = models.JSONField(
        _("names per language"), default=dict, blank=True
    )
    org_type = models.CharField(
        _("type"), max_length=20, choices=OrganisationType.choices, default=OrganisationType.OTHER
    )
    sectors = models.ManyToManyField(Sector, blank=True, related_name="organisations")
    nace_codes = models.ManyToManyField(NaceCode, blank=True, related_name="organisations")
    description: models.JSONField[Any] = models.JSONField(
        _("competences per language"), default=dict, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country_code = models.CharField(_("country"), max_length=2, db_index=True)
    nuts3 = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("NUTS-3 region"),
    )
    nuts2 = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("NUTS-2 region"),
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    ror_id = models.CharField(_("ROR ID"), max_length=20, null=True, blank=True, unique=True)
    pic = models.CharField(_("CORDIS PIC"), max_length=12, null=True, blank=True, unique=True)
    vat = models.CharField(_("VAT number"), max_length=30, blank=True)
    size_class = models.CharField(
        _("size"), max_length=10, choices=SizeClass.choices, blank=True, default=""
    )
    acronyms = models.CharField(_("acronyms"), max_length=200, blank=True)
    established = models.PositiveSmallIntegerField(_("established"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    validation_status = models.CharField(
        _("validation"),
        max_length=10,
        choices=ValidationStatus.choices,
        default=ValidationStatus.PENDING,
        db_index=True,
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    sources: models.JSONField[Any] = models.JSONField(_("data sources"), default=list, blank=True)
    # Denormalised for full-text search (names in all languages, acronyms, city, competences).
    search_text = models.TextField(blank=True, editable=False)
    n_projects = models.PositiveIntegerField(default=0, editable=False, db_index=True)

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["nuts2", "org_type"]),
            models.Index(fields=["country_code", "org_type"]),
            models.Index(fields=["legal_name"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.names) or self.legal_name

    @property
    def competences(self) -> str:
        return localized(self.description)

    @property
    def acronym_list(self) -> list[str]:
        return [a.strip() for a in self.acronyms.split("|") if a.strip()]


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Signed-in members")
    PRIVATE = "private", _("Only the organisation and cluster managers")


class Person(TimeStamped):
    """A contact person. Personal data: shown field by field per the person's own choice."""

    VISIBLE_FIELDS = ("email", "phone", "job_title")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="people")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.CharField(_("languages spoken"), max_length=20, blank=True)
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_text_version = models.CharField(max_length=20, blank=True)
    visibility: models.JSONField[Any] = models.JSONField(
        _("visibility per field"), default=dict, blank=True
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def field_visibility(self, field: str) -> str:
        # Without consent nothing beyond the name leaves the organisation.
        if self.consent_given_at is None:
            return Visibility.PRIVATE
        return str(self.visibility.get(field, Visibility.MEMBERS))


class Network(models.Model):
    """One of the cluster's thematic networks."""

    slug = models.SlugField(unique=True)
    name: models.JSONField[Any] = models.JSONField(_("name"), default=dict)
    description: models.JSONField[Any] = models.JSONField(_("description"), default=dict)
    organisations = models.ManyToManyField(
        Organisation, through="NetworkMembership", related_name="networks"
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("thematic network")
        verbose_name_plural = _("thematic networks")

    def __str__(self) -> str:
        return localized(self.name) or self.slug


class NetworkMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        LEAD = "lead", _("Lead")
        OBSERVER = "observer", _("Observer")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="network_memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("since"))

    class Meta:
        unique_together = [("network", "organisation")]
        verbose_name = _("network membership")
        verbose_name_plural = _("network memberships")

    def __str__(self) -> str:
        return f"{self.organisation} in {self.network}"


class Project(models.Model):
    """An EU research project (CORDIS)."""

    class Source(models.TextChoices):
        H2020 = "h2020", "Horizon 2020"
        FP7 = "fp7", "FP7"

    source = models.CharField(max_length=8, choices=Source.choices)
    rcn = models.CharField(_("CORDIS record"), max_length=20)
    grant_number = models.CharField(max_length=20, blank=True)
    acronym = models.CharField(_("acronym"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    programme = models.CharField(_("programme"), max_length=200, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    max_contribution = models.DecimalField(
        _("EU contribution"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    n_participants = models.PositiveIntegerField(default=0)
    health_biotech = models.BooleanField(default=False)

    class Meta:
        unique_together = [("source", "rcn")]
        ordering = ["-start_date", "acronym"]
        verbose_name = _("EU project")
        verbose_name_plural = _("EU projects")

    def __str__(self) -> str:
        return self.acronym or f"{self.source}:{self.rcn}"


class Participation(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=20, blank=True)
    activity_type = models.CharField(max_length=3, blank=True)
    contribution = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        unique_together = [("project", "organisation")]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.project}"


class ImportRun(models.Model):
    """One run of an importer: what came in, what was created, merged or rejected."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("import status", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("import status", "Succeeded")
        REJECTED = "rejected", pgettext_lazy("import status", "Rejected")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

    source = models.CharField(max_length=40)
    file_name = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stats: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    report: models.JSONField[Any] = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class MergeRecord(models.Model):
    """Two records found to be one organisation: kept, absorbed (snapshot), why and by whom."""

    kept = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="merges")
    absorbed_snapshot: models.JSONField[Any] = models.JSONField(default=dict)
    reason = models.CharField(max_length=300)
    score = models.FloatField(null=True, blank=True)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"merge into {self.kept_id}: {self.reason}"
