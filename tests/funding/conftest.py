"""A small funded project over the shared personas: three partners (FR lead, IT, CH in CHF).

Roles: ``editor`` (editor of UGA, the lead partner's organisation) is the lead partner;
``member`` (member of UGA) is a partner officer of the lead partner only; ``partner_it``
(member of the University of Milan) sees only its partner; ``controller`` controls the Milan
partner; ``auditor`` reads everything; ``outsider`` nothing; ``admin`` everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts.models import OrganisationRole, User
from alpsbio.funding import services
from alpsbio.funding.models import (
    CostCategory,
    FundingProject,
    PartnerRole,
    ProjectPartner,
    ProjectRoleKind,
    SourceKind,
)
from tests.conftest import PASSWORD

D = Decimal


# directory/forms.py (not ours) declares a URLField without assume_scheme; importing the URL
# configuration warns. Tolerated here until that form is fixed, so our pages can be tested.
URLFIELD_WARNING = pytest.mark.filterwarnings(
    "ignore:The default scheme will be changed:django.utils.deprecation.RemovedInDjango60Warning"
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any, tmp_path: Any) -> None:
    """The personas' passwords are hashed with a fast hasher (these tests are not about login);
    uploaded attachments go to a temporary media folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def project(orgs: dict[str, Any]) -> FundingProject:
    project = services.create_project(
        None,
        programme="Interreg IV B Alpine Space 2007-2013",
        acronym="TESTPRJ",
        start_date=dt.date(2008, 9, 1),
        end_date=dt.date(2011, 8, 31),
        total_budget=D("300000.00"),
    )
    services.add_work_package(None, project, 1, "Management")
    services.add_work_package(None, project, 2, "Networking")
    services.add_partner(
        None,
        project,
        orgs["uga"],
        role=PartnerRole.LEAD,
        funding_sources={SourceKind.EU_FUND: D("0.76"), SourceKind.NATIONAL_PUBLIC: D("0.24")},
    )
    services.add_partner(
        None,
        project,
        orgs["unimi"],
        funding_sources={SourceKind.EU_FUND: D("0.76"), SourceKind.NATIONAL_PUBLIC: D("0.24")},
    )
    services.add_partner(
        None,
        project,
        orgs["epfl"],
        currency="CHF",
        funding_sources={SourceKind.SWISS_FEDERAL: D("0.5"), SourceKind.SWISS_CANTONAL: D("0.5")},
    )
    for partner in project.partners.all():
        changes = [
            services.BudgetChange(wp.pk, cat, period.pk, D("1000.00"))
            for wp in project.work_packages.all()
            for period in project.periods.all()
            for cat in (CostCategory.STAFF, CostCategory.TRAVEL, CostCategory.EXTERNAL)
        ]
        services.modify_budget(None, partner, changes, "initial budget")
    return project


def partner(project: FundingProject, number: int) -> ProjectPartner:
    return project.partners.get(number=number)


@pytest.fixture
def funding_personas(
    personas: dict[str, Any], project: FundingProject, orgs: dict[str, Any]
) -> dict[str, Any]:
    def user(name: str) -> User:
        return User.objects.create_user(
            username=name, email=f"{name}@example.org", password=PASSWORD
        )

    partner_it = user("partner_it")
    OrganisationRole.objects.create(user=partner_it, organisation=orgs["unimi"])
    controller = user("controller")
    services.assign_role(None, project, controller, ProjectRoleKind.CONTROLLER, partner(project, 2))
    auditor = user("auditor")
    services.assign_role(None, project, auditor, ProjectRoleKind.AUDITOR)
    return {**personas, "partner_it": partner_it, "controller": controller, "auditor": auditor}


@pytest.fixture
def fclient(funding_personas: dict[str, Any]) -> Callable[[str], Client]:
    def _client(name: str) -> Client:
        client = Client()
        user = funding_personas[name]
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _client


@pytest.fixture
def rates_2009() -> None:
    services.import_exchange_rates(
        None, "month,currency,rate\n2009-03,CHF,1.5000\n2009-04,CHF,1.5200\n", "test"
    )
