"""Pages: the public analysis, the managers' builder and exports, the respondents' link."""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook

from alpsbio.directory.models import Organisation
from alpsbio.survey import services
from alpsbio.survey.models import Invitation, Response, Survey


def test_overview_and_region_pages_are_public(
    client_for: Any, cluster_survey: Survey, eurostat_csv: Any
) -> None:
    services.import_indicators([eurostat_csv])
    client = client_for("anonymous")
    page = client.get(reverse("survey:overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Complementarity matrix" in html
    assert "<svg" in html
    assert "No data" in html
    maps = client.get(reverse("survey:maps"), {"series": "tgs00003|MIO_EUR|"})
    assert maps.status_code == 200
    assert "Regional gross domestic product" in maps.content.decode()
    region = client.get(reverse("survey:region", args=["FRK2"]))
    assert region.status_code == 200
    assert "Rhône-Alpes" in region.content.decode()
    assert client.get(reverse("survey:region", args=["ZZ99"])).status_code == 404
    fr = client.get("/fr/analysis/regions/ITC4/")
    assert fr.status_code == 200
    assert "Lombardie" in fr.content.decode()
    assert client.get(reverse("survey:indicators")).status_code == 200


def test_builder_is_for_managers(client_for: Any, cluster_survey: Survey) -> None:
    for name in ("anonymous", "member", "outsider"):
        resp = client_for(name).get(reverse("survey:surveys"))
        assert resp.status_code in (302, 403)
    manager = client_for("manager_fr")
    assert manager.get(reverse("survey:surveys")).status_code == 200
    resp = manager.post(
        reverse("survey:surveys"), {"slug": "pulse-2026", "title_en": "Pulse", "title_fr": "Pouls"}
    )
    survey = Survey.objects.get(slug="pulse-2026")
    assert resp.status_code == 302
    manager.post(
        reverse("survey:survey_action", args=[survey.pk, "section"]),
        {"key": "main", "title_en": "Main"},
    )
    manager.post(
        reverse("survey:survey_action", args=[survey.pk, "question"]),
        {
            "section": survey.sections.get().pk,
            "key": "kind",
            "qtype": "single",
            "text_en": "Kind?",
            "choices": "a | A | A fr\nb | B",
            "required": "on",
        },
    )
    q = survey.sections.get().questions.get()
    assert q.choices[0] == {"value": "a", "label": {"en": "A", "fr": "A fr"}}
    assert q.required
    page = manager.get(reverse("survey:survey", args=[survey.pk]))
    assert page.status_code == 200
    assert "Kind?" in page.content.decode()
    manager.post(reverse("survey:survey_action", args=[survey.pk, "open"]))
    survey.refresh_from_db()
    assert survey.status == "open"


def test_invite_and_answer_through_personal_link(
    client_for: Any,
    cluster_survey: Survey,
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
) -> None:
    manager = client_for("manager_fr")
    action = reverse("survey:survey_action", args=[cluster_survey.pk, "invite"])
    manager.post(action, {"organisations": [orgs["unimi"].pk]})  # Milano is not Rhône-Alpes
    assert not Invitation.objects.exists()
    manager.post(action, {"organisations": [orgs["uga"].pk]})
    inv = Invitation.objects.get(survey=cluster_survey)
    assert inv.organisation == orgs["uga"]
    anon = client_for("anonymous")
    url = f"/fr/analysis/respond/{inv.token}/"
    page = anon.get(url)
    assert page.status_code == 200
    assert "Votre organisation" in page.content.decode()
    # Save the first section, come back later: the answer is still there.
    anon.post(url, {"section": "about", "main_activity": "industry", "next": "region"})
    page = anon.get(url + "?section=about")
    assert 'value="industry" checked' in page.content.decode()
    # htmx autosave of one section.
    hx = anon.post(url, {"section": "region", "rate_rd_capacity": "4"}, HTTP_HX_REQUEST="true")
    assert hx.status_code == 200
    assert "badge ok" in hx.content.decode()
    # Submitting with required answers missing shows errors and submits nothing.
    page = anon.post(url, {"section": "offers", "cross_border": "yes", "submit": "1"})
    assert page.status_code == 200
    assert "errorlist" in page.content.decode()
    inv.refresh_from_db()
    assert inv.submitted_at is None
    services.save_answers(inv.token, {k: v for k, v in full_answers.items() if k != "cross_border"})
    anon.post(url, {"section": "offers", "cross_border": "no", "submit": "1"})
    inv.refresh_from_db()
    assert inv.submitted_at is not None
    assert anon.get("/en/analysis/respond/nope/").status_code == 404


def test_exports(
    client_for: Any,
    cluster_survey: Survey,
    invite: Any,
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
) -> None:
    a = invite(cluster_survey, orgs["uga"])
    b = invite(cluster_survey, orgs["unimi"])
    services.save_answers(a.token, full_answers, submit=True)
    services.save_answers(b.token, full_answers, submit=True)
    admin = client_for("admin")
    csv_text = admin.get(reverse("survey:export", args=[cluster_survey.pk, "csv"])).content.decode()
    assert "Université Grenoble Alpes" in csv_text
    assert "Università degli Studi di Milano" in csv_text
    # A regional manager exports only the responses of the organisations of their region.
    mine = (
        client_for("manager_fr")
        .get(reverse("survey:export", args=[cluster_survey.pk, "csv"]))
        .content.decode()
    )
    assert "Grenoble" in mine
    assert "Milano" not in mine
    xlsx = admin.get(reverse("survey:export", args=[cluster_survey.pk, "xlsx"]))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "response"
    assert len(rows) == 3
    assert (
        client_for("member")
        .get(reverse("survey:export", args=[cluster_survey.pk, "csv"]))
        .status_code
        == 403
    )
    assert Response.objects.count() == 2


def test_indicator_upload_for_managers(client_for: Any, eurostat_tsv: Any) -> None:
    with open(eurostat_tsv, "rb") as fh:
        assert (
            client_for("member").post(reverse("survey:indicators"), {"file": fh}).status_code == 403
        )
    with open(eurostat_tsv, "rb") as fh:
        page = client_for("manager_it").post(reverse("survey:indicators"), {"file": fh})
    assert page.status_code == 200
    assert "tgs00010" in page.content.decode()


def test_dashboard_panel_for_managers(client_for: Any, cluster_survey: Survey) -> None:
    page = client_for("manager_it").get(reverse("accounts:dashboard"))
    assert page.status_code == 200
    assert "Territorial survey of the Alps Bio Cluster" in page.content.decode()
    assert (
        "Territorial survey of"
        not in client_for("member").get(reverse("accounts:dashboard")).content.decode()
    )
