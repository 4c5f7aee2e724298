"""Pages: a lead partner sets up, budgets, reports, controls, claims and exports in the browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from alpsbio.funding import services
from alpsbio.funding.models import ExchangeRate, FundingProject, PartnerReport, ReportStatus

from .conftest import URLFIELD_WARNING, D, partner

pytestmark = [pytest.mark.django_db, URLFIELD_WARNING]


def test_navigation_and_project_list(
    project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    response = fclient("editor").get(reverse("funding:projects"))
    assert response.status_code == 200
    assert b"TESTPRJ" in response.content
    assert reverse("funding:projects").encode() in response.content  # main navigation entry
    assert fclient("outsider").get(reverse("funding:projects")).content.count(b"TESTPRJ") == 0
    assert fclient("anonymous").get(reverse("funding:projects")).status_code == 302


def test_admin_creates_a_project_and_the_lead_sets_it_up(
    orgs: dict[str, Any],
    fclient: Callable[[str], Client],
    funding_personas: dict[str, Any],
    make_org: Any,
) -> None:
    admin = fclient("admin")
    response = admin.post(
        reverse("funding:projects"),
        {
            "programme": "Alpine Space",
            "acronym": "NEWPRJ",
            "start_date": "2009-01-01",
            "end_date": "2009-12-31",
            "total_budget": "1000.00",
            "currency": "EUR",
            "period_months": "6",
            "office_flat_rate": "0.15",
            "flexibility_rate": "0.2",
        },
    )
    project = FundingProject.objects.get(acronym="NEWPRJ")
    assert response.status_code == 302
    assert project.periods.count() == 2
    url = reverse("funding:setup", args=[project.pk])
    admin.post(url, {"action": "work_package", "number": "1", "title": "Management"})
    admin.post(
        url, {"action": "activity", "work_package": "1", "code": "A1.1", "title": "Kick-off"}
    )
    admin.post(
        url,
        {
            "action": "deliverable",
            "work_package": "1",
            "code": "D1.1",
            "title": "Plan",
            "due_date": "2009-06-30",
        },
    )
    admin.post(
        url,
        {
            "action": "indicator",
            "code": "OI1",
            "name": "Events",
            "target": "3",
            "source_code": "events_held",
            "work_package": "1",
        },
    )
    admin.post(
        url,
        {
            "action": "partner",
            "organisation": orgs["uga"].pk,
            "role": "lead",
            "legal_status": "public",
            "scheme": "eu_public",
            "rate": "0.76",
        },
    )
    admin.post(
        url,
        {
            "action": "partner",
            "organisation": orgs["epfl"].pk,
            "role": "partner",
            "legal_status": "public",
            "scheme": "swiss",
            "rate": "0.5",
        },
    )
    admin.post(url, {"action": "role", "username": "auditor", "role": "auditor"})
    page = admin.get(url)
    assert page.status_code == 200
    assert project.work_packages.get().activities.count() == 1
    assert project.work_packages.get().deliverables.count() == 1
    assert project.indicators.count() == 1
    assert project.partners.get(organisation=orgs["epfl"]).currency == "CHF"
    assert project.roles.filter(role="auditor").exists()
    # Now the editor of UGA is the lead partner and may change the set-up; the member may not.
    assert (
        fclient("editor")
        .post(url, {"action": "work_package", "number": "2", "title": "Comms"})
        .status_code
        == 302
    )
    assert (
        fclient("member")
        .post(url, {"action": "work_package", "number": "3", "title": "X"})
        .status_code
        == 403
    )


def test_report_pages_from_item_to_certificate(
    project: FundingProject, fclient: Callable[[str], Client], funding_personas: dict[str, Any]
) -> None:
    it = partner(project, 2)
    partner_client = fclient("partner_it")
    period = project.periods.get(number=1)
    partner_client.post(
        reverse("funding:partner", args=[project.pk, it.pk]),
        {"action": "report", "period": period.pk},
    )
    report = PartnerReport.objects.get(partner=it, period=period)
    url = reverse("funding:report", args=[report.pk])
    wp = project.work_packages.first()
    assert wp is not None
    response = partner_client.post(
        url,
        {
            "action": "item",
            "work_package": wp.pk,
            "category": "staff",
            "date": "2009-01-10",
            "amount": "500.00",
            "currency": "EUR",
            "invoice_ref": "T-1",
            "attachment": SimpleUploadedFile("t.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
    )
    assert response.status_code == 302
    item = report.items.get(is_flat_rate=False)
    assert item.attachment
    download = partner_client.get(reverse("funding:attachment", args=[item.pk]))
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 x"
    assert fclient("member").get(reverse("funding:attachment", args=[item.pk])).status_code == 403
    bad = partner_client.post(
        url,
        {
            "action": "item",
            "work_package": wp.pk,
            "category": "staff",
            "date": "2020-01-01",
            "amount": "5",
            "currency": "EUR",
        },
        follow=True,
    )
    assert b"within the project" in bad.content
    partner_client.post(url, {"action": "submit"})
    controller = fclient("controller")
    controller.post(url, {"action": "start_control"})
    controller.post(
        url, {"action": "control", "item": item.pk, "deduction": "50.00", "reason": "No timesheet"}
    )
    controller.post(url, {"action": "certify"})
    report.refresh_from_db()
    assert report.status == ReportStatus.CERTIFIED
    page = controller.get(url)
    assert b"No timesheet" in page.content
    pdf = controller.get(reverse("funding:certificate", args=[report.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_dashboard_exports_and_claims(
    project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    lead = partner(project, 1)
    period = project.periods.get(number=1)
    report = services.create_report(None, lead, period)
    wp = project.work_packages.first()
    assert wp is not None
    services.add_expenditure(
        None,
        report,
        work_package_id=wp.pk,
        category="staff",
        date=dt.date(2009, 1, 1),
        amount=D("1000.00"),
        currency="EUR",
    )
    for step in (services.submit_report, services.start_control, services.certify_report):
        step(None, report)
    editor = fclient("editor")
    dashboard = editor.get(reverse("funding:dashboard", args=[project.pk]))
    assert dashboard.status_code == 200
    assert b"<svg" in dashboard.content
    assert b"Absorption and forecast" in dashboard.content
    csv = editor.get(reverse("funding:export_csv", args=[project.pk]))
    assert csv.status_code == 200
    assert b"dimension,key,label" in csv.content
    xlsx = editor.get(reverse("funding:export_xlsx", args=[project.pk]))
    assert xlsx.content.startswith(b"PK")
    pdf = editor.get(reverse("funding:export_pdf", args=[project.pk]))
    assert pdf.content.startswith(b"%PDF")
    editor.post(
        reverse("funding:period", args=[project.pk, 1]),
        {"action": "progress", "summary": "Kick-off held."},
    )
    response = editor.post(reverse("funding:period", args=[project.pk, 1]), {"action": "claim"})
    assert response.status_code == 302
    claim = project.claims.get()
    assert claim.amount == D("874.00")  # 76% of 1 000 staff + 150 office
    editor.post(
        reverse("funding:claims", args=[project.pk]),
        {"claim": claim.pk, "amount": "874.00", "received_on": "2009-10-01"},
    )
    page = editor.get(reverse("funding:claims", args=[project.pk]))
    assert b"874.00" in page.content
    assert b"passed on to" in page.content
    audit = editor.get(reverse("funding:audit", args=[project.pk]))
    assert b"funding.payment_recorded" in audit.content
    versions = editor.get(reverse("funding:versions", args=[project.pk]))
    assert b"initial budget" in versions.content


def test_rates_page_imports_and_lists_row_errors(
    project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    editor = fclient("editor")
    url = reverse("funding:rates")
    bad = editor.post(
        url,
        {"file": SimpleUploadedFile("r.csv", b"month,currency,rate\n2009-13,CHF,1\n")},
        follow=True,
    )
    assert b"line 2" in bad.content
    assert not ExchangeRate.objects.exists()
    editor.post(
        url, {"file": SimpleUploadedFile("r.csv", b"month,currency,rate\n2009-03,CHF,1.5\n")}
    )
    assert ExchangeRate.objects.count() == 1
    assert (
        fclient("partner_it").post(url, {"file": SimpleUploadedFile("r.csv", b"x")}).status_code
        == 403
    )


def test_demo_is_marked_illustrative_in_the_pages(
    db: Any, fclient: Callable[[str], Client]
) -> None:
    project = services.load_funding_demo()
    page = fclient("admin").get(reverse("funding:dashboard", args=[project.pk]))
    assert b"Illustrative example" in page.content
    assert b"1862505.00" in page.content or b"1,862,505.00" in page.content


def test_member_dashboard_lists_the_users_projects(
    project: FundingProject, fclient: Callable[[str], Client]
) -> None:
    page = fclient("partner_it").get(reverse("accounts:dashboard"))
    assert page.status_code == 200
    assert b"TESTPRJ" in page.content
    assert b"TESTPRJ" not in fclient("outsider").get(reverse("accounts:dashboard")).content
