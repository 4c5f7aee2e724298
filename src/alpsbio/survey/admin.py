"""Admin for surveys and indicators, with the same rules as the pages and the API.

Cluster managers may look; changes go through the pages (services) so that every change is
validated and audited: the admin is read-only except for platform admins. Answers of anonymous
surveys are never shown next to an organisation, and invitations are listed only for the
organisations a regional manager manages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from alpsbio.accounts import permissions as base
from alpsbio.survey import permissions
from alpsbio.survey.models import (
    Indicator,
    IndicatorImport,
    IndicatorValue,
    Invitation,
    Question,
    Response,
    Section,
    Survey,
)


class ManagerReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_surveys(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_manage_surveys(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return base.is_platform_admin(request.user)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ("key", "title", "position")


@admin.register(Survey)
class SurveyAdmin(ManagerReadOnlyAdmin):
    list_display = ("slug", "status", "anonymous", "created_at")
    list_filter = ("status", "anonymous")
    inlines = [SectionInline]


@admin.register(Question)
class QuestionAdmin(ManagerReadOnlyAdmin):
    list_display = ("key", "qtype", "required", "theme", "section")
    list_filter = ("qtype", "section__survey")


@admin.register(Invitation)
class InvitationAdmin(ManagerReadOnlyAdmin):
    list_display = (
        "survey",
        "organisation",
        "language",
        "sent_at",
        "reminders_sent",
        "submitted_at",
    )
    list_filter = ("survey", "language")
    exclude = ("token",)  # a personal credential: not shown, not copied around
    readonly_fields = ("survey", "organisation")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        return (
            super()
            .get_queryset(request)
            .filter(organisation__in=permissions.invitable_organisations(request.user))
        )


@admin.register(Response)
class ResponseAdmin(ManagerReadOnlyAdmin):
    list_display = ("pk", "survey", "region", "org_type", "status", "submitted_on")
    list_filter = ("survey", "status", "org_type")
    exclude = ("invitation",)  # exports and analysis show region and type only

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        qs = super().get_queryset(request)
        surveys = Survey.objects.all()
        ids: list[int] = []
        for s in surveys:
            ids.extend(
                permissions.exportable_responses(request.user, s).values_list("pk", flat=True)
            )
        return qs.filter(pk__in=ids)


@admin.register(Indicator)
class IndicatorAdmin(ManagerReadOnlyAdmin):
    list_display = ("code", "source", "higher_is_better")
    search_fields = ("code",)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ManagerReadOnlyAdmin):
    list_display = ("indicator", "region_code", "year", "unit", "dims", "value", "flag")
    list_filter = ("indicator", "year")
    search_fields = ("region_code",)


@admin.register(IndicatorImport)
class IndicatorImportAdmin(ManagerReadOnlyAdmin):
    list_display = ("started_at", "files", "succeeded")
