"""Bringing people onto the platform: a manager or editor invites, the person accepts by e-mail."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alpsbio.accounts import invitations
from alpsbio.accounts.models import AccessInvitation, OrganisationRole, User
from alpsbio.core.models import AuditEntry
from alpsbio.directory.models import Organisation
from alpsbio.matching import permissions as matching_permissions

NEW_PASSWORD = "Glacier-pass 2026 Alpine"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://cluster.example.org"


def _access_url(org: Organisation) -> str:
    return reverse("accounts:organisation_access", args=[org.pk])


def _invite(
    client: Client, org: Organisation, capture: Any, email: str, role: str = "member", **extra: str
) -> Any:
    with capture(execute=True):
        return client.post(
            _access_url(org), {"email": email, "role": role, "language": "en", **extra}
        )


def _link_in(message: Any) -> str:
    found = re.search(r"https://cluster\.example\.org(/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_manager_invites_and_a_new_person_creates_an_account(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    hcl = orgs["hcl"]
    response = _invite(
        client_for("manager_fr"),
        hcl,
        django_capture_on_commit_callbacks,
        "  Claire.Martin@CHU-Lyon.fr ",
        role="editor",
        language="fr",
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["claire.martin@chu-lyon.fr"]
    assert "Hospices Civils de Lyon" in message.subject
    assert "Votre invitation" in message.subject  # the language the inviter chose
    link = _link_in(message)
    inv = AccessInvitation.objects.get()
    assert inv.sent_at is not None
    assert inv.role == "editor"
    assert inv.language == "fr"

    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "claire.martin@chu-lyon.fr" in page.content.decode()
    response = visitor.post(
        link,
        {
            "username": "cmartin",
            "first_name": "Claire",
            "last_name": "Martin",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:detail", args=[hcl.pk])
    user = User.objects.get(username="cmartin")
    assert user.email == "claire.martin@chu-lyon.fr"
    assert user.preferred_language == "fr"
    assert user.check_password(NEW_PASSWORD)
    assert OrganisationRole.objects.get(user=user, organisation=hcl).role == "editor"
    # signed in straight away, and the organisation is on the dashboard
    dashboard = visitor.get(reverse("accounts:dashboard"))
    assert "Hospices Civils de Lyon" in dashboard.content.decode()
    # the link is spent
    again = Client().get(link)
    assert again.status_code == 410
    assert "déjà été acceptée" in again.content.decode()  # the link is in the invitee's language
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"access.invited", "account.created", "access.accepted"} <= actions


def test_an_invited_member_may_then_express_interest_for_the_organisation(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _invite(client_for("editor"), orgs["uga"], django_capture_on_commit_callbacks, "x@uga.fr")
    link = _link_in(mail.outbox[0])
    visitor = Client()
    visitor.post(
        link,
        {
            "username": "xavier",
            "first_name": "Xavier",
            "last_name": "Roux",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    user = User.objects.get(username="xavier")
    assert list(matching_permissions.member_organisations(user)) == [orgs["uga"]]
    assert not matching_permissions.editor_organisations(user).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager_fr", 200), ("admin", 200), ("editor", 200), ("member", 403), ("outsider", 403)],
)
def test_who_may_see_and_invite(
    persona: str, status: int, client_for: Callable[[str], Client], orgs: dict[str, Organisation]
) -> None:
    client = client_for(persona)
    assert client.get(_access_url(orgs["uga"])).status_code == status
    response = client.post(
        _access_url(orgs["uga"]), {"email": "a@b.org", "role": "member", "language": "en"}
    )
    assert response.status_code == (302 if status == 200 else 403)
    assert AccessInvitation.objects.exists() == (status == 200)


def test_a_manager_of_another_region_and_anonymous_cannot(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation]
) -> None:
    assert client_for("manager_it").get(_access_url(orgs["uga"])).status_code == 403
    anonymous = client_for("anonymous").get(_access_url(orgs["uga"]))
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    # an editor of UGA manages UGA only
    assert client_for("editor").get(_access_url(orgs["hcl"])).status_code == 403


def test_the_organisation_page_links_to_people_and_access_for_those_who_manage_it(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation]
) -> None:
    url = reverse("directory:detail", args=[orgs["uga"].pk])
    assert _access_url(orgs["uga"]) in client_for("editor").get(url).content.decode()
    assert _access_url(orgs["uga"]) in client_for("manager_fr").get(url).content.decode()
    assert _access_url(orgs["uga"]) not in client_for("member").get(url).content.decode()


def test_bad_input_gets_field_errors_and_creates_nothing(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("manager_fr")
    response = _invite(
        client, orgs["uga"], django_capture_on_commit_callbacks, "not-an-address", role="owner"
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "role"}
    # somebody who already acts for it
    response = _invite(
        client, orgs["uga"], django_capture_on_commit_callbacks, "MEMBER@example.org"
    )
    assert response.status_code == 200
    assert "already has access" in response.context["form"].errors["email"][0]
    assert not AccessInvitation.objects.exists()
    assert mail.outbox == []


def test_inviting_again_replaces_the_link(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("manager_fr")
    _invite(client, orgs["uga"], django_capture_on_commit_callbacks, "p@example.com")
    _invite(client, orgs["uga"], django_capture_on_commit_callbacks, "p@example.com", "editor")
    assert AccessInvitation.objects.count() == 1
    assert AccessInvitation.objects.get().role == "editor"
    first, second = _link_in(mail.outbox[0]), _link_in(mail.outbox[1])
    old = Client().get(first)
    assert old.status_code == 410
    assert "newer invitation" in old.content.decode()
    assert Client().get(second).status_code == 200


def test_expired_withdrawn_and_forged_links_say_why(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("manager_fr")
    _invite(client, orgs["uga"], django_capture_on_commit_callbacks, "late@example.com")
    inv = AccessInvitation.objects.get()
    link = _link_in(mail.outbox[0])
    AccessInvitation.objects.filter(pk=inv.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    expired = Client().post(
        link,
        {
            "username": "late",
            "first_name": "L",
            "last_name": "Ate",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    assert not User.objects.filter(username="late").exists()

    forged = signing.dumps({"i": inv.pk, "n": inv.nonce}, salt="another-salt")
    response = Client().get(reverse("accounts:invitation", args=[forged]))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()

    response = client.post(reverse("accounts:cancel_invitation", args=[orgs["uga"].pk, inv.pk]))
    assert response.status_code == 302
    withdrawn = Client().get(link)
    assert withdrawn.status_code == 410
    assert "withdrawn" in withdrawn.content.decode()


def test_sign_up_errors_are_shown_and_nothing_is_granted(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _invite(client_for("manager_fr"), orgs["uga"], django_capture_on_commit_callbacks, "n@e.org")
    link = _link_in(mail.outbox[0])
    response = Client().post(
        link,
        {
            "username": "editor",  # taken
            "first_name": "",
            "last_name": "N",
            "password1": "short",
            "password2": "other",
        },
    )
    assert response.status_code == 200
    assert {"username", "first_name", "password2"} <= set(response.context["form"].errors)
    assert not OrganisationRole.objects.filter(user__email="n@e.org").exists()
    assert AccessInvitation.objects.get().accepted_at is None


def test_a_person_with_an_account_logs_in_to_accept(
    client_for: Callable[[str], Client],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The UGA editor is invited to HCL: the page asks them to log in, not to sign up.
    _invite(
        client_for("manager_fr"),
        orgs["hcl"],
        django_capture_on_commit_callbacks,
        "Editor@Example.org",
    )
    link = _link_in(mail.outbox[0])
    page = Client().get(link)
    assert page.context["form"] is None
    assert page.context["existing"] == personas["editor"]
    assert "Log in to accept" in page.content.decode()
    assert Client().post(link).status_code == 200  # not signed in: nothing happens
    assert not OrganisationRole.objects.filter(organisation=orgs["hcl"]).exists()

    # signed in with another account: refused, with the reason
    wrong = client_for("outsider")
    assert wrong.get(link).context["wrong_account"] is True
    wrong.post(link)
    assert not OrganisationRole.objects.filter(organisation=orgs["hcl"]).exists()

    response = client_for("editor").post(link)
    assert response.status_code == 302
    assert OrganisationRole.objects.get(organisation=orgs["hcl"]).user == personas["editor"]


def test_an_invitation_raises_a_role_and_never_lowers_it(
    personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    manager = personas["manager_fr"]
    inv = invitations.invite(orgs["hcl"], "member@example.org", "editor", manager)
    OrganisationRole.objects.create(user=personas["member"], organisation=orgs["hcl"])
    assert invitations.accept(inv, personas["member"]).role == "editor"

    inv = invitations.invite(orgs["unimi"], "editor@example.org", "member", personas["admin"])
    OrganisationRole.objects.create(
        user=personas["editor"], organisation=orgs["unimi"], role="editor"
    )
    assert invitations.accept(inv, personas["editor"]).role == "editor"


def test_roles_are_changed_and_removed(
    client_for: Callable[[str], Client], personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    uga = orgs["uga"]
    manager = client_for("manager_fr")
    url = reverse("accounts:change_organisation_role", args=[uga.pk, personas["member"].pk])
    assert client_for("member").post(url, {"role": "editor"}).status_code == 403
    manager.post(url, {"role": "editor"})
    assert OrganisationRole.objects.get(user=personas["member"], organisation=uga).role == "editor"
    manager.post(url, {"role": "remove"})
    assert not OrganisationRole.objects.filter(user=personas["member"], organisation=uga).exists()
    assert "role.removed" in set(AuditEntry.objects.values_list("action", flat=True))

    # an editor who steps down to member no longer manages access: back to the organisation
    own = reverse("accounts:change_organisation_role", args=[uga.pk, personas["editor"].pk])
    response = client_for("editor").post(own, {"role": "member"})
    assert response["Location"] == reverse("directory:detail", args=[uga.pk])
    assert client_for("editor").get(_access_url(uga)).status_code == 403


def test_unanswered_invitations_are_deleted_a_month_after_they_expire(
    personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    inv = invitations.invite(orgs["uga"], "old@example.org", "member", personas["manager_fr"])
    now = inv.expires_at + dt.timedelta(days=invitations.KEEP_EXPIRED_DAYS - 1)
    assert invitations.purge_expired(now) == 0
    now = inv.expires_at + dt.timedelta(days=invitations.KEEP_EXPIRED_DAYS + 1)
    assert invitations.purge_expired(now) == 1
    assert not AccessInvitation.objects.exists()


def _bearer(user: User) -> dict[str, str]:
    from alpsbio.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_the_api_invites_lists_changes_and_removes(
    client: Client,
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    uga = orgs["uga"]
    auth = _bearer(personas["editor"])
    base = f"/api/v1/organisations/{uga.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"{base}/invitations",
            {"email": "Ana@Polimi.it", "role": "member", "language": "it"},
            content_type="application/json",
            **auth,
        )
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "ana@polimi.it"
    assert "Il tuo invito" in mail.outbox[0].subject

    bad = client.post(
        f"{base}/invitations",
        {"email": "nope", "role": "owner"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"role"}
    bad = client.post(
        f"{base}/invitations", {"email": "nope"}, content_type="application/json", **auth
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"

    listed = client.get(f"{base}/access", **auth).json()
    assert {r["username"]: r["role"] for r in listed["roles"]} == {
        "editor": "editor",
        "member": "member",
    }
    assert [i["email"] for i in listed["invitations"]] == ["ana@polimi.it"]

    member_id = personas["member"].pk
    changed = client.put(
        f"{base}/access/{member_id}", {"role": "editor"}, content_type="application/json", **auth
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "editor"
    assert client.delete(f"{base}/access/{member_id}", **auth).status_code == 204
    inv_id = listed["invitations"][0]["id"]
    assert client.delete(f"{base}/invitations/{inv_id}", **auth).status_code == 204
    assert client.get(f"{base}/access", **auth).json()["invitations"] == []


@pytest.mark.parametrize("persona", ["member", "outsider", "manager_it"])
def test_the_api_refuses_people_who_do_not_manage_the_organisation(
    persona: str, client: Client, personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    auth = _bearer(personas[persona])
    base = f"/api/v1/organisations/{orgs['uga'].pk}"
    assert client.get(f"{base}/access", **auth).status_code == 403
    response = client.post(
        f"{base}/invitations", {"email": "a@b.org"}, content_type="application/json", **auth
    )
    assert response.status_code == 403
    assert client.get(f"{base}/access").status_code == 401
    assert not AccessInvitation.objects.exists()


def test_the_purge_command_deletes_only_long_expired_invitations(
    personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    from io import StringIO

    from django.core.management import call_command

    old = invitations.invite(orgs["uga"], "old@example.org", "member", personas["manager_fr"])
    fresh = invitations.invite(orgs["uga"], "new@example.org", "member", personas["manager_fr"])
    AccessInvitation.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=invitations.KEEP_EXPIRED_DAYS + 1)
    )
    out = StringIO()
    call_command("purge_invitations", stdout=out)
    assert out.getvalue().strip() == "1 expired invitation(s) deleted"
    assert list(AccessInvitation.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_the_services_check_permissions_themselves(
    personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    from django.core.exceptions import PermissionDenied

    inv = invitations.invite(orgs["uga"], "z@example.org", "member", personas["editor"])
    grant = OrganisationRole.objects.get(user=personas["member"])
    for actor in (personas["member"], personas["outsider"], personas["manager_it"]):
        with pytest.raises(PermissionDenied):
            invitations.invite(orgs["uga"], "y@example.org", "member", actor)
        with pytest.raises(PermissionDenied):
            invitations.cancel(inv, actor)
        with pytest.raises(PermissionDenied):
            invitations.change_role(grant, "editor", actor)
        with pytest.raises(PermissionDenied):
            invitations.remove_role(grant, actor)


def test_a_username_taken_at_the_last_moment_is_a_field_error(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import IntegrityError

    _invite(client_for("manager_fr"), orgs["uga"], django_capture_on_commit_callbacks, "r@e.org")
    link = _link_in(mail.outbox[0])

    def taken(*_args: Any) -> None:
        raise IntegrityError("UNIQUE constraint failed: accounts_user.username")

    monkeypatch.setattr(invitations, "register_and_accept", taken)
    response = Client().post(
        link,
        {
            "username": "racer",
            "first_name": "R",
            "last_name": "Acer",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["username"][0]
