"""The API: set-up, budget, report workflow, rates, dashboard, errors as 422 not 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alpsbio.funding.models import FundingProject

from .conftest import URLFIELD_WARNING, partner

pytestmark = [pytest.mark.django_db, URLFIELD_WARNING]
BASE = "/api/v1/funding"


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(BASE + url, json.dumps(body or {}), content_type="application/json")


def test_api_end_to_end(
    project: FundingProject, fclient: Callable[[str], Client], orgs: dict[str, Any]
) -> None:
    admin, editor = fclient("admin"), fclient("admin")
    created = post(
        admin,
        "/projects",
        {
            "programme": "Alpine Space",
            "acronym": "APIPRJ",
            "start_date": "2009-01-01",
            "end_date": "2010-12-31",
            "total_budget": "5000.00",
        },
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    assert (
        post(admin, f"/projects/{pid}/work-packages", {"number": 1, "title": "M"}).status_code
        == 201
    )
    pp = post(
        admin,
        f"/projects/{pid}/partners",
        {
            "organisation_id": orgs["hcl"].pk,
            "role": "lead",
            "funding_sources": {"eu_fund": "0.76", "national_public": "0.24"},
        },
    )
    assert pp.status_code == 201
    detail = admin.get(f"{BASE}/projects/{pid}").json()
    assert detail["acronym"] == "APIPRJ"
    assert len(detail["periods"]) == 4
    wp, period = detail["work_packages"][0]["id"], detail["periods"][0]["id"]
    budget = post(
        editor,
        f"/partners/{pp.json()['id']}/budget",
        {
            "reason": "initial",
            "changes": [
                {
                    "work_package_id": wp,
                    "category": "staff",
                    "period_id": period,
                    "amount": "1000.00",
                }
            ],
        },
    )
    assert budget.status_code == 200
    assert budget.json()["total"] == "1150.00"
    assert budget.json()["funding"] == {"eu_fund": "874.00", "national_public": "276.00"}
    report = post(admin, f"/partners/{pp.json()['id']}/reports", {"period_id": period})
    assert report.status_code == 201
    rid = report.json()["id"]
    item = post(
        admin,
        f"/reports/{rid}/items",
        {
            "work_package_id": wp,
            "category": "travel",
            "date": "2009-02-01",
            "amount": "99.99",
            "currency": "EUR",
        },
    )
    assert item.status_code == 201
    assert item.json()["converted"] == "99.99"
    assert post(admin, f"/reports/{rid}/submit").json()["status"] == "submitted"
    assert post(admin, f"/reports/{rid}/submit").status_code == 422
    post(admin, f"/reports/{rid}/start-control")
    controlled = post(
        admin, f"/items/{item.json()['id']}/control", {"deduction": "9.99", "reason": "r"}
    )
    assert controlled.json()["eligible"] == "90.00"
    assert post(admin, f"/reports/{rid}/certify").json()["status"] == "certified"
    claim = post(admin, f"/projects/{pid}/periods/1/claim")
    assert claim.status_code == 201
    assert claim.json()["amount"] == "68.40"
    pay = post(
        admin,
        f"/claims/{claim.json()['id']}/payments",
        {"amount": "68.40", "received_on": "2009-12-01"},
    )
    assert pay.status_code == 201
    assert sum(float(v) for v in pay.json()["transfers"].values()) == 68.40
    assert (
        post(
            admin, f"/work-packages/{wp}/activities", {"code": "A1", "title": "Kick-off"}
        ).status_code
        == 201
    )
    assert (
        post(
            admin, f"/work-packages/{wp}/deliverables", {"code": "D1", "title": "Plan"}
        ).status_code
        == 201
    )
    assert (
        post(
            admin,
            f"/projects/{pid}/indicators",
            {
                "code": "OI1",
                "name": "Events",
                "target": 2,
                "source_code": "events_held",
                "work_package_id": wp,
            },
        ).status_code
        == 201
    )
    assert (
        post(admin, f"/projects/{pid}/periods/1/progress", {"summary": "Started."}).status_code
        == 201
    )
    versions = admin.get(f"{BASE}/projects/{pid}/budget-versions").json()
    assert versions[0]["after_total"] == "1150.00"
    rows = admin.get(f"{BASE}/projects/{pid}/dashboard?dimension=category").json()
    assert {r["key"] for r in rows} >= {"staff", "office", "travel"}
    assert admin.get(f"{BASE}/projects/{pid}/indicators").status_code == 200


def test_api_rejects_bad_input_with_field_errors(
    project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    editor = fclient("editor")
    lead = partner(project, 1)
    for body in (
        {
            "reason": "x",
            "changes": [
                {"work_package_id": 1, "category": "office", "period_id": 1, "amount": "1"}
            ],
        },
        {
            "reason": "x",
            "changes": [
                {"work_package_id": 1, "category": "staff", "period_id": 1, "amount": "1.001"}
            ],
        },
        {"reason": "x", "changes": "nope"},
        {"changes": []},
    ):
        response = post(editor, f"/partners/{lead.pk}/budget", body)
        assert response.status_code == 422, body
        assert response.json()["errors"]
    bad_rates = post(editor, "/rates", {"csv": "month,currency,rate\n2009-99,CHF,1\n"})
    assert bad_rates.status_code == 422
    assert "line 2" in bad_rates.json()["errors"][0]["message"]
    good = post(editor, "/rates", {"csv": "month,currency,rate\n2009-03,CHF,1.5\n"})
    assert good.json() == {"created": 1, "updated": 0}
    assert fclient("anonymous").get(f"{BASE}/projects").status_code == 401
    assert fclient("outsider").get(f"{BASE}/projects").json() == []
    assert editor.get(f"{BASE}/projects/999999").status_code == 404
