"""Organisation services (create, update, validate, merge), derived rules, and the demo seed."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from alpsbio.core.models import AuditEntry
from alpsbio.directory import services
from alpsbio.directory.models import (
    MergeRecord,
    Network,
    NetworkMembership,
    Organisation,
    Participation,
    Project,
    Region,
    Sector,
    ValidationStatus,
)


def test_create_update_validate_write_audit(regions: dict[str, Region], admin_user: Any) -> None:
    org = services.create_organisation(
        {"legal_name": "Hospices Civils de Lyon", "country_code": "FR", "nuts3": "FRK26",
         "names": {"fr": "Hospices Civils de Lyon"}, "short_name": "HCL"},
        actor=admin_user,
    )  # fmt: skip
    assert org.nuts2 == regions["FRK2"]
    assert "hcl" in org.search_text.lower()
    services.update_organisation(
        org, {"city": "Lyon", "description": {"en": "University hospital"}}, actor=admin_user
    )
    org.refresh_from_db()
    assert org.city == "Lyon"
    assert "University hospital" in org.search_text
    services.validate_organisation(org, actor=admin_user, status=ValidationStatus.VALIDATED)
    org.refresh_from_db()
    assert org.validation_status == "validated"
    assert org.validated_by == admin_user
    actions = list(AuditEntry.objects.order_by("at").values_list("action", flat=True))
    assert actions == [
        "directory.organisation.create",
        "directory.organisation.update",
        "directory.organisation.validate",
    ]
    with pytest.raises(ValidationError):
        services.update_organisation(org, {"names": {"xx": "?"}})
    with pytest.raises(ValidationError):
        services.create_organisation({"legal_name": "", "country_code": "FR"})


def test_old_region_code_accepted(regions: dict[str, Region]) -> None:
    from alpsbio.directory.models import RegionCodeAlias

    RegionCodeAlias.objects.create(code="FR714", version=2013, region=regions["FRK24"])
    org = services.create_organisation(
        {"legal_name": "Inria Grenoble", "country_code": "FR", "nuts3": "FR714"}
    )
    assert org.nuts3 == regions["FRK24"]


def test_merge_keeps_both_identifiers_and_moves_projects(
    make_org: Callable[..., Organisation], admin_user: Any
) -> None:
    kept = make_org("Université Grenoble Alpes", ror_id="02rx3b187", city="Saint-Martin-d'Hères")
    absorbed = make_org(
        "UNIVERSITE GRENOBLE ALPES",
        pic="924833212",
        acronyms="UJF",
        website="https://www.univ-grenoble-alpes.fr",
    )
    project = Project.objects.create(source="h2020", rcn="1", acronym="X")
    other = Project.objects.create(source="h2020", rcn="2", acronym="Y")
    Participation.objects.create(project=project, organisation=absorbed, role="participant")
    Participation.objects.create(project=project, organisation=kept, role="coordinator")
    Participation.objects.create(project=other, organisation=absorbed, role="participant")
    network = Network.objects.get_or_create(
        slug="new-diagnosis-therapies", defaults={"name": {"en": "N"}}
    )[0]
    NetworkMembership.objects.create(network=network, organisation=absorbed, since=date(2016, 1, 1))
    services.merge_organisations(kept, absorbed, actor=admin_user, reason="same university")
    kept.refresh_from_db()
    assert (kept.ror_id, kept.pic) == ("02rx3b187", "924833212")
    assert kept.website
    assert kept.acronyms == "UJF"
    assert not Organisation.objects.filter(pk=absorbed.pk).exists()
    assert kept.n_projects == 2
    assert kept.participations.get(project=project).role == "coordinator"  # kept's row wins
    assert kept.network_memberships.count() == 1
    merge = MergeRecord.objects.get()
    assert merge.absorbed_snapshot["pic"] == "924833212"
    assert merge.merged_by == admin_user
    assert AuditEntry.objects.filter(action="directory.organisation.merge").count() == 1
    with pytest.raises(ValidationError):
        services.merge_organisations(kept, kept)


def test_derived_sectors_and_networks(make_org: Callable[..., Organisation]) -> None:
    services.ensure_reference_data()
    assert Sector.objects.count() >= 9
    assert Network.objects.count() == 2
    assert set(Network.objects.get(slug="autonomy-healthcare").description) == {
        "en",
        "fr",
        "it",
        "de",
    }
    lyon = make_org("Hospices Civils de Lyon", "FRK26")
    milan = make_org("Università degli Studi di Milano", "ITC4C")
    outside = make_org("Outside", "FRK24")
    outside.nuts2 = None
    outside.save()
    health = Project.objects.create(
        source="h2020",
        rcn="10",
        topic="SC1-PM-08-2017",
        health_biotech=True,
        start_date=date(2017, 1, 1),
    )
    ehealth = Project.objects.create(
        source="h2020", rcn="11", topic="SC1-DTH-01-2019", start_date=date(2019, 1, 1)
    )
    Participation.objects.create(project=health, organisation=lyon)
    Participation.objects.create(project=ehealth, organisation=milan)
    Participation.objects.create(project=health, organisation=outside)
    services.assign_sectors()
    services.assign_networks()
    assert list(lyon.sectors.values_list("slug", flat=True)) == ["red-biotech"]
    assert list(milan.sectors.values_list("slug", flat=True)) == ["digital-health"]
    assert lyon.network_memberships.get().network.slug == "new-diagnosis-therapies"
    assert lyon.network_memberships.get().since == date(2017, 1, 1)
    assert milan.network_memberships.get().network.slug == "autonomy-healthcare"
    assert not outside.network_memberships.exists()  # not in a member region
    services.assign_networks()
    assert NetworkMembership.objects.count() == 2


@pytest.mark.skipif(not Path(settings.ALPSBIO_SEED_PATH).exists(), reason="seed not built")
@pytest.mark.django_db
def test_load_committed_demo_seed() -> None:
    start = time.perf_counter()
    stats = services.load_demo()
    assert time.perf_counter() - start < 60
    assert stats["organisations"] > 1000
    assert Region.objects.filter(is_member=True).count() == 8
    members = Organisation.objects.filter(
        nuts2__code__in=["FRK2", "ITC4", "ITC1", "CH01", "CH02", "AT33"]
    )
    assert members.count() > 500
    assert Project.objects.exists()
    assert Participation.objects.exists()
    assert services.load_demo().get("skipped") is True
    assert Organisation.objects.exclude(search_text="").count() == Organisation.objects.count()
