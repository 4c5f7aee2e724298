"""The same per-object rules in services, pages, admin and API."""

from __future__ import annotations

from typing import Any

from alpsbio.directory.models import Organisation
from alpsbio.survey import permissions
from alpsbio.survey.models import Response, Survey


def test_roles(
    personas: dict[str, Any], orgs: dict[str, Organisation], cluster_survey: Survey
) -> None:
    assert permissions.can_manage_surveys(personas["manager_fr"])
    assert not permissions.can_manage_surveys(personas["editor"])
    assert permissions.can_invite(personas["manager_fr"], cluster_survey, orgs["hcl"])
    assert not permissions.can_invite(personas["manager_fr"], cluster_survey, orgs["unimi"])
    assert permissions.can_invite(personas["admin"], cluster_survey, orgs["unimi"])
    assert not permissions.can_import_indicators(personas["outsider"])
    assert list(permissions.invitable_organisations(personas["member"])) == []


def test_admin_shows_only_own_invitations(
    client_for: Any, cluster_survey: Survey, invite: Any, orgs: dict[str, Organisation]
) -> None:
    invite(cluster_survey, orgs["uga"])
    invite(cluster_survey, orgs["unimi"])
    page = client_for("manager_fr").get("/en/admin/survey/invitation/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Grenoble" in html
    assert "Milano" not in html
    assert client_for("member").get("/en/admin/survey/invitation/").status_code == 302


def test_admin_responses_never_name_anonymous_respondents(
    client_for: Any,
    cluster_survey: Survey,
    invite: Any,
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
) -> None:
    from alpsbio.survey import services

    Survey.objects.filter(pk=cluster_survey.pk).update(anonymous=True)
    inv = invite(cluster_survey, orgs["hcl"])
    services.save_answers(inv.token, full_answers, submit=True)
    resp = Response.objects.get()
    page = client_for("admin").get(f"/en/admin/survey/response/{resp.pk}/change/")
    assert page.status_code == 200
    assert "Hospices" not in page.content.decode()
