"""NUTS and NACE importers on real excerpts: content, idempotency, malformed files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alpsbio.directory.importers.base import ImportRejected
from alpsbio.directory.importers.nace import import_nace, normalise_nace_code
from alpsbio.directory.importers.nuts import import_nuts, resolve_region_code
from alpsbio.directory.models import ImportRun, NaceCode, Region, RegionCodeAlias


def test_nuts_regions_hierarchy_members_geometry(nuts: Path) -> None:
    frk2 = Region.objects.get(code="FRK2")
    assert frk2.is_member
    assert frk2.member_label == "Rhône-Alpes"
    assert frk2.parent is not None
    assert frk2.parent.code == "FRK"
    assert Region.objects.get(code="FRK24").parent == frk2
    assert Region.objects.get(code="DE2").member_label == "Bayern"
    assert Region.objects.get(code="CH01").display_name.startswith("Région lémanique")
    geom = Region.objects.get(code="FRK24").geometry
    assert geom["type"] in {"Polygon", "MultiPolygon"}
    assert Region.objects.get(code="FRK24").label_lat is not None
    assert Region.objects.get(code="ITC4").is_member is not False  # Lombardia is a member


def test_old_codes_resolve_through_eurostat_tables(nuts: Path) -> None:
    assert RegionCodeAlias.objects.filter(code="FR71").exists()
    fr71 = resolve_region_code("FR71")
    fr714 = resolve_region_code("FR714")
    assert fr71 is not None
    assert fr71.code == "FRK2"
    assert fr714 is not None
    assert fr714.code == "FRK24"
    assert resolve_region_code("ITC4C") is not None
    assert resolve_region_code("ZZ999") is None


def test_nuts_import_is_idempotent(nuts: Path) -> None:
    before = (Region.objects.count(), RegionCodeAlias.objects.count())
    again = import_nuts(nuts / "nuts")
    assert again.stats["created"] == 0
    assert again.stats["updated"] == 0
    assert (Region.objects.count(), RegionCodeAlias.objects.count()) == before


def _codes(data_dir: Path) -> Path:
    return data_dir / "nuts" / "codes" / "nuts2021_codes_names.csv"


def _assert_rejected(data_dir: Path, line: int | None, fragment: str) -> None:
    with pytest.raises(ImportRejected) as exc:
        import_nuts(data_dir / "nuts")
    assert Region.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED
    assert any(fragment in r["message"] for r in run.report), run.report
    if line is not None:
        assert any(e.line == line for e in exc.value.errors)


@pytest.mark.django_db
def test_nuts_wrong_columns_rejected(data_dir: Path) -> None:
    path = _codes(data_dir)
    path.write_text(
        path.read_text(encoding="utf-8").replace("code_2021,level", "code,lvl", 1), encoding="utf-8"
    )
    _assert_rejected(data_dir, 1, "missing column")


@pytest.mark.django_db
def test_nuts_bad_encoding_rejected(data_dir: Path) -> None:
    path = _codes(data_dir)
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", "replace"))
    _assert_rejected(data_dir, None, "not UTF-8")


@pytest.mark.django_db
def test_nuts_duplicate_and_empty_rejected(data_dir: Path) -> None:
    path = _codes(data_dir)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("FRK24,3,Isère again\nFRK99,3,\n")
    _assert_rejected(data_dir, None, "duplicate identifier 'FRK24'")
    run = ImportRun.objects.get()
    assert any(
        r["column"] == "name" and r["message"] == "required value is empty" for r in run.report
    )


def test_nace_taxonomy(taxonomy: Path) -> None:
    cls = NaceCode.objects.get(code="21.10")
    assert cls.level == "class"
    assert cls.parent is not None
    assert cls.parent.code == "21.1"
    assert cls.parent.parent is not None
    assert cls.parent.parent.code == "21"
    assert cls.parent.parent.parent is not None
    assert cls.parent.parent.parent.code == "C"
    assert cls.label_fr == "Fabrication de produits pharmaceutiques de base"
    assert NaceCode.objects.get(code="211000").parent == cls
    again = import_nace(taxonomy / "taxonomy" / "noga2008_nace_rev2_multilingual.csv")
    assert again.stats["created"] == 0
    assert again.stats["updated"] == 0


@pytest.mark.django_db
def test_nace_malformed_rejected(data_dir: Path) -> None:
    path = data_dir / "taxonomy" / "noga2008_nace_rev2_multilingual.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("class,2110,dup,,,\nclass,21X,bad,,,\ngroup,999,,,,\n")
    with pytest.raises(ImportRejected) as exc:
        import_nace(path)
    messages = {(e.column, e.message.split(":")[0]) for e in exc.value.errors}
    assert ("code", "duplicate identifier '2110' (first on line 10)") in messages or any(
        "duplicate" in m for _, m in messages
    )
    assert any(c == "label_en" for c, _ in messages)
    assert NaceCode.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2110", "21.10"),
        ("21.10", "21.10"),
        ("C 21.10", "21.10"),
        ("21", "21"),
        ("72.1", "72.1"),
        ("x", None),
    ],
)
def test_normalise_nace_code(text: str, code: str | None, **_: Any) -> None:
    assert normalise_nace_code(text) == code
