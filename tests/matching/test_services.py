"""Workflow, reference codes, expressions of interest and follow-up through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alpsbio.core.models import AuditEntry
from alpsbio.directory.models import Organisation
from alpsbio.matching import queries, services
from alpsbio.matching.models import ExpressionOfInterest, Opportunity, OutcomeFollowUp


def test_reference_code_is_type_country_date_sequence(make_opp: Callable[..., Opportunity]) -> None:
    """Two profiles of the same type, country and day get consecutive sequence numbers."""
    a = make_opp(kind="TO")
    b = make_opp(kind="TO")
    day = timezone.localdate().strftime("%Y%m%d")
    assert a.reference == f"TOFR{day}001"
    assert b.reference == f"TOFR{day}002"
    assert make_opp(kind="RD").reference == f"RDFR{day}001"


def test_only_editors_create(personas: dict[str, Any], orgs: dict[str, Organisation]) -> None:
    for name in ("member", "outsider", "manager_fr"):
        with pytest.raises(PermissionDenied):
            services.create_opportunity(
                personas[name], orgs["uga"], {"kind": "TO", "title": {"en": "x"}}
            )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "XX", "title": {"en": "t"}}, "kind"),
        ({"kind": "TO", "title": {}}, "title"),
        ({"kind": "TO", "title": {"xx": "t"}}, "title"),
        ({"kind": "TO", "title": {"en": "t"}, "trl": 12}, "trl"),
        ({"kind": "TO", "title": {"en": "t"}, "expires_on": "2001-01-01"}, "expires_on"),
        ({"kind": "TO", "title": {"en": "t"}, "expires_on": "tomorrow"}, "expires_on"),
        ({"kind": "TO", "title": {"en": "t"}, "partner_types": ["alien"]}, "partner_types"),
        ({"kind": "TO", "title": {"en": "t"}, "nace_codes": ["99.99"]}, "nace_codes"),
    ],
)
def test_invalid_input_names_the_field(
    personas: dict[str, Any], orgs: dict[str, Organisation], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_opportunity(personas["editor"], orgs["uga"], data)
    assert field in exc.value.message_dict


def test_workflow_draft_review_publish_expire_renew(
    make_opp: Callable[..., Opportunity], personas: dict[str, Any]
) -> None:
    opp = make_opp(kind="TR", title={"fr": "Recherche de technologie"})
    assert opp.status == "draft"
    with pytest.raises(ValidationError):
        services.publish_opportunity(personas["manager_fr"], opp)  # not submitted yet
    services.submit_opportunity(personas["editor"], opp)
    # The Lombardy manager does not review a Rhône-Alpes profile; the editor cannot self-publish.
    for name in ("manager_it", "editor"):
        with pytest.raises(PermissionDenied):
            services.publish_opportunity(personas[name], opp)
    with pytest.raises(ValidationError) as exc:
        services.return_opportunity(personas["manager_fr"], opp, "  ")
    assert "comment" in exc.value.message_dict
    services.return_opportunity(personas["manager_fr"], opp, "Add the TRL, please.")
    opp.refresh_from_db()
    assert (opp.status, opp.review_comment) == ("returned", "Add the TRL, please.")
    services.update_opportunity(personas["editor"], opp, {"trl": 6})
    services.submit_opportunity(personas["editor"], opp)
    services.publish_opportunity(personas["manager_fr"], opp)
    opp.refresh_from_db()
    assert opp.status == "published"
    assert opp.published_at is not None
    expired = services.expire_opportunities(opp.expires_on + dt.timedelta(days=1))
    assert expired == [opp.pk]
    opp.refresh_from_db()
    assert opp.status == "expired"
    with pytest.raises(PermissionDenied):
        services.renew_opportunity(personas["member"], opp)
    services.renew_opportunity(personas["editor"], opp)
    opp.refresh_from_db()
    assert opp.status == "published"
    assert opp.expires_on > timezone.localdate()
    actions = set(AuditEntry.objects.filter(object_id=str(opp.pk)).values_list("action", flat=True))
    assert {
        "opportunity.created",
        "opportunity.returned",
        "opportunity.published",
        "opportunity.expired",
        "opportunity.renewed",
    } <= actions


def test_submitted_profile_cannot_be_edited(
    make_opp: Callable[..., Opportunity], personas: dict[str, Any]
) -> None:
    opp = make_opp(status="submitted")
    with pytest.raises(PermissionDenied):
        services.update_opportunity(personas["editor"], opp, {"trl": 3})


def test_submission_notifies_the_regional_manager(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    opp = make_opp()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_opportunity(personas["editor"], opp)
    to = {m.to[0] for m in mail.outbox}
    assert "manager_fr@example.org" in to
    assert "manager_it@example.org" not in to


def _published_pair(make_opp: Callable[..., Opportunity], orgs: dict[str, Organisation]) -> Any:
    return make_opp(org=orgs["uga"], kind="TO", status="published")


def test_expression_of_interest_notifies_owner_and_manager_in_their_language(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    opp = _published_pair(make_opp, orgs)
    personas["editor"].preferred_language = "fr"
    personas["editor"].save()
    from alpsbio.accounts.models import OrganisationRole

    OrganisationRole.objects.create(user=personas["outsider"], organisation=orgs["unimi"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        eoi = services.express_interest(
            personas["outsider"], opp, orgs["unimi"], "We work on this and would like to talk."
        )
    to = {m.to[0] for m in mail.outbox}
    assert to == {"editor@example.org", "manager_fr@example.org"}
    assert eoi.status == "pending"
    with pytest.raises(ValidationError):
        services.express_interest(personas["outsider"], opp, orgs["unimi"], "Once more, please!")


def test_cannot_answer_own_or_unpublished_profile(
    make_opp: Callable[..., Opportunity], personas: dict[str, Any], orgs: dict[str, Organisation]
) -> None:
    opp = _published_pair(make_opp, orgs)
    with pytest.raises(PermissionDenied):
        services.express_interest(personas["member"], opp, orgs["uga"], "our own profile......")
    draft = make_opp(org=orgs["uga"])
    with pytest.raises(PermissionDenied):
        services.express_interest(personas["outsider"], draft, orgs["unimi"], "not published.....")


def test_contacts_shared_only_after_acceptance(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    from alpsbio.directory.models import Person

    opp = _published_pair(make_opp, orgs)
    Person.objects.create(
        organisation=orgs["uga"],
        first_name="Anne",
        last_name="Martin",
        email="anne@example.org",
        consent_given_at=timezone.now(),
    )
    Person.objects.create(
        organisation=orgs["uga"], first_name="No", last_name="Consent", email="nc@example.org"
    )
    eoi = interest_from_milan(opp)
    assert queries.shared_contacts(personas["outsider"], eoi)["owner"] == []
    with pytest.raises(PermissionDenied):
        services.accept_interest(personas["outsider"], eoi)
    services.accept_interest(personas["editor"], eoi)
    eoi.refresh_from_db()
    owner = queries.shared_contacts(personas["outsider"], eoi)["owner"]
    assert owner == [
        {"name": "editor", "email": "editor@example.org", "role": "accepted it"},
        {"name": "Anne Martin", "email": "anne@example.org"},
    ]
    assert queries.shared_contacts(personas["anonymous"], eoi)["owner"] == []


def test_follow_ups_are_asked_at_3_6_12_months_once(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    opp = _published_pair(make_opp, orgs)
    eoi = interest_from_milan(opp)
    services.accept_interest(personas["editor"], eoi)
    eoi.refresh_from_db()
    assert eoi.decided_at is not None
    start = eoi.decided_at
    assert services.ask_due_follow_ups(start + dt.timedelta(days=30)) == []
    three = services.ask_due_follow_ups(start + dt.timedelta(days=95))
    assert len(three) == 2  # both sides
    assert services.ask_due_follow_ups(start + dt.timedelta(days=96)) == []
    six = services.ask_due_follow_ups(start + dt.timedelta(days=190))
    twelve = services.ask_due_follow_ups(start + dt.timedelta(days=370))
    assert len(six) == len(twelve) == 2
    assert sorted(OutcomeFollowUp.objects.values_list("months", flat=True)) == [3, 3, 6, 6, 12, 12]
    fu = OutcomeFollowUp.objects.get(pk=twelve[0])
    someone_else = personas["member"] if fu.side == "responder" else personas["outsider"]
    with pytest.raises(PermissionDenied):
        services.answer_follow_up(someone_else, fu, True, True, False)
    answerer = personas["editor"] if fu.side == "owner" else personas["outsider"]
    services.answer_follow_up(answerer, fu, meeting=True, agreement=True, joint_project=False)
    today = timezone.localdate()
    assert queries.count_cooperation_agreements(today, today) == 1
    assert queries.count_expressions_of_interest(today, today) == 1
    assert (
        queries.count_expressions_of_interest(
            today - dt.timedelta(days=9), today - dt.timedelta(days=1)
        )
        == 0
    )
    report = queries.outcome_report(personas["manager_fr"])
    assert report["totals"]["agreement"] == 1
    assert report["regions"]["FRK2"]["eois"] == 1


def test_policy_only_for_platform_admins(personas: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.update_matching_policy(personas["manager_fr"], 0.2, 0.1, 0.1)
    with pytest.raises(ValidationError) as exc:
        services.update_matching_policy(personas["admin"], 2.0, 0.1, 0.1)
    assert "border_bonus" in exc.value.message_dict
    s = services.update_matching_policy(personas["admin"], 0.3, 0.0, 0.2)
    assert (s.border_bonus, s.sector_bonus, s.network_bonus) == (0.3, 0.0, 0.2)


def test_demo_profiles_from_cordis_are_flagged_and_idempotent(
    orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    assert services.load_matching_demo() == 3  # UGA, HCL, UNIMI took part in projects
    assert services.load_matching_demo() == 3
    demo = Opportunity.objects.filter(is_demo=True)
    assert demo.count() == 3
    assert all(o.demo_source == services.DEMO_SOURCE and o.status == "published" for o in demo)
    hcl = demo.get(organisation=orgs["hcl"])
    assert "Liquid biopsy for early cancer detection" in hcl.description["en"]


def test_eoi_decision_is_final(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    opp = _published_pair(make_opp, orgs)
    eoi = interest_from_milan(opp)
    services.decline_interest(personas["editor"], eoi)
    with pytest.raises(ValidationError):
        services.accept_interest(personas["editor"], ExpressionOfInterest.objects.get(pk=eoi.pk))
