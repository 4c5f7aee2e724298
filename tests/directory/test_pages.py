"""The public pages in the four languages, with content in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alpsbio.directory.models import Organisation

# One navigation label per language proves the catalogue is compiled and used.
NAV_DIRECTORY = {"en": "Directory", "fr": "Annuaire", "it": "Repertorio", "de": "Verzeichnis"}
LANGS = list(NAV_DIRECTORY)


@pytest.fixture
def pages(orgs: dict[str, Organisation], networks: dict[str, Any]) -> list[str]:
    return [
        "/{lang}/",
        "/{lang}/directory/",
        "/{lang}/directory/?q=grenoble&country=FR&sort=name",
        f"/{{lang}}/directory/organisations/{orgs['uga'].pk}/",
        "/{lang}/directory/regions/",
        "/{lang}/directory/regions/FRK2/",
        "/{lang}/directory/networks/",
        "/{lang}/directory/networks/autonomy-healthcare/",
        "/{lang}/accounts/login/",
        "/{lang}/accounts/password-reset/",
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_in_every_language(client: Client, pages: list[str], lang: str) -> None:
    for template in pages:
        url = template.format(lang=lang)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html, url
        assert NAV_DIRECTORY[lang] in html, url


def test_content_in_the_readers_language_with_fallback(
    client: Client, orgs: dict[str, Organisation]
) -> None:
    org = orgs["uga"]
    org.description = {"fr": "Biocapteurs", "en": "Biosensors"}
    org.save()
    assert "Biocapteurs" in client.get(f"/fr/directory/organisations/{org.pk}/").content.decode()
    assert "Biosensors" in client.get(f"/en/directory/organisations/{org.pk}/").content.decode()
    # No Italian text: English is the fallback.
    assert "Biosensors" in client.get(f"/it/directory/organisations/{org.pk}/").content.decode()


def test_htmx_search_returns_the_fragment(client: Client, orgs: dict[str, Organisation]) -> None:
    response = client.get("/en/directory/?q=lausanne", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "Polytechnique" in html
    assert 'hx-swap-oob="true"' in html


def test_old_region_code_redirects(client: Client, regions: dict[str, Any]) -> None:
    from alpsbio.directory.models import RegionCodeAlias

    RegionCodeAlias.objects.create(code="FR71", version=2013, region=regions["FRK2"])
    response = client.get("/en/directory/regions/FR71/")
    assert response.status_code == 301
    assert response["Location"].endswith("/regions/FRK2/")
    assert client.get("/en/directory/regions/XX99/").status_code == 404


def test_contacts_respect_consent_and_visibility(
    client_for: Any, orgs: dict[str, Organisation]
) -> None:
    from django.utils import timezone

    org = orgs["hcl"]
    org.people.create(
        first_name="Ada",
        last_name="Visible",
        email="ada@example.org",
        consent_given_at=timezone.now(),
        visibility={"email": "public"},
    )
    org.people.create(
        first_name="Bob",
        last_name="Members",
        email="bob@example.org",
        consent_given_at=timezone.now(),
        visibility={"email": "members"},
    )
    org.people.create(first_name="Cy", last_name="NoConsent", email="cy@example.org")
    url = f"/en/directory/organisations/{org.pk}/"
    public = client_for("anonymous").get(url).content.decode()
    assert "ada@example.org" in public
    assert "bob@example.org" not in public
    assert "cy@example.org" not in public
    member = client_for("member").get(url).content.decode()
    assert "bob@example.org" in member
    assert "cy@example.org" not in member
    manager = client_for("manager_fr").get(url).content.decode()
    assert "cy@example.org" in manager


def test_bad_query_strings_do_not_crash(client: Client, orgs: dict[str, Organisation]) -> None:
    for query in ["page=-5", "page=abc", "sort=evil", "type=spaceship", "q=%22%22%22", "region="]:
        assert client.get(f"/en/directory/?{query}").status_code == 200, query


def test_an_organisations_projects_say_what_their_call_topic_is(
    client: Client, orgs: dict[str, Organisation]
) -> None:
    import datetime as dt

    from alpsbio.directory.models import Participation, Project

    for rcn, topic in (("41", "SPIRE-07-2015"), ("42", "XYZ-99-2030")):
        project = Project.objects.create(
            source="h2020", rcn=rcn, acronym=f"P{rcn}", topic=topic, start_date=dt.date(2016, 1, 1)
        )
        Participation.objects.create(project=project, organisation=orgs["uga"])
    page = client.get(f"/en/directory/organisations/{orgs['uga'].pk}/").content.decode()
    assert "Recovery technologies for metals and other minerals · SPIRE-07-2015" in page
    assert "XYZ-99-2030" in page  # unknown to the reference: the code alone


def test_the_call_topic_reference_rebuilds_byte_for_byte(tmp_path: Any) -> None:
    from pathlib import Path

    from django.conf import settings

    from alpsbio.directory import call_topics

    source = Path(settings.ALPSBIO_DATA_DIR) / "cordis" / "cordisref-H2020topics.csv"
    if not source.exists():
        pytest.skip("the shared CORDIS reference data is not on this machine")
    dest = tmp_path / "topics.csv.gz"
    assert call_topics.build_reference(source, dest) == 1196
    assert dest.read_bytes() == call_topics.REFERENCE.read_bytes()


def test_region_pages_link_the_analysis_only_where_it_exists(
    client: Client, regions: dict[str, Any]
) -> None:
    for code, linked in (("FRK2", True), ("FRK", False), ("FRK24", False), ("FR", False)):
        page = client.get(f"/en/directory/regions/{code}/").content.decode()
        assert (f"/en/analysis/regions/{code}/" in page) is linked, code
    assert client.get("/en/analysis/regions/FRK2/").status_code == 200


def test_the_site_has_an_icon(client: Client, db: Any) -> None:
    page = client.get("/en/").content.decode()
    assert 'rel="icon"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("alpsbio/favicon.svg")
