"""The PDF report and the ``analysis`` command, also with missing data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management import call_command

from alpsbio.directory.models import Participation, Project
from alpsbio.survey import services
from alpsbio.survey.report import render_report_html


def _world(orgs: dict[str, Any]) -> None:
    for i, members in enumerate(
        [("uga", "unimi"), ("uga", "hcl"), ("epfl", "unimi"), ("hcl", "epfl")]
    ):
        p = Project.objects.create(source="h2020", rcn=str(i), acronym=f"P{i}")
        for m in members:
            Participation.objects.create(project=p, organisation=orgs[m])


def test_report_with_no_data_says_so(db: Any, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "r.pdf"
    call_command(
        "analysis",
        "report",
        "--regions",
        "FRK2,ITC4,ITC1,CH01,CH02,AT33,DE21",
        "--lang",
        "fr",
        "--out",
        str(out),
    )
    assert out.read_bytes()[:5] == b"%PDF-"
    assert out.stat().st_size > 1000
    html = render_report_html(["FRK2", "ITC4"], "de")
    assert 'lang="de"' in html
    assert "Lombardei" in html
    assert "Keine Daten" in html  # the German "No data" notes


def test_analysis_run_json_and_report_with_data(
    orgs: dict[str, Any], eurostat_csv: Any, tmp_path: Path, capsys: Any
) -> None:
    _world(orgs)
    services.import_indicators([eurostat_csv])
    call_command("analysis", "run", "--regions", "FRK2,ITC4,CH01", "--json")
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["members"] == ["FRK2", "ITC4", "CH01"]
    assert figures["regions"]["FRK2"]["name"] == "Rhône-Alpes"
    assert figures["regions"]["FRK2"]["eu_projects"]["participations"] == 4
    html = render_report_html(["FRK2", "ITC4", "CH01"], "en")
    assert "Territorial analysis of the Alps Bio Cluster" in html
    assert "<svg" in html


def test_report_page_for_signed_in_users(client_for: Any) -> None:
    assert client_for("anonymous").get("/en/analysis/report.pdf").status_code == 302
    resp = client_for("member").get("/en/analysis/report.pdf?lang=it&regions=FRK2")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    assert resp.content[:5] == b"%PDF-"


def test_survey_answers_feed_the_swot(
    orgs: dict[str, Any], make_org: Any, personas: dict[str, Any], full_answers: dict[str, Any]
) -> None:
    """Five respondents in Rhône-Alpes: their ratings become SWOT points with their evidence."""
    from alpsbio.survey import queries

    _world(orgs)
    survey = services.load_cluster_questionnaire()
    respondents = [make_org(f"Lab {i}", "FRK26") for i in range(5)]
    result = services.invite_organisations(personas["admin"], survey, respondents, send=False)
    for inv in result.created:
        services.save_answers(inv.token, full_answers, submit=True)
    a = queries.compute_analysis(["FRK2", "ITC4", "CH01"])
    profile = queries.region_profile("FRK2", a)
    survey_points = [p for p in profile["swot"]["strength"] if p["code"] == "swot.strength.survey"]
    # Ratings 5, 4, 4 (>= 3.5) are strengths; 2 and 2 (<= 2.5) weaknesses; 3 neither.
    assert {p["topic"] for p in survey_points} == {
        "rd_capacity",
        "skills_training",
        "infrastructure",
    }
    assert {e["measure"] for e in survey_points[0]["evidence"]} == {"survey_mean", "respondents"}
    weak = [p["topic"] for p in profile["swot"]["weakness"] if p["code"] == "swot.weakness.survey"]
    assert sorted(weak) == ["access_to_finance", "market_access"]
    assert profile["survey"][0]["n"] == 5
