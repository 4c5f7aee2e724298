"""Admin for the directory. Per-object rules are the same functions the pages and API use:
regional managers see and change only their regions' organisations; editors use the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from alpsbio.accounts import permissions
from alpsbio.directory.models import (
    ImportRun,
    MergeRecord,
    NaceCode,
    Network,
    NetworkMembership,
    Organisation,
    Participation,
    Person,
    Project,
    Region,
    RegionCodeAlias,
    Sector,
)


class ManagerScopedAdmin(admin.ModelAdmin):
    """Visible to cluster managers, changeable per object; reference data only for admins."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.is_cluster_manager(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_cluster_manager(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_platform_admin(request.user)


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0
    fields = ("first_name", "last_name", "job_title", "email", "phone", "consent_given_at")


class MembershipInline(admin.TabularInline):
    model = NetworkMembership
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(Organisation)
class OrganisationAdmin(ManagerScopedAdmin):
    list_display = (
        "legal_name",
        "short_name",
        "org_type",
        "country_code",
        "nuts2",
        "validation_status",
        "n_projects",
    )
    list_filter = ("validation_status", "org_type", "country_code", "nuts2__is_member")
    search_fields = ("legal_name", "short_name", "city", "ror_id", "pic")
    raw_id_fields = ("nuts3", "nuts2", "validated_by")
    filter_horizontal = ("sectors",)
    autocomplete_fields = ("nace_codes",)
    readonly_fields = ("n_projects", "sources", "validated_by", "validated_at", "created_at")
    inlines = [PersonInline]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        qs = super().get_queryset(request).select_related("nuts2")
        return qs.filter(permissions.managed_organisations_filter(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_create_organisation(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return permissions.is_cluster_manager(request.user)
        return permissions.manages_organisation(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_platform_admin(request.user)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        from alpsbio.core import audit
        from alpsbio.directory.search_text import refresh_search_text

        super().save_model(request, obj, form, change)
        audit.record(
            "organisation.admin_changed" if change else "organisation.admin_created",
            obj,
            actor=request.user,
            summary=", ".join(form.changed_data),
        )

        def _refresh() -> None:
            refresh_search_text(obj)

        from django.db import transaction

        transaction.on_commit(_refresh)


@admin.register(Region)
class RegionAdmin(ManagerScopedAdmin):
    list_display = ("code", "name", "level", "country_code", "is_member", "member_label")
    list_filter = ("level", "is_member", "country_code")
    search_fields = ("code", "name", "name_latin")
    exclude = ("geometry",)
    raw_id_fields = ("parent",)


@admin.register(RegionCodeAlias)
class RegionCodeAliasAdmin(ManagerScopedAdmin):
    list_display = ("code", "version", "region", "change")
    search_fields = ("code", "region__code")
    raw_id_fields = ("region",)


@admin.register(NaceCode)
class NaceCodeAdmin(ManagerScopedAdmin):
    list_display = ("code", "level", "label_en", "label_fr", "label_de", "label_it")
    list_filter = ("level",)
    search_fields = ("code", "label_en", "label_fr", "label_de", "label_it")


@admin.register(Sector)
class SectorAdmin(ManagerScopedAdmin):
    list_display = ("slug", "name", "ordering")


@admin.register(Network)
class NetworkAdmin(ManagerScopedAdmin):
    list_display = ("slug", "name")
    inlines = [MembershipInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.is_cluster_manager(request.user)


@admin.register(Project)
class ProjectAdmin(ManagerScopedAdmin):
    list_display = ("acronym", "source", "rcn", "programme", "start_date", "n_participants")
    list_filter = ("source", "health_biotech")
    search_fields = ("acronym", "title", "rcn", "topic")


@admin.register(Participation)
class ParticipationAdmin(ManagerScopedAdmin):
    list_display = ("project", "organisation", "role", "activity_type", "contribution")
    raw_id_fields = ("project", "organisation")
    search_fields = ("project__acronym", "organisation__legal_name")


@admin.register(ImportRun)
class ImportRunAdmin(ManagerScopedAdmin):
    list_display = ("source", "file_name", "started_at", "status", "stats")
    list_filter = ("source", "status")
    readonly_fields = ("report", "stats")


@admin.register(MergeRecord)
class MergeRecordAdmin(ManagerScopedAdmin):
    list_display = ("kept", "reason", "score", "merged_at", "merged_by")
    raw_id_fields = ("kept", "import_run")
