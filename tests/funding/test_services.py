"""Services: set-up, budget versions and flexibility, rates, reports, control, claims, demo."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from alpsbio.core.models import AuditEntry
from alpsbio.funding import queries, services
from alpsbio.funding.indicators import count_indicator, register_indicator_source
from alpsbio.funding.models import (
    BudgetLine,
    CostCategory,
    ExpenditureItem,
    FundingProject,
)

from .conftest import D, partner

pytestmark = pytest.mark.django_db


def test_periods_are_generated_six_monthly_from_the_dates(project: FundingProject) -> None:
    periods = list(project.periods.values_list("start_date", "end_date"))
    assert len(periods) == 6
    assert periods[0] == (dt.date(2008, 9, 1), dt.date(2009, 2, 28))
    assert periods[-1] == (dt.date(2011, 3, 1), dt.date(2011, 8, 31))
    assert services.period_bounds(dt.date(2008, 1, 31), dt.date(2008, 4, 15), 1)[1] == (
        dt.date(2008, 2, 29),
        dt.date(2008, 3, 30),
    )


def test_office_costs_are_a_flat_rate_of_staff_and_totals_reconcile(
    project: FundingProject,
) -> None:
    lead = partner(project, 1)
    office = BudgetLine.objects.filter(partner=lead, category=CostCategory.OFFICE)
    assert office.count() == 12
    assert all(line.amount == D("150.00") for line in office)
    matrix = queries.budget_matrix(lead)
    assert matrix["total"] == D("3150.00") * 12
    assert sum(r["total"] for r in matrix["rows"]) == matrix["total"]
    funding = next(pf for pf in queries.partner_funding(project) if pf.partner == lead)
    assert sum(funding.shares.values()) == funding.total
    assert funding.shares["eu_fund"] == D("28728.00")


def test_budget_modification_is_versioned_and_checked_against_flexibility(
    project: FundingProject, funding_personas: dict[str, Any]
) -> None:
    lead = partner(project, 1)
    editor = funding_personas["editor"]
    wp1 = project.work_packages.get(number=1)
    p1, p2 = project.periods.all()[:2]
    # Travel 12 000 -> +20% allowed = 14 400; move 1 000 from external to travel: fine.
    version = services.modify_budget(
        editor,
        lead,
        [
            services.BudgetChange(wp1.pk, CostCategory.TRAVEL, p1.pk, D("2000.00")),
            services.BudgetChange(wp1.pk, CostCategory.EXTERNAL, p1.pk, D("0.00")),
        ],
        "Move a study to a study trip",
    )
    assert version.created_by == editor
    assert version.reason.startswith("Move")
    assert version.before[f"{wp1.pk}/travel/{p1.pk}"] == "1000.00"
    assert version.after[f"{wp1.pk}/travel/{p1.pk}"] == "2000.00"
    assert f"{wp1.pk}/external/{p1.pk}" not in version.after
    # +3 000 more on travel exceeds 14 400.
    with pytest.raises(ValidationError) as exc:
        services.modify_budget(
            editor,
            lead,
            [
                services.BudgetChange(wp1.pk, CostCategory.TRAVEL, p2.pk, D("4000.00")),
                services.BudgetChange(wp1.pk, CostCategory.EXTERNAL, p2.pk, D("0.00")),
            ],
            "Too much travel",
        )
    assert "above its limit" in str(exc.value)
    # The partner total may not grow.
    with pytest.raises(ValidationError):
        services.modify_budget(
            editor, lead, [services.BudgetChange(wp1.pk, "staff", p2.pk, D("1100.00"))], "more"
        )
    # The lead partner may record a modification approved by the programme.
    services.modify_budget(
        editor,
        lead,
        [services.BudgetChange(wp1.pk, CostCategory.TRAVEL, p2.pk, D("4000.00"))],
        "Approved change",
        programme_approved=True,
    )
    assert AuditEntry.objects.filter(action="funding.budget_modified", actor=editor).count() == 2


def test_partner_cannot_change_another_partners_budget(
    project: FundingProject, funding_personas: dict[str, Any]
) -> None:
    wp1 = project.work_packages.first()
    assert wp1 is not None
    change = [services.BudgetChange(wp1.pk, "staff", project.periods.first().pk, D("1.00"))]  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        services.modify_budget(funding_personas["partner_it"], partner(project, 1), change, "x")
    with pytest.raises(PermissionDenied):
        services.modify_budget(
            funding_personas["partner_it"],
            partner(project, 2),
            change,
            "x",
            programme_approved=True,
        )


def test_rate_import_reports_every_bad_row_and_imports_nothing() -> None:
    text = "month,currency,rate\n2009-03,CHF,1.5\nMarch,CHF,1.5\n2009-04,USD,1\n2009-05,CHF,-1\n2009-03,CHF,1.6\n"
    with pytest.raises(ValidationError) as exc:
        services.import_exchange_rates(None, text)
    messages = exc.value.message_dict["file"]
    assert [m.split(":")[0] for m in messages] == ["line 3", "line 4", "line 5", "line 6"]
    assert (
        services.import_exchange_rates(None, "month,currency,rate\n2009-03,CHF,1.5\n").created == 1
    )
    assert (
        services.import_exchange_rates(None, "Month,Currency,Rate\n2009-03,CHF,1.49\n").updated == 1
    )
    with pytest.raises(ValidationError):
        services.import_exchange_rates(None, "a,b\n1,2\n")


def test_command_imports_rates_from_a_file(tmp_path: Any) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("month,currency,rate\n2010-01,CHF,1.4775\n", encoding="utf-8")
    out = io.StringIO()
    call_command("funding", "import-rates", str(path), stdout=out)
    assert "1 rates created" in out.getvalue()
    assert services.rate_in_force("CHF", dt.date(2010, 1, 31)) == D("1.477500")


def test_report_workflow_with_conversion_flat_rate_control_and_claim(
    project: FundingProject, funding_personas: dict[str, Any], rates_2009: None
) -> None:
    it = partner(project, 2)
    user = funding_personas["partner_it"]
    controller = funding_personas["controller"]
    p1 = project.periods.get(number=1)
    wp1 = project.work_packages.get(number=1)
    report = services.create_report(user, it, p1)
    staff = services.add_expenditure(
        user,
        report,
        work_package_id=wp1.pk,
        category="staff",
        date=dt.date(2009, 1, 15),
        amount=D("1000.00"),
        currency="EUR",
        invoice_ref="PAY-01",
    )
    hotel = services.add_expenditure(
        user,
        report,
        work_package_id=wp1.pk,
        category="travel",
        date=dt.date(2009, 3, 10),
        amount=D("301.00"),
        currency="CHF",
        invoice_ref="HOTEL-7",
        attachment=SimpleUploadedFile("hotel.pdf", b"%PDF-1.4 test", "application/pdf"),
    )
    # CHF 301 at 1.50 CHF/EUR = EUR 200.666… → 200.67, rounded once.
    assert hotel.converted == D("200.67")
    assert hotel.exchange_rate == D("1.5")
    office = ExpenditureItem.objects.get(report=report, is_flat_rate=True)
    assert office.converted == D("150.00")
    with pytest.raises(ValidationError):  # no rate for that month
        services.add_expenditure(
            user,
            report,
            work_package_id=wp1.pk,
            category="travel",
            date=dt.date(2009, 6, 1),
            amount=D("10.00"),
            currency="CHF",
        )
    services.submit_report(user, report)
    with pytest.raises(ValidationError):
        services.submit_report(user, report)
    with pytest.raises(PermissionDenied):
        services.start_control(user, report)
    services.start_control(controller, report)
    services.control_item(controller, staff, deduction=D("100.00"), reason="Timesheet missing")
    office.refresh_from_db() if ExpenditureItem.objects.filter(pk=office.pk).exists() else None
    office = ExpenditureItem.objects.get(report=report, is_flat_rate=True)
    assert office.eligible == D("135.00")  # follows the staff deduction
    services.certify_report(controller, report)
    eligible = D("900.00") + D("200.67") + D("135.00")
    rows = {r.key: r for r in queries.planned_vs_spent(project, "partner")}
    assert rows[it.pk].certified == eligible
    assert rows[it.pk].declared == D("1350.67")
    # Claim: only when every report of the period is certified.
    lead_report = services.create_report(None, partner(project, 1), p1)
    with pytest.raises(ValidationError):
        services.create_payment_claim(funding_personas["editor"], p1)
    services.add_expenditure(
        None,
        lead_report,
        work_package_id=wp1.pk,
        category="external",
        date=dt.date(2009, 2, 1),
        amount=D("333.33"),
        currency="EUR",
    )
    for step in (services.submit_report, services.start_control, services.certify_report):
        step(None, lead_report)
    claim = services.create_payment_claim(funding_personas["editor"], p1)
    fund_it = services.fund_shares(it, eligible)["eu_fund"]
    assert claim.amount == fund_it + D("253.33")
    payment = services.record_payment(
        funding_personas["editor"], claim, D("1000.00"), dt.date(2009, 9, 1)
    )
    assert sum(t.amount for t in payment.transfers.all()) == D("1000.00")
    with pytest.raises(ValidationError):
        services.record_payment(
            funding_personas["editor"], claim, claim.amount, dt.date(2009, 9, 2)
        )
    actions = set(
        queries.audit_trail(project).values_list("action", flat=True)  # type: ignore[attr-defined]
    )
    assert {
        "funding.expenditure_added",
        "funding.item_controlled",
        "funding.claim_created",
        "funding.payment_recorded",
        "funding.report_certified",
    } <= actions


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("invoice.exe", b"MZ", "Attach a PDF"),
        ("invoice.pdf", b"GIF89a", "does not match"),
    ],
)
def test_attachments_are_checked_by_type_and_content(
    project: FundingProject, name: str, content: bytes, error: str
) -> None:
    report = services.create_report(None, partner(project, 1), project.periods.first())  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as exc:
        services.add_expenditure(
            None,
            report,
            work_package_id=project.work_packages.first().pk,  # type: ignore[union-attr]
            category="travel",
            date=dt.date(2009, 1, 1),
            amount=D("1.00"),
            currency="EUR",
            attachment=SimpleUploadedFile(name, content),
        )
    assert error in str(exc.value)


def test_attachment_size_limit(project: FundingProject, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    report = services.create_report(None, partner(project, 1), project.periods.first())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="larger than"):
        services.add_expenditure(
            None,
            report,
            work_package_id=project.work_packages.first().pk,  # type: ignore[union-attr]
            category="travel",
            date=dt.date(2009, 1, 1),
            amount=D("1.00"),
            currency="EUR",
            attachment=SimpleUploadedFile("a.pdf", b"%PDF-" + b"x" * 20),
        )


def test_ineligible_items_count_zero(project: FundingProject) -> None:
    report = services.create_report(None, partner(project, 1), project.periods.first())  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        services.add_expenditure(
            None,
            report,
            work_package_id=project.work_packages.first().pk,  # type: ignore[union-attr]
            category="travel",
            date=dt.date(2009, 1, 1),
            amount=D("50.00"),
            currency="EUR",
            is_ineligible=True,
        )
    item = services.add_expenditure(
        None,
        report,
        work_package_id=project.work_packages.first().pk,  # type: ignore[union-attr]
        category="travel",
        date=dt.date(2009, 1, 1),
        amount=D("50.00"),
        currency="EUR",
        is_ineligible=True,
        ineligible_reason="Bought before the project started",
    )
    assert item.eligible == 0


def test_swiss_partners_are_funded_in_chf_not_by_the_eu_fund(
    project: FundingProject, orgs: dict[str, Any], make_org: Any
) -> None:
    with pytest.raises(ValidationError):
        services.add_partner(
            None,
            project,
            make_org("Test CH", "CH011"),
            currency="EUR",
            funding_sources={"swiss_federal": D("1")},
        )
    with pytest.raises(ValidationError):
        services.add_partner(
            None,
            project,
            make_org("Test CH2", "CH011"),
            currency="CHF",
            funding_sources={"swiss_federal": D("0.5"), "eu_fund": D("0.5")},
        )
    summary = queries.project_summary(project)
    chf = [f for f in summary["funds"] if f["currency"] == "CHF"]
    assert {f["source"] for f in chf} == {"swiss_federal", "swiss_cantonal"}
    assert sum(D(f["amount"]) for f in chf) == D(summary["planned_budget"]["CHF"])


def test_indicator_registry_counts_and_survives_failing_providers(project: FundingProject) -> None:
    calls: list[tuple[dt.date, dt.date]] = []

    def counter(p: FundingProject, start: dt.date, end: dt.date) -> int:
        calls.append((start, end))
        return 3

    def broken(p: FundingProject, start: dt.date, end: dt.date) -> int:
        raise RuntimeError("table missing")

    register_indicator_source("test_counter", counter)
    register_indicator_source("test_broken", broken)
    wp = project.work_packages.first()
    services.add_indicator(None, project, "OI1", "Counted", 10, "test_counter", wp)
    services.add_indicator(None, project, "OI2", "Broken", 10, "test_broken", wp)
    services.add_indicator(None, project, "OI3", "Built-in events", 10, "events_held", wp)
    rows = {r.code: r for r in queries.indicator_table(project)}
    assert rows["OI1"].per_period == [3] * 6
    assert rows["OI1"].achieved == 18
    assert rows["OI2"].achieved is None
    assert rows["OI3"].achieved == 0  # the events app is installed and has no events here
    assert count_indicator("unknown", project, dt.date(2009, 1, 1), dt.date(2009, 2, 1)) is None


def test_demo_is_idempotent_and_matches_the_public_figures(db: Any) -> None:
    project = services.load_funding_demo()
    again = services.load_funding_demo()
    assert project.pk == again.pk
    assert FundingProject.objects.count() == 1
    assert project.is_illustrative
    summary = queries.project_summary(project)
    assert summary["total_budget"] == "1862505.00"
    assert summary["planned_budget"]["EUR"] == "1862505.00"
    assert summary["co_financing_rates"] == ["0.7600"]
    eur = [f for f in summary["funds"] if f["currency"] == "EUR"]
    assert sum(D(f["amount"]) for f in eur) == D("1862505.00")
    names = [str(p.organisation) for p in project.partners.order_by("number")]
    assert names[0] == "ADEBAG"
    assert len(names) == 8
    assert project.partners.get(number=1).role == "lead"
    created = [
        p for p in project.partners.all() if "alps-bio-cluster-launch" in p.organisation.sources
    ]
    assert len(created) == 8  # nothing in this test database: all minimal records


def test_summary_command_prints_json_on_the_last_line(project: FundingProject) -> None:
    out = io.StringIO()
    call_command("funding", "summary", "--json", stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    (p,) = data["projects"]
    assert p["acronym"] == "TESTPRJ"
    assert p["total_budget"] == "300000.00"
    assert p["currency"] == "EUR"
    assert p["funds"]


def test_dashboard_tables_equal_the_per_dimension_queries_and_reconcile(
    project: FundingProject,
) -> None:
    report = services.create_report(None, partner(project, 2), project.periods.get(number=2))
    wp = project.work_packages.get(number=2)
    for amount in ("10.01", "20.02", "30.03"):
        services.add_expenditure(
            None,
            report,
            work_package_id=wp.pk,
            category="travel",
            date=dt.date(2009, 4, 1),
            amount=D(amount),
            currency="EUR",
        )
    services.submit_report(None, report)
    tables = queries.dashboard_tables(project)
    totals = set()
    for dim, rows in tables.items():
        assert rows == queries.planned_vs_spent(project, dim)
        totals.add(sum(r.planned for r in rows if r.currency == "EUR"))
        assert sum(r.declared for r in rows) == D("60.06")
    assert totals == {D("75600.00")}  # every dimension adds up to the same planned total
    (eur,) = [
        f for f in queries.forecast(project, by_period=tables["period"]) if f.currency == "EUR"
    ]
    assert eur.declared_to_date == D("60.06")
    assert eur.planned_to_date == D("12600.00")
