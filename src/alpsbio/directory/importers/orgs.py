"""Creating, updating and merging organisations from any source, in bulk.

Each source provides an ``OrgData`` per record, keyed by its own identifier (``ror_id`` or
``pic``). ``upsert_organisations`` updates records we already hold under that identifier, asks
the entity resolver whether each new record is an organisation we hold from another source (then
it is merged into it, keeping both identifiers, with a MergeRecord), and creates the rest.

Which value wins when two sources disagree: the source of higher priority (a cluster manager's own
list > ROR > CORDIS > H2020 participant table). A lower-priority source only fills empty fields,
so the result does not depend on the order in which the importers run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from alpsbio.directory.importers.base import BATCH, batched
from alpsbio.directory.importers.resolution import Record, Resolution, resolve
from alpsbio.directory.models import ImportRun, MergeRecord, Organisation, OrganisationType
from alpsbio.directory.search_text import build_search_text

SOURCE_PRIORITY: dict[str, int] = {
    "member_list": 40,
    "manual": 40,
    "ror": 30,
    "cordis": 20,
    "h2020": 10,
}
TARGET_COUNTRIES: frozenset[str] = frozenset({"FR", "IT", "CH", "AT", "DE"})

# Fields a source may set; identifiers and sources are handled separately.
DATA_FIELDS: tuple[str, ...] = (
    "legal_name", "short_name", "names", "org_type", "address", "postcode", "city",
    "country_code", "nuts3_id", "nuts2_id", "latitude", "longitude", "website", "vat",
    "size_class", "acronyms", "established", "is_active", "description",
)  # fmt: skip

# ROR types, most specific first: an organisation typed "education|facility" is a university.
ROR_TYPE_MAP: tuple[tuple[str, str], ...] = (
    ("healthcare", OrganisationType.HOSPITAL),
    ("education", OrganisationType.UNIVERSITY),
    ("facility", OrganisationType.RESEARCH),
    ("government", OrganisationType.PUBLIC_BODY),
    # ROR registers research-active companies, mostly large groups (Roche, Sanofi, Siemens...).
    ("company", OrganisationType.LARGE_COMPANY),
    ("nonprofit", OrganisationType.OTHER),
    ("archive", OrganisationType.OTHER),
    ("funder", OrganisationType.OTHER),
    ("other", OrganisationType.OTHER),
)
# CORDIS activity types. PRC ("private for-profit") has no size in our extracts: most private
# participants in H2020 are SMEs, so SME is the default a manager corrects for large firms.
CORDIS_TYPE_MAP: dict[str, str] = {
    "HES": OrganisationType.UNIVERSITY,
    "REC": OrganisationType.RESEARCH,
    "PRC": OrganisationType.SME,
    "PUB": OrganisationType.PUBLIC_BODY,
    "OTH": OrganisationType.OTHER,
}


def ror_type(types: str) -> str:
    present = set(types.split("|"))
    return next(
        (ours for theirs, ours in ROR_TYPE_MAP if theirs in present), OrganisationType.OTHER
    )


@dataclass
class OrgData:
    """One organisation as a source describes it; empty values mean 'this source does not say'."""

    legal_name: str
    country_code: str
    short_name: str = ""
    names: dict[str, str] = field(default_factory=dict)
    org_type: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    nuts3_id: int | None = None
    nuts2_id: int | None = None
    nuts3_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    website: str = ""
    vat: str = ""
    size_class: str = ""
    acronyms: str = ""
    established: int | None = None
    is_active: bool | None = None
    description: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)

    def value(self, name: str) -> Any:
        return getattr(self, name)

    def record(self, key: Any) -> Record:
        names = [self.legal_name, *self.names.values(), *self.aliases]
        acr = [a for a in self.acronyms.split("|") if a]
        if self.short_name:
            acr.append(self.short_name)
        return Record(key, self.country_code, names, acr, self.city, self.nuts3_code)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def org_priority(org: Organisation) -> int:
    return max((SOURCE_PRIORITY.get(s.get("source", ""), 0) for s in org.sources or []), default=0)


def apply_data(org: Organisation, data: OrgData, source: str, source_id: str) -> bool:
    """Merge ``data`` into ``org`` by source priority; True when something changed."""
    wins = SOURCE_PRIORITY.get(source, 0) >= org_priority(org)
    changed = False
    for name in DATA_FIELDS:
        new = data.value(name)
        if _empty(new):
            continue
        current = getattr(org, name)
        if name in ("names", "description"):
            merged = {**new, **current} if not wins else {**current, **new}
            if merged != current:
                setattr(org, name, merged)
                changed = True
            continue
        if name == "is_active" and not wins:
            continue
        if name == "acronyms":
            # Acronyms accumulate across sources ("UGA" from ROR, "UJF" from CORDIS): all are
            # names people search by.
            have = [a for a in (current or "").split("|") if a]
            merged_acr = "|".join(have + [a for a in new.split("|") if a and a not in have])[:200]
            if merged_acr != current:
                org.acronyms = merged_acr
                changed = True
            continue
        if (wins or _empty(current)) and current != new:
            setattr(org, name, new)
            changed = True
    entry = {"source": source, "id": source_id}
    if not any(s.get("source") == source and s.get("id") == source_id for s in org.sources or []):
        org.sources = [*(org.sources or []), entry]
        changed = True
    return changed


def new_org(data: OrgData, source: str, source_id: str, **ids: str) -> Organisation:
    org = Organisation(sources=[], **ids)
    org.names, org.description = {}, {}
    apply_data(org, data, source, source_id)
    if not org.org_type:
        org.org_type = OrganisationType.OTHER
    return org


def pool_records(orgs: Iterable[Organisation], region_codes: dict[int, str]) -> list[Record]:
    out = []
    for org in orgs:
        names = [org.legal_name, *(org.names or {}).values()]
        acr = [a for a in (org.acronyms or "").split("|") if a]
        if org.short_name:
            acr.append(org.short_name)
        nuts3 = region_codes.get(org.nuts3_id or 0, "")
        out.append(Record(org.pk, org.country_code, names, acr, org.city, nuts3))
    return out


def snapshot(data: OrgData, source: str, source_id: str) -> dict[str, Any]:
    snap = {k: v for k, v in asdict(data).items() if not _empty(v)}
    snap["source"], snap["source_id"] = source, source_id
    return snap


@dataclass
class UpsertStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    resolution: Resolution = field(default_factory=Resolution)
    ids: dict[str, int] = field(default_factory=dict)  # source key -> organisation id
    # Updated or merged organisations: their search text needs a refresh (with their M2M rows).
    touched: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
        }


def upsert_organisations(
    source: str,
    key_field: str,
    incoming: dict[str, OrgData],
    run: ImportRun | None,
    region_codes: dict[int, str],
    progress: Callable[[int], None] | None = None,
    resolve_new: bool = True,
) -> UpsertStats:
    """Update, merge or create one organisation per incoming record (key = ror_id or pic)."""
    stats = UpsertStats()
    keys = list(incoming)
    existing: dict[str, Organisation] = {}
    for i in range(0, len(keys), BATCH):
        for org in Organisation.objects.filter(**{f"{key_field}__in": keys[i : i + BATCH]}):
            existing[getattr(org, key_field)] = org
    to_update: list[Organisation] = []
    for key, org in existing.items():
        if apply_data(org, incoming[key], source, key):
            to_update.append(org)
        else:
            stats.unchanged += 1
        stats.ids[key] = org.pk
    new_keys = [k for k in keys if k not in existing]
    if progress:
        progress(len(existing))

    # Entity resolution: is a new record an organisation we already hold from another source?
    merged_into: dict[str, Organisation] = {}
    if resolve_new and new_keys:
        countries = {incoming[k].country_code for k in new_keys} & TARGET_COUNTRIES
        pool_qs = Organisation.objects.filter(
            **{f"{key_field}__isnull": True}, country_code__in=countries
        ).only(
            "id",
            "legal_name",
            "names",
            "acronyms",
            "short_name",
            "city",
            "country_code",
            "nuts3_id",
        )
        pool = {o.pk: o for o in pool_qs}
        res = resolve(
            (incoming[k].record(k) for k in new_keys if incoming[k].country_code in countries),
            pool_records(pool.values(), region_codes),
        )
        stats.resolution = res
        if res.merges:
            full = Organisation.objects.in_bulk([int(str(d.pool_key)) for d in res.merges])
            records = []
            for d in res.merges:
                key = str(d.new_key)
                org = full[int(str(d.pool_key))]
                setattr(org, key_field, key)
                apply_data(org, incoming[key], source, key)
                merged_into[key] = org
                records.append(
                    MergeRecord(
                        kept=org,
                        absorbed_snapshot=snapshot(incoming[key], source, key),
                        reason=f"{source} {key_field}={key} matched: {d.reason}"[:300],
                        score=d.score,
                        import_run=run,
                    )
                )
                stats.ids[key] = org.pk
            to_update.extend(merged_into.values())
            MergeRecord.objects.bulk_create(records, batch_size=BATCH)
            stats.merged = len(merged_into)

    update_fields = [*DATA_FIELDS, "sources", "ror_id", "pic"]
    update_fields = [
        f.removesuffix("_id") if f in ("nuts3_id", "nuts2_id") else f for f in update_fields
    ]
    stats.touched = [o.pk for o in to_update]
    for batch in batched(to_update):
        Organisation.objects.bulk_update(batch, update_fields)
        if progress:
            progress(len(batch))
    stats.updated = len(to_update) - stats.merged

    to_create = [
        new_org(incoming[k], source, k, **{key_field: k}) for k in new_keys if k not in merged_into
    ]
    for org in to_create:
        # New records have no sectors or NACE codes yet: their search text is complete now,
        # which saves a bulk UPDATE of every new row after the insert.
        org.search_text = build_search_text(org)
    for batch in batched(to_create):
        Organisation.objects.bulk_create(batch)
        if progress:
            progress(len(batch))
    stats.created = len(to_create)
    created_keys = [k for k in new_keys if k not in merged_into]
    for i in range(0, len(created_keys), BATCH):
        for pk, key in Organisation.objects.filter(
            **{f"{key_field}__in": created_keys[i : i + BATCH]}
        ).values_list("pk", key_field):
            stats.ids[key] = pk
    return stats


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
