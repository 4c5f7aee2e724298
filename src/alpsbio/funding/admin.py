"""Admin for funded projects: platform admins only (finance data is edited through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alpsbio.accounts.permissions import is_platform_admin
from alpsbio.funding import models as m


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


@admin.register(m.ProjectPartner)
class ProjectPartnerAdmin(AdminOnly):
    list_display = ["project", "number", "organisation", "role", "currency"]
    list_filter = ["project", "role", "currency"]


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
