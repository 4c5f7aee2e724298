"""State changes of accounts and roles. Each owns its transaction and writes an audit entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from alpsbio.accounts import permissions
from alpsbio.accounts.models import ApiToken, OrganisationRole, RegionalManager, User
from alpsbio.core import audit
from alpsbio.directory.models import Organisation, Region


@transaction.atomic
def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    token, key = ApiToken.issue(user, name)
    audit.record("api_token.issued", token, actor=user, summary=name)
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, actor: Any) -> None:
    audit.record("api_token.revoked", token, actor=actor, summary=token.name)
    token.delete()


@transaction.atomic
def assign_regional_manager(user: User, region: Region, actor: Any) -> RegionalManager:
    if not permissions.is_platform_admin(actor):
        raise PermissionDenied("Only platform admins appoint regional cluster managers.")
    assignment, _ = RegionalManager.objects.get_or_create(user=user, region=region)
    audit.record("role.manager_assigned", assignment, actor=actor, summary=f"{user} {region.code}")
    return assignment


@transaction.atomic
def grant_organisation_role(
    user: User, organisation: Organisation, role: str, actor: Any
) -> OrganisationRole:
    if not permissions.manages_organisation(actor, organisation):
        raise PermissionDenied("Only the organisation's cluster managers grant roles.")
    if role not in OrganisationRole.Role.values:
        raise ValueError(f"unknown role {role!r}")
    grant, _ = OrganisationRole.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    audit.record("role.granted", grant, actor=actor, summary=f"{user} {role} {organisation.pk}")
    return grant
