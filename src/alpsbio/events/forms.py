"""Forms of the events pages. They parse input only; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alpsbio.accounts.models import User
from alpsbio.core.i18n import LANGUAGE_CODES, localized
from alpsbio.directory.models import Network, Region
from alpsbio.events.models import B2BSession, EventType, Question

LANG_NAMES = {"en": _("English"), "fr": _("French"), "it": _("Italian"), "de": _("German")}


def event_regions() -> Any:
    """The cluster's member regions and the regions inside them."""
    return Region.objects.filter(Q(is_member=True) | Q(parent__is_member=True)).order_by("code")


def organiser_candidates() -> Any:
    return (
        User.objects.filter(Q(is_superuser=True) | Q(managed_regions__isnull=False), is_active=True)
        .distinct()
        .order_by("username")
    )


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(forms.Form):
    slug = forms.SlugField(label=_("Short name in URLs"), max_length=120)
    event_type = forms.ChoiceField(label=_("Type"), choices=EventType.choices)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    network = forms.ModelChoiceField(
        label=_("Thematic network"), queryset=Network.objects.all(), required=False
    )
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput())
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100_000)
    registration_open = forms.BooleanField(label=_("Registration open"), required=False)
    organisers = forms.ModelMultipleChoiceField(
        label=_("Organisers (cluster managers)"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = event_regions()  # type: ignore[attr-defined]
        self.fields["organisers"].queryset = organiser_candidates()  # type: ignore[attr-defined]
        for lang in LANGUAGE_CODES:
            self.fields[f"title_{lang}"] = forms.CharField(
                label=_("Title (%(lang)s)") % {"lang": LANG_NAMES[lang]},
                max_length=200,
                required=False,
            )
            self.fields[f"description_{lang}"] = forms.CharField(
                label=_("Description (%(lang)s)") % {"lang": LANG_NAMES[lang]},
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
            )

    def translations(self, prefix: str) -> dict[str, str]:
        return {lang: self.cleaned_data.get(f"{prefix}_{lang}") or "" for lang in LANGUAGE_CODES}

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "title": self.translations("title"),
            "description": self.translations("description"),
            "event_type": d["event_type"],
            "region": d["region"],
            "network": d["network"],
            "venue": d["venue"],
            "city": d["city"],
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            "capacity": d["capacity"],
            "registration_open": d["registration_open"],
        }


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=300)
    label_language = forms.ChoiceField(
        label=_("Language of the question"), choices=[(c, LANG_NAMES[c]) for c in LANGUAGE_CODES]
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    choices = forms.CharField(
        label=_("Choices (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    required = forms.BooleanField(label=_("Required"), required=False)


def registration_form(questions: list[Question], data: Any = None) -> forms.Form:
    """A form with one field per custom question (named ``q_<id>``)."""
    form = forms.Form(data)
    for q in questions:
        name = f"q_{q.pk}"
        label = localized(q.label)
        if q.kind == Question.Kind.CHOICE:
            form.fields[name] = forms.ChoiceField(
                label=label,
                required=q.required,
                choices=[("", "—")] + [(c, c) for c in q.choices],
            )
        elif q.kind == Question.Kind.YES_NO:
            form.fields[name] = forms.ChoiceField(
                label=label,
                required=q.required,
                choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
            )
        else:
            form.fields[name] = forms.CharField(
                label=label,
                required=q.required,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
    return form


def answers_from(form: forms.Form) -> dict[str, Any]:
    return {
        name[2:]: value
        for name, value in form.cleaned_data.items()
        if name.startswith("q_") and value not in (None, "")
    }


class ProfileForm(forms.Form):
    headline = forms.CharField(label=_("Headline"), max_length=200)
    description = forms.CharField(
        label=_("Who we are"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    offers = forms.CharField(
        label=_("What we offer"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    needs = forms.CharField(
        label=_("What we look for"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_published = forms.BooleanField(
        label=_("Show my profile to the other participants"), required=False, initial=True
    )
    opportunities: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Our published opportunities to show"),
        queryset=None,  # set per organisation in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from alpsbio.matching.models import Opportunity, OpportunityStatus

        qs = Opportunity.objects.none()
        if organisation is not None:
            qs = Opportunity.objects.filter(
                organisation=organisation, status=OpportunityStatus.PUBLISHED
            )
        field = self.fields["opportunities"]
        field.queryset = qs  # type: ignore[attr-defined]
        field.label_from_instance = lambda o: f"{o.reference} {o.display_title}"  # type: ignore[attr-defined]
        if not qs.exists():
            del self.fields["opportunities"]


class AvailabilityForm(forms.Form):
    unavailable = forms.MultipleChoiceField(
        label=_("Slots when I am NOT available"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, slots: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.utils import timezone

        self.fields["unavailable"].choices = [  # type: ignore[attr-defined]
            (
                str(s.pk),
                f"{timezone.localtime(s.starts_at):%H:%M}-{timezone.localtime(s.ends_at):%H:%M}",
            )
            for s in slots
            if not s.is_break
        ]


class RequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        coerce=int,
        initial=2,
        choices=[(3, _("3 - must meet")), (2, _("2 - important")), (1, _("1 - nice to have"))],
    )


class B2BSetupForm(forms.Form):
    min_meetings = forms.IntegerField(
        label=_("Target minimum of meetings per participant (K)"), min_value=0, max_value=50
    )
    objective = forms.ChoiceField(
        label=_("Then schedule"),
        choices=B2BSession.Objective.choices,
        widget=forms.RadioSelect,
        required=False,  # absent: keep the session's choice
    )
    first_start = forms.DateTimeField(label=_("First slot starts"), widget=DateTimeInput())
    n_slots = forms.IntegerField(label=_("Number of slots"), min_value=1, max_value=60)
    minutes = forms.IntegerField(label=_("Minutes per slot"), min_value=5, max_value=240)
    breaks = forms.CharField(
        label=_("Breaks (slot numbers, e.g. 5, 9)"), required=False, max_length=200
    )
    n_tables = forms.IntegerField(label=_("Number of tables"), min_value=1, max_value=500)

    def clean_breaks(self) -> list[int]:
        raw = self.cleaned_data.get("breaks") or ""
        try:
            return sorted({int(x) - 1 for x in raw.replace(";", ",").split(",") if x.strip()})
        except ValueError as exc:
            raise forms.ValidationError(_("Give slot numbers separated by commas.")) from exc


class MoveForm(forms.Form):
    slot = forms.IntegerField()
    table = forms.IntegerField()
    pin = forms.BooleanField(required=False, initial=True)


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput())
    is_break = forms.BooleanField(label=_("Break"), required=False)


class TableForm(forms.Form):
    number = forms.IntegerField(
        label=_("Number (next free number if empty)"),
        required=False,
        min_value=1,
        max_value=32767,
    )
    label = forms.CharField(label=_("Label"), required=False, max_length=60)


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the other participant)"), required=False, max_length=500
    )
