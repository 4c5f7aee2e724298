"""The accounts app's part of a person's data: the account, its roles and tokens, what they did
(the audit log), and their contact entry in the directory. Erasing anonymises the account."""

from __future__ import annotations

import re
from typing import Any

from alpsbio.accounts.models import (
    AccessInvitation,
    AccessRequest,
    ApiToken,
    OrganisationRole,
    User,
)
from alpsbio.core import audit
from alpsbio.core.models import AuditEntry
from alpsbio.core.personal_data import iso
from alpsbio.directory.models import Person


def export_account(user: User) -> dict[str, Any]:
    person = Person.objects.filter(user=user).select_related("organisation").first()
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "preferred_language": user.preferred_language,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "organisation_roles": [
            {
                "organisation_id": r.organisation_id,
                "organisation": r.organisation.display_name,
                "role": r.role,
            }
            for r in OrganisationRole.objects.filter(user=user).select_related("organisation")
        ],
        "managed_regions": sorted(user.managed_regions.values_list("region__code", flat=True)),
        "api_tokens": [
            {
                "name": t.name,
                "starts_with": t.prefix,
                "created_at": iso(t.created_at),
                "last_used_at": iso(t.last_used_at),
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
        "contact_entry": None
        if person is None
        else {
            "organisation": person.organisation.display_name,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "job_title": person.job_title,
            "email": person.email,
            "phone": person.phone,
            "languages": person.languages,
            "visibility": person.visibility,
            "consent_given_at": iso(person.consent_given_at),
        },
        "access_requests": [
            {
                "organisation": r.organisation.display_name,
                "role": r.role,
                "message": r.message,
                "created_at": iso(r.created_at),
            }
            for r in AccessRequest.objects.filter(email__iexact=user.email).select_related(
                "organisation"
            )
        ],
        "actions": [
            {
                "at": iso(e.at),
                "action": e.action,
                "object": f"{e.object_type}#{e.object_id}",
                "summary": e.summary,
            }
            for e in AuditEntry.objects.filter(actor=user).order_by("at")
        ],
    }


def erase_account(user: User) -> None:
    """Leave an account with no name, address, password or role; log it out everywhere."""
    username, email = user.username, user.email
    audit.record("account.erased", user, actor=user, summary=f"user {user.pk}")
    Person.objects.filter(user=user).delete()  # their own contact entry on an organisation page
    AccessInvitation.objects.filter(email__iexact=email, accepted_at__isnull=True).delete()
    AccessRequest.objects.filter(email__iexact=email).delete()
    ApiToken.objects.filter(user=user).delete()
    OrganisationRole.objects.filter(user=user).delete()
    user.managed_regions.all().delete()
    # Earlier log lines written about them by others name their username: take it out.
    word = re.compile(rf"(?<![\w.@-]){re.escape(username)}(?![\w.@-])")
    for entry in AuditEntry.objects.filter(summary__contains=username):
        scrubbed = word.sub(f"user {user.pk}", entry.summary)
        if scrubbed != entry.summary:
            AuditEntry.objects.filter(pk=entry.pk).update(summary=scrubbed)
    user.username = f"deleted-{user.pk}"
    user.first_name = user.last_name = ""
    user.email = f"deleted-{user.pk}@invalid.invalid"
    user.is_active = user.is_staff = False
    user.last_login = None
    user.set_unusable_password()
    user.save()  # a new password hash ends every session of the account
