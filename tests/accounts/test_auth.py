"""Log-in, lockout after repeated failures, password reset by e-mail, API tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from alpsbio.accounts.models import ApiToken
from tests.conftest import PASSWORD


def test_login_and_logout(personas: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/en/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/en/accounts/").status_code == 200
    client.post("/en/accounts/logout/")
    assert client.get("/en/accounts/").status_code == 302


def test_lockout_after_repeated_failures(personas: dict[str, Any], settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/en/accounts/login/", {"username": "member", "password": "wrong"})
    # Even the right password is refused now.
    response = client.post("/en/accounts/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_password_reset_by_email(personas: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/en/accounts/password-reset/", {"email": "member@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 77", "new_password2": "a new long passphrase 77"},
    )
    assert response.status_code == 302
    fresh = Client()
    fresh.post(
        "/en/accounts/login/", {"username": "member", "password": "a new long passphrase 77"}
    )
    assert fresh.get("/en/accounts/").status_code == 200


def test_unknown_email_reveals_nothing(db: Any) -> None:
    response = Client().post("/en/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_api_tokens_are_stored_hashed(client_for: Any, personas: dict[str, Any]) -> None:
    client = client_for("editor")
    response = client.post("/en/accounts/tokens/", {"name": "my script"})
    key = re.search(r"abt_[\w-]+", response.content.decode())
    assert key is not None
    token = ApiToken.objects.get(user=personas["editor"])
    assert token.key_hash == ApiToken.hash_key(key.group(0))
    assert key.group(0) not in token.key_hash
    me = Client().get("/api/v1/organisations", HTTP_AUTHORIZATION=f"Bearer {key.group(0)}")
    assert me.status_code == 200
    client.post(f"/en/accounts/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["member", "outsider"])
def test_other_users_tokens_cannot_be_revoked(
    client_for: Any, personas: dict[str, Any], name: str
) -> None:
    token, _ = ApiToken.issue(personas["editor"], "theirs")
    response = client_for(name).post(f"/en/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_dashboard_says_when_it_lists_only_the_first_organisations(
    personas: dict[str, Any], make_org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpsbio.accounts import views

    client = Client()
    client.force_login(personas["manager_fr"])
    page = client.get("/en/accounts/").content.decode()
    assert "The first" not in page  # FRK2's few organisations are all listed
    monkeypatch.setattr(views, "DASHBOARD_ORGANISATIONS", 1)
    make_org("Zymo Lyon SAS", "FRK26")
    page = client.get("/en/accounts/").content.decode()
    shown = re.findall(r'<li><a href="/en/directory/organisations/\d+/">', page)
    assert len(shown) == 1
    total = views.permissions.editable_organisations(personas["manager_fr"]).count()
    assert f"The first 1 of {total}, by name." in page
    assert 'href="/en/directory/?region=FRK2"' in page
    # The link leads to all of them.
    listing = client.get("/en/directory/?region=FRK2").content.decode()
    assert "Zymo Lyon SAS" in listing
