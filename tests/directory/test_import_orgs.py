"""ROR, CORDIS and H2020 importers on real excerpts; entity resolution; malformed files."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from alpsbio.directory.importers.base import ImportRejected, undo_mojibake
from alpsbio.directory.importers.cordis import import_cordis_orgs
from alpsbio.directory.importers.h2020 import import_h2020
from alpsbio.directory.importers.resolution import Record, resolve
from alpsbio.directory.importers.ror import import_ror
from alpsbio.directory.models import (
    ImportRun,
    MergeRecord,
    Organisation,
    OrganisationType,
    Participation,
    Project,
)


def _ror(path: Path) -> Path:
    return path / "ror" / "ror_subset_FR_IT_CH_AT_DE.csv"


def test_ror_import_types_names_status(taxonomy: Path) -> None:
    result = import_ror(_ror(taxonomy))
    assert result.stats["withdrawn_skipped"] == 1
    assert Organisation.objects.count() == 7
    uga = Organisation.objects.get(ror_id="02rx3b187")
    assert uga.org_type == OrganisationType.UNIVERSITY
    assert uga.names["fr"] == "Université Grenoble Alpes"
    assert uga.nuts3 is not None
    assert uga.nuts3.code == "FRK24"
    assert uga.nuts2 is not None
    assert uga.nuts2.code == "FRK2"
    assert Organisation.objects.get(ror_id="01502ca60").org_type == OrganisationType.HOSPITAL
    assert Organisation.objects.get(ror_id="03hf69k85").org_type == OrganisationType.LARGE_COMPANY
    assert Organisation.objects.get(ror_id="05v727m31").is_active is False
    # Search text: names in every language, acronyms, city, unaccented copies.
    assert "grenoble alpes university" in uga.search_text
    assert "universite grenoble alpes" in uga.search_text
    again = import_ror(_ror(taxonomy))
    assert again.stats["created"] == 0
    assert again.stats["updated"] == 0
    assert Organisation.objects.count() == 7


def test_ror_and_cordis_records_are_merged(ror_and_cordis: Path) -> None:
    uga = Organisation.objects.get(ror_id="02rx3b187")
    assert uga.pic == "924833212"  # both identifiers kept on one record
    assert Organisation.objects.get(ror_id="03hf69k85").pic == "973654088"  # BIOMERIEUX SA
    assert Organisation.objects.get(ror_id="00wjc7c48").pic == "999995796"  # UniMi, not Bicocca
    assert Organisation.objects.get(ror_id="01ynf4891").pic == "999923531"  # Bicocca
    assert Organisation.objects.get(ror_id="01502ca60").pic == "999469765"  # HCL
    # ASSOCIATION EISBM exists only in CORDIS.
    eisbm = Organisation.objects.get(pic="911618223")
    assert eisbm.ror_id is None
    assert eisbm.nuts3 is not None
    assert eisbm.nuts3.code == "FRK26"
    assert uga.legal_name == "Université Grenoble Alpes"  # ROR outranks CORDIS
    assert {s["source"] for s in uga.sources} == {"ror", "cordis"}
    assert "ujf" in uga.search_text.lower()
    run = ImportRun.objects.filter(source="cordis_orgs").get()
    summary = run.stats["resolution"]
    assert summary["merged"] == MergeRecord.objects.count() == 5
    assert summary["merge_examples"][0]["score"] >= 90
    count = Organisation.objects.count()
    again = import_cordis_orgs(ror_and_cordis / "cordis" / "cordis_orgs_merged_by_pic.csv")
    assert again.stats["created"] == 0
    assert again.stats["merged"] == 0
    assert Organisation.objects.count() == count
    assert MergeRecord.objects.count() == 5


def test_near_miss_is_reported_not_merged() -> None:
    # Real pair from the full ROR x CORDIS run: similar names, different organisations.
    incoming = [Record("999", "IT", ["TELECOM ITALIA SPA"], city="MILANO", nuts3="ITC4C")]
    pool = [Record("r1", "IT", ["Telecom Italia Lab"], city="Turin", nuts3="ITC11")]
    res = resolve(incoming, pool)
    assert res.merges == []
    assert len(res.near_misses) == 1
    assert res.near_misses[0].pool_key == "r1"
    # And an exact legal-form variant in the same place is merged.
    res = resolve(
        [Record("9", "FR", ["BIOMERIEUX SA"], ["bMx"], "Marcy l'Etoile", "FRK26")],
        [Record("r", "FR", ["bioMérieux (France)"], ["BIM"], "Lyon", "FRK26")],
    )
    assert [m.pool_key for m in res.merges] == ["r"]


def _rewrite_csv(path: Path, edit: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if edit == "unknown_region":
        rows[1][rows[0].index("nuts3_2021")] = "ZZ999"
    elif edit == "duplicate":
        rows.append(list(rows[1]))
    elif edit == "empty_name":
        rows[2][rows[0].index("name")] = ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("unknown_region", "unknown region code 'ZZ999'"),
        ("duplicate", "duplicate identifier"),
        ("empty_name", "required value is empty"),
    ],
)
def test_ror_malformed_rejected_nothing_written(taxonomy: Path, edit: str, message: str) -> None:
    path = _ror(taxonomy)
    _rewrite_csv(path, edit)
    with pytest.raises(ImportRejected) as exc:
        import_ror(path)
    assert any(message in e.message for e in exc.value.errors)
    assert all(e.line for e in exc.value.errors)
    assert Organisation.objects.count() == 0
    assert ImportRun.objects.get(source="ror").status == ImportRun.Status.REJECTED


def test_cordis_bad_encoding_and_columns_rejected(taxonomy: Path) -> None:
    path = taxonomy / "cordis" / "cordis_orgs_merged_by_pic.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("Cèdres", "C\xe8dres").encode("latin-1"))
    with pytest.raises(ImportRejected, match="not UTF-8"):
        import_cordis_orgs(path)
    path.write_text(text.replace("pic,name", "PIC,legalName", 1), encoding="utf-8")
    with pytest.raises(ImportRejected, match="missing column"):
        import_cordis_orgs(path)
    assert Organisation.objects.count() == 0


# Two real rows of the CORDIS extract, as it carries them: UTF-8 once read as Windows-1252
# ("FÃœR") and as Mac Roman ("Sch√∂neck"). BENTRONIC's NUTS code (DE21J) is left out because
# the test regions hold no Bavarian region.
GARBLED_ROWS = (
    "953503987,BENTRONIC GESELLSCHAFT FÃœR MEDIZINTECHNIK GMBH,,DE,WOLNZACH,HAGERTSHAUSEN 7,"
    "85283,,,,,True,False\n"
    "918734628,GK Software AG,GK Software,DE,Sch√∂neck,Waldstra√üe 7,,,PRC,1,135000,False,True\n"
)


def test_cordis_garbled_accents_are_repaired_and_reported(taxonomy: Path) -> None:
    path = taxonomy / "cordis" / "cordis_orgs_merged_by_pic.csv"
    path.write_text(path.read_text(encoding="utf-8") + GARBLED_ROWS, encoding="utf-8")
    result = import_cordis_orgs(path)
    assert result.ok
    bentronic = Organisation.objects.get(pic="953503987")
    assert bentronic.legal_name == "BENTRONIC GESELLSCHAFT FÜR MEDIZINTECHNIK GMBH"
    assert "medizintechnik" in bentronic.search_text.lower()
    gk = Organisation.objects.get(pic="918734628")
    assert (gk.city, gk.address) == ("Schöneck", "Waldstraße 7")
    # Correct accents in the same file are left alone.
    assert Organisation.objects.get(pic="911618223").address == "Parc des Cèdres"
    assert result.stats["repaired_encoding"] == 3
    repairs = [r for r in result.report if "garbled accents" in r["message"]]
    assert [(r["column"], r["severity"]) for r in repairs] == [
        ("name", "warning"),
        ("city", "warning"),
        ("street", "warning"),
    ]
    assert "FÃœR" in repairs[0]["message"]
    assert "FÜR" in repairs[0]["message"]


@pytest.mark.parametrize(
    ("garbled", "meant"),
    [
        ("UNIVERSITÃ‰ DE LYON", "UNIVERSITÉ DE LYON"),
        ("Jyv√§skyl√§", "Jyväskylä"),
        ("Carretera; Col. HÃƒÂ©roes de Padierna", "Carretera; Col. Héroes de Padierna"),
        ("GUIMARÃES", "GUIMARÃES"),
        ("Mäster Samuelsgatan 56", "Mäster Samuelsgatan 56"),
        ("ΕΘΝΙΚΟ ΚΕΝΤΡΟ", "ΕΘΝΙΚΟ ΚΕΝΤΡΟ"),
        ("plain ASCII", "plain ASCII"),
    ],
)
def test_undo_mojibake_repairs_only_what_was_garbled(garbled: str, meant: str) -> None:
    assert undo_mojibake(garbled) == meant


def test_h2020_projects_and_participations(ror_and_cordis: Path) -> None:
    last_pk = Organisation.objects.order_by("pk").values_list("pk", flat=True).last()
    result = import_h2020(ror_and_cordis / "cordis")
    assert Project.objects.count() == 3
    unimi = Organisation.objects.get(pic="999995796")
    assert unimi.n_projects == 2
    assert unimi.participations.filter(project__health_biotech=True).count() == 2
    parts = Participation.objects.count()
    assert parts == result.stats["participations_created"] > 0
    # Participants known only from this table were created (named ones with their names).
    assert (
        result.stats["organisations_created_named"] + result.stats["organisations_created_unnamed"]
        > 0
    )
    # Created in PIC order, whatever the run's hash seed, so the demo seed rebuilds byte for byte
    # (named ones first, then those known by their PIC only).
    created = [
        (pic or "", name)
        for pic, name in Organisation.objects.filter(pk__gt=last_pk)
        .order_by("pk")
        .values_list("pic", "legal_name")
    ]
    named = [pic for pic, name in created if name != f"PIC {pic}"]
    unnamed = [pic for pic, name in created if name == f"PIC {pic}"]
    assert len(named) > 1
    assert len(unnamed) > 1
    assert [*named, *unnamed] == [*sorted(named), *sorted(unnamed)] == [p for p, _ in created]
    again = import_h2020(ror_and_cordis / "cordis")
    assert again.stats["projects_created"] == 0
    assert again.stats["participations_created"] == 0
    assert Participation.objects.count() == parts


def test_h2020_titles_lose_the_spreadsheet_escapes(ror_and_cordis: Path) -> None:
    # As 116 real titles carry them ("rapid manufacturing_x000D_technologies").
    path = ror_and_cordis / "cordis" / "h2020_projects_2014_2018.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    text = text.replace(
        "European Consortium for Communicating", "European_x000D_Consortium for\u00a0 Communicating"
    )
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    import_h2020(ror_and_cordis / "cordis")
    project = Project.objects.get(acronym="EuroStemCell")
    assert project.title == "European Consortium for Communicating Stem Cell Research"


def test_h2020_unknown_project_rejected(ror_and_cordis: Path) -> None:
    path = ror_and_cordis / "cordis" / "h2020_participations_2014_2018.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    first = text.splitlines()[1].split(",", 1)
    text += f"999999999,{first[1]}\n"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    with pytest.raises(ImportRejected, match="not in"):
        import_h2020(ror_and_cordis / "cordis")
    assert Project.objects.count() == 0
    assert Participation.objects.count() == 0
