"""A cluster manager's own member list (CSV or XLSX) with a column-mapping step.

Three steps, usable from the command line and from the back office (views call these):
1. ``stage_upload`` / ``preview_file``: headers, the first rows, a guessed mapping;
2. the manager maps our fields to their columns ({our field: their column});
3. ``import_staged`` / ``import_member_list``: every row validated (errors per row), then, only
   if all rows are valid, imported in one transaction (``dry_run`` validates only).

Rows are matched to existing organisations by ROR ID, PIC or VAT when mapped, else by
normalised legal name + country; matched rows update (the manager's list wins over registries),
others are created. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from alpsbio.accounts.invitations import normalise_email
from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.directory.importers.base import (
    ImportRejected,
    Problems,
    RowError,
    run_import,
)
from alpsbio.directory.importers.nace import normalise_nace_code
from alpsbio.directory.importers.normalise import normalise_name
from alpsbio.directory.importers.nuts import RegionIndex
from alpsbio.directory.importers.orgs import OrgData, apply_data, new_org
from alpsbio.directory.models import (
    ImportRun,
    NaceCode,
    Organisation,
    OrganisationType,
    Sector,
    SizeClass,
)
from alpsbio.directory.search_text import refresh_search_text

TARGET_FIELDS: tuple[str, ...] = (
    "legal_name", "short_name", "org_type", "size_class", "address", "postcode", "city",
    "country_code", "nuts3", "website", "ror_id", "pic", "vat", "acronyms", "established",
    "latitude", "longitude", "nace_codes", "sectors", "contact_email",
    *(f"name_{lang}" for lang in LANGUAGE_CODES),
    *(f"description_{lang}" for lang in LANGUAGE_CODES),
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = ("legal_name", "country_code")
PREVIEW_ROWS = 10
SOURCE = "member_list"

# Header words that suggest a field, in the four languages (for ``guess_mapping``).
HINTS: dict[str, tuple[str, ...]] = {
    "legal_name": ("legal name", "name", "nom", "raison sociale", "ragione sociale", "denominazione", "firma", "organisation", "organization"),
    "short_name": ("short name", "nom court", "kurzname", "sigla"),
    "org_type": ("type", "typ", "tipo"),
    "size_class": ("size", "taille", "grösse", "groesse", "dimensione"),
    "address": ("address", "adresse", "indirizzo", "street", "rue", "strasse", "via"),
    "postcode": ("postcode", "zip", "code postal", "cap", "plz", "postal code"),
    "city": ("city", "town", "ville", "città", "citta", "ort", "stadt", "comune"),
    "country_code": ("country", "pays", "paese", "land", "nazione"),
    "nuts3": ("nuts3", "nuts-3", "nuts"),
    "website": ("website", "web", "site", "url", "sito"),
    "ror_id": ("ror", "ror id"),
    "pic": ("pic",),
    "vat": ("vat", "tva", "iva", "ust", "mwst", "uid"),
    "acronyms": ("acronym", "acronyme", "acronimo", "akronym"),
    "established": ("established", "founded", "création", "fondazione", "gründung"),
    "latitude": ("lat", "latitude"),
    "longitude": ("lng", "lon", "longitude"),
    "nace_codes": ("nace", "noga", "ateco", "naf"),
    "sectors": ("sector", "sectors", "secteur", "settore", "branche"),
    "contact_email": ("e-mail", "email", "mail", "courriel", "contact e-mail", "contact email"),
}  # fmt: skip
COUNTRY_NAMES = {
    "france": "FR", "italy": "IT", "italia": "IT", "italie": "IT", "switzerland": "CH",
    "suisse": "CH", "schweiz": "CH", "svizzera": "CH", "austria": "AT", "autriche": "AT",
    "österreich": "AT", "germany": "DE", "allemagne": "DE", "deutschland": "DE", "germania": "DE",
}  # fmt: skip
TYPE_WORDS = {t.value: t.value for t in OrganisationType} | {
    str(t.label).lower(): t.value for t in OrganisationType
}


@dataclass
class Preview:
    file_name: str
    headers: list[str]
    rows: list[list[str]]
    n_rows: int
    suggested_mapping: dict[str, str] = field(default_factory=dict)


@dataclass
class MemberImportResult:
    ok: bool
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None

    @property
    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.stats.items())


# --- Reading ----------------------------------------------------------------------------------


def read_table(path: Path, problems: Problems) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headers and (line, cells) of a CSV (UTF-8, , or ;) or XLSX (first sheet)."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            problems.error(None, None, f"not a readable XLSX file: {exc}")
            return [], []
        try:
            sheet = wb.worksheets[0]
            table = [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
        finally:
            wb.close()
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.error(
                line, None, f"not UTF-8 text (byte {raw[exc.start]:#04x}); save as UTF-8"
            )
            return [], []
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        try:
            table = [
                [c.strip() for c in row]
                for row in csv.reader(io.StringIO(text), delimiter=delimiter)
            ]
        except csv.Error as exc:
            problems.error(None, None, f"malformed CSV: {exc}")
            return [], []
    if not table or not any(table[0]):
        problems.error(1, None, "the file is empty")
        return [], []
    headers = table[0]
    while headers and not headers[-1]:
        headers = headers[:-1]
    body = [(i + 2, row) for i, row in enumerate(table[1:]) if any(c for c in row)]
    return headers, body


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{our field: their column} from header words; a manager checks and corrects it."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    lowered = [(h, h.strip().lower()) for h in headers]
    for target in TARGET_FIELDS:
        hints = HINTS.get(target, ())
        if target.startswith(("name_", "description_")):
            base, lang = target.split("_")
            hints = (target, f"{base} {lang}", f"{base} ({lang})")
        for header, low in lowered:
            if header in used:
                continue
            if low == target or low in hints:
                mapping[target] = header
                used.add(header)
                break
    return mapping


def preview_file(path: Path | str) -> Preview:
    file_path = Path(path)
    problems = Problems(file_path.name)
    headers, body = read_table(file_path, problems)
    if problems.n_errors:
        raise ValidationError([str(e) for e in problems.errors])
    return Preview(
        file_path.name,
        headers,
        [row[: len(headers)] for _, row in body[:PREVIEW_ROWS]],
        len(body),
        guess_mapping(headers),
    )


# --- Validating -------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    data: OrgData
    ror_id: str | None
    pic: str | None
    nace: list[str]
    sectors: list[str]
    contact_email: str = ""  # invited as the organisation's editor once the import commits


def _validate(path: Path, mapping: dict[str, str], problems: Problems) -> list[_Row]:
    unknown_targets = [t for t in mapping if t not in TARGET_FIELDS]
    for t in unknown_targets:
        problems.error(None, None, f"unknown field {t!r} in the mapping")
    for t in REQUIRED_FIELDS:
        if not mapping.get(t):
            problems.error(None, t, "this field is required: map a column to it")
    headers, body = read_table(path, problems)
    for target, column in mapping.items():
        if column and column not in headers:
            problems.error(1, column, f"no column {column!r} in the file (for {target})")
    if problems.n_errors:
        return []
    index = {t: headers.index(c) for t, c in mapping.items() if c}
    regions = RegionIndex()
    nace_codes = set(NaceCode.objects.values_list("code", flat=True))
    sector_slugs = set(Sector.objects.values_list("slug", flat=True))
    url_ok = URLValidator()
    out: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in body:

        def get(target: str, cells: list[str] = cells) -> str:
            i = index.get(target)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        def bad(col: str, msg: str, line: int = line) -> None:
            problems.error(line, mapping.get(col, col), msg)

        n0 = problems.n_errors
        for t in REQUIRED_FIELDS:
            if not get(t):
                bad(t, "required value is empty")
        country = get("country_code")
        country = COUNTRY_NAMES.get(country.lower(), country.upper())
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            bad(
                "country_code",
                f"not a country: {get('country_code')!r} (use FR, IT, CH, AT, DE...)",
            )
        org_type = get("org_type")
        if org_type:
            org_type = TYPE_WORDS.get(org_type.lower(), "")
            if not org_type:
                bad(
                    "org_type",
                    f"unknown type {get('org_type')!r}; one of {', '.join(OrganisationType.values)}",
                )
        size = get("size_class").lower()
        if size and size not in SizeClass.values:
            bad("size_class", f"unknown size {size!r}; one of micro, small, medium, large")
        nuts3_id = nuts2_id = None
        nuts3_code = ""
        if get("nuts3"):
            n3, n2, note = regions.resolve(get("nuts3"))
            if note == "unknown" or n3 is None:
                bad("nuts3", f"unknown region code {get('nuts3')!r}")
            else:
                nuts3_code, nuts3_id, nuts2_id = n3, regions.ids[n3], regions.ids.get(n2 or "")
                if country and n3[:2] != country and not (country == "GR" and n3[:2] == "EL"):
                    bad("nuts3", f"region {n3} is not in {country}")
        website = get("website")
        if website:
            if not website.startswith(("http://", "https://")):
                website = "https://" + website
            try:
                url_ok(website)
            except ValidationError:
                bad("website", f"not a web address: {get('website')!r}")
        ror_id = get("ror_id").removeprefix("https://ror.org/") or None
        if ror_id and not re.fullmatch(r"0[a-z0-9]{6}\d{2}", ror_id):
            bad("ror_id", f"not a ROR ID: {ror_id!r}")
        pic = get("pic") or None
        if pic and not re.fullmatch(r"\d{9}", pic):
            bad("pic", f"a PIC has nine digits: {pic!r}")
        coords: list[float | None] = []
        for t in ("latitude", "longitude"):
            v = get(t).replace(",", ".")
            try:
                coords.append(float(v) if v else None)
            except ValueError:
                bad(t, f"not a number: {get(t)!r}")
                coords.append(None)
        est = get("established")
        if est and not (est.isdigit() and 1000 < int(est) < 2100):
            bad("established", f"not a year: {est!r}")
        nace = []
        for raw in re.split(r"[;,|]", get("nace_codes")):
            if raw.strip():
                code = normalise_nace_code(raw)
                if code is None or code not in nace_codes:
                    bad("nace_codes", f"unknown NACE code {raw.strip()!r}")
                else:
                    nace.append(code)
        sectors = [s.strip() for s in re.split(r"[;,|]", get("sectors")) if s.strip()]
        for s in sectors:
            if s not in sector_slugs:
                bad("sectors", f"unknown sector {s!r}; one of {', '.join(sorted(sector_slugs))}")
        contact = normalise_email(get("contact_email"))
        if contact:
            try:
                validate_email(contact)
            except ValidationError:
                bad("contact_email", f"not an e-mail address: {get('contact_email')!r}")
        for key, col in ((ror_id, "ror_id"), (pic, "pic"), (get("vat") or None, "vat")):
            if key:
                if (col, key) in seen:
                    bad(col, f"duplicate identifier {key!r} (first on line {seen[(col, key)]})")
                seen.setdefault((col, key), line)
        name_key = (normalise_name(get("legal_name")), country)
        if get("legal_name") and not (ror_id or pic or get("vat")):
            if ("name", str(name_key)) in seen:
                bad(
                    "legal_name",
                    f"duplicate organisation (first on line {seen[('name', str(name_key))]})",
                )
            seen.setdefault(("name", str(name_key)), line)
        if problems.n_errors > n0:
            continue
        data = OrgData(
            legal_name=get("legal_name")[:300],
            country_code=country,
            short_name=get("short_name")[:100],
            names={
                lang: get(f"name_{lang}")[:300] for lang in LANGUAGE_CODES if get(f"name_{lang}")
            },
            description={
                lang: get(f"description_{lang}")
                for lang in LANGUAGE_CODES
                if get(f"description_{lang}")
            },
            org_type=org_type,
            address=get("address")[:300],
            postcode=get("postcode")[:20],
            city=get("city")[:120],
            nuts3_id=nuts3_id,
            nuts2_id=nuts2_id,
            nuts3_code=nuts3_code,
            latitude=coords[0],
            longitude=coords[1],
            website=website[:300],
            vat=get("vat")[:30],
            size_class=size,
            acronyms=get("acronyms")[:200],
            established=int(est) if est else None,
        )
        out.append(_Row(line, data, ror_id, pic, nace, sectors, contact))
    return out


def _match(rows: list[_Row]) -> dict[int, Organisation]:
    """Existing organisation per row (by line): ROR ID, PIC, VAT, then name + country."""
    found: dict[int, Organisation] = {}
    by_ror = Organisation.objects.in_bulk([r.ror_id for r in rows if r.ror_id], field_name="ror_id")
    by_pic = Organisation.objects.in_bulk([r.pic for r in rows if r.pic], field_name="pic")
    vats = [r.data.vat for r in rows if r.data.vat]
    by_vat = {o.vat: o for o in Organisation.objects.filter(vat__in=vats)} if vats else {}
    countries = {r.data.country_code for r in rows}
    names: dict[tuple[str, str], Organisation] = {}
    for known in Organisation.objects.filter(country_code__in=countries).only(
        "id", "legal_name", "country_code"
    ):
        names.setdefault((normalise_name(known.legal_name), known.country_code), known)
    for r in rows:
        org: Organisation | None = (
            (by_ror.get(r.ror_id) if r.ror_id else None)
            or (by_pic.get(r.pic) if r.pic else None)
            or (by_vat.get(r.data.vat) if r.data.vat else None)
            or names.get((normalise_name(r.data.legal_name), r.data.country_code))
        )
        if org is not None:
            found[r.line] = org
    return found


# --- Importing ------------------------------------------------------------------------------


def import_member_list(
    path: Path | str,
    mapping: dict[str, str],
    actor: Any = None,
    dry_run: bool = False,
    language: str = "en",
) -> MemberImportResult:
    """Validate every row; if all are valid (and not ``dry_run``), import them atomically.

    A row's contact e-mail is invited as the organisation's editor (e-mail in ``language``),
    sent only if the whole import commits."""
    file_path = Path(path)
    if dry_run:
        problems = Problems(file_path.name)
        rows = _validate(file_path, mapping, problems)
        return MemberImportResult(
            not problems.n_errors,
            True,
            problems.errors,
            problems.warnings,
            {"valid_rows": len(rows)},
        )

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        problems = Problems(file_path.name)
        rows = _validate(file_path, mapping, problems)
        problems.raise_if_errors()
        matched = _match(rows)
        created = updated = unchanged = 0
        touched: list[Organisation] = []
        contacts: list[tuple[int, Organisation, str]] = []
        full = Organisation.objects.in_bulk([o.pk for o in matched.values()])
        nace_ids = dict(NaceCode.objects.values_list("code", "id"))
        sector_ids = dict(Sector.objects.values_list("slug", "id"))
        for r in rows:
            existing = matched.get(r.line)
            source_id = r.ror_id or r.pic or r.data.vat or f"{file_path.name}:{r.line}"
            if existing is not None:
                org = full[existing.pk]
                if r.ror_id and not org.ror_id:
                    org.ror_id = r.ror_id
                if r.pic and not org.pic:
                    org.pic = r.pic
                # The source id of a manager's list is the organisation's own id, so a re-import
                # does not pile up source entries.
                if apply_data(org, r.data, SOURCE, str(org.pk)):
                    org.full_clean(exclude=["search_text", "validated_by"])
                    org.save()
                    updated += 1
                else:
                    unchanged += 1
            else:
                org = new_org(r.data, SOURCE, source_id)
                org.ror_id, org.pic = r.ror_id, r.pic
                org.full_clean(exclude=["search_text", "validated_by"])
                org.save()
                org.sources = [{"source": SOURCE, "id": str(org.pk)}]
                org.save(update_fields=["sources"])
                created += 1
            if r.nace:
                org.nace_codes.add(*[nace_ids[c] for c in r.nace])
            if r.sectors:
                org.sectors.add(*[sector_ids[s] for s in r.sectors])
            touched.append(org)
            if r.contact_email:
                contacts.append((r.line, org, r.contact_email))
        refresh_search_text([o.pk for o in touched])
        stats = {"rows": len(rows), "created": created, "updated": updated, "unchanged": unchanged}
        if contacts:
            column = mapping.get("contact_email", "contact_email")
            stats.update(_invite_contacts(contacts, actor, language, problems, column))
        return stats, problems.warnings

    try:
        res = run_import(SOURCE, file_path, work, actor)
    except ImportRejected as exc:
        return MemberImportResult(False, False, exc.errors, [], {}, exc.run.pk if exc.run else None)
    except ValidationError as exc:
        err = RowError(file_path.name, None, None, "; ".join(exc.messages))
        return MemberImportResult(False, False, [err], [], {})
    warnings = [RowError(**note) for note in res.report]
    return MemberImportResult(True, False, [], warnings, res.stats, res.run_id)


def _invite_contacts(
    contacts: list[tuple[int, Organisation, str]],
    actor: Any,
    language: str,
    problems: Problems,
    column: str,
) -> dict[str, int]:
    """Invite each row's contact as editor, unless they already act for it or are invited;
    organisations the importer does not manage get a warning, not an invitation."""
    from alpsbio.accounts import invitations
    from alpsbio.accounts.models import AccessInvitation, OrganisationRole

    invited = already = 0
    for line, org, email in contacts:
        if (
            OrganisationRole.objects.filter(organisation=org, user__email__iexact=email).exists()
            or AccessInvitation.objects.filter(
                organisation=org, email=email, accepted_at__isnull=True
            ).exists()
        ):
            already += 1
        elif invitations.can_manage_access(actor, org):
            invitations.invite(org, email, "editor", actor, language)
            invited += 1
        else:
            problems.warning(
                line,
                column,
                f"{email} not invited: only the organisation's cluster managers invite its people",
            )
    return {"invited": invited, "already_invited_or_active": already}


# --- Staging uploads for the three-step web flow ----------------------------------------------


def _stage_dir() -> Path:
    d = Path(settings.MEDIA_ROOT) / "imports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _staged_path(token: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise FileNotFoundError(token)
    for ext in (".csv", ".xlsx"):
        p = _stage_dir() / f"{token}{ext}"
        if p.exists():
            return p
    raise FileNotFoundError(token)


def stage_upload(upload: Any, actor: Any = None) -> str:
    """Keep an uploaded file for the mapping step; returns an opaque token."""
    name = str(getattr(upload, "name", "upload.csv")).lower()
    ext = ".xlsx" if name.endswith(".xlsx") else ".csv"
    token = secrets.token_urlsafe(24)
    path = _stage_dir() / f"{token}{ext}"
    with open(path, "wb") as fh:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            fh.write(chunk)
    try:
        preview_file(path)
    except ValidationError:
        path.unlink(missing_ok=True)
        raise
    return token


def staged_preview(token: str, actor: Any = None) -> Preview:
    return preview_file(_staged_path(token))


def import_staged(
    token: str,
    mapping: dict[str, str],
    actor: Any = None,
    dry_run: bool = False,
    language: str = "en",
) -> MemberImportResult:
    path = _staged_path(token)
    result = import_member_list(path, mapping, actor=actor, dry_run=dry_run, language=language)
    if result.ok and not dry_run:
        path.unlink(missing_ok=True)
    return result
