"""The back office as a regional cluster manager uses it: upload, map columns, check, import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from alpsbio.directory.models import Organisation


def test_member_list_import_through_the_pages(
    client_for: Callable[[str], Client], regions: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    client = client_for("manager_fr")
    csv = "Name;Ville;Pays;Code NUTS\nLyonbiopôle;Lyon;FR;FRK26\n".encode()
    upload = client.post(
        "/fr/directory/manage/import/",
        {"file": SimpleUploadedFile("membres.csv", csv, content_type="text/csv")},
    )
    assert upload.status_code == 302
    mapping_url = upload["Location"]
    page = client.get(mapping_url).content.decode()
    assert "Ville" in page
    assert "Lyonbiopôle" in page
    assert "Raison sociale" in page  # field labels in the reader's language
    form = {
        "map_legal_name": "Name",
        "map_city": "Ville",
        "map_country_code": "Pays",
        "map_nuts3": "Code NUTS",
    }
    checked = client.post(mapping_url, {**form, "dry_run": "1"})
    assert checked.status_code == 200
    assert not Organisation.objects.filter(legal_name="Lyonbiopôle").exists()  # a dry run
    done = client.post(mapping_url, {**form, "dry_run": "0"})
    assert done.status_code == 302
    created = Organisation.objects.get(legal_name="Lyonbiopôle")
    assert created.nuts3 is not None
    assert created.nuts3.code == "FRK26"
    assert created.city == "Lyon"


def test_a_bad_row_is_reported_and_nothing_is_written(
    client_for: Callable[[str], Client], regions: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    client = client_for("manager_fr")
    csv = b"Name,Country,NUTS\nGood Org,FR,FRK26\n,FR,FRK24\nBad Region,FR,ZZ999\n"
    upload = client.post(
        "/en/directory/manage/import/",
        {"file": SimpleUploadedFile("m.csv", csv, content_type="text/csv")},
    )
    before = Organisation.objects.count()
    response = client.post(
        upload["Location"],
        {
            "map_legal_name": "Name",
            "map_country_code": "Country",
            "map_nuts3": "NUTS",
            "dry_run": "0",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported" in html
    assert "ZZ999" in html
    assert Organisation.objects.count() == before


def test_only_managers_reach_the_import(client_for: Callable[[str], Client], orgs: Any) -> None:
    for name in ("editor", "member", "outsider"):
        assert client_for(name).get("/en/directory/manage/import/").status_code == 403


@pytest.mark.parametrize(
    "back",
    ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)", "x" * 3000, "-1"],
)
def test_validating_never_redirects_off_site_or_fails_on_a_bad_next(
    back: str, client_for: Any, orgs: dict[str, Any]
) -> None:
    org = orgs["uga"]
    response = client_for("manager_fr").post(
        f"/en/directory/organisations/{org.pk}/validate/", {"status": "validated", "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/en/directory/organisations/{org.pk}/"


def test_validating_returns_to_the_back_office_page_it_came_from(
    client_for: Any, orgs: dict[str, Any]
) -> None:
    org = orgs["uga"]
    back = "/en/directory/manage/?status=pending&page=2"
    response = client_for("manager_fr").post(
        f"/en/directory/organisations/{org.pk}/validate/", {"status": "validated", "next": back}
    )
    assert response["Location"] == back
