"""An EU co-funded project: set-up, budget, co-financing, expenditure, control, claims.

Amounts are stored in the *partner's* currency (EUR, or CHF for Swiss partners financed by
federal and cantonal money) with two decimals; every computed amount is rounded by
``alpsbio.core.money`` and never elsewhere. Derived rows (office flat rates, converted amounts,
eligible amounts) are written by the services so that dashboards are plain SQL sums.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alpsbio.core.models import TimeStamped


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    CHF = "CHF", "CHF"


class CostCategory(models.TextChoices):
    STAFF = "staff", _("Staff")
    OFFICE = "office", _("Office and administration (flat rate)")
    TRAVEL = "travel", _("Travel and accommodation")
    EXTERNAL = "external", _("External expertise and services")
    EQUIPMENT = "equipment", _("Equipment")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure and works")


#: Categories typed by users; office costs are always computed from staff costs.
ENTERED_CATEGORIES = [c for c in CostCategory if c != CostCategory.OFFICE]


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    fund = models.CharField(_("fund"), max_length=20, default="ERDF")
    period = models.CharField(_("programming period"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Call(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="calls")
    name = models.CharField(_("call"), max_length=200)

    class Meta:
        unique_together = [("programme", "name")]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.programme} - {self.name}"


class FundingProject(TimeStamped):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="projects")
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL)
    acronym = models.CharField(_("acronym"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    total_budget = models.DecimalField(
        _("total eligible budget (as approved)"), max_digits=14, decimal_places=2
    )
    period_months = models.PositiveSmallIntegerField(_("reporting period (months)"), default=6)
    office_flat_rate = models.DecimalField(
        _("office and administration flat rate"),
        default=Decimal("0.15"),
        max_digits=7,
        decimal_places=6,
    )
    flexibility_rate = models.DecimalField(
        _("budget flexibility per category"),
        default=Decimal("0.20"),
        max_digits=7,
        decimal_places=6,
    )
    is_illustrative = models.BooleanField(
        _("illustrative figures"),
        default=False,
        help_text=_("The partner split is an illustrative example, not the approved budget."),
    )
    source_note = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("funded project")
        verbose_name_plural = _("funded projects")

    def __str__(self) -> str:
        return self.acronym


class ReportingPeriod(models.Model):
    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField(_("number"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))

    class Meta:
        ordering = ["project", "number"]
        unique_together = [("project", "number")]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")

    def __str__(self) -> str:
        return f"P{self.number} ({self.start_date:%Y-%m-%d}-{self.end_date:%Y-%m-%d})"


class WorkPackage(models.Model):
    project = models.ForeignKey(
        FundingProject, on_delete=models.CASCADE, related_name="work_packages"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["project", "number"]
        unique_together = [("project", "number")]
        verbose_name = _("work package")
        verbose_name_plural = _("work packages")

    def __str__(self) -> str:
        return f"WP{self.number} {self.title}"


class Activity(models.Model):
    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="activities"
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["code"]
        unique_together = [("work_package", "code")]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Deliverable(models.Model):
    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="deliverables"
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        unique_together = [("work_package", "code")]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class OutputIndicator(models.Model):
    """A work package's target; the achieved value per reporting period is counted from the
    platform's data by the source ``source_code`` narrowed by ``scope`` (see
    ``alpsbio.funding.indicators``), never typed."""

    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="indicators")
    work_package = models.ForeignKey(
        WorkPackage,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("work package"),
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    target = models.PositiveIntegerField(_("target"), default=0)
    source_code = models.CharField(_("counted from"), max_length=40)
    scope: models.JSONField[Any] = models.JSONField(_("scope"), default=dict, blank=True)

    class Meta:
        ordering = ["project", "work_package__number", "code"]
        unique_together = [("project", "code")]
        verbose_name = _("output indicator")
        verbose_name_plural = _("output indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PartnerRole(models.TextChoices):
    LEAD = "lead", _("Lead partner")
    PARTNER = "partner", _("Partner")
    OBSERVER = "observer", _("Observer")


class LegalStatus(models.TextChoices):
    PUBLIC = "public", _("Public body or body governed by public law")
    PRIVATE = "private", _("Private body")


class ProjectPartner(TimeStamped):
    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="funding_partnerships"
    )
    number = models.PositiveSmallIntegerField(_("partner number"))
    role = models.CharField(
        _("role"), max_length=10, choices=PartnerRole.choices, default=PartnerRole.PARTNER
    )
    legal_status = models.CharField(
        _("legal status"), max_length=10, choices=LegalStatus.choices, default=LegalStatus.PUBLIC
    )
    vat = models.CharField(_("VAT number"), max_length=30, blank=True)
    vat_recoverable = models.BooleanField(_("VAT recoverable"), default=False)
    region = models.ForeignKey(
        "directory.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("NUTS region"),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )

    class Meta:
        ordering = ["project", "number"]
        unique_together = [("project", "number"), ("project", "organisation")]
        verbose_name = _("project partner")
        verbose_name_plural = _("project partners")

    def __str__(self) -> str:
        return f"PP{self.number} {self.organisation}"


class SourceKind(models.TextChoices):
    EU_FUND = "eu_fund", _("EU fund")
    NATIONAL_PUBLIC = "national_public", _("National public contribution")
    NATIONAL_PRIVATE = "national_private", _("National private contribution")
    SWISS_FEDERAL = "swiss_federal", _("Swiss federal funding")
    SWISS_CANTONAL = "swiss_cantonal", _("Swiss cantonal funding")
    OWN = "own", _("Own contribution")


class FundingSource(models.Model):
    """One line of a partner's co-financing plan; the rates of a partner add up to 100%."""

    partner = models.ForeignKey(
        ProjectPartner, on_delete=models.CASCADE, related_name="funding_sources"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=6)

    class Meta:
        ordering = ["partner", "kind"]
        unique_together = [("partner", "kind")]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rate * 100:.2f}%"


class ProjectRoleKind(models.TextChoices):
    LEAD = "lead", _("Lead partner (coordinator)")
    PARTNER = "partner", _("Partner finance officer")
    CONTROLLER = "controller", _("First-level controller")
    AUDITOR = "auditor", _("Auditor (read only)")


class ProjectRole(models.Model):
    """A user's role in one project. Partner officers and controllers name their partner."""

    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="funding_roles"
    )
    role = models.CharField(_("role"), max_length=12, choices=ProjectRoleKind.choices)
    partner = models.ForeignKey(
        ProjectPartner, null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )

    class Meta:
        unique_together = [("project", "user", "role", "partner")]
        verbose_name = _("project role")
        verbose_name_plural = _("project roles")

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.partner_id or ''}"


class BudgetLine(models.Model):
    """Planned amount for partner x work package x cost category x period (partner currency)."""

    partner = models.ForeignKey(
        ProjectPartner, on_delete=models.CASCADE, related_name="budget_lines"
    )
    work_package = models.ForeignKey(WorkPackage, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        unique_together = [("partner", "work_package", "category", "period")]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.work_package_id}/{self.category}/{self.period_id}"


class BudgetVersion(models.Model):
    """One budget modification: who, when, why and the lines before and after."""

    project = models.ForeignKey(
        FundingProject, on_delete=models.CASCADE, related_name="budget_versions"
    )
    partner = models.ForeignKey(
        ProjectPartner, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    before: models.JSONField[Any] = models.JSONField(default=dict)
    after: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        ordering = ["project", "-number"]
        unique_together = [("project", "number")]
        verbose_name = _("budget version")
        verbose_name_plural = _("budget versions")

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


class ExchangeRate(models.Model):
    """Monthly rate: units of ``currency`` for 1 EUR, in force for expenditure of that month."""

    currency = models.CharField(max_length=3, choices=Currency.choices)
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    rate = models.DecimalField(_("rate per EUR"), max_digits=12, decimal_places=6)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["currency", "-month"]
        unique_together = [("currency", "month")]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} 1 EUR = {self.rate} {self.currency}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("partner report status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("partner report status", "Submitted")
    IN_CONTROL = "in_control", pgettext_lazy("partner report status", "In control")
    CERTIFIED = "certified", pgettext_lazy("partner report status", "Certified")


class PartnerReport(TimeStamped):
    partner = models.ForeignKey(ProjectPartner, on_delete=models.CASCADE, related_name="reports")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    controller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    activity_summary = models.TextField(_("activities in the period"), blank=True)

    class Meta:
        ordering = ["partner", "period"]
        unique_together = [("partner", "period")]
        verbose_name = _("partner report")
        verbose_name_plural = _("partner reports")

    def __str__(self) -> str:
        return f"{self.partner} P{self.period.number}"


class ExpenditureItem(TimeStamped):
    """A cost declared in a partner report. ``amount`` is in ``currency`` as invoiced;
    ``converted`` is in the partner's currency (rounded once); ``eligible`` is what counts after
    ineligibility and the controller's deduction. Flat-rate rows are written by the services."""

    report = models.ForeignKey(PartnerReport, on_delete=models.CASCADE, related_name="items")
    work_package = models.ForeignKey(WorkPackage, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    invoice_ref = models.CharField(_("invoice reference"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    exchange_rate = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    converted = models.DecimalField(
        _("amount in partner currency"), max_digits=14, decimal_places=2
    )
    is_flat_rate = models.BooleanField(default=False, editable=False)
    is_ineligible = models.BooleanField(_("ineligible"), default=False)
    ineligible_reason = models.CharField(_("why ineligible"), max_length=300, blank=True)
    deduction = models.DecimalField(
        _("deduction by control"), default=Decimal("0.00"), max_digits=14, decimal_places=2
    )
    deduction_reason = models.CharField(_("reason for deduction"), max_length=300, blank=True)
    eligible = models.DecimalField(_("eligible amount"), max_digits=14, decimal_places=2)
    attachment = models.FileField(_("attachment"), upload_to="funding/%Y/%m/", blank=True)
    # Denormalised for dashboard aggregation (kept in step by the services).
    partner = models.ForeignKey(ProjectPartner, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["report", "date", "pk"]
        verbose_name = _("expenditure item")
        verbose_name_plural = _("expenditure items")
        indexes = [
            models.Index(fields=["partner", "category"]),
            models.Index(fields=["period", "work_package"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.category} {self.amount} {self.currency}"


class ProgressReport(TimeStamped):
    """The project report for a period, gathering the partner reports of that period."""

    project = models.ForeignKey(
        FundingProject, on_delete=models.CASCADE, related_name="progress_reports"
    )
    period = models.OneToOneField(
        ReportingPeriod, on_delete=models.CASCADE, related_name="progress_report"
    )
    summary = models.TextField(_("summary of progress"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "period"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.project} {self.period}"


class PaymentClaim(TimeStamped):
    """The fund's share of the certified costs of one period, claimed from the programme."""

    project = models.ForeignKey(FundingProject, on_delete=models.CASCADE, related_name="claims")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="claims")
    number = models.PositiveSmallIntegerField(_("number"))
    certified_total = models.DecimalField(
        _("certified eligible costs"), max_digits=14, decimal_places=2
    )
    amount = models.DecimalField(_("fund share claimed"), max_digits=14, decimal_places=2)
    per_partner: models.JSONField[Any] = models.JSONField(default=dict)

    class Meta:
        ordering = ["project", "number"]
        unique_together = [("project", "number"), ("project", "period")]
        verbose_name = _("payment claim")
        verbose_name_plural = _("payment claims")

    def __str__(self) -> str:
        return f"{self.project} claim {self.number}"


class Payment(TimeStamped):
    claim = models.ForeignKey(PaymentClaim, on_delete=models.CASCADE, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["claim", "received_on"]
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")

    def __str__(self) -> str:
        return f"{self.claim} {self.amount}"


class Transfer(models.Model):
    """The part of a payment the lead partner passes on to a partner."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transfers")
    partner = models.ForeignKey(ProjectPartner, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        unique_together = [("payment", "partner")]
        verbose_name = _("transfer to partner")
        verbose_name_plural = _("transfers to partners")

    def __str__(self) -> str:
        return f"{self.payment} → {self.partner_id}: {self.amount}"
