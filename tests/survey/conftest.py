"""Survey fixtures: the cluster questionnaire, invitations, small Eurostat files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alpsbio.directory.models import Organisation
from alpsbio.survey import services
from alpsbio.survey.models import Invitation, QuestionType, Survey


@pytest.fixture(autouse=True, scope="session")
def _url_conf_loaded() -> None:
    """Load the URL conf once with Django 6 deprecation warnings ignored: the directory's
    OrganisationForm builds a URLField without ``assume_scheme`` (not ours to change)."""
    import importlib
    import warnings

    from django.utils.deprecation import RemovedInDjango60Warning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RemovedInDjango60Warning)
        importlib.import_module("alpsbio.config.urls")


@pytest.fixture(autouse=True)
def _immediate_tasks_and_mail(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    # The personas' passwords are hashed with the fast test hasher (PBKDF2 costs seconds each).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cluster_survey(db: Any) -> Survey:
    return services.load_cluster_questionnaire()


@pytest.fixture
def invite(personas: dict[str, Any]) -> Any:
    def _invite(survey: Survey, org: Organisation, actor: str = "admin") -> Invitation:
        result = services.invite_organisations(personas[actor], survey, [org])
        assert result.created, result.skipped
        return result.created[0]

    return _invite


FULL_ANSWERS: dict[str, Any] = {
    "main_activity": "research",
    "staff_life_sciences": "120",
    "rate_rd_capacity": "5",
    "rate_access_to_finance": "2",
    "rate_skills_training": "4",
    "rate_infrastructure": "4",
    "rate_cooperation": "3",
    "rate_market_access": "2",
    "rate_regulation": "3",
    "needs": ["research_partners", "finance"],
    "finance_kind": "eu_programmes",
    "cross_border": "no",
}


@pytest.fixture
def full_answers() -> dict[str, Any]:
    return dict(FULL_ANSWERS)


@pytest.fixture
def eurostat_tsv(tmp_path: Path) -> Path:
    """TSV dissemination format with flags, a missing value, an old code and an aggregate."""
    path = tmp_path / "tgs00010.tsv"
    path.write_text(
        "unit,sex,age,geo\\time\t2019 \t2020 \n"
        "PC,T,Y_GE15,FRK2\t6.1 \t6.5 p\n"
        "PC,T,Y_GE15,ITC4\t5.6 \t: c\n"
        "PC,T,Y_GE15,FR71\t7.0 \t7.2 \n"
        "PC,T,Y_GE15,EU27_2020\t6.7 \t7.1 \n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def eurostat_csv(tmp_path: Path) -> Path:
    path = tmp_path / "selected.csv"
    path.write_text(
        "unit,geo,time,values,input_var_code,input_var_desc\n"
        "MIO_EUR,FRK2,2018,270000.5,tgs00003,Regional gross domestic product\n"
        "MIO_EUR,ITC4,2018,390000,tgs00003,Regional gross domestic product\n"
        "MIO_EUR,CH01,2018,,tgs00003,Regional gross domestic product\n"
        "MIO_EUR,FRK2,2019,280000,tgs00003,Regional gross domestic product\n",
        encoding="utf-8",
    )
    return path


BUILDER_CHOICES = [{"value": "x", "label": {"en": "X"}}, {"value": "y", "label": {"en": "Y"}}]


@pytest.fixture
def built(personas: dict[str, Any]) -> dict[str, Any]:
    """A draft by manager_fr for the builder tests: section a holds kind (single choice) and why
    (text, shown if kind = y); section b holds rate (scale)."""
    m = personas["manager_fr"]
    s = services.create_survey(m, slug="pulse", title={"en": "Pulse"})
    a = services.add_section(m, s, key="a", title={"en": "Section A"})
    b = services.add_section(m, s, key="b", title={"en": "Section B"})
    kind = services.add_question(
        m, a, key="kind", qtype=QuestionType.SINGLE, text={"en": "Kind?"}, choices=BUILDER_CHOICES
    )
    why = services.add_question(
        m,
        a,
        key="why",
        qtype=QuestionType.TEXT,
        text={"en": "Why?"},
        condition_question=kind,
        condition_op="equals",
        condition_value="y",
    )
    rate = services.add_question(m, b, key="rate", qtype=QuestionType.SCALE, text={"en": "Rate"})
    return {"survey": s, "a": a, "b": b, "kind": kind, "why": why, "rate": rate}
