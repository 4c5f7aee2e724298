"""The generic member-list import: preview, column mapping, row-by-row validation, idempotency."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from alpsbio.directory.importers import member_list
from alpsbio.directory.models import ImportRun, Organisation

HEADER = "Nom;Ville;Pays;NUTS;Site web;Code NACE;Secteurs;Description (fr)\n"
# Real organisations (ROR / CORDIS), written the way a cluster manager's spreadsheet would.
ROWS = [
    "Université Grenoble Alpes;Saint-Martin-d'Hères;France;FRK24;www.univ-grenoble-alpes.fr;72.11;red-biotech;Université pluridisciplinaire\n",
    "ASSOCIATION EISBM;Vourles;FR;FRK26;;;;\n",
    "Università degli Studi di Milano;Milano;Italia;ITC4C;https://www.unimi.it;;;\n",
]
MAPPING = {
    "legal_name": "Nom", "city": "Ville", "country_code": "Pays", "nuts3": "NUTS",
    "website": "Site web", "nace_codes": "Code NACE", "sectors": "Secteurs",
    "description_fr": "Description (fr)",
}  # fmt: skip


@pytest.fixture
def member_file(tmp_path: Path) -> Path:
    path = tmp_path / "membres.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    return path


@pytest.fixture
def reference(taxonomy: Path) -> Path:
    from alpsbio.directory.importers.reference import ensure_reference_data

    ensure_reference_data()
    return taxonomy


def test_preview_guesses_mapping(member_file: Path) -> None:
    preview = member_list.preview_file(member_file)
    assert preview.headers[:3] == ["Nom", "Ville", "Pays"]
    assert preview.n_rows == 3
    assert preview.rows[1][0] == "ASSOCIATION EISBM"
    guess = preview.suggested_mapping
    assert guess["legal_name"] == "Nom"
    assert guess["city"] == "Ville"
    assert guess["country_code"] == "Pays"


def test_import_then_reimport_changes_nothing(reference: Path, member_file: Path) -> None:
    result = member_list.import_member_list(member_file, MAPPING)
    assert result.ok, result.errors
    assert result.stats == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    uga = Organisation.objects.get(legal_name="Université Grenoble Alpes")
    assert uga.nuts2 is not None
    assert uga.nuts2.code == "FRK2"
    assert uga.website == "https://www.univ-grenoble-alpes.fr"
    assert list(uga.nace_codes.values_list("code", flat=True)) == ["72.11"]
    assert list(uga.sectors.values_list("slug", flat=True)) == ["red-biotech"]
    assert uga.description == {"fr": "Université pluridisciplinaire"}
    assert "pluridisciplinaire" in uga.search_text
    again = member_list.import_member_list(member_file, MAPPING)
    assert again.stats == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert Organisation.objects.count() == 3


def test_existing_registry_record_is_updated_not_duplicated(
    ror_and_cordis: Path, member_file: Path
) -> None:
    from alpsbio.directory.importers.reference import ensure_reference_data

    ensure_reference_data()
    before = Organisation.objects.count()
    result = member_list.import_member_list(member_file, MAPPING)
    assert result.ok, result.errors
    # EISBM is matched by name + country to its CORDIS record; the two universities by name.
    assert result.stats["created"] <= 1
    assert Organisation.objects.count() == before + result.stats["created"]


def test_every_bad_row_reported_nothing_written(reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + ";Lyon;FR;FRK26;;;;\n"  # empty name
        + "Hospices Civils de Lyon;Lyon;FR;ZZ999;;;;\n"  # unknown region
        + "Inserm;Paris;Frankreich;;not a site;99.99;blue;\n"  # country, website, NACE, sector
        + "ASSOCIATION EISBM;Vourles;FR;;;;;\n"
        + "Association EISBM;Vourles;FR;;;;;\n",  # duplicate
        encoding="utf-8",
    )
    result = member_list.import_member_list(path, MAPPING)
    assert not result.ok
    where = {(e.line, e.column) for e in result.errors}
    assert (2, "Nom") in where
    assert (3, "NUTS") in where
    assert {(4, "Pays"), (4, "Site web"), (4, "Code NACE"), (4, "Secteurs")} <= where
    assert (6, "Nom") in where
    assert Organisation.objects.count() == 0
    assert ImportRun.objects.get(source="member_list").status == ImportRun.Status.REJECTED


def test_wrong_mapping_and_encoding_rejected(
    reference: Path, member_file: Path, tmp_path: Path
) -> None:
    result = member_list.import_member_list(
        member_file, {"legal_name": "Name", "country_code": "Pays"}
    )
    assert not result.ok
    assert "no column 'Name'" in result.errors[0].message
    result = member_list.import_member_list(member_file, {"legal_name": "Nom"})
    assert not result.ok
    assert any(e.column == "country_code" for e in result.errors)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + ROWS[0]).encode("latin-1"))
    result = member_list.import_member_list(latin, MAPPING)
    assert not result.ok
    assert "not UTF-8" in result.errors[0].message
    assert Organisation.objects.count() == 0


def test_xlsx_and_dry_run(reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Name", "City", "Country", "PIC"])
    ws.append(["BIOMERIEUX SA", "Marcy l'Etoile", "FR", "973654088"])
    wb.save(path)
    mapping = {"legal_name": "Name", "city": "City", "country_code": "Country", "pic": "PIC"}
    dry = member_list.import_member_list(path, mapping, dry_run=True)
    assert dry.ok
    assert dry.dry_run
    assert Organisation.objects.count() == 0
    result = member_list.import_member_list(path, mapping)
    assert result.ok
    assert Organisation.objects.get().pic == "973654088"


def test_contacts_in_the_list_are_invited_as_editors_once_the_import_commits(
    reference: Path, tmp_path: Path, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    from django.core import mail

    from alpsbio.accounts.models import AccessInvitation, RegionalManager, User
    from alpsbio.directory.models import Region

    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    manager = User.objects.create_user("mgr", "mgr@example.org", "pw-unused-123456")
    RegionalManager.objects.create(user=manager, region=Region.objects.get(code="FRK2"))
    path = tmp_path / "membres.csv"
    contacts = ["direction@uga.example", "", "ufficio@unimi.example"]
    path.write_text(
        HEADER.replace("\n", ";Courriel\n")
        + "".join(row.replace("\n", f";{c}\n") for row, c in zip(ROWS, contacts, strict=True)),
        encoding="utf-8",
    )
    assert member_list.preview_file(path).suggested_mapping["contact_email"] == "Courriel"
    mapping = {**MAPPING, "contact_email": "Courriel"}
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        result = member_list.import_member_list(path, mapping, actor=manager, language="fr")
    assert result.ok, result.errors
    assert result.stats["invited"] == 1
    inv = AccessInvitation.objects.get()
    assert (inv.email, inv.role, inv.organisation.legal_name) == (
        "direction@uga.example",
        "editor",
        "Université Grenoble Alpes",
    )
    assert [m.to for m in mail.outbox] == [["direction@uga.example"]]
    assert "Votre invitation" in mail.outbox[0].subject
    # Milan is not the FRK2 manager's to invite: a warning on its line, no invitation
    assert [(w.line, w.column) for w in result.warnings] == [(4, "Courriel")]

    # a second import of the same list invites nobody again
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        again = member_list.import_member_list(path, mapping, actor=manager, language="fr")
    assert again.stats["invited"] == 0
    assert again.stats["already_invited_or_active"] == 1
    assert len(mail.outbox) == 1


def test_a_bad_contact_address_rejects_the_whole_list(
    reference: Path, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    from django.core import mail

    path = tmp_path / "membres.csv"
    path.write_text(
        HEADER.replace("\n", ";Courriel\n") + ROWS[0].replace("\n", ";not-an-address\n"),
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        result = member_list.import_member_list(path, {**MAPPING, "contact_email": "Courriel"})
    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [(2, "Courriel")]
    assert "not an e-mail address" in result.errors[0].message
    assert not Organisation.objects.exists()
    assert mail.outbox == []


def test_the_command_line_imports_and_says_the_contacts_were_not_invited(
    reference: Path, tmp_path: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from alpsbio.accounts.models import AccessInvitation

    path = tmp_path / "membres.csv"
    path.write_text(
        HEADER.replace("\n", ";Courriel\n") + ROWS[0].replace("\n", ";direction@uga.example\n"),
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    call_command(
        "import_members",
        str(path),
        "--map", "legal_name=Nom", "--map", "country_code=Pays", "--map", "contact_email=Courriel",
        "--quiet",
        stdout=out,
        stderr=err,
    )  # fmt: skip
    assert Organisation.objects.filter(legal_name="Université Grenoble Alpes").exists()
    assert not AccessInvitation.objects.exists()
    assert "direction@uga.example not invited" in err.getvalue()
