"""Who has an account on an organisation's behalf, and how a person gets one: by invitation.

There is no open sign-up. A regional cluster manager (or an editor of the organisation) invites a
person by e-mail with a role; the e-mailed link lets them create their account, or accept with
the one they have, and the role is granted. Each change writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alpsbio.accounts import permissions
from alpsbio.accounts.models import AccessInvitation, AccessRequest, OrganisationRole, User
from alpsbio.core import audit
from alpsbio.directory.models import Organisation

LINK_SALT = "alpsbio.accounts.access-invitation"
VALID_DAYS = 14
# Unanswered invitations hold the address of someone who has not consented: kept this long
# after they expire (so the inviter can see that it lapsed), then deleted.
KEEP_EXPIRED_DAYS = 30
KEEP_REQUEST_DAYS = 30
REQUESTS_PER_ADDRESS_PER_DAY = 5
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


class InvitationError(Exception):
    """The link cannot be used; ``str(exc)`` says why, for the person holding it."""


@dataclass(frozen=True)
class Access:
    """Who holds a role in an organisation, who is invited to, and who asked to."""

    roles: list[OrganisationRole]
    pending: list[AccessInvitation]
    requests: list[AccessRequest]


def _enqueue(task_name: str, *args: Any) -> None:
    """Enqueue a task of ``alpsbio.accounts.tasks`` once the current transaction commits."""

    def _go() -> None:
        from alpsbio.accounts import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(_go)


def can_manage_access(user: Any, org: Organisation) -> bool:
    """The organisation's cluster managers and its editors."""
    return permissions.manages_organisation(user, org) or (
        permissions.organisation_role(user, org) == OrganisationRole.Role.EDITOR
    )


def _require(actor: Any, org: Organisation) -> None:
    if not can_manage_access(actor, org):
        raise PermissionDenied("Only the organisation's editors and cluster managers do this.")


def normalise_email(email: str) -> str:
    return BaseUserManager.normalize_email((email or "").strip()).lower()


def access_of(org: Organisation) -> Access:
    roles = list(
        OrganisationRole.objects.filter(organisation=org)
        .select_related("user")
        .order_by("role", "user__last_name", "user__username")
    )
    pending = list(
        AccessInvitation.objects.filter(organisation=org, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )
    requests = list(AccessRequest.objects.filter(organisation=org).order_by("created_at"))
    return Access(roles=roles, pending=pending, requests=requests)


def token_for(inv: AccessInvitation) -> str:
    return signing.dumps({"i": inv.pk, "n": inv.nonce}, salt=LINK_SALT)


def clean_invitation(email: str, role: str, language: str) -> tuple[str, str, str]:
    """Validate the inviter's input; raises ``ValidationError`` keyed by field."""
    errors: dict[str, list[str]] = {}
    address = normalise_email(email)
    try:
        validate_email(address)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address, e.g. name@example.org.")]
    if role not in OrganisationRole.Role.values:
        errors["role"] = [_("Choose member or organisation editor.")]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose English, French, Italian or German.")]
    if errors:
        raise ValidationError(errors)
    return address, role, language


@transaction.atomic
def invite(
    org: Organisation, email: str, role: str, actor: Any, language: str = "en"
) -> AccessInvitation:
    """Invite ``email`` to ``org`` with ``role`` and e-mail the link (once the transaction commits).

    Inviting an address that already has a pending invitation re-sends it with a fresh link and
    the new role; the old link stops working.
    """
    _require(actor, org)
    address, role, language = clean_invitation(email, role, language)
    if OrganisationRole.objects.filter(organisation=org, user__email__iexact=address).exists():
        raise ValidationError(
            {"email": [_("This person already has access to this organisation.")]}
        )
    purge_expired()
    now = timezone.now()
    inv = (
        AccessInvitation.objects.select_for_update()
        .filter(organisation=org, email=address, accepted_at__isnull=True)
        .first()
    )
    if inv is None:
        inv = AccessInvitation(organisation=org, email=address)
    inv.role = role
    inv.language = language
    inv.invited_by = actor if getattr(actor, "is_authenticated", False) else None
    inv.expires_at = now + dt.timedelta(days=VALID_DAYS)
    inv.nonce = AccessInvitation._meta.get_field("nonce").get_default()
    inv.sent_at = None
    inv.save()
    audit.record("access.invited", inv, actor=actor, summary=f"{role} of {org.pk}")
    _enqueue("send_access_invitation", inv.pk)
    return inv


@transaction.atomic
def cancel(inv: AccessInvitation, actor: Any) -> None:
    _require(actor, inv.organisation)
    if inv.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted."))
    audit.record("access.invitation_cancelled", inv, actor=actor, summary=f"{inv.pk}")
    inv.delete()


@transaction.atomic
def remove_role(grant: OrganisationRole, actor: Any) -> None:
    _require(actor, grant.organisation)
    audit.record(
        "role.removed",
        grant,
        actor=actor,
        summary=f"{grant.user} {grant.role} {grant.organisation_id}",
    )
    grant.delete()
    if grant.user_id == getattr(actor, "pk", None):
        permissions.forget_cached_roles(actor)


@transaction.atomic
def change_role(grant: OrganisationRole, role: str, actor: Any) -> OrganisationRole:
    _require(actor, grant.organisation)
    if role not in OrganisationRole.Role.values:
        raise ValidationError({"role": [_("Choose member or organisation editor.")]})
    grant.role = role
    grant.save(update_fields=["role"])
    if grant.user_id == getattr(actor, "pk", None):
        permissions.forget_cached_roles(actor)
    audit.record("role.changed", grant, actor=actor, summary=f"{grant.user} {role}")
    return grant


def read_token(token: str) -> AccessInvitation:
    """The pending invitation a link stands for, or ``InvitationError`` saying why not."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        pk, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationError(
            _("This invitation link is not valid. Check that you copied all of it.")
        ) from None
    inv = (
        AccessInvitation.objects.select_related("organisation", "invited_by").filter(pk=pk).first()
    )
    if inv is None:
        raise InvitationError(_("This invitation was withdrawn. Ask for a new one."))
    if inv.accepted_at is not None:
        raise InvitationError(_("This invitation was already accepted. Log in to continue."))
    if inv.nonce != nonce:
        raise InvitationError(
            _("A newer invitation was sent to this address: use the link in the latest e-mail.")
        )
    if inv.expires_at <= timezone.now():
        raise InvitationError(_("This invitation has expired. Ask for a new one."))
    return inv


def account_for(inv: AccessInvitation) -> User | None:
    return User.objects.filter(email__iexact=inv.email).first()


@transaction.atomic
def accept(inv: AccessInvitation, user: User) -> OrganisationRole:
    """Grant the invited role to ``user``, whose address must be the invited one."""
    inv = AccessInvitation.objects.select_for_update().get(pk=inv.pk)
    if inv.accepted_at is not None or inv.expires_at <= timezone.now():
        raise InvitationError(_("This invitation can no longer be accepted."))
    if normalise_email(user.email) != inv.email:
        raise InvitationError(
            _("This invitation is for %(email)s. Log out and accept it with that account.")
            % {"email": inv.email}
        )
    grant, created = OrganisationRole.objects.get_or_create(
        user=user, organisation=inv.organisation, defaults={"role": inv.role}
    )
    if not created and inv.role == OrganisationRole.Role.EDITOR:
        grant.role = inv.role  # an invitation can raise a role, never lower it
        grant.save(update_fields=["role"])
    inv.accepted_at = timezone.now()
    inv.accepted_by = user
    inv.nonce = AccessInvitation._meta.get_field("nonce").get_default()
    inv.save(update_fields=["accepted_at", "accepted_by", "nonce"])
    audit.record(
        "access.accepted", inv, actor=user, summary=f"{grant.role} of {inv.organisation_id}"
    )
    return grant


@transaction.atomic
def register_and_accept(inv: AccessInvitation, user: User) -> OrganisationRole:
    """Save the new account ``user`` (built by the sign-up form) and accept with it."""
    if account_for(inv) is not None:
        raise InvitationError(_("An account with this address exists already. Log in to accept."))
    user.email = inv.email
    user.preferred_language = inv.language
    user.save()
    audit.record("account.created", user, actor=user, summary=f"invitation {inv.pk}")
    return accept(inv, user)


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete unanswered invitations that expired more than ``KEEP_EXPIRED_DAYS`` ago, and
    access requests nobody answered within ``KEEP_REQUEST_DAYS``."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=KEEP_EXPIRED_DAYS)
    stale: QuerySet[AccessInvitation] = AccessInvitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=cutoff
    )
    deleted, _per_model = stale.delete()
    old = AccessRequest.objects.filter(created_at__lt=now - dt.timedelta(days=KEEP_REQUEST_DAYS))
    deleted_requests, _per_model = old.delete()
    return deleted + deleted_requests


# --- Requests: a person asks to act for an organisation ---------------------------------------


def clean_request(name: str, email: str, role: str, message: str, language: str) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give your name, so the organisation knows who asks.")]
    elif len(name) > 150:
        errors["name"] = [_("At most 150 characters.")]
    message = (message or "").strip()
    if len(message) > 1000:
        errors["message"] = [_("At most 1,000 characters.")]
    try:
        address, role, language = clean_invitation(email, role, language)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        address = ""
    if errors:
        raise ValidationError(errors)
    return {"name": name, "email": address, "role": role, "message": message, "language": language}


@transaction.atomic
def request_access(
    org: Organisation,
    *,
    name: str,
    email: str,
    role: str,
    message: str = "",
    language: str = "en",
    user: Any = None,
) -> AccessRequest:
    """Record a request and tell the organisation's editors and cluster managers (on commit).

    A signed-in person asks with their account's address. One pending request per address and
    organisation; at most ``REQUESTS_PER_ADDRESS_PER_DAY`` per address, so the form cannot be
    used to flood an organisation's people with e-mail."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    data = clean_request(name, user.email if signed_in else email, role, message, language)
    if OrganisationRole.objects.filter(
        organisation=org, user__email__iexact=data["email"]
    ).exists():
        raise ValidationError({"email": [_("This address already acts for the organisation.")]})
    if AccessRequest.objects.filter(organisation=org, email=data["email"]).exists():
        raise ValidationError(
            {"email": [_("You already asked; the organisation's people have been told.")]}
        )
    since = timezone.now() - dt.timedelta(days=1)
    recent = AccessRequest.objects.filter(email=data["email"], created_at__gte=since).count()
    if recent >= REQUESTS_PER_ADDRESS_PER_DAY:
        raise ValidationError({"email": [_("Too many requests from this address today.")]})
    purge_expired()
    req = AccessRequest.objects.create(organisation=org, user=user if signed_in else None, **data)
    audit.record("access.requested", req, actor=user, summary=f"{req.role} of {org.pk}")
    _enqueue("notify_access_request", req.pk)
    return req


@transaction.atomic
def answer_request(req: AccessRequest, actor: Any, accept: bool) -> AccessInvitation | None:
    """Accepting invites the address with the role asked for (or the role already pending);
    declining only deletes the request. Either way the request is gone."""
    _require(actor, req.organisation)
    inv = None
    already = OrganisationRole.objects.filter(
        organisation=req.organisation, user__email__iexact=req.email
    ).exists()
    if accept and not already:
        inv = invite(req.organisation, req.email, req.role, actor, req.language)
    audit.record(
        "access.request_answered",
        req,
        actor=actor,
        summary=f"{'invited' if accept else 'declined'} {req.organisation_id}",
    )
    req.delete()
    return inv


def requests_for(user: Any) -> QuerySet[AccessRequest]:
    """The pending requests ``user`` may answer: of the organisations they edit or manage."""
    if not getattr(user, "is_authenticated", False):
        return AccessRequest.objects.none()
    edited = OrganisationRole.objects.filter(user=user, role=OrganisationRole.Role.EDITOR)
    managed = Organisation.objects.filter(permissions.managed_organisations_filter(user))
    return (
        AccessRequest.objects.filter(
            Q(organisation_id__in=edited.values("organisation_id"))
            | Q(organisation_id__in=managed.values("pk"))
        )
        .select_related("organisation")
        .order_by("created_at")
    )


def people_to_tell(org: Organisation) -> list[User]:
    """Who hears of a request: the organisation's editors and its regional cluster managers."""
    editors = User.objects.filter(
        is_active=True,
        organisation_roles__organisation=org,
        organisation_roles__role=OrganisationRole.Role.EDITOR,
    )
    people = {u.pk: u for u in editors}
    people.update({u.pk: u for u in permissions.regional_managers_of(org)})
    return list(people.values())
