"""The permission matrix: role x action, checked through the pages AND the API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from alpsbio.funding import permissions as perms
from alpsbio.funding import services
from alpsbio.funding.models import FundingProject

from .conftest import URLFIELD_WARNING, partner

pytestmark = [pytest.mark.django_db, URLFIELD_WARNING]

ROLES = [
    "admin",
    "editor",
    "member",
    "partner_it",
    "controller",
    "auditor",
    "outsider",
    "anonymous",
]
# Expected outcome per role for each action (True = allowed).
MATRIX: dict[str, dict[str, bool]] = {
    #                    admin  lead   member(UGA) partner_it controller auditor outsider anon
    "view_dashboard": dict(zip(ROLES, [1, 1, 1, 1, 1, 1, 0, 0], strict=True)),
    "view_lead_budget": dict(zip(ROLES, [1, 1, 1, 0, 0, 1, 0, 0], strict=True)),
    "view_it_budget": dict(zip(ROLES, [1, 1, 0, 1, 1, 1, 0, 0], strict=True)),
    "edit_lead_budget": dict(zip(ROLES, [1, 1, 1, 0, 0, 0, 0, 0], strict=True)),
    "edit_it_budget": dict(zip(ROLES, [1, 1, 0, 1, 0, 0, 0, 0], strict=True)),
    "control_it": dict(zip(ROLES, [1, 0, 0, 0, 1, 0, 0, 0], strict=True)),
    "manage_project": dict(zip(ROLES, [1, 1, 0, 0, 0, 0, 0, 0], strict=True)),
    "view_audit": dict(zip(ROLES, [1, 1, 0, 0, 0, 1, 0, 0], strict=True)),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_predicates(
    role: str, project: FundingProject, funding_personas: dict[str, Any]
) -> None:
    user = funding_personas[role]
    access = perms.access_for(user, project)
    lead, it = partner(project, 1), partner(project, 2)
    got = {
        "view_dashboard": access.any,
        "view_lead_budget": access.can_view_partner(lead.pk),
        "view_it_budget": access.can_view_partner(it.pk),
        "edit_lead_budget": access.can_edit_partner(lead.pk),
        "edit_it_budget": access.can_edit_partner(it.pk),
        "control_it": access.can_control_partner(it.pk),
        "manage_project": access.manages,
        "view_audit": access.sees_all,
    }
    assert got == {action: bool(row[role]) for action, row in MATRIX.items()}


def _ok(response: Any) -> bool:
    assert response.status_code in (200, 201, 302, 401, 403, 404, 422), response.status_code
    return response.status_code in (200, 201)


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_matrix(
    role: str, project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    client = fclient(role)
    lead, it = partner(project, 1), partner(project, 2)
    pages = {
        "view_dashboard": reverse("funding:dashboard", args=[project.pk]),
        "view_lead_budget": reverse("funding:partner", args=[project.pk, lead.pk]),
        "view_it_budget": reverse("funding:partner", args=[project.pk, it.pk]),
        "view_audit": reverse("funding:audit", args=[project.pk]),
    }
    for action, url in pages.items():
        assert _ok(client.get(url)) == bool(MATRIX[action][role]), (action, role)
    # Editing a budget through the page: the form posts; a refusal is a 403 (or login redirect).
    wp = project.work_packages.first()
    period = project.periods.first()
    assert wp is not None
    assert period is not None
    data = {
        "work_package": wp.pk,
        "category": "staff",
        "period": period.pk,
        "amount": "900.00",
        "reason": "test",
    }
    for action, target in (("edit_lead_budget", lead), ("edit_it_budget", it)):
        response = client.post(reverse("funding:partner", args=[project.pk, target.pk]), data)
        allowed = response.status_code == 302 and "/accounts/" not in response["Location"]
        assert allowed == bool(MATRIX[action][role]), (action, role)


@pytest.mark.parametrize("role", ROLES)
def test_api_follows_the_matrix(
    role: str, project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    client = fclient(role)
    lead, it = partner(project, 1), partner(project, 2)
    base = "/api/v1/funding"
    assert _ok(client.get(f"{base}/projects/{project.pk}")) == bool(MATRIX["view_dashboard"][role])
    assert _ok(client.get(f"{base}/partners/{lead.pk}/budget")) == bool(
        MATRIX["view_lead_budget"][role]
    )
    assert _ok(client.get(f"{base}/partners/{it.pk}/budget")) == bool(
        MATRIX["view_it_budget"][role]
    )
    wp = project.work_packages.first()
    period = project.periods.first()
    assert wp is not None
    assert period is not None
    body = {
        "reason": "api test",
        "changes": [
            {
                "work_package_id": wp.pk,
                "category": "staff",
                "period_id": period.pk,
                "amount": "900.00",
            }
        ],
    }
    for action, target in (("edit_lead_budget", lead), ("edit_it_budget", it)):
        response = client.post(
            f"{base}/partners/{target.pk}/budget", json.dumps(body), content_type="application/json"
        )
        assert _ok(response) == bool(MATRIX[action][role]), (action, role, response.content)
    claims = client.get(f"{base}/projects/{project.pk}/claims")
    assert _ok(claims) == bool(MATRIX["view_audit"][role])


@pytest.mark.parametrize("role", ROLES)
def test_control_through_the_api_only_for_the_assigned_controller(
    role: str, project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    it = partner(project, 2)
    report = services.create_report(None, it, project.periods.get(number=1))
    wp = project.work_packages.first()
    assert wp is not None
    services.add_expenditure(
        None,
        report,
        work_package_id=wp.pk,
        category="travel",
        date=dt.date(2009, 1, 1),
        amount="10.00",
        currency="EUR",  # type: ignore[arg-type]
    )
    services.submit_report(None, report)
    response = fclient(role).post(f"/api/v1/funding/reports/{report.pk}/start-control")
    assert _ok(response) == bool(MATRIX["control_it"][role])
