"""Fixtures of the matching tests: profiles made through the services, a small real project graph.

The organisations come from ``tests/conftest.py`` (real ROR organisations); the two projects and
the profile texts below are illustrative test fixtures, not real CORDIS records or profiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from alpsbio.directory.models import Organisation, Participation, Project
from alpsbio.matching import index, services
from alpsbio.matching.models import ExpressionOfInterest, Opportunity


def _load_urlconf_quietly() -> None:
    """Import the URLconf once with Django 6 deprecation warnings ignored.

    ``directory/forms.py`` builds a ModelForm with a URLField (``Organisation.website``), which
    warns about the future default scheme at import; under ``filterwarnings = error`` that breaks
    every test that reverses a URL. Reported to the directory's owner; remove once fixed there.
    """
    import warnings

    from django.utils.deprecation import RemovedInDjango60Warning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RemovedInDjango60Warning)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018


_load_urlconf_quietly()


@pytest.fixture(autouse=True)
def _matching_settings(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MATCHING_ENCODER = "tfidf"  # fast and deterministic; the USE model has its own test
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.MATCHING_REFRESH_SECONDS = 0  # every read checks for edits
    settings.MATCHING_SNAPSHOT_DIR = ""  # no index snapshot on disk (test_index_snapshot.py: tmp)
    # The personas' passwords would take seconds each with the production hasher on 2 cores.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    index.reset_index()
    yield
    index.reset_index()


@pytest.fixture
def texts() -> dict[str, dict[str, str]]:
    """Profile texts in four languages (written for these tests; no real profile is implied)."""
    return {
        "offer": {
            "fr": "Diagnostic moléculaire du cancer par biopsie liquide et séquençage de l'ADN "
            "tumoral circulant",
            "en": "Molecular cancer diagnosis by liquid biopsy and circulating tumour DNA "
            "sequencing",
        },
        "request": {
            "it": "Cerchiamo un partner per la diagnosi molecolare dei tumori tramite biopsia "
            "liquida e sequenziamento del DNA tumorale",
        },
        "other_request": {
            "de": "Wir suchen Partner für Telemedizin und Fernbetreuung älterer Menschen in "
            "Berggebieten",
        },
        "telecare_offer": {
            "en": "Telemedicine platform for remote care of elderly people in mountain areas",
        },
    }


@pytest.fixture
def make_opp(personas: dict[str, Any], orgs: dict[str, Organisation]) -> Callable[..., Opportunity]:
    """Create a profile through the service, optionally walking it to ``status``."""

    def _make(
        org: Organisation | None = None,
        kind: str = "TO",
        title: dict[str, str] | None = None,
        status: str = "draft",
        editor: Any = None,
        **data: Any,
    ) -> Opportunity:
        from alpsbio.accounts.models import OrganisationRole, User

        org = org or orgs["uga"]
        if editor is None:
            editor = personas["editor"]
            if org.pk != orgs["uga"].pk:
                editor, _ = User.objects.get_or_create(
                    username=f"editor{org.pk}", defaults={"email": f"editor{org.pk}@example.org"}
                )
                OrganisationRole.objects.get_or_create(
                    user=editor, organisation=org, defaults={"role": "editor"}
                )
        data.setdefault("title", title or {"en": "A test profile"})
        opp = services.create_opportunity(editor, org, {"kind": kind, **data})
        if status in {"submitted", "published", "returned", "expired"}:
            services.submit_opportunity(editor, opp)
        if status in {"published", "expired"}:
            services.publish_opportunity(personas["admin"], opp)
        if status == "returned":
            services.return_opportunity(personas["admin"], opp, "Please add a summary.")
        if status == "expired":
            services.expire_opportunities(timezone.localdate() + dt.timedelta(days=400))
        opp.refresh_from_db()
        return opp

    return _make


@pytest.fixture
def projects(orgs: dict[str, Organisation]) -> dict[str, Project]:
    """Two illustrative projects shaping a small co-participation graph: UGA-HCL, HCL-UNIMI."""
    p1 = Project.objects.create(
        source="h2020",
        rcn="1",
        acronym="P1",
        title="Liquid biopsy for early cancer detection",
        topic="SC1-PM-1",
        start_date=dt.date(2016, 1, 1),
    )
    p2 = Project.objects.create(
        source="h2020",
        rcn="2",
        acronym="P2",
        title="Tumour DNA sequencing in hospitals",
        topic="SC1-PM-2",
        start_date=dt.date(2017, 1, 1),
    )
    for project, members in ((p1, ("uga", "hcl")), (p2, ("hcl", "unimi"))):
        for key in members:
            Participation.objects.create(project=project, organisation=orgs[key])
    return {"p1": p1, "p2": p2}


@pytest.fixture
def published(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> dict[str, Opportunity]:
    return {
        "offer": make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published"),
        "request": make_opp(
            org=orgs["unimi"], kind="TR", title=texts["request"], status="published"
        ),
        "telecare": make_opp(
            org=orgs["epfl"], kind="TO", title=texts["telecare_offer"], status="published"
        ),
    }


@pytest.fixture
def interest_from_milan(
    personas: dict[str, Any], orgs: dict[str, Organisation]
) -> Callable[..., ExpressionOfInterest]:
    """``outsider`` acts for UNIMI; the returned function makes its expression of interest in
    a profile, through the service."""
    from alpsbio.accounts.models import OrganisationRole

    OrganisationRole.objects.create(user=personas["outsider"], organisation=orgs["unimi"])

    def _express(opp: Opportunity, message: str = "Interested, really.") -> ExpressionOfInterest:
        return services.express_interest(personas["outsider"], opp, orgs["unimi"], message)

    return _express
