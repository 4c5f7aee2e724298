"""Who may do what with opportunities and expressions of interest (pages, admin and API)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from alpsbio.accounts import permissions as base
from alpsbio.accounts.models import OrganisationRole
from alpsbio.directory.models import Organisation
from alpsbio.matching.models import ExpressionOfInterest, Opportunity, OpportunityStatus


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_editor_of(user: Any, org: Organisation) -> bool:
    return base.organisation_role(user, org) == OrganisationRole.Role.EDITOR


def member_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations on whose behalf ``user`` may express interest (any role)."""
    if not _signed_in(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(user_roles__user=user).distinct()


def editor_organisations(user: Any) -> QuerySet[Organisation]:
    if not _signed_in(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        user_roles__user=user, user_roles__role=OrganisationRole.Role.EDITOR
    ).distinct()


def can_create_opportunity(user: Any, org: Organisation) -> bool:
    """Only editors of the owning organisation write its profiles."""
    return is_editor_of(user, org)


def can_edit_opportunity(user: Any, opp: Opportunity) -> bool:
    return opp.status != OpportunityStatus.SUBMITTED and is_editor_of(user, opp.organisation)


def can_submit_opportunity(user: Any, opp: Opportunity) -> bool:
    return is_editor_of(user, opp.organisation)


def can_review_opportunity(user: Any, opp: Opportunity) -> bool:
    """The regional cluster manager of the owner's region (or a platform admin)."""
    return base.manages_organisation(user, opp.organisation)


def can_renew_opportunity(user: Any, opp: Opportunity) -> bool:
    return is_editor_of(user, opp.organisation)


def can_view_opportunity(user: Any, opp: Opportunity) -> bool:
    if opp.status == OpportunityStatus.PUBLISHED:
        return True
    return (
        is_editor_of(user, opp.organisation)
        or base.manages_organisation(user, opp.organisation)
        or base.organisation_role(user, opp.organisation) is not None
    )


def visible_opportunities_filter(user: Any) -> Q:
    """Published ones for everyone; plus drafts of one's own organisations and managed regions."""
    q = Q(status=OpportunityStatus.PUBLISHED)
    if not _signed_in(user):
        return q
    q |= Q(organisation__user_roles__user=user)
    if base.is_cluster_manager(user):
        org_ids = Organisation.objects.filter(base.managed_organisations_filter(user)).values("pk")
        q |= Q(organisation_id__in=org_ids)
    return q


def can_express_interest(user: Any, opp: Opportunity, org: Organisation) -> bool:
    return (
        opp.status == OpportunityStatus.PUBLISHED
        and org.pk != opp.organisation_id
        and base.organisation_role(user, org) is not None
    )


def can_decide_eoi(user: Any, eoi: ExpressionOfInterest) -> bool:
    return is_editor_of(user, eoi.opportunity.organisation)


def can_view_eoi(user: Any, eoi: ExpressionOfInterest) -> bool:
    """People of either organisation (any role) and the owner's regional manager."""
    return (
        base.organisation_role(user, eoi.opportunity.organisation) is not None
        or base.organisation_role(user, eoi.organisation) is not None
        or base.manages_organisation(user, eoi.opportunity.organisation)
    )


def can_see_contacts(user: Any, eoi: ExpressionOfInterest) -> bool:
    """Contact details flow both ways only once the owner has accepted."""
    return eoi.status == ExpressionOfInterest.Status.ACCEPTED and can_view_eoi(user, eoi)


def can_view_reports(user: Any) -> bool:
    return base.is_cluster_manager(user)


def can_edit_policy(user: Any) -> bool:
    return base.is_platform_admin(user)


def can_answer_follow_up(user: Any, org_id: int) -> bool:
    return (
        _signed_in(user)
        and OrganisationRole.objects.filter(user=user, organisation_id=org_id).exists()
    )


def visible_eois_filter(user: Any) -> Q:
    if not _signed_in(user):
        return Q(pk__in=[])
    q = Q(opportunity__organisation__user_roles__user=user)
    q |= Q(organisation__user_roles__user=user)
    if base.is_cluster_manager(user):
        org_ids = Organisation.objects.filter(base.managed_organisations_filter(user)).values("pk")
        q |= Q(opportunity__organisation_id__in=org_ids)
    return q
