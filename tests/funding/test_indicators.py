"""Output indicators per work package: counted from events and survey data per reporting period
within each indicator's scope (types, networks, regions, the project's partners, one survey)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from alpsbio.accounts.models import User
from alpsbio.events.models import Event, Registration
from alpsbio.funding import exports, queries, services
from alpsbio.funding.indicators import count_indicator, registered_sources
from alpsbio.funding.models import FundingProject
from alpsbio.funding.providers import COUNTERS
from alpsbio.survey.models import Response, Survey
from tests.funding.conftest import URLFIELD_WARNING

BASE = "/api/v1/funding"


def _event(
    slug: str,
    kind: str,
    region: Any,
    day: dt.date,
    network: Any = None,
    organiser: User | None = None,
    demo: bool = False,
) -> Event:
    start = dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC)
    event = Event.objects.create(
        slug=slug,
        title={"en": slug},
        event_type=kind,
        region=region,
        network=network,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=8),
        is_demo=demo,
    )
    if organiser is not None:
        event.organisers.add(organiser)
    return event


@pytest.fixture
def platform_data(
    project: FundingProject, regions: dict[str, Any], networks: dict[str, Any], personas: Any
) -> dict[str, Any]:
    """P1 = 2008-09-01..2009-02-28, P2 = 2009-03-01..2009-08-31. ``editor`` works for UGA, the
    lead partner's organisation; ``outsider`` for nobody."""
    e1 = _event(
        "pd",
        "partnering_day",
        regions["FRK24"],
        dt.date(2008, 10, 10),
        organiser=personas["editor"],
    )
    _event(
        "ws1", "workshop", regions["FRK26"], dt.date(2008, 11, 1), organiser=personas["outsider"]
    )
    _event("ws2", "workshop", regions["ITC4C"], dt.date(2009, 4, 1), network=networks["autonomy"])
    _event("demo", "conference", regions["CH011"], dt.date(2009, 5, 1), demo=True)
    for i, status in enumerate(["attended", "attended", "confirmed"]):
        user = User.objects.create_user(username=f"guest{i}", email=f"g{i}@example.org")
        Registration.objects.create(event=e1, user=user, status=status, queued_at=timezone.now())
    territorial = Survey.objects.create(slug="territorial", title={"en": "Territorial"})
    other = Survey.objects.create(slug="other", title={"en": "Other"})
    for survey, region, day in [
        (territorial, "FRK24", dt.date(2009, 1, 5)),
        (territorial, "ITC4C", dt.date(2009, 1, 6)),
        (territorial, "FRK26", dt.date(2009, 6, 1)),
        (other, "FRK24", dt.date(2009, 1, 7)),
    ]:
        Response.objects.create(
            survey=survey, region=regions[region], status="submitted", submitted_on=day
        )
    wp1, wp2 = project.work_packages.order_by("number")
    for code, source, wp, scope in [
        ("W", "events_held", wp1, {"event_types": ["workshop"]}),
        ("PARTNERS", "events_held", wp1, {"partners_only": True}),
        ("IT", "events_held", wp1, {"regions": ["itc4"]}),
        ("NET", "events_held", wp2, {"networks": ["autonomy-healthcare"]}),
        ("ALL", "events_held", wp2, {}),
        ("PART", "event_participants", wp2, {"event_types": ["partnering_day"]}),
        ("SURV", "survey_respondents", wp2, {"survey": "territorial", "regions": ["FRK2"]}),
    ]:
        services.add_indicator(None, project, code, code.title(), 4, source, wp, scope)
    return {"wp1": wp1, "wp2": wp2}


def test_counts_per_period_follow_each_scope(
    project: FundingProject, platform_data: dict[str, Any]
) -> None:
    rows = {r.code: r for r in queries.indicator_table(project)}
    assert rows["W"].per_period == [1, 1, 0, 0, 0, 0]
    assert rows["PARTNERS"].per_period == [1, 0, 0, 0, 0, 0]
    assert rows["IT"].per_period == [0, 1, 0, 0, 0, 0]
    assert rows["NET"].per_period == [0, 1, 0, 0, 0, 0]
    assert rows["ALL"].per_period == [2, 1, 0, 0, 0, 0]  # the demo event never counts
    assert rows["PART"].per_period == [2, 0, 0, 0, 0, 0]  # checked in only
    assert rows["SURV"].per_period == [1, 1, 0, 0, 0, 0]
    assert rows["W"].achieved == 2
    assert str(rows["W"].progress) == "50.0"
    assert rows["W"].to_date(0) == 1
    assert "regions: ITC4" in rows["IT"].scope_text  # normalised to upper case
    groups = queries.indicators_by_work_package(project)
    assert [(g.number, [r.code for r in g.rows]) for g in groups] == [
        (1, ["IT", "PARTNERS", "W"]),
        (2, ["ALL", "NET", "PART", "SURV"]),
    ]


def test_scoped_counters_agree_with_the_owning_apps_without_a_scope(
    project: FundingProject, platform_data: dict[str, Any]
) -> None:
    """Unscoped values come from the events/survey apps' own providers; the funding app's
    scoped counters, given an empty scope, count the same things."""
    for period in project.periods.all():
        for code in ("events_held", "event_participants", "b2b_meetings", "survey_respondents"):
            app_value = count_indicator(code, project, period.start_date, period.end_date)
            own_value = COUNTERS[code](project, period.start_date, period.end_date, scope={})
            assert app_value == own_value, (code, period.number)
    assert set(COUNTERS) <= set(registered_sources())


@pytest.mark.parametrize(
    ("source", "scope", "field"),
    [
        ("events_held", {"survey": "territorial"}, "scope.survey"),
        ("events_held", {"networks": ["no-such-network"]}, "scope.networks"),
        ("events_held", {"event_types": ["picnic"]}, "scope.event_types"),
        ("survey_respondents", {"survey": "missing"}, "scope.survey"),
        ("nothing_counts_this", {}, "source_code"),
    ],
)
def test_indicator_definitions_are_validated(
    project: FundingProject, personas: Any, source: str, scope: dict[str, Any], field: str
) -> None:
    wp = project.work_packages.first()
    with pytest.raises(ValidationError) as exc:
        services.add_indicator(personas["admin"], project, "X", "X", 1, source, wp, scope)
    assert field in exc.value.message_dict


def test_an_indicator_needs_a_work_package(project: FundingProject) -> None:
    with pytest.raises(ValidationError) as exc:
        services.add_indicator(None, project, "X", "X", 1, "events_held", None)
    assert "work_package" in exc.value.message_dict


def test_changing_the_scope_changes_the_counts_and_is_audited(
    project: FundingProject, platform_data: dict[str, Any]
) -> None:
    indicator = project.indicators.get(code="ALL")
    services.change_indicator(None, indicator, target=9, scope={"regions": ["CH0"]})
    row = next(r for r in queries.indicator_table(project) if r.code == "ALL")
    assert row.per_period == [0] * 6  # the only Swiss event is a demo event
    assert row.target == 9
    assert any(e.action == "funding.indicator_changed" for e in queries.audit_trail(project))


@URLFIELD_WARNING
def test_dashboard_period_page_and_exports_show_indicators_per_work_package(
    project: FundingProject,
    platform_data: dict[str, Any],
    fclient: Callable[[str], Client],
) -> None:
    auditor = fclient("auditor")
    page = auditor.get(reverse("funding:dashboard", args=[project.pk])).content.decode()
    assert "WP1 Management" in page
    assert "WP2 Networking" in page
    assert "the project&#x27;s partners only" in page or "the project's partners only" in page
    period = auditor.get(reverse("funding:period", args=[project.pk, 2])).content.decode()
    assert "In this period" in period
    assert "To date" in period
    text = auditor.get(reverse("funding:export_indicators_csv", args=[project.pk])).content
    rows = list(csv.DictReader(io.StringIO(text.decode())))
    w_p2 = next(r for r in rows if r["indicator"] == "W" and r["period"] == "2")
    assert (w_p2["work_package"], w_p2["count"], w_p2["to_date"], w_p2["target"]) == (
        "WP1",
        "1",
        "2",
        "4",
    )
    book = load_workbook(io.BytesIO(exports.to_xlsx(project)))
    sheet = book["Indicators"]
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert any(v[1] == "PART Part" and v[4] == 2 for v in values)
    assert (
        fclient("outsider")
        .get(reverse("funding:export_indicators_csv", args=[project.pk]))
        .status_code
        == 403
    )


@URLFIELD_WARNING
def test_setup_page_adds_an_indicator_with_a_scope(
    project: FundingProject, networks: Any, fclient: Callable[[str], Client]
) -> None:
    editor = fclient("editor")  # the lead partner
    url = reverse("funding:setup", args=[project.pk])
    page = editor.get(url).content.decode()
    assert 'name="event_types"' in page
    assert 'value="autonomy-healthcare"' in page
    editor.post(
        url,
        {
            "action": "indicator",
            "code": "OI9",
            "name": "Workshops in Lombardy",
            "work_package": "2",
            "target": "3",
            "source_code": "events_held",
            "event_types": ["workshop"],
            "regions": "ITC4 CH01",
            "networks": ["autonomy-healthcare"],
        },
    )
    indicator = project.indicators.get(code="OI9")
    assert indicator.work_package.number == 2
    assert indicator.scope == {
        "event_types": ["workshop"],
        "networks": ["autonomy-healthcare"],
        "regions": ["CH01", "ITC4"],
    }
    assert "Workshops in Lombardy" in editor.get(url).content.decode()
    # A partner that is not the lead may not.
    fclient("partner_it").post(
        url,
        {
            "action": "indicator",
            "code": "OI10",
            "name": "x",
            "work_package": "1",
            "target": "1",
            "source_code": "events_held",
        },
    )
    assert not project.indicators.filter(code="OI10").exists()


def test_api_indicators_per_work_package_and_field_errors(
    project: FundingProject,
    platform_data: dict[str, Any],
    fclient: Callable[[str], Client],
) -> None:
    editor = fclient("editor")
    wp2 = platform_data["wp2"]
    rows = editor.get(f"{BASE}/projects/{project.pk}/indicators?work_package_id={wp2.pk}").json()
    part = next(r for r in rows if r["code"] == "PART")
    assert part["work_package_id"] == wp2.pk
    assert part["periods"] == [1, 2, 3, 4, 5, 6]
    assert part["per_period"][:2] == [2, 0]
    assert (part["achieved"], part["target"], part["progress"]) == (2, 4, "50.0")
    assert part["scope"] == {"event_types": ["partnering_day"]}

    def post(payload: dict[str, Any]) -> Any:
        return editor.post(
            f"{BASE}/projects/{project.pk}/indicators", payload, content_type="application/json"
        )

    good = {"code": "N", "name": "N", "target": 1, "source_code": "b2b_meetings"}
    missing_wp = post(good)
    assert missing_wp.status_code == 422
    assert "work_package_id" in {e["field"] for e in missing_wp.json()["errors"]}
    unknown_key = post({**good, "work_package_id": wp2.pk, "scope": {"colour": "red"}})
    assert unknown_key.status_code == 422
    assert unknown_key.json()["errors"][0]["field"] == "scope.colour"
    bad_network = post({**good, "work_package_id": wp2.pk, "scope": {"networks": ["nope"]}})
    assert bad_network.status_code == 422
    assert bad_network.json()["errors"][0]["field"] == "scope.networks"
    wrong_source = post({**good, "work_package_id": wp2.pk, "scope": {"survey": "territorial"}})
    assert wrong_source.json()["errors"][0]["field"] == "scope.survey"
    created = post({**good, "work_package_id": wp2.pk, "scope": {"partners_only": True}})
    assert created.status_code == 201
    assert (
        fclient("partner_it")
        .post(
            f"{BASE}/projects/{project.pk}/indicators",
            {**good, "code": "M", "work_package_id": wp2.pk},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    changed = editor.patch(
        f"{BASE}/indicators/{created.json()['id']}",
        {"target": 7, "scope": {"event_types": ["workshop"]}},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["scope"] == {"event_types": ["workshop"]}
    assert (
        fclient("auditor")
        .patch(
            f"{BASE}/indicators/{created.json()['id']}",
            {"target": 1},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_demo_indicators_belong_to_work_packages_and_are_counted(db: Any) -> None:
    project = services.load_funding_demo()
    groups = queries.indicators_by_work_package(project)
    assert [g.number for g in groups] == [1, 2, 3, 4]
    rows = [r for g in groups for r in g.rows]
    assert all(r.source_code in registered_sources() for r in rows)
    assert all(v is not None for r in rows for v in r.per_period)  # every source counts
    survey = next(r for r in rows if r.source_code == "survey_respondents")
    assert survey.scope["survey"] == "alps-bio-territorial-survey"
    assert {r.source_code for r in groups[2].rows} >= {
        "b2b_meetings",
        "expressions_of_interest",
        "cooperation_agreements",
    }


def test_one_query_per_indicator_gives_the_per_period_counts(
    project: FundingProject,
    platform_data: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    """Scoped indicators are counted for all periods in one query (conditional aggregation);
    the figures equal counting period by period."""
    periods = list(project.periods.all())
    rows = queries.indicator_table(project)
    for row in rows:
        one_by_one = [
            count_indicator(row.source_code, project, p.start_date, p.end_date, row.scope)
            for p in periods
        ]
        assert row.per_period == one_by_one, row.code
    scoped = sum(1 for r in rows if r.scope)
    unscoped = len(rows) - scoped
    # periods + indicators, one per scoped indicator (+1 for the partner list where needed),
    # one per period for the unscoped one (counted by the events app itself).
    with django_assert_max_num_queries(2 + 2 * scoped + unscoped * len(periods)):
        queries.indicator_table(project)
