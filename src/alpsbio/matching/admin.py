"""Admin: the same per-object rules as pages and API (``matching.permissions``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from alpsbio.accounts import permissions as base
from alpsbio.directory.models import Organisation
from alpsbio.matching import permissions
from alpsbio.matching.models import (
    Embedding,
    ExpressionOfInterest,
    MatchingPreference,
    MatchingSettings,
    Opportunity,
    OutcomeFollowUp,
)


def _managed(request: HttpRequest) -> QuerySet[Organisation]:
    return Organisation.objects.filter(base.managed_organisations_filter(request.user))


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    """Managers see the profiles of their regions; state changes go through the pages/API."""

    list_display = ("reference", "kind", "status", "organisation", "expires_on", "is_demo")
    list_filter = ("status", "kind", "is_demo")
    search_fields = ("reference", "search_text")
    readonly_fields = (
        "reference",
        "status",
        "submitted_at",
        "published_at",
        "reviewed_by",
        "created_by",
        "search_text",
    )
    raw_id_fields = ("organisation",)
    filter_horizontal = ("nace_codes",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Opportunity]:
        qs = super().get_queryset(request).select_related("organisation")
        if base.is_platform_admin(request.user):
            return qs
        return qs.filter(organisation__in=_managed(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return base.is_cluster_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return base.is_cluster_manager(request.user)
        return base.manages_organisation(request.user, obj.organisation)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created by editors through the service (reference code, audit)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)


@admin.register(ExpressionOfInterest)
class ExpressionOfInterestAdmin(admin.ModelAdmin):
    list_display = ("opportunity", "organisation", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = (
        "opportunity",
        "organisation",
        "author",
        "message",
        "status",
        "decided_at",
        "decided_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpressionOfInterest]:
        qs = super().get_queryset(request)
        if base.is_platform_admin(request.user):
            return qs
        return qs.filter(opportunity__organisation__in=_managed(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return base.is_cluster_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return base.is_cluster_manager(request.user)
        return permissions.can_view_eoi(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutcomeFollowUp)
class OutcomeFollowUpAdmin(admin.ModelAdmin):
    list_display = ("eoi", "side", "months", "answered_at", "meeting", "agreement", "joint_project")
    list_filter = ("months", "side", "agreement")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return base.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MatchingSettings)
class MatchingSettingsAdmin(admin.ModelAdmin):
    """The policy weights: a singleton, editable by platform admins only."""

    list_display = (
        "__str__",
        "border_bonus",
        "sector_bonus",
        "network_bonus",
        "history_weight",
        "updated_at",
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_edit_policy(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_edit_policy(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_edit_policy(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_edit_policy(request.user) and not MatchingSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from alpsbio.matching import services

        services.update_matching_policy(
            request.user, obj.border_bonus, obj.sector_bonus, obj.network_bonus, obj.history_weight
        )


@admin.register(Embedding)
class EmbeddingAdmin(admin.ModelAdmin):
    list_display = ("content_hash", "model_name", "model_version", "dim", "created_at")
    list_filter = ("model_name", "model_version")
    exclude = ("vector",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return base.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MatchingPreference)
class MatchingPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "weekly_digest", "last_digest_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return base.is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)
