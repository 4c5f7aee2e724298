"""The demo seed: a compact, committed extract of the real data, and its loader.

``build_demo_seed`` reads a database that holds the full import (``alpsbio import_all``) and writes
``seed/demo.json.gz``: all NUTS regions (geometries only where maps need them), the aliases, the
NACE taxonomy, sectors and networks, the organisations of the member regions with their H2020
projects and their (named) partners anywhere, derived sectors and memberships.
``load_demo`` loads it into an empty database in a few seconds.
"""

from __future__ import annotations

import gzip
import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from alpsbio.directory.importers.base import BATCH, batched, quiet_queries, upsert
from alpsbio.directory.importers.h2020 import UNNAMED
from alpsbio.directory.importers.nuts import MEMBER_PREFIXES
from alpsbio.directory.importers.reference import ensure_reference_data
from alpsbio.directory.models import (
    NaceCode,
    Network,
    NetworkMembership,
    Organisation,
    Participation,
    Project,
    Region,
    RegionCodeAlias,
    Sector,
)
from alpsbio.directory.search_text import build_search_text

FORMAT = 1
GEOMETRY_COUNTRIES = frozenset({"FR", "IT", "CH", "AT", "DE"})
ATTRIBUTION = [
    "© EuroGeographics for the administrative boundaries",
    "Source: Eurostat",
    "Source: CORDIS, European Commission (CC BY 4.0)",
    "ROR (Research Organization Registry), CC0",
    "NOGA 2008 © Swiss Federal Statistical Office (FSO)",
]
ORG_FIELDS = (
    "legal_name", "short_name", "names", "org_type", "description", "address", "postcode", "city",
    "country_code", "latitude", "longitude", "website", "ror_id", "pic", "vat", "size_class",
    "acronyms", "established", "is_active", "sources",
)  # fmt: skip
PROJECT_FIELDS = (
    "rcn", "grant_number", "acronym", "title", "topic", "programme", "start_date", "end_date",
    "max_contribution", "n_participants", "health_biotech",
)  # fmt: skip


def default_path() -> Path:
    return Path(settings.ALPSBIO_SEED_PATH)


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def build_demo_seed(path: Path | str | None = None) -> dict[str, Any]:
    """Write the seed from the current database (which must hold the full import)."""
    out = Path(path) if path else default_path()
    member_q = Q()
    for prefix in MEMBER_PREFIXES:
        member_q |= Q(nuts2__code__startswith=prefix)
    core_ids = set(
        Organisation.objects.filter(member_q)
        .exclude(legal_name__startswith="PIC ")
        .values_list("pk", flat=True)
    )
    project_ids = set(
        Participation.objects.filter(organisation_id__in=core_ids).values_list(
            "project_id", flat=True
        )
    )
    partner_ids = set(
        Participation.objects.filter(project_id__in=project_ids)
        .exclude(organisation__legal_name__startswith=UNNAMED.format(pic=""))
        .values_list("organisation_id", flat=True)
    )
    org_ids = core_ids | partner_ids
    regions = []
    for r in Region.objects.order_by("code"):
        keep_geo = r.level <= 2 or r.country_code in GEOMETRY_COUNTRIES
        regions.append([
            r.code, r.level, r.name, r.name_latin, r.is_member, r.member_label, r.mount_type,
            r.urban_type, r.coast_type, r.label_lat, r.label_lng, r.geometry if keep_geo else None,
        ])  # fmt: skip
    region_code = dict(Region.objects.values_list("id", "code"))
    orgs = []
    local: dict[int, int] = {}
    for i, org in enumerate(Organisation.objects.filter(pk__in=org_ids).order_by("pk")):
        local[org.pk] = i
        row = {f: _json(getattr(org, f)) for f in ORG_FIELDS}
        row = {k: v for k, v in row.items() if v not in (None, "", {}, [])}
        if org.nuts3_id:
            row["nuts3"] = region_code[org.nuts3_id]
        if org.nuts2_id:
            row["nuts2"] = region_code[org.nuts2_id]
        orgs.append(row)
    projects = [
        [_json(v) for v in row]
        for row in Project.objects.filter(pk__in=project_ids)
        .order_by("rcn")
        .values_list("source", *PROJECT_FIELDS)
    ]
    project_rcn = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "rcn"))
    parts = [
        [project_rcn[p], local[o], role, act, _json(c)]
        for p, o, role, act, c in Participation.objects.filter(
            project_id__in=project_ids, organisation_id__in=org_ids
        ).values_list("project_id", "organisation_id", "role", "activity_type", "contribution")
    ]
    seed = {
        "format": FORMAT,
        "attribution": ATTRIBUTION,
        "regions": regions,
        "aliases": list(RegionCodeAlias.objects.order_by("code", "version").values_list("code", "version", "region__code", "change")),
        "nace": [
            [n.code, n.level, n.parent.code if n.parent else None, n.label_en, n.label_fr, n.label_de, n.label_it]
            for n in NaceCode.objects.select_related("parent").order_by("code")
        ],
        "sectors": [[s.slug, s.name, s.ordering] for s in Sector.objects.all()],
        "networks": [[n.slug, n.name, n.description] for n in Network.objects.all()],
        "organisations": orgs,
        "organisation_sectors": [
            [local[o], slug]
            for o, slug in Organisation.sectors.through.objects.filter(organisation_id__in=org_ids).values_list("organisation_id", "sector__slug")
        ],
        "organisation_nace": [
            [local[o], code]
            for o, code in Organisation.nace_codes.through.objects.filter(organisation_id__in=org_ids).values_list("organisation_id", "nacecode__code")
        ],
        "projects": projects,
        "participations": parts,
        "memberships": [
            [slug, local[o], role, since.isoformat()]
            for slug, o, role, since in NetworkMembership.objects.filter(organisation_id__in=org_ids).values_list("network__slug", "organisation_id", "role", "since")
        ],
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(seed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0: the same database gives a byte-identical seed, so git sees no spurious change.
    with (
        open(out, "wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz,
    ):
        gz.write(data)
    return {
        "path": str(out),
        "bytes": out.stat().st_size,
        "regions": len(regions),
        "organisations": len(orgs),
        "member_region_organisations": len(core_ids),
        "projects": len(projects),
        "participations": len(parts),
    }


def read_seed(path: Path | str | None = None) -> dict[str, Any]:
    with gzip.open(Path(path) if path else default_path(), "rt", encoding="utf-8") as fh:
        seed: dict[str, Any] = json.load(fh)
    if seed.get("format") != FORMAT:
        raise ValueError(f"seed format {seed.get('format')} is not {FORMAT}")
    return seed


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def load_demo(path: Path | str | None = None, force: bool = False) -> dict[str, Any]:
    """Load the seed; skipped when organisations exist unless ``force`` (which replaces the
    organisations, projects and memberships; regions and taxonomy are updated in place)."""
    with quiet_queries(), transaction.atomic():
        return _load_demo(path, force)


def _load_demo(path: Path | str | None, force: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    if Organisation.objects.exists() and not force:
        return {"skipped": True, "reason": "the database already holds organisations"}
    seed = read_seed(path)
    if force:
        Participation.objects.all().delete()
        NetworkMembership.objects.all().delete()
        Project.objects.all().delete()
        Organisation.objects.all().delete()

    keys = ("level", "name", "name_latin", "is_member", "member_label", "mount_type", "urban_type",
            "coast_type", "label_lat", "label_lng", "geometry")  # fmt: skip
    values = {
        r[0]: dict(zip(keys, r[1:], strict=True)) | {"country_code": r[0][:2]}
        for r in seed["regions"]
    }
    by_code, _, _ = upsert(Region, "code", values, [*keys, "country_code"])
    parents = []
    for code, region in by_code.items():
        parent = by_code.get(code[:-1]) if len(code) > 2 else None
        if region.parent_id != (parent.pk if parent else None):
            region.parent_id = parent.pk if parent else None
            parents.append(region)
    Region.objects.bulk_update(parents, ["parent"], batch_size=BATCH)
    have_alias = set(RegionCodeAlias.objects.values_list("code", "version"))
    RegionCodeAlias.objects.bulk_create(
        [
            RegionCodeAlias(code=c, version=v, region=by_code[r], change=ch)
            for c, v, r, ch in seed["aliases"]
            if (c, v) not in have_alias and r in by_code
        ],
        batch_size=BATCH,
    )
    nace_vals = {
        n[0]: {
            "level": n[1],
            "label_en": n[3],
            "label_fr": n[4],
            "label_de": n[5],
            "label_it": n[6],
        }
        for n in seed["nace"]
    }
    nace, _, _ = upsert(
        NaceCode, "code", nace_vals, ["level", "label_en", "label_fr", "label_de", "label_it"]
    )
    nace_parent = [(nace[n[0]], nace[n[2]].pk if n[2] else None) for n in seed["nace"]]
    changed = []
    for obj, pid in nace_parent:
        if obj.parent_id != pid:
            obj.parent_id = pid
            changed.append(obj)
    NaceCode.objects.bulk_update(changed, ["parent"], batch_size=BATCH)
    ensure_reference_data()
    for slug, name, ordering in seed["sectors"]:
        Sector.objects.update_or_create(slug=slug, defaults={"name": name, "ordering": ordering})
    for slug, name, description in seed["networks"]:
        Network.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )

    region_id = {code: r.pk for code, r in by_code.items()}
    sector_obj = {x.slug: x for x in Sector.objects.all()}
    # Everything derived (search text, project counts) is computed here, before the insert:
    # updating 13,000 rows afterwards costs more than inserting them (bulk_update is CASE WHEN).
    org_sectors: dict[int, list[Sector]] = {}
    for i, slug in seed["organisation_sectors"]:
        org_sectors.setdefault(i, []).append(sector_obj[slug])
    org_nace: dict[int, list[NaceCode]] = {}
    for i, code in seed["organisation_nace"]:
        org_nace.setdefault(i, []).append(nace[code])
    n_projects: dict[int, int] = {}
    for part in seed["participations"]:
        n_projects[part[1]] = n_projects.get(part[1], 0) + 1
    orgs: list[Organisation] = []
    for i, row in enumerate(seed["organisations"]):
        row = dict(row)
        nuts3, nuts2 = row.pop("nuts3", None), row.pop("nuts2", None)
        org = Organisation(
            **row,
            nuts3_id=region_id.get(nuts3 or ""),
            nuts2_id=region_id.get(nuts2 or ""),
            n_projects=n_projects.get(i, 0),
        )
        org.search_text = build_search_text(org, org_nace.get(i, []), org_sectors.get(i, []))
        orgs.append(org)
    for batch in batched(orgs):
        Organisation.objects.bulk_create(batch)
    if any(o.pk is None for o in orgs):  # a backend that cannot return ids from bulk inserts
        raise RuntimeError("bulk_create did not return primary keys")
    sector_id = {slug: x.pk for slug, x in sector_obj.items()}
    through = Organisation.sectors.through
    through.objects.bulk_create(
        [
            through(organisation_id=orgs[i].pk, sector_id=sector_id[s])
            for i, s in seed["organisation_sectors"]
        ],
        batch_size=BATCH,
    )
    nace_through = Organisation.nace_codes.through
    nace_through.objects.bulk_create(
        [
            nace_through(organisation_id=orgs[i].pk, nacecode_id=nace[c].pk)
            for i, c in seed["organisation_nace"]
        ],
        batch_size=BATCH,
    )
    projects = [
        Project(
            source=p[0], rcn=p[1], grant_number=p[2], acronym=p[3], title=p[4], topic=p[5], programme=p[6],
            start_date=_date(p[7]), end_date=_date(p[8]),
            max_contribution=Decimal(str(p[9])).quantize(Decimal("0.01")) if p[9] is not None else None,
            n_participants=p[10], health_biotech=p[11],
        )
        for p in seed["projects"]
    ]  # fmt: skip
    existing_projects = set(Project.objects.values_list("source", "rcn"))
    Project.objects.bulk_create(
        [p for p in projects if (p.source, p.rcn) not in existing_projects], batch_size=BATCH
    )
    project_id = dict(Project.objects.filter(source=Project.Source.H2020).values_list("rcn", "id"))
    Participation.objects.bulk_create(
        [
            Participation(
                project_id=project_id[rcn], organisation_id=orgs[i].pk, role=role, activity_type=act,
                contribution=Decimal(str(c)).quantize(Decimal("0.01")) if c is not None else None,
            )
            for rcn, i, role, act, c in seed["participations"]
        ],
        batch_size=BATCH,
    )  # fmt: skip
    network_id = dict(Network.objects.values_list("slug", "id"))
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(network_id=network_id[slug], organisation_id=orgs[i].pk, role=role, since=date.fromisoformat(since))
            for slug, i, role, since in seed["memberships"]
        ],
        batch_size=BATCH,
    )  # fmt: skip
    return {
        "organisations": len(orgs),
        "projects": len(projects),
        "participations": len(seed["participations"]),
        "memberships": len(seed["memberships"]),
        "regions": len(seed["regions"]),
        "seconds": round(time.perf_counter() - t0, 1),
    }
