"""Survey services: builder rights, invitations, save and resume, anonymity, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alpsbio.directory.models import Organisation, Person
from alpsbio.survey import queries, services
from alpsbio.survey.models import Invitation, QuestionType, Response, Survey


def test_only_managers_build_surveys(personas: dict[str, Any]) -> None:
    for name in ("editor", "member", "outsider"):
        with pytest.raises(PermissionDenied):
            services.create_survey(personas[name], slug="s1", title={"en": "S"})
    s = services.create_survey(personas["manager_fr"], slug="s1", title={"en": "S", "fr": "E"})
    sec = services.add_section(personas["manager_fr"], s, key="a", title={"en": "A"})
    q1 = services.add_question(
        personas["manager_fr"],
        sec,
        key="kind",
        qtype=QuestionType.SINGLE,
        text={"en": "Kind?"},
        choices=[{"value": "x", "label": {"en": "X"}}, {"value": "y", "label": {"en": "Y"}}],
    )
    q2 = services.add_question(
        personas["manager_fr"],
        sec,
        key="why",
        qtype=QuestionType.TEXT,
        text={"en": "Why?"},
        condition_question=q1,
        condition_op="equals",
        condition_value="y",
    )
    assert q2.condition_question == q1
    with pytest.raises(ValidationError) as exc:
        services.add_question(
            personas["manager_fr"],
            sec,
            key="bad",
            qtype=QuestionType.TEXT,
            text={"en": "?"},
            condition_question=q1,
            condition_op="equals",
            condition_value="zzz",
        )
    assert "condition_value" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.add_question(
            personas["manager_fr"], sec, key="kind", qtype="text", text={"en": "dup"}
        )
    services.open_survey(personas["manager_fr"], s)
    with pytest.raises(ValidationError):
        services.add_section(personas["manager_fr"], s, key="b", title={"en": "B"})


def test_regional_manager_invites_only_own_region(
    cluster_survey: Survey, personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    res = services.invite_organisations(
        personas["manager_fr"], cluster_survey, [orgs["uga"], orgs["unimi"]]
    )
    assert [i.organisation for i in res.created] == [orgs["uga"]]
    assert res.skipped[0][0] == orgs["unimi"]
    inv = res.created[0]
    assert len(inv.token) >= 40
    assert inv.language == "fr"
    with pytest.raises(PermissionDenied):
        services.invite_organisations(personas["editor"], cluster_survey, [orgs["uga"]])


def test_invitation_mail_in_recipient_language(
    cluster_survey: Survey,
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    Person.objects.create(
        organisation=orgs["unimi"], first_name="A", last_name="B", email="a@unimi.it"
    )
    with django_capture_on_commit_callbacks(execute=True):
        res = services.invite_organisations(personas["manager_it"], cluster_survey, [orgs["unimi"]])
    inv = Invitation.objects.get(pk=res.created[0].pk)
    assert inv.language == "it"
    assert inv.sent_at is not None
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["a@unimi.it"]
    assert "Indagine territoriale" in msg.subject
    assert f"{settings.SITE_URL}/it/analysis/respond/{inv.token}/" in msg.body


def test_save_resume_and_submit(
    cluster_survey: Survey, invite: Any, orgs: dict[str, Organisation], full_answers: dict[str, Any]
) -> None:
    inv = invite(cluster_survey, orgs["uga"])
    services.save_answers(inv.token, {"main_activity": "research", "rate_rd_capacity": "4"})
    # Resume: the saved answers are there; a partial save does not require the rest.
    resp = Response.objects.get(invitation=inv)
    assert len(services.current_answers(resp)) == 2
    with pytest.raises(ValidationError) as exc:
        services.save_answers(inv.token, {}, submit=True)
    assert "rate_regulation" in exc.value.message_dict
    services.save_answers(inv.token, full_answers, submit=True)
    inv.refresh_from_db()
    resp.refresh_from_db()
    assert inv.submitted_at is not None
    assert resp.status == Response.Status.SUBMITTED
    assert resp.region is not None
    assert resp.region.code == "FRK2"
    with pytest.raises(ValidationError):
        services.save_answers(inv.token, {"main_activity": "industry"})
    with pytest.raises(PermissionDenied):
        services.save_answers("not-a-token", {})


def test_anonymous_survey_detaches_response(
    cluster_survey: Survey,
    invite: Any,
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
    personas: dict[str, Any],
) -> None:
    Survey.objects.filter(pk=cluster_survey.pk).update(anonymous=True)
    cluster_survey.refresh_from_db()
    inv = invite(cluster_survey, orgs["hcl"])
    resp = services.save_answers(inv.token, full_answers, submit=True)
    resp.refresh_from_db()
    assert resp.invitation is None
    assert resp.org_type == "hospital"
    assert resp.region.code == "FRK2"
    header, rows = queries.export_table(
        Response.objects.filter(survey=cluster_survey), cluster_survey
    )
    assert "organisation" not in header
    assert "organisation_id" not in header
    flat = " ".join(str(c) for r in rows for c in r)
    assert "Hospices" not in flat
    assert queries.response_rates(cluster_survey)["total"].submitted == 1


def test_response_rates_and_scores(
    cluster_survey: Survey, invite: Any, orgs: dict[str, Organisation], full_answers: dict[str, Any]
) -> None:
    a = invite(cluster_survey, orgs["uga"])
    invite(cluster_survey, orgs["hcl"])
    b = invite(cluster_survey, orgs["unimi"])
    services.save_answers(a.token, full_answers, submit=True)
    services.save_answers(b.token, {"main_activity": "industry"})
    rates = queries.response_rates(cluster_survey)
    assert (rates["total"].invited, rates["total"].started, rates["total"].submitted) == (3, 2, 1)
    fr = next(r for r in rates["by_region"] if r.key == "FRK2")
    assert (fr.invited, fr.submitted) == (2, 1)
    uni = next(r for r in rates["by_type"] if r.key == "university")
    assert (uni.invited, uni.submitted) == (2, 1)
    scores = queries.survey_theme_scores()
    row = scores[(scores["region"] == "FRK2") & (scores["theme"] == "rd_capacity")].iloc[0]
    assert row["mean"] == 5
    assert row["n"] == 1
    today = timezone.localdate()
    assert queries.count_survey_respondents(today - dt.timedelta(days=1), today) == 1
    assert (
        queries.count_survey_respondents(
            today - dt.timedelta(days=10), today - dt.timedelta(days=2)
        )
        == 0
    )


def test_reminders_go_once_per_interval_to_non_respondents(
    cluster_survey: Survey,
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    full_answers: dict[str, Any],
) -> None:
    Person.objects.create(organisation=orgs["uga"], first_name="C", last_name="D", email="c@uga.fr")
    Person.objects.create(organisation=orgs["hcl"], first_name="E", last_name="F", email="e@hcl.fr")
    res = services.invite_organisations(
        personas["admin"], cluster_survey, [orgs["uga"], orgs["hcl"]], send=False
    )
    services.send_invitation_emails([i.pk for i in res.created])
    assert len(mail.outbox) == 2
    uga = next(i for i in res.created if i.organisation == orgs["uga"])
    services.save_answers(uga.token, full_answers, submit=True)
    now = timezone.now()
    assert services.send_reminders(cluster_survey, now=now) == 0  # too early
    later = now + dt.timedelta(days=8)
    assert services.send_reminders(cluster_survey, now=later) == 1
    assert mail.outbox[-1].to == ["e@hcl.fr"]
    assert "Enquête territoriale de l'Alps" in mail.outbox[-1].subject
    assert services.send_reminders(cluster_survey, now=later + dt.timedelta(days=1)) == 0
    with pytest.raises(PermissionDenied):
        services.send_reminders(cluster_survey, actor=personas["outsider"])


def test_funding_provider_counts_respondents(db: Any) -> None:
    funding = pytest.importorskip("alpsbio.funding.indicators")
    assert "survey_respondents" in funding.registered_sources()
