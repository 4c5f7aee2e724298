"""Every state change of the directory: organisation CRUD and merge, imports, the demo seed.

Each function owns its transaction and writes an audit entry (``alpsbio.core.audit.record``).
Views and the API call these; they never save models themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count
from django.utils import timezone

from alpsbio.core import audit
from alpsbio.core.i18n import clean_translations
from alpsbio.directory.importers.cordis import import_cordis_orgs
from alpsbio.directory.importers.h2020 import import_h2020, update_project_counts
from alpsbio.directory.importers.nace import import_nace
from alpsbio.directory.importers.nuts import import_nuts
from alpsbio.directory.importers.reference import (
    assign_networks,
    assign_sectors,
    ensure_reference_data,
)
from alpsbio.directory.importers.ror import import_ror
from alpsbio.directory.importers.seed import build_demo_seed, load_demo
from alpsbio.directory.models import (
    MergeRecord,
    NaceCode,
    Organisation,
    Region,
    Sector,
    ValidationStatus,
)
from alpsbio.directory.regions import resolve_region_code
from alpsbio.directory.search_text import refresh_search_text
from alpsbio.directory.signals import directory_imported

__all__ = [
    "assign_networks",
    "assign_sectors",
    "build_demo_seed",
    "create_organisation",
    "ensure_reference_data",
    "import_all",
    "import_cordis_orgs",
    "import_h2020",
    "import_nace",
    "import_nuts",
    "import_ror",
    "load_demo",
    "merge_organisations",
    "refresh_search_text",
    "resolve_region_code",
    "update_organisation",
    "update_project_counts",
    "validate_organisation",
]

# Fields a person may set through a form or the API (identifiers included, checked for uniqueness).
EDITABLE_FIELDS: tuple[str, ...] = (
    "legal_name", "short_name", "org_type", "size_class", "website", "address", "postcode",
    "city", "country_code", "latitude", "longitude", "vat", "ror_id", "pic", "acronyms",
    "established", "is_active",
)  # fmt: skip


def _apply(
    org: Organisation, data: dict[str, Any]
) -> tuple[list[str], list[Sector] | None, list[NaceCode] | None]:
    """Set plain fields on ``org``; return changed field names and the M2M values to set."""
    changed: list[str] = []
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            if name in ("ror_id", "pic") and value == "":
                value = None  # unique and nullable: blank means "none"
            if value is None and name not in (
                "ror_id",
                "pic",
                "latitude",
                "longitude",
                "established",
            ):
                value = "" if name != "is_active" else True
            if getattr(org, name) != value:
                setattr(org, name, value)
                changed.append(name)
    for name in ("names", "description"):
        if name in data:
            try:
                value = clean_translations(data[name], name)
            except ValueError as exc:
                raise ValidationError({name: [str(exc)]}) from exc
            if getattr(org, name) != value:
                setattr(org, name, value)
                changed.append(name)
    if "nuts3" in data:
        region = data["nuts3"]
        if isinstance(region, str):
            found = resolve_region_code(region) if region else None
            if region and (found is None or found.level != 3):
                raise ValidationError({"nuts3": [f"unknown NUTS-3 region code {region!r}"]})
            region = found
        if region is not None and not isinstance(region, Region):
            raise ValidationError({"nuts3": ["expected a region"]})
        nuts3_id = region.pk if region else None
        nuts2_id = region.parent_id if region else None
        if org.nuts3_id != nuts3_id or org.nuts2_id != nuts2_id:
            org.nuts3_id, org.nuts2_id = nuts3_id, nuts2_id
            changed += ["nuts3", "nuts2"]
    sectors = list(data["sectors"]) if data.get("sectors") is not None else None
    nace = list(data["nace_codes"]) if data.get("nace_codes") is not None else None
    return changed, sectors, nace


def _save_checked(org: Organisation) -> None:
    org.full_clean(exclude=["search_text", "validated_by"])
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:  # a race on ror_id/pic uniqueness after full_clean
        raise ValidationError({"__all__": [f"conflicts with another organisation: {exc}"]}) from exc


@transaction.atomic
def create_organisation(data: dict[str, Any], actor: Any = None) -> Organisation:
    """Create an organisation from cleaned data (see EDITABLE_FIELDS, names, description,
    nuts3 (Region or code), sectors, nace_codes); raises ValidationError per field."""
    org = Organisation(sources=[{"source": "manual", "id": ""}], names={}, description={})
    _changed, sectors, nace = _apply(org, data)
    _save_checked(org)
    if sectors is not None:
        org.sectors.set(sectors)
    if nace is not None:
        org.nace_codes.set(nace)
    refresh_search_text([org.pk])
    org.refresh_from_db(fields=["search_text"])
    audit.record("directory.organisation.create", org, actor, f"created {org.legal_name}")
    return org


@transaction.atomic
def update_organisation(org: Organisation, data: dict[str, Any], actor: Any = None) -> Organisation:
    """Apply the fields present in ``data``; absent keys are left alone."""
    changed, sectors, nace = _apply(org, data)
    if changed:
        _save_checked(org)
    if sectors is not None and {s.pk for s in sectors} != set(
        org.sectors.values_list("pk", flat=True)
    ):
        org.sectors.set(sectors)
        changed.append("sectors")
    if nace is not None and {n.pk for n in nace} != set(
        org.nace_codes.values_list("pk", flat=True)
    ):
        org.nace_codes.set(nace)
        changed.append("nace_codes")
    if changed:
        refresh_search_text([org.pk])
        org.refresh_from_db(fields=["search_text"])
        audit.record(
            "directory.organisation.update",
            org,
            actor,
            f"changed {', '.join(changed)}",
            {"fields": changed},
        )
    return org


@transaction.atomic
def validate_organisation(
    org: Organisation, actor: Any = None, status: str = ValidationStatus.VALIDATED
) -> Organisation:
    """Set the validation status a cluster manager decided."""
    if status not in ValidationStatus.values:
        raise ValidationError({"status": [f"unknown status {status!r}"]})
    user = actor if getattr(actor, "is_authenticated", False) else None
    org.validation_status = status
    org.validated_by = user if status != ValidationStatus.PENDING else None
    org.validated_at = timezone.now() if status != ValidationStatus.PENDING else None
    org.save(update_fields=["validation_status", "validated_by", "validated_at", "updated_at"])
    audit.record("directory.organisation.validate", org, actor, f"status {status}")
    return org


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def organisation_snapshot(org: Organisation) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for f in org._meta.concrete_fields:
        if f.name != "search_text":
            snap[f.attname] = _jsonable(getattr(org, f.attname))
    snap["sectors"] = list(org.sectors.values_list("slug", flat=True))
    snap["nace_codes"] = list(org.nace_codes.values_list("code", flat=True))
    return snap


@transaction.atomic
def merge_organisations(
    kept: Organisation, absorbed: Organisation, actor: Any = None, reason: str = ""
) -> Organisation:
    """Fold ``absorbed`` into ``kept``: identifiers, empty fields, projects, people, memberships,
    roles, sectors, NACE codes; a MergeRecord keeps a snapshot of ``absorbed``, which is deleted.

    Where both have a row that must be unique (same project, same network), kept's row stays.
    """
    if kept.pk == absorbed.pk:
        raise ValidationError("an organisation cannot be merged into itself")
    kept = Organisation.objects.select_for_update().get(pk=kept.pk)
    absorbed = Organisation.objects.select_for_update().get(pk=absorbed.pk)
    snap = organisation_snapshot(absorbed)

    # Identifiers move over (cleared on the absorbed record first: they are unique).
    ids = {
        f: getattr(absorbed, f)
        for f in ("ror_id", "pic")
        if getattr(absorbed, f) and not getattr(kept, f)
    }
    if ids:
        Organisation.objects.filter(pk=absorbed.pk).update(**dict.fromkeys(ids))
    for name, value in ids.items():
        setattr(kept, name, value)
    for f in kept._meta.concrete_fields:
        if f.primary_key or f.name in ("search_text", "created_at", "updated_at", "ror_id", "pic"):
            continue
        mine, theirs = getattr(kept, f.attname), getattr(absorbed, f.attname)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            setattr(kept, f.attname, {**theirs, **mine})
        elif f.name == "sources":
            setattr(
                kept,
                f.attname,
                [*(mine or []), *[s for s in theirs or [] if s not in (mine or [])]],
            )
        elif mine in (None, "") and theirs not in (None, ""):
            setattr(kept, f.attname, theirs)
    kept.save()
    kept.sectors.add(*absorbed.sectors.all())
    kept.nace_codes.add(*absorbed.nace_codes.all())

    # Every row pointing at the absorbed record (projects, people, memberships, roles, other apps).
    moved: dict[str, int] = {}
    for rel in Organisation._meta.related_objects:
        if rel.many_to_many or not rel.field.concrete:
            continue
        model: type[models.Model] = rel.related_model
        fk = rel.field.name
        for obj in model._default_manager.filter(**{fk: absorbed}):
            try:
                with transaction.atomic():
                    setattr(obj, fk, kept)
                    obj.save(update_fields=[fk])
                moved[model._meta.label_lower] = moved.get(model._meta.label_lower, 0) + 1
            except IntegrityError:
                obj.delete()  # kept already has the same row (same project, same network...)
    MergeRecord.objects.create(
        kept=kept,
        absorbed_snapshot=snap,
        reason=(reason or "merged by hand")[:300],
        merged_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    absorbed_name, absorbed_pk = absorbed.legal_name, absorbed.pk
    absorbed.delete()
    kept.n_projects = kept.participations.count()
    kept.save(update_fields=["n_projects"])
    refresh_search_text([kept.pk])
    kept.refresh_from_db(fields=["search_text"])
    audit.record(
        "directory.organisation.merge",
        kept,
        actor,
        f"absorbed #{absorbed_pk} {absorbed_name}: {reason}",
        {"absorbed": snap, "moved": moved},
    )
    return kept


def import_all(quiet: bool = True, actor: Any = None) -> dict[str, Any]:
    """The full import from ALPSBIO_DATA_DIR in dependency order; returns stats per source."""
    stats: dict[str, Any] = {}
    ensure_reference_data()
    for name, fn in (
        ("nuts", import_nuts),
        ("nace", import_nace),
        ("ror", import_ror),
        ("cordis_orgs", import_cordis_orgs),
        ("h2020", import_h2020),
    ):
        stats[name] = fn(quiet=quiet, actor=actor).stats
    stats["sectors"] = assign_sectors()
    stats["networks"] = assign_networks()
    directory_imported.send(sender=import_all, stats=stats)
    return stats


def organisation_counts() -> dict[str, int]:
    """Counts by type, for import summaries."""
    return dict(
        Organisation.objects.values_list("org_type")
        .annotate(n=Count("id"))
        .values_list("org_type", "n")
    )
