"""API: region profile, overview, indicators, response rates, answering by token."""

from __future__ import annotations

from typing import Any

from alpsbio.directory.models import Organisation
from alpsbio.survey import services
from alpsbio.survey.models import Survey


def test_public_reads(client_for: Any, eurostat_csv: Any, regions: Any) -> None:
    services.import_indicators([eurostat_csv])
    c = client_for("anonymous")
    ov = c.get("/api/v1/analysis/overview")
    assert ov.status_code == 200
    assert "members" in ov.json()
    assert ov.json()["notes"]
    r = c.get("/api/v1/analysis/regions/FRK2?lang=it")
    body = r.json()
    assert r.status_code == 200
    assert body["name"] == "Rodano-Alpi"
    assert body["indicators"][0]["values"] == [
        {"year": 2018, "value": 270000.5},
        {"year": 2019, "value": 280000.0},
    ]
    assert c.get("/api/v1/analysis/regions/ZZ99").status_code == 404
    assert c.get("/api/v1/analysis/regions/FRK2?lang=xx").status_code == 422
    lst = c.get("/api/v1/analysis/indicators").json()
    assert lst[0]["code"] == "tgs00003"
    vals = c.get("/api/v1/analysis/indicators/tgs00003/values?regions=FRK2&year=2019").json()
    assert vals == [
        {
            "region": "FRK2",
            "year": 2019,
            "value": 280000.0,
            "flag": "",
            "unit": "MIO_EUR",
            "dims": "",
        }
    ]
    assert c.get("/api/v1/analysis/indicators/tgs00003/values?year=abc").status_code == 422
    assert c.get("/api/v1/analysis/indicators/nope/values").status_code == 404


def test_response_rates_for_managers_only(
    client_for: Any, cluster_survey: Survey, invite: Any, orgs: dict[str, Organisation]
) -> None:
    invite(cluster_survey, orgs["uga"])
    url = f"/api/v1/analysis/surveys/{cluster_survey.pk}/response-rates"
    assert client_for("anonymous").get(url).status_code == 401
    assert client_for("member").get(url).status_code == 403
    body = client_for("manager_it").get(url).json()
    assert body["total"]["invited"] == 1
    assert body["by_region"][0]["key"] == "FRK2"


def test_answer_by_token(
    client_for: Any,
    cluster_survey: Survey,
    invite: Any,
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
) -> None:
    inv = invite(cluster_survey, orgs["uga"])
    c = client_for("anonymous")
    url = f"/api/v1/analysis/respond/{inv.token}"
    q = c.get(url).json()
    assert q["questions"][0]["text"].startswith("Quelle")  # invitation in French
    bad = c.put(url, {"answers": {"rate_rd_capacity": 9}}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rate_rd_capacity"
    hidden = c.put(
        url,
        {"answers": {"needs": ["skills"], "finance_kind": "loans"}},
        content_type="application/json",
    )
    assert hidden.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "finance_kind"
    nested = c.put(url, {"answers": {"needs_detail": {"a": 1}}}, content_type="application/json")
    assert nested.status_code == 422
    assert nested.json()["errors"][0]["field"] == "needs_detail"
    ok = c.put(url, {"answers": full_answers, "submit": True}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["submitted"] is True
    assert c.get("/api/v1/analysis/respond/wrong").status_code == 403
    assert c.put(url, {"answers": "x"}, content_type="application/json").status_code == 422
