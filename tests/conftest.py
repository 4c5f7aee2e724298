"""Shared fixtures: a small real-shaped world and named personas (as in Zulip's example users).

Regions and organisations here are real: NUTS codes and names from GISCO, organisations from ROR.
Personas: ``admin`` (platform admin), ``manager_fr`` (cluster manager of FRK2 Rhône-Alpes),
``manager_it`` (of ITC4 Lombardia), ``editor`` (editor of Université Grenoble Alpes), ``member``
(member of the same organisation), ``outsider`` (signed in, no role) and anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts.models import OrganisationRole, RegionalManager, User
from alpsbio.directory.models import Network, Organisation, OrganisationType, Region
from alpsbio.directory.search_text import refresh_search_text

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _english_between_tests() -> Any:
    """LocaleMiddleware leaves the last request's language active in the thread; start every
    test in English so ``reverse()`` and rendered text do not depend on test order."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Django's advice for test suites: the production hasher's million rounds cost about a
    quarter of a second per account, and most tests create seven accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _synchronous_matching_index(settings: Any) -> None:
    """Tests want suggestions in the same request, not after a background warm-up."""
    settings.MATCHING_WARM_IN_BACKGROUND = False
    # Never read or overwrite the index snapshot of the checkout's own platform (var/cache).
    settings.MATCHING_SNAPSHOT_DIR = ""


@pytest.fixture
def regions(db: Any) -> dict[str, Region]:
    rows = [
        ("FR", 0, "FR", "France", None),
        ("FRK", 1, "FR", "Centre-Est", "FR"),
        ("FRK2", 2, "FR", "Rhône-Alpes", "FRK"),
        ("FRK24", 3, "FR", "Isère", "FRK2"),
        ("FRK26", 3, "FR", "Rhône", "FRK2"),
        ("IT", 0, "IT", "Italia", None),
        ("ITC", 1, "IT", "Nord-Ovest", "IT"),
        ("ITC4", 2, "IT", "Lombardia", "ITC"),
        ("ITC4C", 3, "IT", "Milano", "ITC4"),
        ("CH", 0, "CH", "Schweiz/Suisse/Svizzera", None),
        ("CH0", 1, "CH", "Schweiz/Suisse/Svizzera", "CH"),
        ("CH01", 2, "CH", "Région lémanique", "CH0"),
        ("CH011", 3, "CH", "Vaud", "CH01"),
    ]
    made: dict[str, Region] = {}
    for code, level, country, name, parent in rows:
        made[code] = Region.objects.create(
            code=code,
            level=level,
            country_code=country,
            name=name,
            parent=made.get(parent) if parent else None,
            is_member=code in {"FRK2", "ITC4", "CH01"},
        )
    return made


@pytest.fixture
def make_org(regions: dict[str, Region]) -> Callable[..., Organisation]:
    def _make(legal_name: str, nuts3: str = "FRK24", **kwargs: Any) -> Organisation:
        region = regions[nuts3]
        kwargs.setdefault("org_type", OrganisationType.RESEARCH)
        kwargs.setdefault("country_code", region.country_code)
        org = Organisation.objects.create(
            legal_name=legal_name, nuts3=region, nuts2=region.parent, **kwargs
        )
        refresh_search_text([org.pk])  # as the services and importers do
        org.refresh_from_db()
        return org

    return _make


@pytest.fixture
def orgs(make_org: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "uga": make_org(
            "Université Grenoble Alpes",
            "FRK24",
            org_type=OrganisationType.UNIVERSITY,
            short_name="UGA",
            city="Saint-Martin-d'Hères",
            ror_id="02rx3b187",
        ),
        "hcl": make_org(
            "Hospices Civils de Lyon",
            "FRK26",
            org_type=OrganisationType.HOSPITAL,
            short_name="HCL",
            city="Lyon",
            ror_id="01502ca60",
        ),
        "unimi": make_org(
            "Università degli Studi di Milano",
            "ITC4C",
            org_type=OrganisationType.UNIVERSITY,
            city="Milano",
            ror_id="00wjc7c48",
        ),
        "epfl": make_org(
            "École Polytechnique Fédérale de Lausanne",
            "CH011",
            org_type=OrganisationType.UNIVERSITY,
            short_name="EPFL",
            city="Lausanne",
            ror_id="02s376052",
        ),
    }


@pytest.fixture
def networks(db: Any) -> dict[str, Network]:
    return {
        "autonomy": Network.objects.create(
            slug="autonomy-healthcare",
            name={"en": "Autonomy and healthcare", "fr": "Autonomie et santé"},
            description={"en": "ICT for access to care in remote Alpine areas."},
        ),
        "diagnosis": Network.objects.create(
            slug="new-diagnosis-therapies",
            name={"en": "New diagnosis and therapies", "fr": "Nouveaux diagnostics et thérapies"},
            description={"en": "Diagnosis and therapies, incl. environmental health."},
        ),
    }


def _user(username: str, **kwargs: Any) -> User:
    return User.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, **kwargs
    )


@pytest.fixture
def personas(regions: dict[str, Region], orgs: dict[str, Organisation]) -> dict[str, Any]:
    admin = _user("admin", is_superuser=True, is_staff=True)
    manager_fr = _user("manager_fr", is_staff=True)
    RegionalManager.objects.create(user=manager_fr, region=regions["FRK2"])
    manager_it = _user("manager_it", is_staff=True)
    RegionalManager.objects.create(user=manager_it, region=regions["ITC4"])
    editor = _user("editor")
    OrganisationRole.objects.create(
        user=editor, organisation=orgs["uga"], role=OrganisationRole.Role.EDITOR
    )
    member = _user("member")
    OrganisationRole.objects.create(
        user=member, organisation=orgs["uga"], role=OrganisationRole.Role.MEMBER
    )
    outsider = _user("outsider")
    return {
        "admin": admin,
        "manager_fr": manager_fr,
        "manager_it": manager_it,
        "editor": editor,
        "member": member,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def client_for(personas: dict[str, Any]) -> Callable[[str], Client]:
    """A logged-in test client for a persona name (``anonymous`` gives a fresh client)."""

    def _client(name: str) -> Client:
        client = Client()
        user = personas[name]
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _client
