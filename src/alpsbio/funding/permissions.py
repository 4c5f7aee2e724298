"""Who may see and do what in a funded project: one place for pages, admin and API.

* platform admin: everything;
* lead partner (a ``ProjectRole`` *lead*, or an *editor* role on the lead partner's
  organisation): sees and edits the whole project (set-up, budgets, reports, claims);
* partner (a ``ProjectRole`` *partner* naming the partner, or any organisation role on a
  partner's organisation): sees the project overview, sees and edits only its own budget and
  reports;
* controller (``ProjectRole`` *controller* per partner): sees and controls the reports of the
  partners assigned to it, edits nothing else;
* auditor (``ProjectRole`` *auditor*): reads everything in the project, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from alpsbio.accounts.models import OrganisationRole
from alpsbio.accounts.permissions import is_platform_admin
from alpsbio.funding.models import FundingProject, PartnerRole, ProjectPartner, ProjectRoleKind


@dataclass
class Access:
    admin: bool = False
    lead: bool = False
    auditor: bool = False
    own: set[int] = field(default_factory=set)
    controlled: set[int] = field(default_factory=set)

    @property
    def any(self) -> bool:
        return self.admin or self.lead or self.auditor or bool(self.own or self.controlled)

    @property
    def sees_all(self) -> bool:
        return self.admin or self.lead or self.auditor

    @property
    def manages(self) -> bool:
        return self.admin or self.lead

    def can_view_partner(self, partner_id: int) -> bool:
        return self.sees_all or partner_id in self.own or partner_id in self.controlled

    def can_edit_partner(self, partner_id: int) -> bool:
        return self.manages or partner_id in self.own

    def can_control_partner(self, partner_id: int) -> bool:
        return self.admin or partner_id in self.controlled

    def role_label(self) -> str:
        for flag, label in (
            (self.admin, "admin"),
            (self.lead, "lead"),
            (self.auditor, "auditor"),
            (bool(self.own), "partner"),
            (bool(self.controlled), "controller"),
        ):
            if flag:
                return label
        return "none"


def access_for(user: Any, project: FundingProject) -> Access:
    """The user's rights in ``project`` (two queries; views compute it once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access()
    access = Access(admin=is_platform_admin(user))
    for role, partner_id in project.roles.filter(user=user).values_list("role", "partner_id"):
        if role == ProjectRoleKind.LEAD:
            access.lead = True
        elif role == ProjectRoleKind.AUDITOR:
            access.auditor = True
        elif role == ProjectRoleKind.PARTNER and partner_id:
            access.own.add(partner_id)
        elif role == ProjectRoleKind.CONTROLLER and partner_id:
            access.controlled.add(partner_id)
    org_roles = dict(
        OrganisationRole.objects.filter(user=user).values_list("organisation_id", "role")
    )
    if org_roles:
        for pid, org_id, prole in project.partners.filter(
            organisation_id__in=list(org_roles)
        ).values_list("pk", "organisation_id", "role"):
            access.own.add(pid)
            if prole == PartnerRole.LEAD and org_roles[org_id] == OrganisationRole.Role.EDITOR:
                access.lead = True
    return access


def visible_projects(user: Any) -> QuerySet[FundingProject]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return FundingProject.objects.none()
    if is_platform_admin(user):
        return FundingProject.objects.all()
    return FundingProject.objects.filter(
        Q(roles__user=user) | Q(partners__organisation__user_roles__user=user)
    ).distinct()


def visible_partners(user: Any, project: FundingProject) -> QuerySet[ProjectPartner]:
    access = access_for(user, project)
    partners = project.partners.select_related("organisation", "region")
    if access.sees_all:
        return partners
    return partners.filter(pk__in=access.own | access.controlled)


# Convenience predicates (the permission matrix test exercises these and the pages/API).
def can_view_project(user: Any, project: FundingProject) -> bool:
    return access_for(user, project).any


def can_manage_project(user: Any, project: FundingProject) -> bool:
    return access_for(user, project).manages


def can_view_partner(user: Any, partner: ProjectPartner) -> bool:
    return access_for(user, partner.project).can_view_partner(partner.pk)


def can_edit_partner(user: Any, partner: ProjectPartner) -> bool:
    return access_for(user, partner.project).can_edit_partner(partner.pk)


def can_control_partner(user: Any, partner: ProjectPartner) -> bool:
    return access_for(user, partner.project).can_control_partner(partner.pk)


def can_import_rates(user: Any) -> bool:
    """Exchange rates are programme-wide: platform admins and lead partners import them."""
    if is_platform_admin(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return FundingProject.objects.filter(
        Q(roles__user=user, roles__role=ProjectRoleKind.LEAD)
        | Q(
            partners__role=PartnerRole.LEAD,
            partners__organisation__user_roles__user=user,
            partners__organisation__user_roles__role=OrganisationRole.Role.EDITOR,
        )
    ).exists()
