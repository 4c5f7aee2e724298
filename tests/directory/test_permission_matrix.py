"""Every role × every write action of the directory, through pages and through the API.

One table of expectations drives three channels (service-level checks, pages, API), so a rule
cannot drift between them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts import permissions
from alpsbio.accounts.models import ApiToken
from alpsbio.directory.models import Organisation

ROLES = ["admin", "manager_fr", "manager_it", "editor", "member", "outsider", "anonymous"]

# action -> roles allowed. "uga" is in FRK24 (Rhône-Alpes), "unimi" in ITC4C (Lombardia);
# the editor and the member belong to UGA.
ALLOWED: dict[str, set[str]] = {
    "edit_uga": {"admin", "manager_fr", "editor"},
    "edit_unimi": {"admin", "manager_it"},
    "validate_uga": {"admin", "manager_fr"},
    "validate_unimi": {"admin", "manager_it"},
    "create": {"admin", "manager_fr", "manager_it"},
    "backoffice": {"admin", "manager_fr", "manager_it"},
    "merge_uga_hcl": {"admin", "manager_fr"},
    "merge_uga_unimi": {"admin"},
}


def _check(action: str, user: Any, orgs: dict[str, Organisation]) -> bool:
    if action.startswith("edit_"):
        return permissions.can_edit_organisation(user, orgs[action[5:]])
    if action.startswith("validate_"):
        return permissions.can_validate_organisation(user, orgs[action[9:]])
    if action == "create":
        return permissions.can_create_organisation(user)
    if action == "backoffice":
        return permissions.can_run_imports(user)
    if action.startswith("merge_"):
        a, b = action[6:].split("_")
        return permissions.can_merge_organisations(user, orgs[a], orgs[b])
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_permission_rules(
    personas: dict[str, Any], orgs: dict[str, Organisation], role: str, action: str
) -> None:
    from django.contrib.auth.models import AnonymousUser

    user = personas[role] or AnonymousUser()
    assert _check(action, user, orgs) is (role in ALLOWED[action])


def _token_client(personas: dict[str, Any], role: str) -> tuple[Client, dict[str, str]]:
    user = personas[role]
    if user is None:
        return Client(), {}
    _, key = ApiToken.issue(user, "test")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["uga", "unimi"])
def test_api_patch_follows_the_rules(
    personas: dict[str, Any], orgs: dict[str, Organisation], role: str, target: str
) -> None:
    client, headers = _token_client(personas, role)
    org = orgs[target]
    response = client.patch(
        f"/api/v1/organisations/{org.pk}",
        data=json.dumps({"city": "Testville"}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    allowed = role in ALLOWED[f"edit_{target}"]
    expected = 200 if allowed else (401 if role == "anonymous" else 403)
    assert response.status_code == expected, response.content
    org.refresh_from_db()
    assert (org.city == "Testville") is allowed


@pytest.mark.parametrize("role", ROLES)
def test_api_validate_follows_the_rules(
    personas: dict[str, Any], orgs: dict[str, Organisation], role: str
) -> None:
    client, headers = _token_client(personas, role)
    response = client.post(
        f"/api/v1/organisations/{orgs['unimi'].pk}/validation",
        data=json.dumps({"status": "validated"}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    allowed = role in ALLOWED["validate_unimi"]
    assert response.status_code == (200 if allowed else 401 if role == "anonymous" else 403)
    orgs["unimi"].refresh_from_db()
    assert (orgs["unimi"].validation_status == "validated") is allowed


@pytest.mark.parametrize("role", ROLES)
def test_api_create_follows_the_rules(personas: dict[str, Any], role: str) -> None:
    client, headers = _token_client(personas, role)
    response = client.post(
        "/api/v1/organisations",
        data=json.dumps({"legal_name": "Bioindustry Park del Canavese", "country_code": "IT"}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    allowed = role in ALLOWED["create"]
    assert response.status_code == (201 if allowed else 401 if role == "anonymous" else 403)
    assert Organisation.objects.filter(legal_name__startswith="Bioindustry").exists() is allowed


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_rules(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation], role: str
) -> None:
    client = client_for(role)
    edit = client.get(f"/en/directory/organisations/{orgs['uga'].pk}/edit/")
    backoffice = client.get("/en/directory/manage/")
    validate = client.post(
        f"/en/directory/organisations/{orgs['uga'].pk}/validate/", {"status": "validated"}
    )
    if role == "anonymous":
        assert edit.status_code == backoffice.status_code == validate.status_code == 302
        assert "/accounts/login/" in edit["Location"]
    else:
        assert edit.status_code == (200 if role in ALLOWED["edit_uga"] else 403)
        assert backoffice.status_code == (200 if role in ALLOWED["backoffice"] else 403)
        assert validate.status_code == (302 if role in ALLOWED["validate_uga"] else 403)
    orgs["uga"].refresh_from_db()
    assert (orgs["uga"].validation_status == "validated") is (role in ALLOWED["validate_uga"])


@pytest.mark.parametrize("role", ROLES)
def test_merge_page_follows_the_rules(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation], role: str
) -> None:
    client = client_for(role)
    response = client.post(
        "/en/directory/manage/merge/",
        {"kept": orgs["uga"].pk, "absorbed": orgs["hcl"].pk, "reason": "test", "confirm": "1"},
    )
    allowed = role in ALLOWED["merge_uga_hcl"]
    if role == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (302 if allowed else 403)
    assert Organisation.objects.filter(pk=orgs["hcl"].pk).exists() is not allowed
