from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from alpsbio.accounts.models import OrganisationRole, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=OrganisationRole.Role.choices)
    language = forms.ChoiceField(
        label=_("Language of the e-mail"), choices=settings.LANGUAGES, initial="en"
    )


class SignUpForm(UserCreationForm):
    """A new account for an invited person; the address is the invited one, not typed."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = True


class AccessRequestForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Your e-mail address at the organisation"), max_length=254)
    role = forms.ChoiceField(
        label=_("You would like to be"), choices=OrganisationRole.Role.choices, initial="member"
    )
    message = forms.CharField(
        label=_("A word for the organisation (your job, why)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Left empty by people; bots fill every field (the input is hidden from people).
    website = forms.CharField(required=False, label="", widget=forms.HiddenInput)
