"""Forms parse and validate input; the services decide and change."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from alpsbio.funding.models import (
    ENTERED_CATEGORIES,
    Currency,
    LegalStatus,
    PartnerRole,
    ProjectRoleKind,
    SourceKind,
)


class DateInput(forms.DateInput):
    input_type = "date"


class ProjectForm(forms.Form):
    programme = forms.CharField(label=_("Programme"), max_length=200)
    call = forms.CharField(label=_("Call"), max_length=200, required=False)
    acronym = forms.CharField(label=_("Acronym"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    start_date = forms.DateField(label=_("Start"), widget=DateInput)
    end_date = forms.DateField(label=_("End"), widget=DateInput)
    total_budget = forms.DecimalField(
        label=_("Total eligible budget"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    period_months = forms.IntegerField(label=_("Reporting period (months)"), min_value=1, initial=6)
    office_flat_rate = forms.DecimalField(
        label=_("Office flat rate (share of staff costs)"),
        initial=Decimal("0.15"),
        max_digits=7,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )
    flexibility_rate = forms.DecimalField(
        label=_("Budget flexibility per category"),
        initial=Decimal("0.20"),
        max_digits=7,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )


class WorkPackageForm(forms.Form):
    number = forms.IntegerField(label=_("Number"), min_value=1)
    title = forms.CharField(label=_("Title"), max_length=200)


class ActivityForm(forms.Form):
    work_package = forms.IntegerField(label=_("Work package"))
    code = forms.CharField(label=_("Code"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    due_date = forms.DateField(label=_("Due (deliverables)"), required=False, widget=DateInput)


class IndicatorForm(forms.Form):
    """An output indicator of a work package: a source counted by the platform and its scope.
    The choices (sources, event types, networks, surveys) are set by the view."""

    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    work_package = forms.IntegerField(label=_("Work package (number)"), min_value=1)
    target = forms.IntegerField(label=_("Target"), min_value=0)
    source_code = forms.ChoiceField(label=_("Counted from"))
    event_types = forms.MultipleChoiceField(
        label=_("Scope: event types (events, participants, B2B meetings)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    networks = forms.MultipleChoiceField(
        label=_("Scope: thematic networks (events)"), required=False
    )
    regions = forms.CharField(
        label=_("Scope: NUTS regions"),
        max_length=200,
        required=False,
        help_text=_("Code prefixes separated by spaces, e.g. FRK2 ITC4 CH0."),
    )
    partners_only = forms.BooleanField(
        label=_("Scope: only the project's partners (organised by or made by them)"),
        required=False,
    )
    survey = forms.ChoiceField(label=_("Scope: survey (respondents)"), required=False)

    def scope(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "event_types": list(data.get("event_types") or []),
            "networks": list(data.get("networks") or []),
            "regions": (data.get("regions") or "").split(),
            "partners_only": bool(data.get("partners_only")),
            "survey": data.get("survey") or "",
        }


class PartnerForm(forms.Form):
    SCHEMES = [
        ("eu_public", _("EU fund + national public contribution")),
        ("eu_private", _("EU fund + national private contribution")),
        ("swiss", _("Swiss federal + cantonal funding (CHF)")),
    ]
    organisation = forms.IntegerField(
        label=_("Organisation"),
        widget=forms.HiddenInput,
        error_messages={"required": _("Pick the organisation from the directory search.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices)
    legal_status = forms.ChoiceField(label=_("Legal status"), choices=LegalStatus.choices)
    vat = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    scheme = forms.ChoiceField(label=_("Funding"), choices=SCHEMES)
    rate = forms.DecimalField(
        label=_("EU fund rate (or Swiss federal share)"),
        initial=Decimal("0.76"),
        max_digits=7,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )


def partner_funding_plan(scheme: str, rate: Decimal) -> tuple[str, dict[str, Decimal]]:
    """The partner's currency and co-financing plan for a funding scheme of ``PartnerForm``."""
    if scheme == "swiss":
        return "CHF", {
            SourceKind.SWISS_FEDERAL: rate,
            SourceKind.SWISS_CANTONAL: 1 - rate,
        }
    national = SourceKind.NATIONAL_PUBLIC if scheme == "eu_public" else SourceKind.NATIONAL_PRIVATE
    return "EUR", {SourceKind.EU_FUND: rate, national: 1 - rate}


class RoleForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=ProjectRoleKind.choices)
    partner = forms.IntegerField(label=_("Partner number"), required=False)


class BudgetChangeForm(forms.Form):
    work_package = forms.TypedChoiceField(label=_("Work package"), coerce=int)
    category = forms.ChoiceField(
        label=_("Cost category"), choices=[(c.value, c.label) for c in ENTERED_CATEGORIES]
    )
    period = forms.TypedChoiceField(label=_("Period"), coerce=int)
    amount = forms.DecimalField(
        label=_("New amount"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)
    programme_approved = forms.BooleanField(
        label=_("Approved by the programme (lead partner only)"), required=False
    )


class ExpenditureForm(forms.Form):
    work_package = forms.TypedChoiceField(label=_("Work package"), coerce=int)
    category = forms.ChoiceField(
        label=_("Cost category"), choices=[(c.value, c.label) for c in ENTERED_CATEGORIES]
    )
    date = forms.DateField(label=_("Date"), widget=DateInput)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    invoice_ref = forms.CharField(label=_("Invoice reference"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    attachment = forms.FileField(
        label=_("Attachment (PDF, image, office file; ≤ 10 MB)"), required=False
    )
    is_ineligible = forms.BooleanField(label=_("Ineligible"), required=False)
    ineligible_reason = forms.CharField(label=_("Why ineligible"), max_length=300, required=False)


class ControlForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    deduction = forms.DecimalField(
        label=_("Deduction"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    is_ineligible = forms.BooleanField(label=_("Ineligible"), required=False)


class RatesForm(forms.Form):
    file = forms.FileField(label=_("CSV file (month,currency,rate per 1 EUR)"))
    source = forms.CharField(label=_("Source of the rates"), max_length=200, required=False)


class PaymentForm(forms.Form):
    claim = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("Amount received"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)


class ProgressForm(forms.Form):
    summary = forms.CharField(label=_("Summary of progress"), widget=forms.Textarea)
