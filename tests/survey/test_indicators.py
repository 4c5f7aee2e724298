"""Eurostat imports (TSV and long CSV), NUTS recoding, atomic rejection; platform indicators."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alpsbio.directory.models import Participation, Project
from alpsbio.survey import indicators as ind
from alpsbio.survey import services
from alpsbio.survey.models import Indicator, IndicatorImport, IndicatorValue


def test_tsv_import_recodes_and_reports(db: Any, eurostat_tsv: Path) -> None:
    run = services.import_indicators([eurostat_tsv])
    assert run.succeeded
    dims = "sex=T;age=Y_GE15"
    v = IndicatorValue.objects.get(
        indicator__code="tgs00010", region_code="FRK2", year=2020, dims=dims
    )
    assert v.value == 6.5
    assert v.flag == "p"
    conf = IndicatorValue.objects.get(region_code="ITC4", year=2020)
    assert conf.value is None
    assert conf.flag == "c"
    # FR71 (NUTS 2013) is Rhône-Alpes = FRK2 in NUTS 2021: the native 2021 row wins.
    assert IndicatorValue.objects.filter(region_code="FR71").count() == 0
    assert not IndicatorValue.objects.filter(region_code="EU27_2020").exists()
    messages = " ".join(r["message"] for r in run.report)
    assert "not a NUTS 2021 region" in messages
    assert "FR71" in messages
    assert Indicator.objects.get(code="tgs00010").label["fr"] == "Taux de chômage"


def test_csv_import_and_idempotent_upsert(db: Any, eurostat_csv: Path) -> None:
    services.import_indicators([eurostat_csv])
    services.import_indicators([eurostat_csv])
    assert IndicatorValue.objects.filter(indicator__code="tgs00003").count() == 3  # CH01 empty
    assert IndicatorValue.objects.get(region_code="FRK2", year=2018).value == 270000.5


def test_malformed_file_rejects_everything(db: Any, eurostat_csv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,geo,time,values,input_var_code\nPC,FRK2,2019,abc,x\n", encoding="utf-8")
    with pytest.raises(ind.IndicatorImportRejected) as exc:
        services.import_indicators([eurostat_csv, bad])
    assert exc.value.run.report[0]["line"] == 2
    assert exc.value.run.report[0]["file"] == "bad.csv"
    assert IndicatorValue.objects.count() == 0
    assert IndicatorImport.objects.get().succeeded is False


def test_import_command(db: Any, eurostat_tsv: Path, tmp_path: Path, capsys: Any) -> None:
    call_command("import_indicators", str(eurostat_tsv))
    assert "stored" in capsys.readouterr().out
    bad = tmp_path / "x.tsv"
    bad.write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_indicators", str(bad))


def test_only_managers_import(personas: dict[str, Any], eurostat_csv: Path) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_indicators([eurostat_csv], actor=personas["member"])
    assert services.import_indicators([eurostat_csv], actor=personas["manager_it"]).succeeded


def test_platform_indicators(orgs: dict[str, Any]) -> None:
    p1 = Project.objects.create(source="h2020", rcn="1", acronym="ONE", max_contribution=100)
    p2 = Project.objects.create(source="h2020", rcn="2", acronym="TWO", max_contribution=100)
    Participation.objects.create(project=p1, organisation=orgs["uga"], contribution=10)
    Participation.objects.create(project=p1, organisation=orgs["unimi"], contribution=20)
    Participation.objects.create(project=p2, organisation=orgs["uga"], contribution=5)
    Participation.objects.create(project=p2, organisation=orgs["hcl"], contribution=7)
    p = ind.platform_indicators()
    assert p.actors_by_type.loc["FRK2", "university"] == 1
    assert p.actors_by_type.loc["FRK2", "hospital"] == 1
    fr = p.participations.set_index("region").loc["FRK2"]
    assert fr["participations"] == 3
    assert fr["projects"] == 2
    assert Decimal(fr["eu_funding"]) == Decimal("22")


def test_demo_reads_the_shipped_extract_without_shared_data(
    db: Any, settings: Any, tmp_path: Path
) -> None:
    """Without the shared data folder the demo imports the committed extract (Source: Eurostat)."""
    settings.ALPSBIO_DATA_DIR = tmp_path
    assert [p.name for p in ind.demo_indicator_files()] == [
        "eurostat_extract.csv.gz",
        "rd_p_persreg_subset_extract.csv.gz",
    ]
    first = services.load_survey_demo()
    second = services.load_survey_demo()
    assert first["indicator_values"] == second["indicator_values"] > 20000
    assert IndicatorValue.objects.filter(
        indicator__code="rd_p_persreg", region_code="FRK2"
    ).exists()
    assert not IndicatorValue.objects.filter(region_code="FR71").exists()
