"""The cluster's own reference data (sectors, the two thematic networks) and the documented rules
that derive sectors and network memberships from real data (H2020 topics, NACE codes).

Nothing here is invented about an organisation: a sector or a membership is set only when a
rule below fires on the organisation's own H2020 projects or NACE codes. ``docs/data.md``
repeats these rules for managers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import transaction

from alpsbio.directory.importers.nuts import MEMBER_PREFIXES
from alpsbio.directory.models import Network, NetworkMembership, Organisation, Participation, Sector

SECTORS: tuple[tuple[str, dict[str, str]], ...] = (
    ("red-biotech", {"en": "Red biotech (health)", "fr": "Biotech rouge (santé)", "it": "Biotech rossa (salute)", "de": "Rote Biotechnologie (Gesundheit)"}),
    ("green-biotech", {"en": "Green biotech (agriculture, plants)", "fr": "Biotech verte (agriculture, végétal)", "it": "Biotech verde (agricoltura, piante)", "de": "Grüne Biotechnologie (Landwirtschaft, Pflanzen)"}),
    ("white-biotech", {"en": "White biotech (industrial)", "fr": "Biotech blanche (industrielle)", "it": "Biotech bianca (industriale)", "de": "Weiße Biotechnologie (industriell)"}),
    ("medtech", {"en": "Medical technology", "fr": "Technologies médicales", "it": "Tecnologie mediche", "de": "Medizintechnik"}),
    ("digital-health", {"en": "Digital health", "fr": "Santé numérique", "it": "Sanità digitale", "de": "Digitale Gesundheit"}),
    ("pharma", {"en": "Pharmaceuticals", "fr": "Industrie pharmaceutique", "it": "Farmaceutica", "de": "Pharmazeutik"}),
    ("diagnostics", {"en": "Diagnostics", "fr": "Diagnostic", "it": "Diagnostica", "de": "Diagnostik"}),
    ("environmental-health", {"en": "Environmental health", "fr": "Santé environnementale", "it": "Salute ambientale", "de": "Umwelt und Gesundheit"}),
    ("nutrition-food", {"en": "Nutrition and food", "fr": "Nutrition et alimentation", "it": "Nutrizione e alimentazione", "de": "Ernährung und Lebensmittel"}),
    ("bioinformatics", {"en": "Bioinformatics and health data", "fr": "Bio-informatique et données de santé", "it": "Bioinformatica e dati sanitari", "de": "Bioinformatik und Gesundheitsdaten"}),
)  # fmt: skip

NETWORKS: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
    (
        "autonomy-healthcare",
        {"en": "Autonomy and healthcare", "fr": "Autonomie et santé", "it": "Autonomia e salute", "de": "Autonomie und Gesundheit"},
        {
            "en": "Information and communication technologies that bring care to people in remote Alpine areas: telemedicine, remote monitoring, assisted living and services that help older and chronically ill people stay independent at home.",
            "fr": "Les technologies de l'information et de la communication qui donnent accès aux soins dans les zones alpines isolées : télémédecine, suivi à distance, aide à l'autonomie et services qui permettent aux personnes âgées ou malades chroniques de rester chez elles.",
            "it": "Tecnologie dell'informazione e della comunicazione per l'accesso alle cure nelle aree alpine remote: telemedicina, monitoraggio a distanza, vita assistita e servizi che aiutano anziani e malati cronici a restare autonomi a casa.",
            "de": "Informations- und Kommunikationstechnologien für den Zugang zur Versorgung in abgelegenen Alpenregionen: Telemedizin, Fernüberwachung, unterstütztes Wohnen und Dienste, mit denen ältere und chronisch kranke Menschen selbstständig zu Hause leben können.",
        },
    ),
    (
        "new-diagnosis-therapies",
        {"en": "New diagnosis and therapies", "fr": "Nouveaux diagnostics et thérapies", "it": "Nuove diagnosi e terapie", "de": "Neue Diagnostik und Therapien"},
        {
            "en": "New ways to diagnose and treat disease, from biomarkers and medical devices to biological and personalised therapies, including environmental health, where green biotechnology meets red.",
            "fr": "De nouvelles façons de diagnostiquer et de soigner, des biomarqueurs et dispositifs médicaux aux thérapies biologiques et personnalisées, y compris la santé environnementale, là où la biotech verte rencontre la rouge.",
            "it": "Nuovi modi di diagnosticare e curare le malattie, dai biomarcatori e dispositivi medici alle terapie biologiche e personalizzate, compresa la salute ambientale, dove la biotech verde incontra quella rossa.",
            "de": "Neue Wege, Krankheiten zu erkennen und zu behandeln, von Biomarkern und Medizinprodukten bis zu biologischen und personalisierten Therapien, einschließlich Umwelt und Gesundheit, wo grüne Biotechnologie auf rote trifft.",
        },
    ),
)  # fmt: skip

# H2020 topic code → sector. Prefixes of the official topic identifiers (work programmes 2014-2020).
TOPIC_SECTORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^IMI2?-"), "pharma"),  # Innovative Medicines Initiative
    (re.compile(r"^(SC1-BHC|SC1-PM|SC1-HCO|HCO|PHC-(0\d|1\d))"), "red-biotech"),
    (re.compile(r"^SMEInst-05"), "red-biotech"),  # SMEs in healthcare biotechnology
    (re.compile(r"^(SC1-DTH|SC1-HCC|PHC-(2\d|3[0-4])|SMEInst-06)"), "digital-health"),
    (re.compile(r"^(BBI|BIOTEC)"), "white-biotech"),  # bio-based industries, industrial biotech
    (re.compile(r"^SFS-"), "green-biotech"),  # sustainable food security, agriculture
)
# NACE Rev.2 → sector: pharmaceuticals; irradiation/electromedical and medical instruments.
NACE_SECTORS: tuple[tuple[str, str], ...] = (
    ("21", "pharma"),
    ("26.60", "medtech"),
    ("32.50", "medtech"),
)

# Network rules: both only for organisations located in the cluster's member regions.
DIGITAL_HEALTH_TOPICS = re.compile(r"^(SC1-DTH|SC1-HCC|PHC-(2\d|3[0-4])|SMEInst-06)")


@transaction.atomic
def ensure_reference_data() -> dict[str, int]:
    """Create or refresh the sector list and the two networks (idempotent)."""
    created = 0
    for i, (slug, name) in enumerate(SECTORS):
        _, new = Sector.objects.update_or_create(slug=slug, defaults={"name": name, "ordering": i})
        created += new
    for slug, name, description in NETWORKS:
        _, new = Network.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        created += new
    return {"created": created}


def _topic_sector(topic: str) -> str | None:
    return next((s for rx, s in TOPIC_SECTORS if rx.match(topic)), None)


@transaction.atomic
def assign_sectors() -> dict[str, int]:
    """Add sectors from the rules above (never removes one a manager set)."""
    ensure_reference_data()
    sectors = dict(Sector.objects.values_list("slug", "id"))
    pairs: set[tuple[int, int]] = set()
    for org_id, topic in Participation.objects.exclude(project__topic="").values_list(
        "organisation_id", "project__topic"
    ):
        slug = _topic_sector(topic)
        if slug:
            pairs.add((org_id, sectors[slug]))
    through = Organisation.sectors.through
    nace_through = Organisation.nace_codes.through
    for prefix, slug in NACE_SECTORS:
        for org_id in nace_through.objects.filter(nacecode__code__startswith=prefix).values_list(
            "organisation_id", flat=True
        ):
            pairs.add((org_id, sectors[slug]))
    have = set(through.objects.values_list("organisation_id", "sector_id"))
    new = [through(organisation_id=o, sector_id=s) for o, s in pairs - have]
    through.objects.bulk_create(new, batch_size=2000)
    if new:
        from alpsbio.directory.search_text import refresh_search_text

        refresh_search_text({o for o, _ in pairs - have})
    return {"assigned": len(new), "organisations": len({o for o, _ in pairs})}


def _member_region_org_ids() -> set[int]:
    ids: set[int] = set()
    for prefix in MEMBER_PREFIXES:
        ids.update(
            Organisation.objects.filter(nuts2__code__startswith=prefix).values_list("pk", flat=True)
        )
    return ids


@transaction.atomic
def assign_networks() -> dict[str, Any]:
    """Derived memberships (role "member", since = start of the first qualifying project).

    * new-diagnosis-therapies: an organisation of a member region in ≥ 1 H2020 project flagged
      health/biotech by the data (programme SC1 or topic SC1-/PHC-/HCO-/IMI2-/SMEInst-05/BIOTEC-);
    * autonomy-healthcare: an organisation of a member region in ≥ 1 H2020 project on digital
      health and ageing (topics SC1-DTH, SC1-HCC, PHC-20…34, SMEInst-06).
    Existing memberships are never removed or changed.
    """
    ensure_reference_data()
    members = _member_region_org_ids()
    first: dict[str, dict[int, date]] = {"new-diagnosis-therapies": {}, "autonomy-healthcare": {}}
    rows = Participation.objects.filter(organisation_id__in=members).values_list(
        "organisation_id", "project__health_biotech", "project__topic", "project__start_date"
    )
    for org_id, health, topic, start in rows.iterator(chunk_size=5000):
        start = start or date(2014, 1, 1)
        if health:
            d = first["new-diagnosis-therapies"]
            d[org_id] = min(d.get(org_id, start), start)
        if topic and DIGITAL_HEALTH_TOPICS.match(topic):
            d = first["autonomy-healthcare"]
            d[org_id] = min(d.get(org_id, start), start)
    stats: dict[str, Any] = {}
    for slug, orgs in first.items():
        network = Network.objects.get(slug=slug)
        have = set(network.memberships.values_list("organisation_id", flat=True))
        new = [
            NetworkMembership(network=network, organisation_id=o, since=since)
            for o, since in orgs.items()
            if o not in have
        ]
        NetworkMembership.objects.bulk_create(new, batch_size=2000)
        stats[slug] = {"qualifying": len(orgs), "created": len(new)}
    return stats
