"""Admin for funded projects: platform admins only (finance data is edited through services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from alpsbio.accounts.permissions import is_platform_admin
from alpsbio.funding import models as m
from alpsbio.funding import services
from alpsbio.funding.forms import PartnerForm, partner_funding_plan


class AdminOnly(admin.ModelAdmin):
    """Read-mostly: money rows change only through the services (audit, rounding, rules)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.FundingProject)
class FundingProjectAdmin(AdminOnly):
    list_display = ["acronym", "programme", "start_date", "end_date", "total_budget", "currency"]


class PartnerAddForm(forms.ModelForm):
    """Adding a partner in the admin: the organisation is picked by typing (autocomplete);
    the co-financing plan comes from the scheme and rate, as on the set-up page."""

    scheme = forms.ChoiceField(label=_("Funding"), choices=PartnerForm.SCHEMES)
    rate = forms.DecimalField(
        label=_("EU fund rate (or Swiss federal share)"),
        initial=Decimal("0.76"),
        max_digits=7,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
    )

    class Meta:
        model = m.ProjectPartner
        fields = ["project", "organisation", "role", "legal_status", "vat"]


@admin.register(m.ProjectPartner)
class ProjectPartnerAdmin(AdminOnly):
    list_display = ["project", "number", "organisation", "role", "currency"]
    list_filter = ["project", "role", "currency"]
    search_fields = ["organisation__legal_name", "organisation__short_name", "project__acronym"]
    autocomplete_fields = ["organisation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = PartnerAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """New partners go through the service (numbering, co-financing plan, audit)."""
        if change:  # pragma: no cover - change permission is refused above
            raise PermissionDenied
        data = form.cleaned_data
        currency, sources = partner_funding_plan(data["scheme"], data["rate"])
        try:
            partner = services.add_partner(
                request.user,
                data["project"],
                data["organisation"],
                role=data["role"],
                legal_status=data["legal_status"],
                vat=data["vat"],
                currency=currency,
                funding_sources=sources,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            raise
        obj.pk = partner.pk


@admin.register(m.ProjectRole)
class ProjectRoleAdmin(AdminOnly):
    list_display = ["project", "user", "role", "partner"]
    list_filter = ["project", "role"]


@admin.register(m.BudgetVersion)
class BudgetVersionAdmin(AdminOnly):
    list_display = ["project", "number", "partner", "created_at", "created_by", "reason"]


@admin.register(m.PartnerReport)
class PartnerReportAdmin(AdminOnly):
    list_display = ["partner", "period", "status", "submitted_at", "certified_at"]
    list_filter = ["status"]


@admin.register(m.ExchangeRate)
class ExchangeRateAdmin(AdminOnly):
    list_display = ["currency", "month", "rate", "source"]


@admin.register(m.PaymentClaim)
class PaymentClaimAdmin(AdminOnly):
    list_display = ["project", "number", "period", "certified_total", "amount"]
