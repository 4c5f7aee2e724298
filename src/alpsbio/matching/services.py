"""State changes of the matching app. Each owns its transaction and writes an audit entry.

Workflow of an opportunity::

    draft ──submit──▶ submitted ──publish (regional manager)──▶ published ──expire (daily)──▶ expired
      ▲                  │                                          ▲                          │
      └──edit── returned ◀┘ return with a comment                    └──────── renew (owner) ◀──┘
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.accounts.models import User
from alpsbio.core import audit
from alpsbio.core.i18n import LANGUAGE_CODES, clean_translations
from alpsbio.directory.models import NaceCode, Organisation, OrganisationType
from alpsbio.matching import permissions
from alpsbio.matching.models import (
    FOLLOW_UP_MONTHS,
    ExpressionOfInterest,
    MatchingPreference,
    MatchingSettings,
    Opportunity,
    OpportunityStatus,
    OpportunityType,
    OutcomeFollowUp,
    ReferenceCounter,
)

DEFAULT_VALIDITY_DAYS = 365
EXPIRY_NOTICE_DAYS = 14  # editors are reminded this many days before a profile expires
MAX_VALIDITY_DAYS = 2 * 365
EDITABLE_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "keywords",
    "nace_codes",
    "trl",
    "partner_types",
    "partner_regions",
    "expires_on",
)


def _enqueue(task_name: str, *args: Any) -> None:
    """Enqueue a task of ``alpsbio.matching.tasks`` once the current transaction commits."""

    def _go() -> None:
        from alpsbio.matching import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(_go)


# --- Opportunities ------------------------------------------------------------------------------


def clean_opportunity_data(data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
    """Validate user input for an opportunity; raises ``ValidationError`` with field messages."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def fail(field: str, msg: str) -> None:
        errors.setdefault(field, []).append(msg)

    if "kind" in data or not partial:
        kind = data.get("kind")
        if kind not in OpportunityType.values:
            fail("kind", _("Choose one of: %s.") % ", ".join(OpportunityType.values))
        else:
            out["kind"] = kind
    for field in ("title", "summary", "description"):
        if field in data or (field == "title" and not partial):
            try:
                out[field] = clean_translations(data.get(field), field)
            except ValueError as exc:
                fail(field, str(exc))
                continue
            if field == "title":
                if not out[field]:
                    fail("title", _("Give a title in at least one language."))
                elif any(len(t) > 200 for t in out[field].values()):
                    fail("title", _("Keep the title under 200 characters."))
    if "keywords" in data:
        kws = data.get("keywords") or []
        if isinstance(kws, str):
            kws = [k for k in (p.strip() for p in kws.split(",")) if k]
        if not isinstance(kws, list) or not all(isinstance(k, str) for k in kws):
            fail("keywords", _("Give keywords as a list of words."))
        else:
            out["keywords"] = list(dict.fromkeys(k.strip()[:60] for k in kws if k.strip()))[:20]
    if "nace_codes" in data:
        codes = data.get("nace_codes") or []
        if isinstance(codes, str):
            codes = [c.strip() for c in codes.split(",") if c.strip()]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            fail("nace_codes", _("Give NACE codes as a list, e.g. 72.11."))
        else:
            found = list(NaceCode.objects.filter(code__in=codes))
            missing = sorted(set(codes) - {n.code for n in found})
            if missing:
                fail("nace_codes", _("Unknown NACE codes: %s.") % ", ".join(missing))
            out["nace_codes"] = found
    if "trl" in data:
        trl = data.get("trl")
        if trl in (None, ""):
            out["trl"] = None
        else:
            try:
                trl_int = int(trl)
            except (TypeError, ValueError):
                trl_int = 0
            if not 1 <= trl_int <= 9:
                fail("trl", _("The technology readiness level is a whole number from 1 to 9."))
            else:
                out["trl"] = trl_int
    if "partner_types" in data:
        types = data.get("partner_types") or []
        if not isinstance(types, list) or not all(t in OrganisationType.values for t in types):
            fail("partner_types", _("Choose among: %s.") % ", ".join(OrganisationType.values))
        else:
            out["partner_types"] = list(dict.fromkeys(types))
    if "partner_regions" in data:
        regs = data.get("partner_regions") or []
        if isinstance(regs, str):
            regs = [r.strip() for r in regs.split(",") if r.strip()]
        if not isinstance(regs, list) or not all(
            isinstance(r, str) and 2 <= len(r) <= 5 and r.isalnum() for r in regs
        ):
            fail("partner_regions", _("Give country codes (FR) or NUTS codes (ITC4)."))
        else:
            out["partner_regions"] = [r.upper() for r in regs]
    if "expires_on" in data or not partial:
        raw = data.get("expires_on")
        today = timezone.localdate()
        if raw in (None, ""):
            if not partial:
                out["expires_on"] = today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
        else:
            try:
                day = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
            except ValueError:
                fail("expires_on", _("Give a date as YYYY-MM-DD."))
            else:
                if day <= today:
                    fail("expires_on", _("The expiry date must be in the future."))
                elif day > today + dt.timedelta(days=MAX_VALIDITY_DAYS):
                    fail("expires_on", _("A profile is valid for at most two years."))
                else:
                    out["expires_on"] = day
    if errors:
        raise ValidationError(errors)
    return out


def _search_text(opp: Opportunity) -> str:
    parts: list[str] = []
    for field in (opp.title, opp.summary, opp.description):
        parts.extend(str(v) for v in (field or {}).values())
    parts.extend(opp.keywords or [])
    parts.append(opp.reference)
    return "\n".join(parts)


def next_reference(kind: str, country_code: str, day: dt.date | None = None) -> str:
    """``TOFR20261126001``: type + country + date + a sequence, under a row lock.

    Must run inside a transaction: the counter row stays locked until it commits, so two
    concurrent creations of the same prefix queue instead of taking the same number.
    """
    day = day or timezone.localdate()
    prefix = f"{kind}{(country_code or 'XX').upper()[:2]}{day:%Y%m%d}"
    ReferenceCounter.objects.get_or_create(prefix=prefix)
    counter = ReferenceCounter.objects.select_for_update().get(prefix=prefix)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}{counter.last:03d}"


def _apply(opp: Opportunity, cleaned: dict[str, Any]) -> None:
    for field, value in cleaned.items():
        if field != "nace_codes":
            setattr(opp, field, value)


@transaction.atomic
def create_opportunity(
    actor: Any, organisation: Organisation, data: Mapping[str, Any]
) -> Opportunity:
    if not permissions.can_create_opportunity(actor, organisation):
        raise PermissionDenied(_("Only editors of the organisation write its profiles."))
    cleaned = clean_opportunity_data(data)
    opp = Opportunity(organisation=organisation, created_by=actor)
    _apply(opp, cleaned)
    opp.reference = next_reference(opp.kind, organisation.country_code)
    opp.search_text = _search_text(opp)
    opp.save()
    if "nace_codes" in cleaned:
        opp.nace_codes.set(cleaned["nace_codes"])
    audit.record("opportunity.created", opp, actor=actor, summary=opp.reference)
    _enqueue("embed_opportunity", opp.pk)
    return opp


@transaction.atomic
def update_opportunity(actor: Any, opp: Opportunity, data: Mapping[str, Any]) -> Opportunity:
    opp = Opportunity.objects.select_for_update().get(pk=opp.pk)
    if not permissions.can_edit_opportunity(actor, opp):
        raise PermissionDenied(_("You may not edit this profile now."))
    cleaned = clean_opportunity_data(data, partial=True)
    _apply(opp, cleaned)
    opp.search_text = _search_text(opp)
    # A published profile stays published after edits; its manager sees them in the audit log.
    opp.save()
    if "nace_codes" in cleaned:
        opp.nace_codes.set(cleaned["nace_codes"])
    audit.record(
        "opportunity.updated",
        opp,
        actor=actor,
        summary=opp.reference,
        data={"fields": sorted(cleaned)},
    )
    _enqueue("embed_opportunity", opp.pk)
    return opp


def _transition(opp: Opportunity, allowed_from: Iterable[str], to: str, verb: str) -> Opportunity:
    if opp.status not in set(allowed_from):
        raise ValidationError(
            {
                "status": _("A profile that is %(status)s cannot be %(verb)s.")
                % {"status": opp.get_status_display().lower(), "verb": verb}
            }
        )
    opp.status = to
    return opp


@transaction.atomic
def submit_opportunity(actor: Any, opp: Opportunity) -> Opportunity:
    opp = Opportunity.objects.select_for_update().select_related("organisation").get(pk=opp.pk)
    if not permissions.can_submit_opportunity(actor, opp):
        raise PermissionDenied(_("Only editors of the organisation submit its profiles."))
    _transition(
        opp,
        {OpportunityStatus.DRAFT, OpportunityStatus.RETURNED},
        OpportunityStatus.SUBMITTED,
        _("submitted"),
    )
    opp.submitted_at = timezone.now()
    opp.save(update_fields=["status", "submitted_at", "updated_at"])
    audit.record("opportunity.submitted", opp, actor=actor, summary=opp.reference)
    _enqueue("notify_opportunity_submitted", opp.pk)
    return opp


@transaction.atomic
def publish_opportunity(actor: Any, opp: Opportunity) -> Opportunity:
    opp = Opportunity.objects.select_for_update().select_related("organisation").get(pk=opp.pk)
    if not permissions.can_review_opportunity(actor, opp):
        raise PermissionDenied(_("Only the regional cluster manager reviews this profile."))
    _transition(opp, {OpportunityStatus.SUBMITTED}, OpportunityStatus.PUBLISHED, _("published"))
    if opp.expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": _("The expiry date has passed; ask for a renewal.")})
    opp.published_at = timezone.now()
    opp.reviewed_by = actor
    opp.review_comment = ""
    opp.save(
        update_fields=["status", "published_at", "reviewed_by", "review_comment", "updated_at"]
    )
    audit.record("opportunity.published", opp, actor=actor, summary=opp.reference)
    _enqueue("notify_opportunity_reviewed", opp.pk)
    return opp


@transaction.atomic
def return_opportunity(actor: Any, opp: Opportunity, comment: str) -> Opportunity:
    opp = Opportunity.objects.select_for_update().select_related("organisation").get(pk=opp.pk)
    if not permissions.can_review_opportunity(actor, opp):
        raise PermissionDenied(_("Only the regional cluster manager reviews this profile."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should change before it can be published.")})
    _transition(opp, {OpportunityStatus.SUBMITTED}, OpportunityStatus.RETURNED, _("returned"))
    opp.reviewed_by = actor
    opp.review_comment = comment[:4000]
    opp.save(update_fields=["status", "reviewed_by", "review_comment", "updated_at"])
    audit.record("opportunity.returned", opp, actor=actor, summary=comment[:200])
    _enqueue("notify_opportunity_reviewed", opp.pk)
    return opp


@transaction.atomic
def renew_opportunity(actor: Any, opp: Opportunity, until: dt.date | None = None) -> Opportunity:
    """The owner extends a published or expired profile; it is (again) published until ``until``."""
    opp = Opportunity.objects.select_for_update().select_related("organisation").get(pk=opp.pk)
    if not permissions.can_renew_opportunity(actor, opp):
        raise PermissionDenied(_("Only editors of the organisation renew its profiles."))
    _transition(
        opp,
        {OpportunityStatus.PUBLISHED, OpportunityStatus.EXPIRED},
        OpportunityStatus.PUBLISHED,
        _("renewed"),
    )
    cleaned = clean_opportunity_data(
        {"expires_on": until or timezone.localdate() + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)},
        partial=True,
    )
    opp.expires_on = cleaned["expires_on"]
    opp.save(update_fields=["status", "expires_on", "updated_at"])
    audit.record("opportunity.renewed", opp, actor=actor, summary=f"until {opp.expires_on}")
    return opp


@transaction.atomic
def expire_opportunities(today: dt.date | None = None) -> list[int]:
    """Expire every published profile whose expiry date has passed (the daily task); its
    editors are told, with the way to renew it."""
    today = today or timezone.localdate()
    due = list(
        Opportunity.objects.select_for_update().filter(
            status=OpportunityStatus.PUBLISHED, expires_on__lt=today
        )
    )
    for opp in due:
        opp.status = OpportunityStatus.EXPIRED
        opp.save(update_fields=["status", "updated_at"])
        audit.record("opportunity.expired", opp, summary=f"expired {opp.expires_on}")
        _enqueue("notify_opportunity_expired", opp.pk)
    return [o.pk for o in due]


@transaction.atomic
def remind_expiring_opportunities(
    today: dt.date | None = None, days: int = EXPIRY_NOTICE_DAYS
) -> list[int]:
    """Remind the editors of each published profile that expires within ``days`` (the daily
    task), once per expiry date: renewing sets a new date, which earns a new reminder."""
    today = today or timezone.localdate()
    due = list(
        Opportunity.objects.select_for_update()
        .filter(
            status=OpportunityStatus.PUBLISHED,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=days),
        )
        .exclude(expiry_reminded_for=F("expires_on"))
    )
    for opp in due:
        opp.expiry_reminded_for = opp.expires_on
        opp.save(update_fields=["expiry_reminded_for"])
        _enqueue("notify_opportunity_expiring", opp.pk)
    return [o.pk for o in due]


# --- Expressions of interest ------------------------------------------------------------------


@transaction.atomic
def express_interest(
    actor: Any, opp: Opportunity, organisation: Organisation, message: str
) -> ExpressionOfInterest:
    if not permissions.can_express_interest(actor, opp, organisation):
        raise PermissionDenied(
            _("Members answer published profiles of other organisations on behalf of their own.")
        )
    message = (message or "").strip()
    if len(message) < 10:
        raise ValidationError({"message": _("Say in a sentence or two why you are interested.")})
    if ExpressionOfInterest.objects.filter(opportunity=opp, organisation=organisation).exists():
        raise ValidationError(
            {"organisation": _("Your organisation has already answered this profile.")}
        )
    eoi = ExpressionOfInterest.objects.create(
        opportunity=opp, organisation=organisation, author=actor, message=message[:5000]
    )
    audit.record("eoi.created", eoi, actor=actor, summary=f"{organisation.pk} → {opp.reference}")
    _enqueue("notify_eoi_created", eoi.pk)
    return eoi


@transaction.atomic
def decide_interest(actor: Any, eoi: ExpressionOfInterest, accept: bool) -> ExpressionOfInterest:
    """The owner accepts (contacts are shared both ways) or declines an expression of interest."""
    eoi = (
        ExpressionOfInterest.objects.select_for_update()
        .select_related("opportunity__organisation", "organisation")
        .get(pk=eoi.pk)
    )
    if not permissions.can_decide_eoi(actor, eoi):
        raise PermissionDenied(_("Only editors of the profile's organisation decide."))
    if eoi.status != ExpressionOfInterest.Status.PENDING:
        raise ValidationError({"status": _("This expression of interest was already answered.")})
    eoi.status = (
        ExpressionOfInterest.Status.ACCEPTED if accept else ExpressionOfInterest.Status.DECLINED
    )
    eoi.decided_at = timezone.now()
    eoi.decided_by = actor
    eoi.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    audit.record(f"eoi.{eoi.status}", eoi, actor=actor, summary=eoi.opportunity.reference)
    _enqueue("notify_eoi_decided", eoi.pk)
    return eoi


def accept_interest(actor: Any, eoi: ExpressionOfInterest) -> ExpressionOfInterest:
    return decide_interest(actor, eoi, accept=True)


def decline_interest(actor: Any, eoi: ExpressionOfInterest) -> ExpressionOfInterest:
    return decide_interest(actor, eoi, accept=False)


# --- Outcome follow-up ------------------------------------------------------------------------


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    day = min(when.day, 28)
    return when.replace(year=year, month=month, day=day)


@transaction.atomic
def ask_due_follow_ups(now: dt.datetime | None = None) -> list[int]:
    """Create the 3/6/12-month questions that are due, one per side; returns their ids.

    Idempotent: the (eoi, side, months) row is unique, so a second run the same day adds nothing.
    """
    now = now or timezone.now()
    created: list[int] = []
    accepted = ExpressionOfInterest.objects.filter(
        status=ExpressionOfInterest.Status.ACCEPTED, decided_at__isnull=False
    ).prefetch_related("follow_ups")
    for eoi in accepted:
        assert eoi.decided_at is not None
        have = {(f.side, f.months) for f in eoi.follow_ups.all()}
        for months in FOLLOW_UP_MONTHS:
            if _add_months(eoi.decided_at, months) > now:
                continue
            # Only the latest due round is asked: a 12-month question replaces missed earlier ones.
            later_due = [
                m for m in FOLLOW_UP_MONTHS if m > months and _add_months(eoi.decided_at, m) <= now
            ]
            if later_due:
                continue
            for side in OutcomeFollowUp.Side.values:
                if (side, months) in have:
                    continue
                fu = OutcomeFollowUp.objects.create(eoi=eoi, side=side, months=months)
                audit.record("follow_up.asked", fu, summary=f"{months} months, {side}")
                created.append(fu.pk)
                _enqueue("send_follow_up", fu.pk)
    return created


@transaction.atomic
def answer_follow_up(
    actor: Any,
    follow_up: OutcomeFollowUp,
    meeting: bool,
    agreement: bool,
    joint_project: bool,
    comment: str = "",
    via_signed_link: bool = False,
) -> OutcomeFollowUp:
    """Store one side's answer; ``via_signed_link`` means the e-mailed link vouched for the person."""
    fu = (
        OutcomeFollowUp.objects.select_for_update()
        .select_related("eoi__opportunity")
        .get(pk=follow_up.pk)
    )
    if not via_signed_link and not permissions.can_answer_follow_up(actor, fu.organisation_id):
        raise PermissionDenied(_("Only people of this organisation answer for it."))
    fu.meeting = bool(meeting)
    fu.agreement = bool(agreement)
    fu.joint_project = bool(joint_project)
    fu.comment = (comment or "").strip()[:2000]
    fu.answered_at = timezone.now()
    fu.answered_by = actor if getattr(actor, "is_authenticated", False) else None
    fu.save()
    audit.record(
        "follow_up.answered",
        fu,
        actor=actor,
        data={"meeting": fu.meeting, "agreement": fu.agreement, "project": fu.joint_project},
    )
    return fu


# --- Policy and preferences -------------------------------------------------------------------


@transaction.atomic
def update_matching_policy(
    actor: Any,
    border_bonus: float,
    sector_bonus: float,
    network_bonus: float,
    history_weight: float | None = None,
) -> MatchingSettings:
    """Set the policy weights; ``history_weight=None`` keeps the current one."""
    if not permissions.can_edit_policy(actor):
        raise PermissionDenied(_("Only platform admins change the matching policy."))
    errors: dict[str, list[str]] = {}
    values: dict[str, float] = {
        "border_bonus": border_bonus,
        "sector_bonus": sector_bonus,
        "network_bonus": network_bonus,
    }
    if history_weight is not None:
        values["history_weight"] = history_weight
    for name, value in values.items():
        if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            errors[name] = [_("A weight between 0 and 1.")]
    if errors:
        raise ValidationError(errors)
    obj = MatchingSettings.load()
    for name, value in values.items():
        setattr(obj, name, float(value))
    obj.save()
    audit.record("matching.policy_updated", obj, actor=actor, data=values)
    return obj


@transaction.atomic
def set_digest_preference(user: User, weekly_digest: bool) -> MatchingPreference:
    pref, _created = MatchingPreference.objects.get_or_create(user=user)
    pref.weekly_digest = weekly_digest
    pref.save(update_fields=["weekly_digest"])
    audit.record(
        "matching.digest_preference", pref, actor=user, summary="on" if weekly_digest else "off"
    )
    return pref


@transaction.atomic
def mark_digest_sent(user: User, when: dt.datetime) -> None:
    pref, _created = MatchingPreference.objects.get_or_create(user=user)
    pref.last_digest_at = when
    pref.save(update_fields=["last_digest_at"])


# --- Embeddings (cache) -----------------------------------------------------------------------


def content_hash(text: str) -> str:
    """The engine's hash of a text as embedded (the embedding cache key, with model and version)."""
    from alpsbio.matching.engine.embedding import content_hash as engine_hash

    return engine_hash(text)


# --- Demo -------------------------------------------------------------------------------------

DEMO_SOURCE = "generated from CORDIS projects"


@transaction.atomic
def load_matching_demo(max_projects: int = 12) -> int:
    """One expertise profile per organisation with EU projects, built from its real H2020 titles.

    Idempotent: an organisation's demo profile is updated, never duplicated. Nothing is invented:
    the title names the organisation, the text lists its real CORDIS project titles and topics,
    and every such profile is flagged ``is_demo`` with its source. Returns how many exist.
    """
    from alpsbio.directory.models import Participation

    today = timezone.localdate()
    parts = Participation.objects.select_related("project", "organisation").order_by(
        "organisation_id", "-project__start_date"
    )
    by_org: dict[int, tuple[Organisation, list[Any]]] = {}
    for p in parts:
        by_org.setdefault(p.organisation_id, (p.organisation, []))[1].append(p.project)
    existing = {
        o.organisation_id: o
        for o in Opportunity.objects.filter(is_demo=True, kind=OpportunityType.EXPERTISE)
    }
    count = 0
    for org_id, (org, all_projects) in by_org.items():
        projects = all_projects[:max_projects]
        titles = [p.title for p in projects if p.title]
        topics = sorted({p.topic for p in projects if p.topic})
        if not titles:
            continue
        acronyms = ", ".join(p.acronym for p in projects if p.acronym)
        title = {"en": f"{org.legal_name}: expertise from EU research projects"[:200]}
        description = {"en": "\n".join(f"- {t}" for t in titles)}
        summary = {"en": f"Horizon 2020 projects: {acronyms}"[:500]}
        keywords = topics[:20]
        opp = existing.get(org_id)
        if opp is None:
            opp = Opportunity(organisation=org, kind=OpportunityType.EXPERTISE, is_demo=True)
            opp.reference = next_reference(OpportunityType.EXPERTISE, org.country_code, today)
        opp.title, opp.summary, opp.description, opp.keywords = (
            title,
            summary,
            description,
            keywords,
        )
        opp.status = OpportunityStatus.PUBLISHED
        opp.published_at = opp.published_at or timezone.now()
        opp.expires_on = today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
        opp.demo_source = DEMO_SOURCE
        opp.search_text = _search_text(opp)
        opp.save()
        count += 1
    if count:
        audit.record("matching.demo_loaded", MatchingSettings.load(), summary=f"{count} profiles")
        from alpsbio.matching.tasks import enqueue_index_snapshot

        enqueue_index_snapshot()  # the worker prepares the index for the web processes
    return count


__all__ = [
    "LANGUAGE_CODES",
    "accept_interest",
    "answer_follow_up",
    "ask_due_follow_ups",
    "clean_opportunity_data",
    "create_opportunity",
    "decide_interest",
    "decline_interest",
    "expire_opportunities",
    "express_interest",
    "load_matching_demo",
    "publish_opportunity",
    "renew_opportunity",
    "return_opportunity",
    "set_digest_preference",
    "submit_opportunity",
    "update_matching_policy",
    "update_opportunity",
]
