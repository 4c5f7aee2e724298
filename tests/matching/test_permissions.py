"""The permission matrix of the matching app, the same for pages, admin and API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from alpsbio.directory.models import Organisation
from alpsbio.matching import permissions
from alpsbio.matching.models import Opportunity

MATRIX = [
    # persona, create, edit draft, review submitted, see draft
    ("admin", False, False, True, True),
    ("manager_fr", False, False, True, True),
    ("manager_it", False, False, False, False),
    ("editor", True, True, False, True),
    ("member", False, False, False, True),
    ("outsider", False, False, False, False),
    ("anonymous", False, False, False, False),
]


@pytest.mark.parametrize(("name", "create", "edit", "review", "see"), MATRIX)
def test_permission_matrix(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    make_opp: Callable[..., Opportunity],
    name: str,
    create: bool,
    edit: bool,
    review: bool,
    see: bool,
) -> None:
    user = personas[name]
    draft = make_opp()
    submitted = make_opp(status="submitted")
    assert permissions.can_create_opportunity(user, orgs["uga"]) is create
    assert permissions.can_edit_opportunity(user, draft) is edit
    assert permissions.can_review_opportunity(user, submitted) is review
    assert permissions.can_view_opportunity(user, draft) is see


@pytest.mark.parametrize("name", ["manager_fr", "manager_it", "member", "outsider"])
def test_admin_policy_page_is_for_platform_admins_only(
    client_for: Callable[[str], Client],
    name: str,
) -> None:
    url = reverse("admin:matching_matchingsettings_changelist")
    assert client_for(name).get(url).status_code in (302, 403)


def test_admin_edits_policy_in_admin(client_for: Callable[[str], Client]) -> None:
    from alpsbio.matching.models import MatchingSettings

    MatchingSettings.load()
    url = reverse("admin:matching_matchingsettings_change", args=[1])
    resp = client_for("admin").post(
        url,
        {
            "border_bonus": "0.25",
            "sector_bonus": "0.1",
            "network_bonus": "0.0",
            "history_weight": "0.5",
        },
    )
    assert resp.status_code == 302
    assert MatchingSettings.load().border_bonus == 0.25
    assert MatchingSettings.load().history_weight == 0.5


def test_manager_sees_only_own_region_in_admin(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    fr = make_opp(status="submitted")
    it = make_opp(org=orgs["unimi"], status="submitted")
    body = (
        client_for("manager_fr")
        .get(reverse("admin:matching_opportunity_changelist"))
        .content.decode()
    )
    assert fr.reference in body
    assert it.reference not in body
