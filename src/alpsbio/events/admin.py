"""Admin: a read-only view of events and B2B data, filtered by the same permissions as pages.

Changes go through the pages and the API (services), so the admin never bypasses the seat
accounting, the waiting list or the scheduler's checks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from alpsbio.accounts.permissions import is_platform_admin, managed_region_codes
from alpsbio.events.models import (
    B2BProfile,
    B2BSession,
    Event,
    Meeting,
    MeetingRequest,
    Registration,
    ScheduleRun,
)


def _event_filter(request: HttpRequest, prefix: str = "") -> Q:
    user = request.user
    if is_platform_admin(user):
        return Q()
    q = Q(**{f"{prefix}organisers": user})
    for code in managed_region_codes(user):
        q |= Q(**{f"{prefix}region__code__startswith": code})
    return q


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    event_path = ""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).filter(_event_filter(request, self.event_path)).distinct()
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = (
        "slug",
        "display_title",
        "event_type",
        "region",
        "starts_at",
        "capacity",
        "is_demo",
    )
    list_filter = ("event_type", "is_demo", "region")
    search_fields = ("slug", "venue", "city")
    date_hierarchy = "starts_at"


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    event_path = "event__"
    list_display = ("event", "user", "organisation", "status", "queued_at", "checked_in_at")
    list_filter = ("status",)
    search_fields = ("user__username", "user__last_name", "event__slug")


@admin.register(B2BSession)
class B2BSessionAdmin(ReadOnlyAdmin):
    event_path = "event__"
    list_display = ("event", "min_meetings", "requests_open", "agendas_published_at")


@admin.register(B2BProfile)
class B2BProfileAdmin(ReadOnlyAdmin):
    event_path = "session__event__"
    list_display = ("headline", "organisation", "session", "is_published")


@admin.register(MeetingRequest)
class MeetingRequestAdmin(ReadOnlyAdmin):
    event_path = "session__event__"
    list_display = ("requester", "recipient", "priority", "status")
    list_filter = ("status", "priority")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    event_path = "session__event__"
    list_display = ("request", "slot", "table", "pinned", "status")
    list_filter = ("status", "pinned")


@admin.register(ScheduleRun)
class ScheduleRunAdmin(ReadOnlyAdmin):
    event_path = "session__event__"
    list_display = ("session", "kind", "status", "progress", "created_at", "finished_at")
    list_filter = ("status", "kind")
