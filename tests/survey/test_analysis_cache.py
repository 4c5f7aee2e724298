"""The stored analysis: computed once per data version, served from the database, recomputed in
the background when the data changes (stale result shown meanwhile, with a note)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from alpsbio.directory.models import Participation, Project, Region
from alpsbio.survey import analysis_cache, queries, services
from alpsbio.survey.models_analysis import AnalysisSnapshot

MEMBERS = ["FRK2", "ITC4", "CH01"]


def _world(orgs: dict[str, Any]) -> None:
    for i, members in enumerate([("uga", "unimi"), ("uga", "hcl"), ("epfl", "unimi")]):
        p = Project.objects.create(source="h2020", rcn=f"c{i}", acronym=f"C{i}")
        for m in members:
            Participation.objects.create(project=p, organisation=orgs[m])


@pytest.fixture(autouse=True)
def _fresh_process() -> Iterator[None]:
    analysis_cache.clear_memo()
    yield
    analysis_cache.clear_memo()


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Counts the real computations (each call records its member list)."""
    calls: list[list[str]] = []
    real = queries.compute_analysis

    def counting(members: Any = None) -> Any:
        calls.append(list(members or []))
        return real(members)

    monkeypatch.setattr(queries, "compute_analysis", counting)
    return calls


@pytest.fixture
def dummy_tasks(settings: Any) -> Any:
    """Tasks are recorded, not run (as when the worker has not picked them up yet)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()  # type: ignore[attr-defined]
    return default_task_backend


def _refresh_tasks(backend: Any) -> list[Any]:
    return [r for r in backend.results if r.task.name == "refresh_analysis"]


def test_computed_once_then_read_from_the_database(
    orgs: dict[str, Any], computations: list[list[str]]
) -> None:
    _world(orgs)
    first = queries.analysis(MEMBERS)
    assert computations == [MEMBERS]
    row = AnalysisSnapshot.objects.get(key="CH01,FRK2,ITC4")
    assert row.fingerprint == analysis_cache.data_version()
    assert row.size == len(bytes(row.payload)) > 0
    again = queries.analysis(MEMBERS)
    assert computations == [MEMBERS]
    # A new process (a restart, another worker) reads the row instead of computing.
    analysis_cache.clear_memo()
    restarted = queries.analysis(["ITC4", "FRK2", "CH01"])
    assert computations == [MEMBERS]
    assert restarted.members == ["ITC4", "FRK2", "CH01"]  # the order asked for
    assert queries.overview(restarted)["sector_pairs"] == queries.overview(first)["sector_pairs"]
    assert (
        queries.region_profile("FRK2", again)["key_players"]
        == (queries.region_profile("FRK2", first)["key_players"])
    )
    assert "being_recomputed" not in restarted.notes


def test_data_change_serves_the_stale_result_and_enqueues_one_refresh(
    orgs: dict[str, Any],
    computations: list[list[str]],
    dummy_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _world(orgs)
    queries.analysis(MEMBERS)
    before = analysis_cache.data_version()
    p = Project.objects.create(source="h2020", rcn="new", acronym="NEW")
    Participation.objects.create(project=p, organisation=orgs["hcl"])
    Participation.objects.create(project=p, organisation=orgs["unimi"])
    assert analysis_cache.data_version() != before
    with django_capture_on_commit_callbacks(execute=True):
        stale = queries.analysis(MEMBERS)
        again = queries.analysis(MEMBERS)
    assert computations == [MEMBERS]  # not recomputed in the request
    assert "being_recomputed" in stale.notes
    assert "being_recomputed" in again.notes
    tasks = _refresh_tasks(dummy_tasks)
    assert len(tasks) == 1  # the second request saw the refresh already asked for
    assert tasks[0].args == [MEMBERS]
    # The worker runs the task: the row now matches the data, the note is gone.
    assert analysis_cache.refresh_if_stale(MEMBERS) is True
    assert computations == [MEMBERS, MEMBERS]
    assert analysis_cache.refresh_if_stale(MEMBERS) is False  # a duplicate task does nothing
    fresh = queries.analysis(MEMBERS)
    assert "being_recomputed" not in fresh.notes
    assert AnalysisSnapshot.objects.get().fingerprint == analysis_cache.data_version()
    assert computations == [MEMBERS, MEMBERS]


def test_immediate_worker_recomputes_on_commit(
    orgs: dict[str, Any], computations: list[list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    _world(orgs)
    queries.analysis(MEMBERS)
    Region.objects.filter(code="ITC4").update(is_member=False)
    with django_capture_on_commit_callbacks(execute=True):
        queries.analysis(MEMBERS)
    assert len(computations) == 2
    row = AnalysisSnapshot.objects.get()
    assert row.fingerprint == analysis_cache.data_version()
    assert row.requested_fingerprint == ""


def test_overdue_refresh_is_computed_on_demand(
    orgs: dict[str, Any], computations: list[list[str]], dummy_tasks: Any
) -> None:
    _world(orgs)
    queries.analysis(MEMBERS)
    orgs["hcl"].save()  # updated_at moves: a new data version
    now = analysis_cache.data_version()
    AnalysisSnapshot.objects.update(
        requested_fingerprint=now,
        requested_at=timezone.now() - analysis_cache.RECOMPUTE_TIMEOUT - dt.timedelta(minutes=1),
    )
    a = queries.analysis(MEMBERS)
    assert len(computations) == 2
    assert "being_recomputed" not in a.notes
    assert AnalysisSnapshot.objects.get().fingerprint == now


def test_unreadable_or_old_format_row_is_recomputed(
    orgs: dict[str, Any], computations: list[list[str]]
) -> None:
    _world(orgs)
    queries.analysis(MEMBERS)
    AnalysisSnapshot.objects.update(payload=b"not a pickle")
    analysis_cache.clear_memo()
    queries.analysis(MEMBERS)
    assert len(computations) == 2
    AnalysisSnapshot.objects.update(format=analysis_cache.FORMAT - 1)
    analysis_cache.clear_memo()
    queries.analysis(MEMBERS)
    assert len(computations) == 3


class _Bomb:
    """Unpickling this would run code: a row forged by someone with database access only."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (pytest.fail, ("a forged stored analysis was unpickled",))


def test_a_row_not_signed_by_this_installation_is_never_unpickled(
    orgs: dict[str, Any], computations: list[list[str]]
) -> None:
    import pickle
    import zlib

    _world(orgs)
    queries.analysis(MEMBERS)
    forged = zlib.compress(pickle.dumps(_Bomb()))
    AnalysisSnapshot.objects.update(payload=b"\0" * 32 + forged)
    analysis_cache.clear_memo()
    queries.analysis(MEMBERS)  # recomputed, the forged payload left untouched
    assert len(computations) == 2


def test_indicator_import_enqueues_a_refresh(
    db: Any, eurostat_csv: Any, dummy_tasks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.import_indicators([eurostat_csv])
    assert len(_refresh_tasks(dummy_tasks)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.import_indicators([eurostat_csv], dry_run=True)
    assert len(_refresh_tasks(dummy_tasks)) == 1  # a dry run stores nothing


def test_data_version_follows_every_input(orgs: dict[str, Any], eurostat_csv: Any) -> None:
    from alpsbio.directory.models import Sector

    seen = {analysis_cache.data_version()}

    def changed() -> bool:
        v = analysis_cache.data_version()
        new = v not in seen
        seen.add(v)
        return new

    _world(orgs)
    assert changed()
    sector = Sector.objects.create(slug="medtech", name={"en": "Medical technology"})
    orgs["uga"].sectors.add(sector)
    assert changed()
    services.import_indicators([eurostat_csv])
    assert changed()
    Region.objects.filter(code="CH01").update(is_member=False)
    assert changed()
    assert not changed()


def test_overview_page_says_when_it_is_being_recomputed(
    client_for: Any, orgs: dict[str, Any], dummy_tasks: Any
) -> None:
    _world(orgs)
    client = client_for("anonymous")
    assert client.get(reverse("survey:overview")).status_code == 200
    assert AnalysisSnapshot.objects.count() == 1
    orgs["epfl"].save()
    html = client.get(reverse("survey:overview")).content.decode()
    assert "it is being recomputed" in html
    api = client.get("/api/v1/analysis/overview")
    assert api.status_code == 200
    assert any("being recomputed" in n for n in api.json()["notes"])


def test_refresh_command(orgs: dict[str, Any], computations: list[list[str]]) -> None:
    from django.core.management import call_command

    _world(orgs)
    out = io.StringIO()
    call_command("analysis", "refresh", "--regions", "FRK2,ITC4,CH01", stdout=out)
    assert "recomputed and stored" in out.getvalue()
    call_command("analysis", "refresh", "--regions", "CH01,FRK2,ITC4", stdout=out)
    assert "already current" in out.getvalue()
    assert len(computations) == 1
    call_command("analysis", "refresh", "--regions", "FRK2,ITC4,CH01", "--force", stdout=out)
    assert len(computations) == 2


def test_without_the_table_the_analysis_is_computed(
    orgs: dict[str, Any], computations: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database not migrated to the stored analyses yet: pages still get the analysis."""
    from django.db import DatabaseError

    class Missing:
        class objects:  # stands in for the manager
            @staticmethod
            def filter(**kwargs: Any) -> Any:
                raise DatabaseError("no such table: survey_analysissnapshot")

    _world(orgs)
    monkeypatch.setattr(analysis_cache, "AnalysisSnapshot", Missing)
    a = queries.analysis(MEMBERS)
    assert a.result is not None
    assert len(computations) == 1
