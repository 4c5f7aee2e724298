"""Forms of the matching pages. They only parse; validation of meaning lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.directory.models import Organisation, OrganisationType
from alpsbio.matching.models import Opportunity, OpportunityType

LANG_LABELS = {"en": _("English"), "fr": _("French"), "it": _("Italian"), "de": _("German")}


class OpportunityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=OpportunityType.choices)
    trl = forms.TypedChoiceField(
        label=_("Technology readiness level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(i, str(i)) for i in range(1, 10)],
    )
    keywords = forms.CharField(label=_("Keywords (comma-separated)"), required=False)
    nace_codes = forms.CharField(
        label=_("NACE codes (comma-separated, e.g. 72.11, 21.20)"), required=False
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Partner types sought"),
        required=False,
        choices=OrganisationType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    partner_regions = forms.CharField(
        label=_("Countries or regions sought (FR, ITC4, ...; empty: anywhere)"), required=False
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: one year from today. At most two years ahead."),
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Organisation"), queryset=organisations
            )
            self.order_fields(["organisation"])
        for lang in LANGUAGE_CODES:
            name = LANG_LABELS[lang]
            self.fields[f"title_{lang}"] = forms.CharField(
                label=_("Title (%s)") % name,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"lang": lang}),
            )
            self.fields[f"summary_{lang}"] = forms.CharField(
                label=_("Summary (%s)") % name,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "lang": lang}),
            )
            self.fields[f"description_{lang}"] = forms.CharField(
                label=_("Description (%s)") % name,
                required=False,
                widget=forms.Textarea(attrs={"rows": 5, "lang": lang}),
            )

    TEXT_PARTS = ("title", "summary", "description")
    HEAD_FIELDS = ("organisation", "kind")

    def language_blocks(self, current: str) -> list[dict[str, Any]]:
        """The texts per language, the reader's language first; a block opens when it is the
        reader's, already has text, or has an error."""
        order = sorted(LANGUAGE_CODES, key=lambda lang: lang != current)
        blocks = []
        for lang in order:
            fields = [self[f"{part}_{lang}"] for part in self.TEXT_PARTS]
            filled = any(f.value() for f in fields)
            blocks.append(
                {
                    "lang": lang,
                    "label": LANG_LABELS[lang],
                    "fields": fields,
                    "open": lang == current or filled or any(f.errors for f in fields),
                }
            )
        return blocks

    def head_fields(self) -> list[Any]:
        return [self[name] for name in self.HEAD_FIELDS if name in self.fields]

    def detail_fields(self) -> list[Any]:
        texts = {f"{p}_{lang}" for p in self.TEXT_PARTS for lang in LANGUAGE_CODES}
        return [self[n] for n in self.fields if n not in texts and n not in self.HEAD_FIELDS]

    @classmethod
    def initial_from(cls, opp: Opportunity) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": opp.kind,
            "trl": opp.trl,
            "keywords": ", ".join(opp.keywords or []),
            "nace_codes": ", ".join(n.code for n in opp.nace_codes.all()),
            "partner_types": opp.partner_types,
            "expires_on": opp.expires_on,
            "partner_regions": ", ".join(opp.partner_regions or []),
        }
        for lang in LANGUAGE_CODES:
            for f in ("title", "summary", "description"):
                initial[f"{f}_{lang}"] = (getattr(opp, f) or {}).get(lang, "")
        return initial

    def to_data(self) -> dict[str, Any]:
        """The service's input dictionary from the cleaned form."""
        c = self.cleaned_data
        data: dict[str, Any] = {
            "kind": c["kind"],
            "trl": c.get("trl"),
            "keywords": c.get("keywords") or "",
            "nace_codes": c.get("nace_codes") or "",
            "partner_types": c.get("partner_types") or [],
            "partner_regions": c.get("partner_regions") or "",
            "expires_on": c.get("expires_on"),
        }
        for f in ("title", "summary", "description"):
            data[f] = {lang: c.get(f"{f}_{lang}") or "" for lang in LANGUAGE_CODES}
        return data


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"), widget=forms.Textarea(attrs={"rows": 3})
    )


class InterestForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none()
    )
    message = forms.CharField(
        label=_("Why are you interested?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        max_length=5000,
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations if organisations is not None else Organisation.objects.none()
        # Most members answer for their one organisation: offer it alone rather than a blank
        # choice the browser makes them fill before it sends anything.
        if field.queryset.count() == 1:
            field.empty_label = None


class FollowUpForm(forms.Form):
    meeting = forms.BooleanField(label=_("We met"), required=False)
    agreement = forms.BooleanField(label=_("We signed a cooperation agreement"), required=False)
    joint_project = forms.BooleanField(label=_("We started a joint project"), required=False)
    comment = forms.CharField(
        label=_("Anything to add?"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SearchForm(forms.Form):
    """Free text plus filters; the country and region choices come from the directory."""

    q = forms.CharField(
        label=_("Describe the partner you need, in English, French, Italian or German"),
        max_length=500,
        required=False,
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    type = forms.ChoiceField(
        label=_("Type of organisation"),
        required=False,
        choices=[("", _("Any type")), *OrganisationType.choices],
    )
    kind = forms.ChoiceField(
        label=_("Results"),
        required=False,
        choices=[
            ("", _("Organisations and profiles")),
            ("organisation", _("Organisations only")),
            *OpportunityType.choices,
        ],
    )

    def __init__(
        self,
        *args: Any,
        countries: list[tuple[str, str]],
        regions: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        country, region = self.fields["country"], self.fields["region"]
        assert isinstance(country, forms.ChoiceField)
        assert isinstance(region, forms.ChoiceField)
        country.choices = [("", _("Any country")), *countries]
        region.choices = [
            ("", _("Anywhere")),
            ("member", _("In the cluster's regions")),
            *regions,
        ]

    @property
    def has_filters(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("country", "region", "type", "kind"))


class PreferenceForm(forms.Form):
    weekly_digest = forms.BooleanField(label=_("Weekly e-mail of new matches"), required=False)


class PeriodForm(forms.Form):
    """A reporting period; both ends optional and inclusive."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period comes before its start."))
        return data
