"""Who may do what with surveys and indicators: used by pages, admin and API alike.

* Cluster managers (platform admins and regional managers) create surveys and see response rates
  for the whole survey (aggregate counts only). A survey's questionnaire is changed, and the
  survey opened or closed, only by its owners (``can_edit_survey``): platform admins and the
  manager who created it (every cluster manager for the shipped questionnaire, which has no
  creator).
* A regional manager invites and reminds only organisations of the regions they manage, and
  exports only the responses of those organisations (by the response's region for anonymous
  surveys); platform admins see everything.
* Respondents need no account: the invitation token is their credential.
* Indicators are public to read; imports are for cluster managers.
* Region profiles and the cluster overview are public (aggregates of public data).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from alpsbio.accounts import permissions as base
from alpsbio.directory.models import Organisation
from alpsbio.survey.models import Invitation, Response, Survey


def can_manage_surveys(user: Any) -> bool:
    return base.is_cluster_manager(user)


def can_edit_survey(user: Any, survey: Survey) -> bool:
    """The survey's owners change its questionnaire and open or close it: platform admins, and
    the cluster manager who created it. A survey without a creator (the questionnaire shipped
    with the platform) belongs to every cluster manager."""
    if base.is_platform_admin(user):
        return True
    if not base.is_cluster_manager(user):
        return False
    return survey.created_by_id is None or survey.created_by_id == user.pk


def can_view_survey_results(user: Any, survey: Survey) -> bool:
    return base.is_cluster_manager(user)


def can_invite(user: Any, survey: Survey, org: Organisation) -> bool:
    return base.is_cluster_manager(user) and base.manages_organisation(user, org)


def can_remind(user: Any, invitation: Invitation) -> bool:
    return can_invite(user, invitation.survey, invitation.organisation)


def invitable_organisations(user: Any) -> QuerySet[Organisation]:
    if not base.is_cluster_manager(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(base.managed_organisations_filter(user))


def exportable_responses(user: Any, survey: Survey) -> QuerySet[Response]:
    """The responses ``user`` may export: all for admins, their regions' for regional managers."""
    qs = Response.objects.filter(survey=survey)
    if base.is_platform_admin(user):
        return qs
    codes = base.managed_region_codes(user)
    if not codes:
        return qs.none()
    # Responses of organisations they manage (the link exists for non-anonymous surveys) or,
    # for managers of a whole NUTS-2 region or more, any response from their regions.
    q = Q(invitation__organisation__in=invitable_organisations(user))
    for code in codes:
        if len(code) <= 4:
            q |= Q(region__code__startswith=code)
    return qs.filter(q)


def can_import_indicators(user: Any) -> bool:
    return base.is_cluster_manager(user)
