"""The matching app's part of a person's data: their digest choice, the profiles they wrote,
the expressions of interest they sent and the follow-ups they answered. The last three are the
organisations' records and stay when the account is erased (then without the person's name)."""

from __future__ import annotations

from typing import Any

from alpsbio.core.personal_data import iso
from alpsbio.matching.models import (
    ExpressionOfInterest,
    MatchingPreference,
    Opportunity,
    OutcomeFollowUp,
)


def export_matching(user: Any) -> dict[str, Any]:
    pref = MatchingPreference.objects.filter(user=user).first()
    return {
        "weekly_digest": pref.weekly_digest if pref else True,
        "profiles_written": [
            {
                "reference": o.reference,
                "title": o.title,
                "status": o.status,
                "created_at": iso(o.created_at),
            }
            for o in Opportunity.objects.filter(created_by=user).order_by("created_at")
        ],
        "expressions_of_interest_sent": [
            {
                "opportunity": e.opportunity.reference,
                "on_behalf_of": e.organisation.display_name,
                "message": e.message,
                "status": e.status,
                "created_at": iso(e.created_at),
            }
            for e in ExpressionOfInterest.objects.filter(author=user)
            .select_related("opportunity", "organisation")
            .order_by("created_at")
        ],
        "follow_ups_answered": [
            {
                "opportunity": f.eoi.opportunity.reference,
                "months": f.months,
                "meeting": f.meeting,
                "agreement": f.agreement,
                "joint_project": f.joint_project,
                "comment": f.comment,
                "answered_at": iso(f.answered_at),
            }
            for f in OutcomeFollowUp.objects.filter(answered_by=user)
            .select_related("eoi__opportunity")
            .order_by("answered_at")
        ],
    }


def erase_matching(user: Any) -> None:
    MatchingPreference.objects.filter(user=user).delete()
