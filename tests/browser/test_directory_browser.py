"""The directory as a person uses it: type, see results update, filter, switch language."""

from __future__ import annotations

from typing import Any

import pytest

from alpsbio.directory.models import Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_as_you_type_and_facets(
    live_server: Any, page: Any, orgs: dict[str, Organisation], tmp_path: Any
) -> None:
    page.goto(f"{live_server.url}/en/directory/")
    assert page.locator("#result-count").inner_text() == "4 organisations"
    page.fill("#q", "lausanne")
    page.wait_for_function("document.querySelector('#result-count').innerText === '1 organisation'")
    assert "Polytechnique" in page.locator("#results").inner_text()
    assert "q=lausanne" in page.url  # htmx pushed the state: the URL can be shared
    page.fill("#q", "")
    page.wait_for_function(
        "document.querySelector('#result-count').innerText === '4 organisations'"
    )
    page.check("input[name=country][value=FR]")
    page.wait_for_function(
        "document.querySelector('#result-count').innerText === '2 organisations'"
    )
    # The facet still offers the other countries, with their counts.
    assert page.locator("input[name=country][value=IT]").count() == 1
    page.screenshot(path=str(tmp_path / "directory.png"), full_page=True)


def test_organisation_page_and_language_switch(
    live_server: Any, page: Any, orgs: dict[str, Organisation]
) -> None:
    org = orgs["uga"]
    org.description = {"en": "Biosensors", "fr": "Biocapteurs"}
    org.save()
    page.goto(f"{live_server.url}/en/directory/organisations/{org.pk}/")
    assert "Biosensors" in page.content()
    page.select_option("#lang-select", "fr")
    page.wait_for_url(f"**/fr/directory/organisations/{org.pk}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Biocapteurs" in page.content()
