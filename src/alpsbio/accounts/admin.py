from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from alpsbio.accounts.models import ApiToken, OrganisationRole, RegionalManager, User


class RegionalManagerInline(admin.TabularInline):
    model = RegionalManager
    extra = 0
    raw_id_fields = ("region",)


class OrganisationRoleInline(admin.TabularInline):
    model = OrganisationRole
    extra = 0
    raw_id_fields = ("organisation",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RegionalManagerInline, OrganisationRoleInline]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_superuser")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("alpsbio", {"fields": ("preferred_language",)}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    search_fields = ("name", "user__username")
