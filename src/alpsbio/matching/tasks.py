"""Background work of the matching app (django-tasks). Tasks take IDs and load inside the worker.

Scheduled ones (``expire_opportunities_daily``, ``remind_expiring_daily``, ``ask_follow_ups_daily``,
``send_weekly_digests``)
are enqueued by ``alpsbio matching_cron daily|weekly`` from cron or a systemd timer.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from alpsbio.accounts.models import OrganisationRole, User
from alpsbio.core.i18n import language
from alpsbio.core.links import absolute
from alpsbio.matching import services
from alpsbio.matching.models import (
    ExpressionOfInterest,
    MatchingPreference,
    Opportunity,
    OutcomeFollowUp,
)

if TYPE_CHECKING:
    from alpsbio.matching.index import EmbedReport

logger = logging.getLogger("alpsbio.matching")
FOLLOW_UP_SALT = "alpsbio.matching.follow-up"
UNSUBSCRIBE_SALT = "alpsbio.matching.unsubscribe"


def follow_up_token(follow_up_id: int, user_id: int) -> str:
    return signing.dumps({"f": follow_up_id, "u": user_id}, salt=FOLLOW_UP_SALT)


def read_follow_up_token(token: str, max_age_days: int = 120) -> tuple[int, int]:
    data = signing.loads(token, salt=FOLLOW_UP_SALT, max_age=dt.timedelta(days=max_age_days))
    return int(data["f"]), int(data["u"])


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int:
    return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))


def _editors(org_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            organisation_roles__organisation_id=org_id,
            organisation_roles__role=OrganisationRole.Role.EDITOR,
        ).distinct()
    )


def _members(org_id: int) -> list[User]:
    return list(
        User.objects.filter(is_active=True, organisation_roles__organisation_id=org_id).distinct()
    )


def _managers_of(opp: Opportunity) -> list[User]:
    from alpsbio.accounts.permissions import regional_managers_of

    return regional_managers_of(opp.organisation)


def _mail(user: User, template: str, context: dict[str, Any]) -> None:
    """Render ``matching/email/<template>_{subject,body}.txt`` in the recipient's language."""
    if not user.email:
        return
    with language(user.preferred_language or "en"):
        ctx = {"user": user, **context}
        subject = render_to_string(f"matching/email/{template}_subject.txt", ctx).strip()
        body = render_to_string(f"matching/email/{template}_body.txt", ctx)
    send_mail(subject, body, None, [user.email])


@task()
def embed_opportunity(opportunity_id: int) -> int:
    """Compute (or reuse, by content hash) the vector of one opportunity's text."""
    from alpsbio.matching import index

    profiles = index.load_opp_profiles([opportunity_id])
    opp = Opportunity.objects.filter(pk=opportunity_id).first()
    if opp is None:
        return 0
    if not profiles:  # not published yet: embed its text anyway, so publishing is instant
        texts = index._opp_texts(opp)
        text = "\n".join(v for v in texts.values() if v)
        return index.embed_texts({services.content_hash(text): text}) if text else 0
    return index.embed_texts({p.hash: p.text for p in profiles if p.text})


@task()
def embed_all_profiles() -> int:
    """Embed every organisation and published opportunity not cached for the current model.

    One run embeds for about ``MATCHING_EMBED_TASK_SECONDS`` (default 60) and, if texts are
    left, enqueues the next run behind whatever was queued meanwhile: embedding the real
    directory with E5 takes an hour, and e-mails or a B2B schedule must not wait for it. The
    fast model goes first; each time a model's vectors become complete, every index is rebuilt
    with it (``index.mark_vectors_changed``) and the snapshot is written again."""
    import time

    budget = float(getattr(settings, "MATCHING_EMBED_TASK_SECONDS", 60))
    done = embed_profiles(deadline=time.monotonic() + budget)
    if done.made and any(done.missing_after.values()):
        enqueue_embedding(force=True)
    return done.made


def embed_profiles(*, deadline: float | None = None, processes: int = 1) -> EmbedReport:
    """Embed the profiles not cached for the current text model (up to ``deadline``, or all of
    them on ``processes`` processes: ``alpsbio matching_cron embed --now``); when a model's
    vectors become complete, every index switches to it and the snapshot is rebuilt."""
    from alpsbio.matching import index

    encoder = index.get_encoder()
    if encoder is None:
        return index.EmbedReport()
    profiles = index.load_org_profiles() + index.load_opp_profiles()
    texts = {p.hash: p.text for p in profiles if p.text}
    done = index.embed_missing(texts, encoder, deadline=deadline, processes=processes)
    after = done.missing_after
    logger.info("embedded %d texts; still missing per model: %s", done.made, after)
    if any(n == 0 and done.missing_before[name] > 0 for name, n in after.items()):
        index.mark_vectors_changed()  # a model just became complete
        enqueue_index_snapshot(rebuild=True)
    return done


def enqueue_embedding(force: bool = False) -> None:
    """Enqueue ``embed_all_profiles`` unless a run is already waiting in the queue (every index
    build that finds missing vectors asks for one). ``force``: the task continuing itself."""
    from django.db import transaction

    def enqueue() -> None:
        if not force and embedding_queued():
            return
        embed_all_profiles.enqueue()

    transaction.on_commit(enqueue)


def embedding_queued() -> bool:
    """Whether a run of ``embed_all_profiles`` waits in the queue (the database backend)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if not str(backend).startswith("django_tasks_db."):
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=embed_all_profiles.module_path, status=TaskResultStatus.READY
    ).exists()


@task()
def refresh_index_snapshot(rebuild: bool = False) -> str:
    """Build (or load and patch) the matching index in the worker and write its snapshot, so
    that web processes start from it in seconds (``index.refresh_snapshot``)."""
    from alpsbio.matching import index

    path = index.refresh_snapshot(rebuild=rebuild)
    return str(path or "")


def enqueue_index_snapshot(rebuild: bool = False) -> None:
    """Enqueue ``refresh_index_snapshot`` after the current transaction commits (no-op when
    snapshots are off)."""
    from django.db import transaction

    from alpsbio.matching import index

    if index.snapshot_path() is None:
        return
    transaction.on_commit(lambda: refresh_index_snapshot.enqueue(rebuild))


@task()
def notify_opportunity_submitted(opportunity_id: int) -> int:
    opp = Opportunity.objects.select_related("organisation").get(pk=opportunity_id)
    url = absolute(reverse("matching:detail", args=[opp.pk]))
    managers = _managers_of(opp)
    for user in managers:
        _mail(user, "submitted", {"opp": opp, "url": url})
    return len(managers)


@task()
def notify_opportunity_reviewed(opportunity_id: int) -> int:
    return _notify_editors(opportunity_id, "reviewed")


def _notify_editors(opportunity_id: int, template: str) -> int:
    opp = Opportunity.objects.select_related("organisation").get(pk=opportunity_id)
    url = absolute(reverse("matching:detail", args=[opp.pk]))
    editors = _editors(opp.organisation_id)
    for user in editors:
        _mail(user, template, {"opp": opp, "url": url})
    return len(editors)


@task()
def notify_opportunity_expiring(opportunity_id: int) -> int:
    """Remind the editors before a published profile expires, with the page to renew it."""
    return _notify_editors(opportunity_id, "expiring")


@task()
def notify_opportunity_expired(opportunity_id: int) -> int:
    """Tell the editors a profile has expired: no longer shown or matched until renewed."""
    return _notify_editors(opportunity_id, "expired")


@task()
def notify_eoi_created(eoi_id: int) -> int:
    """Tell the owner's editors and its regional manager(s), each in their own language."""
    eoi = ExpressionOfInterest.objects.select_related(
        "opportunity__organisation", "organisation"
    ).get(pk=eoi_id)
    url = absolute(reverse("matching:eoi_detail", args=[eoi.pk]))
    recipients = {u.pk: u for u in _editors(eoi.opportunity.organisation_id)}
    recipients.update({u.pk: u for u in _managers_of(eoi.opportunity)})
    for user in recipients.values():
        _mail(user, "eoi_created", {"eoi": eoi, "opp": eoi.opportunity, "url": url})
    return len(recipients)


@task()
def notify_eoi_decided(eoi_id: int) -> int:
    eoi = ExpressionOfInterest.objects.select_related(
        "opportunity__organisation", "organisation"
    ).get(pk=eoi_id)
    url = absolute(reverse("matching:eoi_detail", args=[eoi.pk]))
    recipients = _members(eoi.organisation_id)
    for user in recipients:
        _mail(user, "eoi_decided", {"eoi": eoi, "opp": eoi.opportunity, "url": url})
    return len(recipients)


@task()
def send_follow_up(follow_up_id: int) -> int:
    """E-mail each person of the asked side a signed link to answer without logging in."""
    fu = OutcomeFollowUp.objects.select_related(
        "eoi__opportunity__organisation", "eoi__organisation"
    ).get(pk=follow_up_id)
    org_id = fu.organisation_id
    users = _members(org_id)
    for user in users:
        token = follow_up_token(fu.pk, user.pk)
        url = absolute(reverse("matching:follow_up_answer", args=[token]))
        _mail(user, "follow_up", {"fu": fu, "eoi": fu.eoi, "opp": fu.eoi.opportunity, "url": url})
    return len(users)


@task()
def expire_opportunities_daily() -> int:
    return len(services.expire_opportunities())


@task()
def remind_expiring_daily() -> int:
    return len(services.remind_expiring_opportunities())


@task()
def ask_follow_ups_daily() -> int:
    return len(services.ask_due_follow_ups())


@task()
def send_weekly_digests() -> int:
    """One digest per user with new matches, unless opted out; returns how many were sent."""
    candidates = User.objects.filter(is_active=True, organisation_roles__isnull=False).distinct()
    opted_out = set(
        MatchingPreference.objects.filter(weekly_digest=False).values_list("user_id", flat=True)
    )
    sent = 0
    for user in candidates:
        if user.pk in opted_out:
            continue
        if send_digest(user.pk):
            sent += 1
    return sent


def send_digest(user_id: int) -> bool:
    from alpsbio.matching import queries

    user = User.objects.get(pk=user_id)
    pref = MatchingPreference.objects.filter(user=user).first()
    if pref is not None and not pref.weekly_digest:
        return False
    now = timezone.now()
    since = pref.last_digest_at if pref and pref.last_digest_at else now - dt.timedelta(days=7)
    lang = user.preferred_language or "en"
    with language(lang):
        matches = queries.new_matches_for_user(user, since, limit=15, lang=lang, wait=True)
    if not matches:
        return False
    rows = [
        {
            "opp": opp,
            "match": m,
            "url": absolute(reverse("matching:detail", args=[m.opp_id])) if m.opp_id else "",
        }
        for opp, m in matches
    ]
    unsubscribe = absolute(reverse("matching:unsubscribe", args=[unsubscribe_token(user.pk)]))
    _mail(user, "digest", {"rows": rows, "unsubscribe_url": unsubscribe})
    services.mark_digest_sent(user, now)
    return True
