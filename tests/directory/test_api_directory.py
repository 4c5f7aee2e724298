"""The directory API: shapes, pagination, field-level errors, and no 500 on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts.models import ApiToken
from alpsbio.directory.models import NaceCode, Organisation, Region, RegionCodeAlias


@pytest.fixture
def manager_token(personas: dict[str, Any]) -> dict[str, str]:
    _, key = ApiToken.issue(personas["manager_fr"], "tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_search_shape_and_pagination(orgs: dict[str, Organisation], client: Client) -> None:
    response = client.get("/api/v1/organisations", {"per_page": 2, "sort": "name"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4
    assert body["pages"] == 2
    assert len(body["items"]) == 2
    assert {"region", "country", "type", "sector", "nace", "network"} <= set(body["facets"])
    page2 = client.get("/api/v1/organisations", {"per_page": 2, "sort": "name", "page": 2}).json()
    names = [i["legal_name"] for i in body["items"] + page2["items"]]
    assert names == sorted(names)


def test_search_filters(orgs: dict[str, Organisation], client: Client) -> None:
    body = client.get("/api/v1/organisations?country=fr&type=hospital").json()
    assert [i["id"] for i in body["items"]] == [orgs["hcl"].pk]


@pytest.mark.parametrize(
    "query",
    [
        "per_page=1000",
        "page=0",
        "page=abc",
        "type=spaceship",
        "sort=random",
        "validated=maybe",
        "q=" + "x" * 500,
    ],
)
def test_bad_search_parameters_are_422_with_the_field(
    orgs: dict[str, Organisation], client: Client, query: str
) -> None:
    response = client.get(f"/api/v1/organisations?{query}")
    assert response.status_code == 422
    body = response.json()
    field = query.split("=")[0]
    assert any(e["field"].startswith(field) for e in body["errors"]), body


def test_detail_and_missing(orgs: dict[str, Organisation], client: Client) -> None:
    body = client.get(f"/api/v1/organisations/{orgs['epfl'].pk}").json()
    assert body["legal_name"] == "École Polytechnique Fédérale de Lausanne"
    assert body["nuts2"] == {"code": "CH01", "name": "Région lémanique"}
    assert body["ror_id"] == "02s376052"
    assert client.get("/api/v1/organisations/999999").status_code == 404
    assert client.get("/api/v1/organisations/not-a-number").status_code == 422


def test_create_with_field_errors(
    regions: dict[str, Region], manager_token: dict[str, str], client: Client
) -> None:
    before = Organisation.objects.count()
    payload = {
        "legal_name": "X",
        "country_code": "France",
        "website": "not a url",
        "latitude": 123,
        "names": {"xx": "?"},
    }
    response = client.post(
        "/api/v1/organisations",
        json.dumps(payload),
        content_type="application/json",
        **manager_token,  # type: ignore[arg-type]
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"legal_name", "country_code", "website", "latitude", "names"} <= fields
    assert Organisation.objects.count() == before


def test_create_with_unknown_codes(
    regions: dict[str, Region], manager_token: dict[str, str], client: Client
) -> None:
    payload = {
        "legal_name": "Lyonbiopôle",
        "country_code": "FR",
        "nuts3": "FRZ99",
        "nace_codes": ["99.99"],
    }
    response = client.post(
        "/api/v1/organisations",
        json.dumps(payload),
        content_type="application/json",
        **manager_token,  # type: ignore[arg-type]
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"nuts3", "nace_codes"}


def test_create_resolves_an_old_region_code(
    regions: dict[str, Region], manager_token: dict[str, str], client: Client
) -> None:
    RegionCodeAlias.objects.create(code="FR714", version=2013, region=regions["FRK24"])
    NaceCode.objects.create(code="72.11", level="class", label_en="Research on biotechnology")
    payload = {
        "legal_name": "Lyonbiopôle",
        "country_code": "fr",
        "nuts3": "FR714",
        "nace_codes": ["72.11"],
        "names": {"en": "Lyonbiopole", "fr": "Lyonbiopôle"},
        "description": {"fr": "Pôle de compétitivité santé."},
    }
    response = client.post(
        "/api/v1/organisations",
        json.dumps(payload),
        content_type="application/json",
        **manager_token,  # type: ignore[arg-type]
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nuts3"]["code"] == "FRK24"
    assert body["nuts2"]["code"] == "FRK2"
    assert body["nace_codes"] == ["72.11"]
    assert body["country_code"] == "FR"
    created = client.get(
        "/api/v1/organisations", {"q": "competitivite"}
    ).json()  # found through the accent-free index
    assert [i["id"] for i in created["items"]] == [body["id"]]


def test_malformed_json_is_a_clear_error(
    orgs: dict[str, Organisation], manager_token: dict[str, str], client: Client
) -> None:
    response = client.patch(
        f"/api/v1/organisations/{orgs['uga'].pk}",
        "{not json",
        content_type="application/json",
        **manager_token,  # type: ignore[arg-type]
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_regions_and_old_codes(regions: dict[str, Region], client: Client) -> None:
    RegionCodeAlias.objects.create(code="FR71", version=2013, region=regions["FRK2"])
    members = client.get("/api/v1/regions?member=true").json()
    assert {r["code"] for r in members} == {"FRK2", "ITC4", "CH01"}
    body = client.get("/api/v1/regions/fr71").json()
    assert body["code"] == "FRK2"
    assert body["resolved_from"] == "FR71"
    assert client.get("/api/v1/regions/ZZ99").status_code == 404
    assert client.get("/api/v1/regions?level=7").status_code == 422


def test_taxonomy_and_networks(networks: dict[str, Any], client: Client) -> None:
    NaceCode.objects.create(
        code="21.20",
        level="class",
        label_en="Manufacture of pharmaceutical preparations",
        label_fr="Fabrication de préparations pharmaceutiques",
    )
    body = client.get("/api/v1/taxonomy/nace?q=pharma", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert body[0]["labels"]["fr"].startswith("Fabrication")
    nets = client.get("/api/v1/networks").json()
    assert {n["slug"] for n in nets} == {"autonomy-healthcare", "new-diagnosis-therapies"}
    types = client.get("/api/v1/taxonomy/organisation-types").json()
    assert len(types) == 10


def test_openapi_is_served(db: Any, client: Client) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/organisations" in spec.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/docs").headers["Location"] == "/api/v1/docs"


def test_bad_token_is_401(orgs: dict[str, Organisation], client: Client) -> None:
    response = client.patch(
        f"/api/v1/organisations/{orgs['uga'].pk}",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer nope",
    )
    assert response.status_code == 401
