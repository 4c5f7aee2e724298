"""Partner matchmaking as a person uses it: search in another language, read why a result is
there, see an organisation's suggested partners arrive, answer a profile, accept and get the
contacts."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from alpsbio.directory.models import Organisation, Person
from alpsbio.matching.models import ExpressionOfInterest, Opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    """Give the browser the session of ``user`` (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_search_in_another_language_and_the_score_explained(
    live_server: Any, page: Any, published: dict[str, Opportunity], tmp_path: Any
) -> None:
    offer = published["offer"]
    page.goto(f"{live_server.url}/en/opportunities/search/")
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/search/?" in r.url else None)
    # An Italian query finds the French/English offer; the results replace themselves in place.
    page.fill("#id_q", "biopsia liquida per la diagnosi dei tumori")
    page.press("#id_q", "Enter")
    page.wait_for_selector(f"#search-results a[href$='/opportunities/{offer.pk}/']")
    page.wait_for_load_state("networkidle")
    assert len(searches) == 1  # Enter sends the query once (no second request on "change")
    assert "q=biopsia" in page.url  # htmx pushed the query: the URL can be shared
    hit = page.locator(
        "#search-results li.result", has=page.locator(f"a[href$='/opportunities/{offer.pk}/']")
    )
    # "How the score is made" opens and lists every part with its weight.
    hit.locator("summary").click()
    table = hit.locator("details table")
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == 7
    assert rows.first.locator("th").inner_text() == "Text meaning"
    assert float(rows.first.locator("td").nth(1).inner_text()) == 1.0  # the text weight
    page.screenshot(path=str(tmp_path / "partner-search.png"), full_page=True)
    # A query nobody answers says so instead of an empty list.
    page.fill("#id_q", "zzzz qqqq")
    page.press("#id_q", "Enter")
    page.wait_for_selector("#search-results li.muted")
    assert "Nothing found" in page.locator("#search-results").inner_text()


def test_choosing_a_filter_narrows_the_results_in_place(
    live_server: Any, page: Any, published: dict[str, Opportunity]
) -> None:
    offer, request = published["offer"], published["request"]
    page.goto(f"{live_server.url}/fr/opportunities/search/")
    page.fill("#id_q", "liquid biopsy tumour DNA sequencing")
    page.press("#id_q", "Enter")
    page.wait_for_selector(f"#search-results a[href$='/opportunities/{request.pk}/']")
    assert page.locator(f"#search-results a[href$='/opportunities/{offer.pk}/']").count() == 1
    # Choosing a country re-runs the search without a click; the URL keeps the choice.
    page.select_option("#id_country", "IT")
    page.wait_for_selector(
        f"#search-results a[href$='/opportunities/{offer.pk}/']", state="detached"
    )
    assert "country=IT" in page.url
    who = page.locator("#search-results li.result p.who").all_inner_texts()
    assert who
    assert all(line.endswith("Lombardia, IT") for line in who)
    assert "Demande technologique · Université · Lombardia, IT" in who


def test_an_editor_writes_a_profile_in_two_languages(
    live_server: Any, page: Any, personas: dict[str, Any]
) -> None:
    _sign_in(page, live_server, personas["editor"])
    page.goto(f"{live_server.url}/fr/opportunities/new/")
    # The reader's language is open; the others are folded until asked for.
    assert page.locator("#id_title_fr").is_visible()
    assert not page.locator("#id_title_en").is_visible()
    page.fill("#id_title_fr", "Biopsie liquide pour le suivi des cancers")
    page.fill("#id_summary_fr", "Kit de dosage de l'ADN tumoral circulant, validé en clinique.")
    page.locator("details.lang-block summary", has_text="Anglais").click()
    page.fill("#id_title_en", "Liquid biopsy for cancer follow-up")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_selector("text=Biopsie liquide pour le suivi des cancers")
    opp = Opportunity.objects.get()
    assert {k: v for k, v in opp.title.items() if v} == {
        "fr": "Biopsie liquide pour le suivi des cancers",
        "en": "Liquid biopsy for cancer follow-up",
    }
    assert opp.status == "draft"
    assert page.url.endswith(f"/fr/opportunities/{opp.pk}/")


def test_suggested_partners_load_on_the_organisation_page(
    live_server: Any, page: Any, orgs: dict[str, Organisation], published: dict[str, Opportunity]
) -> None:
    uga = orgs["uga"]
    page.goto(f"{live_server.url}/en/directory/organisations/{uga.pk}/")
    card = page.locator("section.card", has_text="Suggested partners")
    # The fragment arrives after the page (htmx, hx-trigger="load").
    card.locator("li.result").first.wait_for()
    assert card.locator("h2").all_inner_texts() == ["Suggested partners"]  # one heading
    names = card.locator("li.result h3").all_inner_texts()
    assert names
    assert all(uga.display_name not in n for n in names)
    # HCL already shares a project with UGA (the fixture graph): not suggested as a new partner.
    assert all(orgs["hcl"].display_name not in n for n in names)


def test_interest_accepted_shares_the_contacts(
    live_server: Any,
    page: Any,
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    published: dict[str, Opportunity],
) -> None:
    from alpsbio.accounts.models import OrganisationRole

    request = published["request"]  # UNIMI's technology request
    owner = request.organisation
    Person.objects.create(
        organisation=owner,
        first_name="Giulia",
        last_name="Rossi",
        email="giulia.rossi@example.org",
        consent_given_at=timezone.now(),
    )
    # UGA's editor answers UNIMI's request.
    _sign_in(page, live_server, personas["editor"])
    page.goto(f"{live_server.url}/en/opportunities/{request.pk}/")
    page.fill("textarea[name=message]", "Our lab sequences circulating tumour DNA.")
    page.click("section.card:has-text('Express interest') button[type=submit]")
    page.wait_for_url("**/opportunities/interest/*/")
    assert "Sent." in page.locator(".messages").inner_text()
    assert (
        "giulia.rossi@example.org" not in page.content()
    )  # nothing shared before the owner decides
    eoi = ExpressionOfInterest.objects.get(opportunity=request)

    # UNIMI's editor accepts; both sides then see the consenting contact.
    owner_editor = personas["outsider"]
    OrganisationRole.objects.create(
        user=owner_editor, organisation=owner, role=OrganisationRole.Role.EDITOR
    )
    page.context.clear_cookies()
    _sign_in(page, live_server, owner_editor)
    page.goto(f"{live_server.url}/en/opportunities/interest/{eoi.pk}/")
    page.click("button[value=accept]")
    page.wait_for_selector("text=Contacts")
    assert "giulia.rossi@example.org" in page.content()
    eoi.refresh_from_db()
    assert eoi.status == ExpressionOfInterest.Status.ACCEPTED
