"""End to end: profile → interest → acceptance → 3-month follow-up by signed link → report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from alpsbio.directory.models import Organisation
from alpsbio.matching import queries, services
from alpsbio.matching.models import ExpressionOfInterest, OutcomeFollowUp


def test_follow_up_by_signed_link_feeds_the_report(
    make_opp: Callable[..., Any],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    opp = make_opp(status="published")
    eoi = interest_from_milan(opp, "Let us meet soon.")
    services.accept_interest(personas["editor"], eoi)
    eoi.refresh_from_db()
    assert eoi.decided_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.ask_due_follow_ups(eoi.decided_at + dt.timedelta(days=100))
    assert len(created) == 2
    to_outsider = [m for m in mail.outbox if m.to == ["outsider@example.org"]]
    assert len(to_outsider) == 1
    link = next(w for w in to_outsider[0].body.split() if "/follow-up/" in w)
    path = link[link.index("/", len("http://")) :]
    anon = Client()
    page = anon.get(path)
    assert page.status_code == 200
    resp = anon.post(path, {"meeting": "on", "agreement": "on"})
    assert resp.status_code == 302
    fu = OutcomeFollowUp.objects.get(side="responder")
    assert (fu.meeting, fu.agreement, fu.joint_project) == (True, True, False)
    assert anon.get(path[:-5] + "xxxx/").status_code == 400
    # The dashboard lists the owner's pending question.
    dash = client_for("editor").get(reverse("accounts:dashboard")).content.decode()
    assert "Tell us what came of your contacts" in dash
    report = client_for("manager_fr").get(reverse("matching:report")).content.decode()
    assert "FRK2" in report
    assert queries.outcome_report(personas["admin"])["totals"]["agreement"] == 1
