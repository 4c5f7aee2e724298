"""Weekly digest of new matches (opt-out, unsubscribe link) and the daily tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.utils import timezone

from alpsbio.directory.models import Organisation
from alpsbio.matching import services, tasks
from alpsbio.matching.models import Opportunity


def test_digest_lists_new_matches_with_reasons_and_unsubscribe_link(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    make_opp(org=orgs["uga"], kind="TR", title=texts["request"], status="published")
    summary = "Sequencing & bioinformatics for the hospital's laboratories"
    offer = make_opp(
        org=orgs["unimi"],
        kind="TO",
        title=texts["offer"],
        summary={"en": summary},
        status="published",
    )
    mail.outbox.clear()
    sent = tasks.send_weekly_digests.call()
    assert sent >= 1
    to_editor = [m for m in mail.outbox if "editor@example.org" in m.to]
    assert to_editor
    body = to_editor[0].body
    assert offer.display_title in body
    assert "/unsubscribe/" in body
    assert "Crosses a border" in body
    # What the matched profile says beyond its title, as written: a plain-text e-mail escapes
    # nothing ("&amp;", "&#x27;" before).
    assert summary in body
    # Nothing new since: no second digest.
    mail.outbox.clear()
    tasks.send_weekly_digests.call()
    assert not [m for m in mail.outbox if "editor@example.org" in m.to]


def test_digest_respects_opt_out(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    services.set_digest_preference(personas["editor"], False)
    services.set_digest_preference(personas["member"], False)
    make_opp(org=orgs["uga"], kind="TR", title=texts["request"], status="published")
    make_opp(org=orgs["unimi"], kind="TO", title=texts["offer"], status="published")
    mail.outbox.clear()
    tasks.send_weekly_digests.call()
    assert not [m for m in mail.outbox if m.to[0] in {"editor@example.org", "member@example.org"}]


def test_digest_in_the_recipients_language(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    personas["editor"].preferred_language = "it"
    personas["editor"].save()
    make_opp(org=orgs["uga"], kind="TR", title=texts["request"], status="published")
    make_opp(org=orgs["unimi"], kind="TO", title=texts["offer"], status="published")
    mail.outbox.clear()
    assert tasks.send_digest(personas["editor"].pk)
    # Titles come in the reader's language when written in it (here: the Italian request).
    assert texts["request"]["it"][:30] in mail.outbox[0].body


def test_daily_tasks_expire_and_ask_follow_ups(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
) -> None:
    opp = make_opp(status="published")
    Opportunity.objects.filter(pk=opp.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert tasks.expire_opportunities_daily.call() == 1
    assert tasks.ask_follow_ups_daily.call() == 0


def test_editors_are_reminded_before_expiry_once_per_date_and_told_when_it_expires(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    opp = make_opp(status="published")
    today = timezone.localdate()
    editor = personas["editor"]
    editor.preferred_language = "fr"
    editor.save(update_fields=["preferred_language"])
    Opportunity.objects.filter(pk=opp.pk).update(expires_on=today + dt.timedelta(days=20))

    def daily(day: dt.date) -> tuple[list[int], list[int], list[Any]]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            reminded = services.remind_expiring_opportunities(day)
            expired = services.expire_opportunities(day)
        return reminded, expired, [m for m in mail.outbox if editor.email in m.to]

    assert daily(today) == ([], [], [])  # 20 days ahead: too early
    reminded, expired, sent = daily(today + dt.timedelta(days=7))
    assert (reminded, expired) == ([opp.pk], [])
    assert len(sent) == 1
    # In the editor's language, with the page where the profile is renewed.
    assert opp.reference in sent[0].subject
    assert "publié que jusqu'au" in sent[0].subject
    assert f"/opportunities/{opp.pk}/" in sent[0].body
    assert "Renouveler pour un an" in sent[0].body
    assert daily(today + dt.timedelta(days=8)) == ([], [], [])  # once per expiry date

    # Renewed: a new date earns a new reminder when it comes near, not now.
    services.renew_opportunity(editor, opp, today + dt.timedelta(days=30))
    assert daily(today + dt.timedelta(days=9)) == ([], [], [])
    assert daily(today + dt.timedelta(days=17))[0] == [opp.pk]

    # Past its date, the profile expires and the editors are told so.
    reminded, expired, sent = daily(today + dt.timedelta(days=31))
    assert (reminded, expired) == ([], [opp.pk])
    assert len(sent) == 1
    assert "a expiré" in sent[0].subject
    opp.refresh_from_db()
    assert opp.status == "expired"


def test_daily_cron_sends_the_expiry_reminders(make_opp: Callable[..., Opportunity]) -> None:
    from django.core.management import call_command

    opp = make_opp(status="published")
    soon = timezone.localdate() + dt.timedelta(days=3)
    Opportunity.objects.filter(pk=opp.pk).update(expires_on=soon)
    call_command("matching_cron", "daily")  # the immediate task backend of the tests runs them
    opp.refresh_from_db()
    assert opp.expiry_reminded_for == soon
