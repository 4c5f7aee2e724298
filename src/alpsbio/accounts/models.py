from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with an account. Roles come from assignments (see ``alpsbio.accounts.permissions``):
    superusers are platform admins, ``RegionalManager`` rows make cluster managers and
    ``OrganisationRole`` rows make organisation editors and members."""

    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(_("preferred language"), max_length=2, default="en")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class RegionalManager(models.Model):
    """A cluster manager for a region: manages every organisation whose NUTS code starts with it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="managed_regions")
    region = models.ForeignKey(
        "directory.Region", on_delete=models.CASCADE, related_name="managers"
    )

    class Meta:
        unique_together = [("user", "region")]
        verbose_name = _("regional cluster manager")
        verbose_name_plural = _("regional cluster managers")

    def __str__(self) -> str:
        return f"{self.user} manages {self.region.code}"


class OrganisationRole(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", _("Organisation editor")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organisation_roles")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="user_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        unique_together = [("user", "organisation")]
        verbose_name = _("organisation role")
        verbose_name_plural = _("organisation roles")

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.organisation_id}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        key = "abt_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8])
        return token, key


def _role_field() -> models.CharField[str, str]:
    return models.CharField(
        _("role"),
        max_length=10,
        choices=OrganisationRole.Role.choices,
        default=OrganisationRole.Role.MEMBER,
    )


def _new_nonce() -> str:
    return secrets.token_urlsafe(24)


class AccessInvitation(models.Model):
    """An e-mailed link giving a person a role in an organisation once they accept it.

    The link carries a signed (invitation, nonce) pair; the nonce changes when the invitation is
    re-sent or used, so older links stop working. Pending invitations are the only place an
    invitee's address is kept before they consent: they expire, and are deleted a while after.
    """

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="access_invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = _role_field()
    language = models.CharField(_("language"), max_length=2, default="en")
    nonce = models.CharField(max_length=40, default=_new_nonce, editable=False)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="accounts_one_pending_invitation_per_address",
            )
        ]
        verbose_name = _("access invitation")
        verbose_name_plural = _("access invitations")

    def __str__(self) -> str:
        return f"{self.role} of {self.organisation_id} for {self.email}"


class AccessRequest(models.Model):
    """A person asks to act for an organisation; its editors and cluster managers answer by
    inviting them (an ``AccessInvitation``) or by declining. Deleted once answered, or a month
    after it was made, since it holds the address of someone who is not a user yet."""

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="access_requests"
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"))
    role = _role_field()
    message = models.TextField(_("message"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=2, default="en")
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="access_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="accounts_one_request_per_address"
            )
        ]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")

    def __str__(self) -> str:
        return f"{self.email} asks to be {self.role} of {self.organisation_id}"
