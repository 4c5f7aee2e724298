"""Horizon 2020 projects and participations (CORDIS, Dec 2020, projects starting 2014-2018).

Participants are joined on PIC. A PIC we do not hold yet is created when we know its name
(``pic_names.csv.gz``), or, for the cluster's five countries, even without a name (shown as
"PIC 999999999" until a manager names it), so that the projects of every organisation of the
cluster's countries are complete. Unnamed participants elsewhere are skipped and counted.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count
from openpyxl.utils.escape import unescape

from alpsbio.directory.importers.base import (
    BATCH,
    ImportResult,
    Problems,
    RowError,
    batched,
    check_required,
    check_unique,
    progress_bar,
    read_csv,
    run_import,
)
from alpsbio.directory.importers.nuts import RegionIndex
from alpsbio.directory.importers.orgs import (
    CORDIS_TYPE_MAP,
    TARGET_COUNTRIES,
    OrgData,
    parse_date,
    upsert_organisations,
)
from alpsbio.directory.models import ImportRun, Organisation, Participation, Project
from alpsbio.directory.search_text import refresh_search_text

PARTICIPATIONS_FILE = "h2020_participations_2014_2018.csv.gz"
PROJECTS_FILE = "h2020_projects_2014_2018.csv.gz"
NAMES_FILE = "pic_names.csv.gz"
PARTICIPATION_COLUMNS = ("rcn", "pic", "role", "type", "country", "contribution")
PROJECT_COLUMNS = (
    "rcn", "start_date", "end_date", "n_participants", "max_contribution", "programme_parts",
    "project_nbr", "acronym", "title", "topic", "health_biotech",
)  # fmt: skip
NAME_COLUMNS = ("pic", "name", "country")
PIC = re.compile(r"^\d{9}$")
UNNAMED = "PIC {pic}"


def _clean_title(title: str) -> str:
    """The title on one line. 116 titles of the CORDIS file went through a spreadsheet and carry
    its escaped line breaks ("rapid manufacturing_x000D_technologies"); openpyxl undoes that."""
    return " ".join(unescape(title).split())


def default_path() -> Path:
    return Path(settings.ALPSBIO_DATA_DIR) / "cordis"


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _grant(text: str) -> str:
    # project_nbr arrives as a float ("632927.0") from the pandas join that made the file.
    return text.split(".")[0] if text else ""


def import_h2020(
    path: Path | str | None = None,
    quiet: bool = True,
    actor: Any = None,
    participations: Path | str | None = None,
    projects: Path | str | None = None,
    names: Path | str | None = None,
) -> ImportResult:
    """Import (or refresh) H2020 projects and participations; maintain Organisation.n_projects."""
    base = Path(path) if path else default_path()
    part_path = Path(participations) if participations else base / PARTICIPATIONS_FILE
    proj_path = Path(projects) if projects else base / PROJECTS_FILE
    names_path = Path(names) if names else base / NAMES_FILE

    def work(run: ImportRun) -> tuple[dict[str, Any], list[RowError]]:
        pp = Problems(str(proj_path))
        proj_rows = read_csv(proj_path, PROJECT_COLUMNS, pp)
        check_required(proj_rows, ("rcn",), pp)
        check_unique(proj_rows, lambda r: r["rcn"], "rcn", pp)
        for line, row in proj_rows:
            if not row["rcn"].isdigit():
                pp.error(line, "rcn", f"not a CORDIS record number: {row['rcn']!r}")
            for col in ("start_date", "end_date"):
                if row[col] and parse_date(row[col]) is None:
                    pp.error(line, col, f"not a date: {row[col]!r}")
            if row["max_contribution"] and _decimal(row["max_contribution"]) is None:
                pp.error(line, "max_contribution", "not a number")
        npb = Problems(str(names_path))
        name_rows = read_csv(names_path, NAME_COLUMNS, npb) if names_path.exists() else []
        check_required(name_rows, ("pic", "name"), npb)
        check_unique(name_rows, lambda r: r["pic"], "pic", npb)
        ptp = Problems(str(part_path))
        part_rows = read_csv(part_path, PARTICIPATION_COLUMNS, ptp)
        check_required(part_rows, ("rcn", "pic"), ptp)
        check_unique(part_rows, lambda r: (r["rcn"], r["pic"]), "pic", ptp)
        known_rcn = {r["rcn"] for _, r in proj_rows}
        for line, row in part_rows:
            if row["pic"] and not PIC.match(row["pic"]):
                ptp.error(line, "pic", f"a PIC has nine digits: {row['pic']!r}")
            if row["rcn"] and row["rcn"] not in known_rcn:
                ptp.error(line, "rcn", f"project {row['rcn']} is not in {proj_path.name}")
            if row["type"] and row["type"] not in CORDIS_TYPE_MAP:
                ptp.error(line, "type", f"unknown activity type {row['type']!r}")
            if row["contribution"] and _decimal(row["contribution"]) is None:
                ptp.error(line, "contribution", "not a number")
        errors = pp.errors + npb.errors + ptp.errors
        if errors:
            from alpsbio.directory.importers.base import ImportRejected

            raise ImportRejected(errors)

        # --- projects
        values: dict[str, dict[str, Any]] = {}
        for _, row in proj_rows:
            values[row["rcn"]] = {
                "grant_number": _grant(row["project_nbr"])[:20],
                "acronym": row["acronym"][:100],
                "title": _clean_title(row["title"])[:500],
                "topic": row["topic"][:100],
                "programme": row["programme_parts"].replace(";", ", ")[:200],
                "start_date": parse_date(row["start_date"]),
                "end_date": parse_date(row["end_date"]),
                "max_contribution": _decimal(row["max_contribution"]),
                "n_participants": int(float(row["n_participants"] or 0)),
                "health_biotech": row["health_biotech"] == "True",
            }
        bar = progress_bar(len(values) + len(part_rows), "H2020", quiet)
        existing = {p.rcn: p for p in Project.objects.filter(source=Project.Source.H2020)}
        new_projects, changed_projects = [], []
        fields = list(next(iter(values.values())).keys()) if values else []
        for rcn, vals in values.items():
            proj = existing.get(rcn)
            if proj is None:
                new_projects.append(Project(source=Project.Source.H2020, rcn=rcn, **vals))
                continue
            if any(getattr(proj, f) != v for f, v in vals.items()):
                for f, v in vals.items():
                    setattr(proj, f, v)
                changed_projects.append(proj)
        Project.objects.bulk_create(new_projects, batch_size=BATCH)
        Project.objects.bulk_update(changed_projects, fields, batch_size=BATCH)
        bar.update(len(values))
        project_ids = dict(
            Project.objects.filter(source=Project.Source.H2020).values_list("rcn", "id")
        )

        # --- organisations known only from this table
        names_by_pic = {r["pic"]: r for _, r in name_rows}
        pics = {r["pic"] for _, r in part_rows}
        known: set[str | None] = set()
        pic_list = sorted(pics)
        for i in range(0, len(pic_list), BATCH):
            known.update(
                Organisation.objects.filter(pic__in=pic_list[i : i + BATCH]).values_list(
                    "pic", flat=True
                )
            )
        first_row: dict[str, dict[str, str]] = {}
        for _, row in part_rows:
            first_row.setdefault(row["pic"], row)
        incoming: dict[str, OrgData] = {}
        skipped_pics: set[str] = set()
        # Sorted: a set's order changes from run to run, and the order of creation is the
        # primary keys' order, which the demo seed keeps (it is rebuilt byte for byte).
        for pic in sorted(pics - known):
            row = first_row[pic]
            named = names_by_pic.get(pic)
            country = row["country"]
            if named is None and country not in TARGET_COUNTRIES:
                skipped_pics.add(pic)
                continue
            incoming[pic] = OrgData(
                legal_name=(named["name"] if named else UNNAMED.format(pic=pic))[:300],
                country_code=country,
                org_type=CORDIS_TYPE_MAP.get(row["type"], ""),
            )
        regions = RegionIndex()
        region_codes = {v: k for k, v in regions.ids.items()}
        # Unnamed PICs cannot be resolved against anything; named ones can (e.g. a ROR record).
        named_in = {k: v for k, v in incoming.items() if k in names_by_pic}
        unnamed_in = {k: v for k, v in incoming.items() if k not in names_by_pic}
        up = upsert_organisations("h2020", "pic", named_in, run, region_codes)
        up2 = upsert_organisations("h2020", "pic", unnamed_in, run, region_codes, resolve_new=False)
        org_ids: dict[str | None, int] = {}
        for i in range(0, len(pic_list), BATCH):
            org_ids.update(
                Organisation.objects.filter(pic__in=pic_list[i : i + BATCH]).values_list(
                    "pic", "id"
                )
            )

        # --- participations
        have = {
            (p.project_id, p.organisation_id): p
            for p in Participation.objects.filter(project__source=Project.Source.H2020)
        }
        new_parts, changed_parts = [], []
        skipped_rows = 0
        for _, row in part_rows:
            org_id = org_ids.get(row["pic"])
            if org_id is None:
                skipped_rows += 1
                continue
            project_id = project_ids[row["rcn"]]
            vals = {
                "role": row["role"][:20],
                "activity_type": row["type"][:3],
                "contribution": _decimal(row["contribution"]),
            }
            part = have.get((project_id, org_id))
            if part is None:
                new_parts.append(
                    Participation(project_id=project_id, organisation_id=org_id, **vals)
                )
            elif any(getattr(part, f) != v for f, v in vals.items()):
                for f, v in vals.items():
                    setattr(part, f, v)
                changed_parts.append(part)
        for batch in batched(new_parts):
            Participation.objects.bulk_create(batch)
            bar.update(len(batch))
        Participation.objects.bulk_update(
            changed_parts, ["role", "activity_type", "contribution"], batch_size=BATCH
        )
        bar.close()

        n_changed = update_project_counts()
        refresh_search_text(up.touched + up2.touched)
        stats = {
            "projects": len(values),
            "projects_created": len(new_projects),
            "projects_updated": len(changed_projects),
            "participations": len(part_rows),
            "participations_created": len(new_parts),
            "participations_updated": len(changed_parts),
            "participations_skipped_unknown_pic": skipped_rows,
            "pics_skipped_unnamed_outside_cluster_countries": len(skipped_pics),
            "organisations_created_named": up.created,
            "organisations_created_unnamed": up2.created,
            "organisations_merged": up.merged,
            "organisations_n_projects_changed": n_changed,
            "resolution": up.resolution.summary(),
        }
        return stats, pp.warnings + npb.warnings + ptp.warnings

    return run_import("h2020", base, work, actor)


def update_project_counts() -> int:
    """Recompute ``Organisation.n_projects`` for every organisation; returns rows changed."""
    counts = dict(
        Participation.objects.values_list("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    dirty = []
    for org in Organisation.objects.only("id", "n_projects").iterator(chunk_size=5000):
        n = counts.get(org.pk, 0)
        if org.n_projects != n:
            org.n_projects = n
            dirty.append(org)
    Organisation.objects.bulk_update(dirty, ["n_projects"], batch_size=BATCH)
    return len(dirty)
