"""Access API: who acts for an organisation, invitations, and role changes. The same rules as
the "People and access" page: the organisation's cluster managers and editors only."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from alpsbio.accounts import invitations
from alpsbio.accounts.models import AccessInvitation, OrganisationRole
from alpsbio.api.auth import write_auth
from alpsbio.directory.models import Organisation

router = Router(tags=["access"], auth=write_auth)

Role = Literal["member", "editor"]
Language = Literal["en", "fr", "it", "de"]


class PersonRoleOut(Schema):
    user_id: int
    username: str
    name: str
    email: str
    role: str


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    language: str
    invited_by: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    expires_at: dt.datetime


class AccessOut(Schema):
    roles: list[PersonRoleOut]
    invitations: list[InvitationOut]


class InvitationIn(Schema):
    email: str
    role: Role = "member"
    language: Language = "en"


class RoleIn(Schema):
    role: Role


def _org(request: HttpRequest, org_id: int) -> Organisation:
    org = get_object_or_404(Organisation, pk=org_id)
    if not invitations.can_manage_access(request.user, org):
        raise PermissionDenied("Only the organisation's editors and cluster managers see this.")
    return org


def _role_out(grant: OrganisationRole) -> dict[str, Any]:
    user = grant.user
    return {
        "user_id": user.pk,
        "username": user.username,
        "name": user.get_full_name(),
        "email": user.email,
        "role": grant.role,
    }


def _invitation_out(inv: AccessInvitation) -> dict[str, Any]:
    return {
        "id": inv.pk,
        "email": inv.email,
        "role": inv.role,
        "language": inv.language,
        "invited_by": inv.invited_by.username if inv.invited_by else None,
        "created_at": inv.created_at,
        "sent_at": inv.sent_at,
        "expires_at": inv.expires_at,
    }


@router.get("/organisations/{org_id}/access", response=AccessOut)
def organisation_access(request: HttpRequest, org_id: int) -> dict[str, Any]:
    access = invitations.access_of(_org(request, org_id))
    return {
        "roles": [_role_out(g) for g in access.roles],
        "invitations": [_invitation_out(i) for i in access.pending],
    }


@router.post(
    "/organisations/{org_id}/invitations",
    response={201: InvitationOut},
    summary="Invite a person by e-mail (re-inviting an address sends a fresh link)",
)
def invite(request: HttpRequest, org_id: int, payload: InvitationIn) -> Status[Any]:
    org = _org(request, org_id)
    inv = invitations.invite(org, payload.email, payload.role, request.user, payload.language)
    return Status(201, _invitation_out(inv))


@router.delete("/organisations/{org_id}/invitations/{invitation_id}", response={204: None})
def withdraw_invitation(request: HttpRequest, org_id: int, invitation_id: int) -> Status[None]:
    org = _org(request, org_id)
    inv = get_object_or_404(
        AccessInvitation, pk=invitation_id, organisation=org, accepted_at__isnull=True
    )
    invitations.cancel(inv, request.user)
    return Status(204, None)


@router.put("/organisations/{org_id}/access/{user_id}", response=PersonRoleOut)
def change_role(request: HttpRequest, org_id: int, user_id: int, payload: RoleIn) -> Any:
    org = _org(request, org_id)
    grant = get_object_or_404(
        OrganisationRole.objects.select_related("user"), organisation=org, user_id=user_id
    )
    return _role_out(invitations.change_role(grant, payload.role, request.user))


@router.delete("/organisations/{org_id}/access/{user_id}", response={204: None})
def remove_role(request: HttpRequest, org_id: int, user_id: int) -> Status[None]:
    org = _org(request, org_id)
    grant = get_object_or_404(
        OrganisationRole.objects.select_related("user"), organisation=org, user_id=user_id
    )
    invitations.remove_role(grant, request.user)
    return Status(204, None)
