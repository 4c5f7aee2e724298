"""A person's own data: the copy they download, and the erasure of their account."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alpsbio.accounts import invitations
from alpsbio.accounts.models import AccessRequest, ApiToken, OrganisationRole, User
from alpsbio.core import audit
from alpsbio.core.models import AuditEntry
from alpsbio.directory.models import Organisation, Person
from alpsbio.events import services as event_services
from alpsbio.events.models import Registration
from alpsbio.matching import services as matching_services
from alpsbio.matching.models import ExpressionOfInterest, MatchingPreference
from tests.conftest import PASSWORD


@pytest.fixture
def active_member(personas: dict[str, Any], orgs: dict[str, Organisation]) -> dict[str, Any]:
    """The UGA member with a token, a contact entry, a digest choice, an event registration
    with answers and an expression of interest sent for UGA to an HCL profile."""
    member = personas["member"]
    member.first_name, member.last_name = "Lucie", "Bernard"
    member.save()
    ApiToken.issue(member, "my script")
    Person.objects.create(
        organisation=orgs["uga"],
        user=member,
        first_name="Lucie",
        last_name="Bernard",
        email="lucie.bernard@uga.example",
        phone="+33 4 76 00 00 00",
        consent_given_at=timezone.now(),
    )
    MatchingPreference.objects.create(user=member, weekly_digest=False)
    event = event_services.create_event(
        personas["manager_fr"],
        slug="biotech-day",
        title={"en": "Biotech day Grenoble"},
        event_type="partnering_day",
        region=orgs["uga"].nuts2,
        starts_at=timezone.now() + dt.timedelta(days=30),
        ends_at=timezone.now() + dt.timedelta(days=30, hours=8),
        capacity=20,
    )
    question = event_services.add_question(
        personas["manager_fr"], event, label={"en": "Dietary needs"}, kind="text"
    )
    registration = event_services.register(
        member, event, answers={str(question.pk): "vegetarian"}, organisation=orgs["uga"]
    )
    hcl_editor = User.objects.create_user("hcl_editor", "hcl_editor@example.org", PASSWORD)
    OrganisationRole.objects.create(user=hcl_editor, organisation=orgs["hcl"], role="editor")
    opp = matching_services.create_opportunity(
        hcl_editor, orgs["hcl"], {"kind": "TO", "title": {"en": "Sepsis biomarker panel"}}
    )
    matching_services.submit_opportunity(hcl_editor, opp)
    opp = matching_services.publish_opportunity(personas["manager_fr"], opp)
    eoi = matching_services.express_interest(
        member, opp, orgs["uga"], "Our lab would test the panel on ICU samples."
    )
    invitations.request_access(
        orgs["hcl"], name="Lucie Bernard", email="", role="member", user=member
    )
    # Somebody else's log line that names the member
    audit.record("role.granted", member, actor=personas["manager_fr"], summary="member member 1")
    return {"user": member, "registration": registration, "eoi": eoi, "event": event}


def test_the_copy_holds_everything_about_the_person(
    client_for: Callable[[str], Client], active_member: dict[str, Any]
) -> None:
    response = client_for("member").get(reverse("accounts:my_data_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert list(data)[:2] == ["generated_at", "account"]
    account = data["account"]
    assert account["email"] == "member@example.org"
    assert account["first_name"] == "Lucie"
    assert account["organisation_roles"][0]["role"] == "member"
    assert account["api_tokens"][0]["name"] == "my script"
    assert "key_hash" not in json.dumps(data)  # never the token's secret
    assert account["contact_entry"]["phone"] == "+33 4 76 00 00 00"
    assert account["access_requests"][0]["organisation"] == "Hospices Civils de Lyon"
    assert "eoi.created" in {a["action"] for a in account["actions"]}
    assert data["matching"]["weekly_digest"] is False
    sent = data["matching"]["expressions_of_interest_sent"]
    assert sent[0]["message"] == "Our lab would test the panel on ICU samples."
    assert data["events"]["registrations"][0]["event"] == "Biotech day Grenoble"
    assert "vegetarian" in data["events"]["registrations"][0]["answers"].values()
    assert data["funding"] == {"project_roles": []}


def test_the_copy_is_only_ones_own(client_for: Callable[[str], Client]) -> None:
    data = json.loads(client_for("outsider").get(reverse("accounts:my_data_export")).content)
    assert data["account"]["username"] == "outsider"
    assert data["matching"]["expressions_of_interest_sent"] == []
    anonymous = client_for("anonymous").get(reverse("accounts:my_data_export"))
    assert anonymous.status_code == 302


def test_deleting_an_account_erases_the_person_and_keeps_the_organisations_records(
    client_for: Callable[[str], Client], active_member: dict[str, Any]
) -> None:
    member = active_member["user"]
    client = client_for("member")
    wrong = client.post(reverse("accounts:my_data"), {"password": "not it"})
    assert wrong.status_code == 400
    assert User.objects.get(pk=member.pk).is_active

    response = client.post(reverse("accounts:my_data"), {"password": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(pk=member.pk)
    assert user.username == f"deleted-{member.pk}"
    assert (user.first_name, user.last_name) == ("", "")
    assert user.email.endswith("@invalid.invalid")
    assert not user.is_active
    assert not user.has_usable_password()
    assert not ApiToken.objects.filter(user=user).exists()
    assert not OrganisationRole.objects.filter(user=user).exists()
    assert not Person.objects.filter(email="lucie.bernard@uga.example").exists()
    assert not MatchingPreference.objects.filter(user=user).exists()
    assert not AccessRequest.objects.exists()
    # the organisation's records stay, without the person
    eoi = ExpressionOfInterest.objects.get(pk=active_member["eoi"].pk)
    assert eoi.author == user
    assert eoi.organisation.pk == active_member["eoi"].organisation.pk
    registration = Registration.objects.get(pk=active_member["registration"].pk)
    assert registration.status == "confirmed"
    assert registration.answers == {}
    assert registration.display_name == f"deleted-{member.pk}"
    # nobody's log line names them any more; the erasure itself is logged
    assert not AuditEntry.objects.filter(summary__contains="member member").exists()
    assert AuditEntry.objects.filter(action="account.erased", object_id=str(member.pk)).exists()
    # logged out, and the log-in no longer works
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    login = Client().post(reverse("accounts:login"), {"username": "member", "password": PASSWORD})
    assert login.status_code == 200  # the form again, with its error: no session


def test_a_platform_admin_cannot_erase_their_own_account(
    client_for: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    response = client_for("admin").post(reverse("accounts:my_data"), {"password": PASSWORD})
    assert response.status_code == 400
    assert "another platform admin" in response.content.decode()
    assert User.objects.get(pk=personas["admin"].pk).is_active


def test_the_page_is_linked_from_the_dashboard_in_every_language(
    client_for: Callable[[str], Client],
) -> None:
    client = client_for("member")
    for lang in ("en", "fr", "it", "de"):
        dashboard = client.get(f"/{lang}/accounts/").content.decode()
        assert f"/{lang}/accounts/my-data/" in dashboard
        assert client.get(f"/{lang}/accounts/my-data/").status_code == 200
