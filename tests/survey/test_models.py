"""Model invariants: unguessable tokens, one invitation per organisation, statuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError

from alpsbio.directory.models import Organisation
from alpsbio.survey.models import Invitation, Survey


def test_tokens_are_long_and_distinct(
    cluster_survey: Survey, orgs: dict[str, Organisation]
) -> None:
    tokens = {
        Invitation.objects.create(survey=cluster_survey, organisation=o).token
        for o in orgs.values()
    }
    assert len(tokens) == len(orgs)
    assert all(len(t) >= 43 for t in tokens)


def test_one_invitation_per_organisation(
    cluster_survey: Survey, orgs: dict[str, Organisation]
) -> None:
    Invitation.objects.create(survey=cluster_survey, organisation=orgs["uga"])
    with pytest.raises(IntegrityError):
        Invitation.objects.create(survey=cluster_survey, organisation=orgs["uga"])


def test_invitation_status(
    cluster_survey: Survey, orgs: dict[str, Organisation], invite: Any
) -> None:
    inv = invite(cluster_survey, orgs["uga"])
    assert inv.status == "created"
    from alpsbio.survey import services

    services.save_answers(inv.token, {"main_activity": "research"})
    inv.refresh_from_db()
    assert inv.status == "started"
