"""Bad input to the access pages, the invitation link and the access API: clear answers, no 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts.models import AccessInvitation, ApiToken
from alpsbio.directory.models import Organisation


@pytest.mark.parametrize(
    "token", ["x", "a:b:c", "%00", "..%2F..", "A" * 3000, "eyJpIjoxfQ:abc:def"]
)
def test_a_broken_invitation_link_is_gone_not_an_error(token: str, db: Any) -> None:
    assert Client().get(f"/en/accounts/invitation/{token}/").status_code in (404, 410)
    response = Client().post(f"/en/accounts/invitation/{token}/", {"username": "x"})
    assert response.status_code in (404, 410)


def test_the_access_page_answers_bad_input_with_the_form(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation], personas: dict[str, Any]
) -> None:
    manager = client_for("manager_fr")
    page = f"/en/accounts/organisations/{orgs['uga'].pk}/"
    for data in (
        {},
        {"email": "a@b.org", "role": "member", "language": "xx"},
        {"email": "a@b.org\r\nBcc: x@y.org", "role": "member", "language": "en"},
        {"email": "x" * 400 + "@b.org", "role": "member", "language": "en"},
    ):
        assert manager.post(page, data).status_code == 200, data
    assert not AccessInvitation.objects.exists()
    person = f"{page}people/{personas['member'].pk}/"
    for role in ("", "admin", "x" * 1000):
        assert manager.post(person, {"role": role}).status_code == 302
    assert manager.post(f"{page}people/999999/", {"role": "editor"}).status_code == 404
    assert manager.post(f"{page}invitations/999999/cancel/").status_code == 404
    assert manager.get(f"{page}invitations/1/cancel/").status_code == 405
    assert manager.get("/en/accounts/organisations/999999/").status_code == 404


def test_the_access_api_answers_bad_input_with_field_errors(
    client: Client, orgs: dict[str, Organisation], personas: dict[str, Any]
) -> None:
    _token, key = ApiToken.issue(personas["manager_fr"], "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    base = f"/api/v1/organisations/{orgs['uga'].pk}"
    for body in ("not json", "[]", '{"email": 5}', '{"email": "a@b.org", "language": "zz"}'):
        response = client.post(f"{base}/invitations", body, content_type="application/json", **auth)
        assert response.status_code in (400, 422), body
    response = client.put(
        f"{base}/access/{personas['member'].pk}",
        '{"role": "god"}',
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert client.get("/api/v1/organisations/999999/access", **auth).status_code == 404
