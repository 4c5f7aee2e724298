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
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)
    target = forms.IntegerField(label=_("Target"), min_value=0)
    source_code = forms.ChoiceField(label=_("Counted from"), required=False)
    work_package = forms.IntegerField(label=_("Work package"), required=False)


class PartnerForm(forms.Form):
    SCHEMES = [
        ("eu_public", _("EU fund + national public contribution")),
        ("eu_private", _("EU fund + national private contribution")),
        ("swiss", _("Swiss federal + cantonal funding (CHF)")),
    ]
    organisation = forms.IntegerField(
        label=_("Organisation (directory ID)"),
        help_text=_("The number in the organisation's directory address."),
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
