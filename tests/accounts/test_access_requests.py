"""A person asks to act for an organisation; its editors and cluster manager invite or decline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alpsbio.accounts import invitations
from alpsbio.accounts.models import AccessInvitation, AccessRequest
from alpsbio.directory.models import Organisation


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://cluster.example.org"


def _ask(client: Client, org: Organisation, capture: Any, **data: str) -> Any:
    form = {"name": "Léa Girard", "email": "lea.girard@uga.example", "role": "member"}
    form.update(data)
    with capture(execute=True):
        return client.post(reverse("accounts:request_access", args=[org.pk]), form)


def test_a_visitor_asks_and_the_manager_invites(
    client_for: Callable[[str], Client],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    personas["manager_fr"].preferred_language = "fr"
    personas["manager_fr"].save()
    uga = orgs["uga"]
    response = _ask(
        Client(), uga, django_capture_on_commit_callbacks, message="Post-doc in the biosensor lab"
    )
    assert response.status_code == 302
    req = AccessRequest.objects.get()
    assert (req.email, req.role, req.user) == ("lea.girard@uga.example", "member", None)
    # the organisation's editor and its regional cluster manager are told, each in their language
    told = {m.to[0]: m for m in mail.outbox}
    assert set(told) == {"editor@example.org", "manager_fr@example.org"}
    assert "Léa Girard asks to act for" in told["editor@example.org"].subject
    assert "demande à représenter" in told["manager_fr@example.org"].subject
    assert "Post-doc in the biosensor lab" in told["editor@example.org"].body
    assert f"/accounts/organisations/{uga.pk}/" in told["editor@example.org"].body

    manager = client_for("manager_fr")
    page = manager.get(reverse("accounts:organisation_access", args=[uga.pk])).content.decode()
    assert "lea.girard@uga.example" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            reverse("accounts:answer_access_request", args=[uga.pk, req.pk]), {"answer": "invite"}
        )
    assert not AccessRequest.objects.exists()
    inv = AccessInvitation.objects.get()
    assert (inv.email, inv.role) == ("lea.girard@uga.example", "member")
    assert [m.to for m in mail.outbox] == [["lea.girard@uga.example"]]


def test_declining_deletes_the_request_and_invites_nobody(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _ask(Client(), orgs["uga"], django_capture_on_commit_callbacks)
    req = AccessRequest.objects.get()
    url = reverse("accounts:answer_access_request", args=[orgs["uga"].pk, req.pk])
    assert client_for("outsider").post(url, {"answer": "invite"}).status_code == 403
    assert client_for("member").post(url, {"answer": "invite"}).status_code == 403
    client_for("editor").post(url, {"answer": "decline"})
    assert not AccessRequest.objects.exists()
    assert not AccessInvitation.objects.exists()


def test_a_signed_in_person_asks_with_their_accounts_address(
    client_for: Callable[[str], Client],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("outsider")
    form = client.get(reverse("accounts:request_access", args=[orgs["hcl"].pk])).context["form"]
    assert form["email"].value() == "outsider@example.org"
    _ask(client, orgs["hcl"], django_capture_on_commit_callbacks, email="someone@else.org")
    req = AccessRequest.objects.get()
    assert req.email == "outsider@example.org"
    assert req.user == personas["outsider"]


def test_who_already_acts_for_it_is_sent_back(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation]
) -> None:
    for persona in ("member", "editor", "manager_fr"):
        response = client_for(persona).get(
            reverse("accounts:request_access", args=[orgs["uga"].pk])
        )
        assert response.status_code == 302
    org_page = reverse("directory:detail", args=[orgs["uga"].pk])
    ask = reverse("accounts:request_access", args=[orgs["uga"].pk])
    assert ask in client_for("anonymous").get(org_page).content.decode()
    assert ask in client_for("outsider").get(org_page).content.decode()
    assert ask not in client_for("member").get(org_page).content.decode()
    assert ask not in client_for("manager_fr").get(org_page).content.decode()


def test_bad_input_repeats_and_floods_are_refused_with_reasons(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    visitor = Client()
    response = _ask(
        visitor,
        orgs["uga"],
        django_capture_on_commit_callbacks,
        name=" ",
        email="nope",
        role="boss",
        message="x" * 1001,
    )
    assert response.status_code == 200
    assert {"name", "email", "role", "message"} <= set(response.context["form"].errors)
    # somebody who already acts for it
    response = _ask(
        visitor, orgs["uga"], django_capture_on_commit_callbacks, email="member@example.org"
    )
    assert "already acts" in response.context["form"].errors["email"][0]
    assert _ask(visitor, orgs["uga"], django_capture_on_commit_callbacks).status_code == 302
    again = _ask(visitor, orgs["uga"], django_capture_on_commit_callbacks)
    assert "already asked" in again.context["form"].errors["email"][0]
    for org in ("hcl", "unimi", "epfl"):
        assert _ask(visitor, orgs[org], django_capture_on_commit_callbacks).status_code == 302
    extra = Organisation.objects.create(legal_name="Another lab", country_code="FR")
    assert _ask(visitor, extra, django_capture_on_commit_callbacks).status_code == 302
    sixth = Organisation.objects.create(legal_name="A sixth lab", country_code="FR")
    flood = _ask(visitor, sixth, django_capture_on_commit_callbacks)
    assert "Too many requests" in flood.context["form"].errors["email"][0]
    assert AccessRequest.objects.count() == invitations.REQUESTS_PER_ADDRESS_PER_DAY


def test_a_bot_filling_the_hidden_field_leaves_nothing(
    orgs: dict[str, Organisation], django_capture_on_commit_callbacks: Any
) -> None:
    response = _ask(
        Client(), orgs["uga"], django_capture_on_commit_callbacks, website="http://spam.example"
    )
    assert response.status_code == 302
    assert not AccessRequest.objects.exists()
    assert mail.outbox == []


def test_unanswered_requests_are_deleted_after_a_month(
    orgs: dict[str, Organisation], django_capture_on_commit_callbacks: Any
) -> None:
    _ask(Client(), orgs["uga"], django_capture_on_commit_callbacks)
    made = AccessRequest.objects.get().created_at
    assert invitations.purge_expired(made + dt.timedelta(days=29)) == 0
    assert invitations.purge_expired(made + dt.timedelta(days=31)) == 1
    assert not AccessRequest.objects.exists()


def test_the_dashboard_lists_the_requests_one_may_answer(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _ask(Client(), orgs["uga"], django_capture_on_commit_callbacks)
    access = reverse("accounts:organisation_access", args=[orgs["uga"].pk])
    for persona in ("editor", "manager_fr", "admin"):
        page = client_for(persona).get(reverse("accounts:dashboard")).content.decode()
        assert f"{access}#requests" in page, persona
    for persona in ("member", "manager_it", "outsider"):
        page = client_for(persona).get(reverse("accounts:dashboard")).content.decode()
        assert "Léa Girard" not in page, persona
