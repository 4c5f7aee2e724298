"""Bringing a person in, as it happens in a browser: the manager invites from the organisation's
page, the invitee opens the e-mailed link, creates an account and lands acting for it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from alpsbio.accounts.models import OrganisationRole
from alpsbio.directory.models import Organisation
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_and_sign_up(
    live_server: Any,
    browser: Any,
    page: Any,
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
    hcl = orgs["hcl"]
    page.goto(f"{live_server.url}/fr/accounts/login/")
    page.fill("input[name=username]", "manager_fr")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/fr/directory/organisations/{hcl.pk}/")
    page.click("text=Personnes et accès")
    page.fill("main input[name=email]", "claire.martin@chu-lyon.example")
    page.locator("main select[name=role]").select_option("editor")
    page.locator("main select[name=language]").select_option("it")
    page.click('main button:has-text("Envoyer l\'invitation")')
    assert "claire.martin@chu-lyon.example" in page.locator("#pending").inner_text()

    assert len(mail.outbox) == 1
    assert "Il tuo invito" in mail.outbox[0].subject
    link = re.search(r"https?://\S+/accounts/invitation/\S+", mail.outbox[0].body)
    assert link
    invitee = browser.new_context(locale="it-IT").new_page()
    invitee.goto(link.group(0))
    assert "claire.martin@chu-lyon.example" in invitee.locator("main").inner_text()
    invitee.fill("input[name=username]", "cmartin")
    invitee.fill("input[name=first_name]", "Claire")
    invitee.fill("input[name=last_name]", "Martin")
    invitee.fill("input[name=password1]", "Ospedale-Lione-2026")
    invitee.fill("input[name=password2]", "Ospedale-Lione-2026")
    invitee.click("main button[type=submit]")
    invitee.wait_for_url(f"**/it/directory/organisations/{hcl.pk}/")
    assert "Hospices Civils de Lyon" in invitee.locator("h1").inner_text()
    # an editor now: the page offers the profile's editing and the people page
    assert invitee.locator("main a", has_text="Persone e accessi").count() == 1
    assert OrganisationRole.objects.get(organisation=hcl).role == "editor"
    invitee.context.close()
