from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with an account. Roles come from their assignments (see ``permissions``)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(_("preferred language"), max_length=2, default="en")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
