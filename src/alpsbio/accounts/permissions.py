"""Who may do what. One place, used by pages, admin and API alike.

Roles: platform admin (superuser), regional cluster manager (``RegionalManager``: every
organisation whose NUTS-3/NUTS-2 code starts with a managed region's code), organisation editor
(``OrganisationRole`` editor), member (any signed-in user with an organisation role), public.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from alpsbio.accounts.models import OrganisationRole, RegionalManager
from alpsbio.directory.models import Organisation


def is_platform_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def managed_region_codes(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_managed_region_codes", None)
    if cache is None:
        cache = list(
            RegionalManager.objects.filter(user=user).values_list("region__code", flat=True)
        )
        user._managed_region_codes = cache
    return list(cache)


def is_cluster_manager(user: Any) -> bool:
    return is_platform_admin(user) or bool(managed_region_codes(user))


def region_code_of(org: Organisation) -> str:
    region = org.nuts3 or org.nuts2
    return region.code if region else org.country_code


def regional_managers_of(org: Organisation) -> list[Any]:
    """The active cluster managers whose region contains the organisation."""
    code = region_code_of(org)
    return [
        rm.user
        for rm in RegionalManager.objects.select_related("user", "region")
        if rm.user.is_active and code.startswith(rm.region.code)
    ]


def manages_organisation(user: Any, org: Organisation) -> bool:
    if is_platform_admin(user):
        return True
    code = region_code_of(org)
    return any(code.startswith(prefix) for prefix in managed_region_codes(user))


def manages_region(user: Any, region_code: str) -> bool:
    if is_platform_admin(user):
        return True
    return any(region_code.startswith(prefix) for prefix in managed_region_codes(user))


def organisation_role(user: Any, org: Organisation) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    # One query per user and request, not one per check (pages check every contact person).
    cache = getattr(user, "_organisation_roles", None)
    if cache is None:
        cache = dict(
            OrganisationRole.objects.filter(user=user).values_list("organisation_id", "role")
        )
        user._organisation_roles = cache
    return cache.get(org.pk)


def forget_cached_roles(user: Any) -> None:
    """After a change to ``user``'s roles within a request, read them again on the next check."""
    if hasattr(user, "_organisation_roles"):
        del user._organisation_roles


def can_edit_organisation(user: Any, org: Organisation) -> bool:
    if manages_organisation(user, org):
        return True
    return organisation_role(user, org) == OrganisationRole.Role.EDITOR


def can_validate_organisation(user: Any, org: Organisation) -> bool:
    return manages_organisation(user, org)


def can_create_organisation(user: Any) -> bool:
    return is_cluster_manager(user)


def can_merge_organisations(user: Any, kept: Organisation, absorbed: Organisation) -> bool:
    return manages_organisation(user, kept) and manages_organisation(user, absorbed)


def can_run_imports(user: Any) -> bool:
    return is_cluster_manager(user)


def is_member(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (is_cluster_manager(user) or OrganisationRole.objects.filter(user=user).exists())
    )


def managed_organisations_filter(user: Any) -> Q:
    """A filter selecting the organisations ``user`` manages (empty for non-managers)."""
    if is_platform_admin(user):
        return Q()
    codes = managed_region_codes(user)
    if not codes:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(nuts3__code__startswith=code) | Q(nuts3__isnull=True, nuts2__code__startswith=code)
        if len(code) == 2:
            q |= Q(nuts3__isnull=True, nuts2__isnull=True, country_code=code)
    return q


def editable_organisations(user: Any) -> QuerySet[Organisation]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organisation.objects.none()
    own = Q(user_roles__user=user, user_roles__role=OrganisationRole.Role.EDITOR)
    return Organisation.objects.filter(managed_organisations_filter(user) | own).distinct()


def visible_person_fields(user: Any, person: Any) -> set[str]:
    """Which of a person's contact fields ``user`` may see, per the person's consent and choices."""
    if manages_organisation(user, person.organisation) or organisation_role(
        user, person.organisation
    ):
        return set(person.VISIBLE_FIELDS)
    member = is_member(user)
    fields = set()
    for field in person.VISIBLE_FIELDS:
        vis = person.field_visibility(field)
        if vis == "public" or (vis == "members" and member):
            fields.add(field)
    return fields
