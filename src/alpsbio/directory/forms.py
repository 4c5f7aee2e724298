from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alpsbio.core.i18n import LANGUAGE_CODES
from alpsbio.directory.models import NaceCode, Organisation, Region, Sector

LANG_NAMES = {"en": _("English"), "fr": _("French"), "it": _("Italian"), "de": _("German")}


class OrganisationForm(forms.ModelForm):
    """The profile form; names and competences get one field per language."""

    nuts3_code = forms.CharField(
        label=_("NUTS-3 region code"),
        max_length=5,
        required=False,
        help_text=_("E.g. FRK24 (Isère). Older codes such as FR714 are accepted."),
    )
    nace = forms.CharField(
        label=_("NACE Rev.2 codes"),
        required=False,
        help_text=_("Comma-separated, e.g. 72.11, 21.20"),
    )
    website = forms.URLField(
        label=_("Website"), required=False, max_length=300, assume_scheme="https"
    )
    sectors = forms.ModelMultipleChoiceField(
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Sectors"),
    )

    class Meta:
        model = Organisation
        fields = [
            "legal_name",
            "short_name",
            "org_type",
            "size_class",
            "sectors",
            "website",
            "address",
            "postcode",
            "city",
            "country_code",
            "latitude",
            "longitude",
            "vat",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org: Organisation | None = self.instance if self.instance.pk else None
        for lang in LANGUAGE_CODES:
            self.fields[f"name_{lang}"] = forms.CharField(
                label=_("Name in %(lang)s") % {"lang": LANG_NAMES[lang]},
                required=False,
                max_length=300,
                initial=(org.names.get(lang, "") if org else ""),
            )
            self.fields[f"description_{lang}"] = forms.CharField(
                label=_("Competences in %(lang)s") % {"lang": LANG_NAMES[lang]},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=5000,
                initial=(org.description.get(lang, "") if org else ""),
            )
        if org:
            self.fields["nuts3_code"].initial = org.nuts3.code if org.nuts3 else ""
            self.fields["nace"].initial = ", ".join(org.nace_codes.values_list("code", flat=True))

    def clean_country_code(self) -> str:
        code = (self.cleaned_data.get("country_code") or "").strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise forms.ValidationError(_("Use the two-letter ISO country code, e.g. FR."))
        return code

    def clean_nuts3_code(self) -> Region | None:
        from alpsbio.directory.regions import resolve_region_code

        code = (self.cleaned_data.get("nuts3_code") or "").strip().upper()
        if not code:
            return None
        region = resolve_region_code(code)
        if region is None or region.level != 3:
            raise forms.ValidationError(_("Unknown NUTS-3 region code: %(code)s") % {"code": code})
        return region

    def clean_nace(self) -> list[NaceCode]:
        raw = [c.strip() for c in (self.cleaned_data.get("nace") or "").split(",") if c.strip()]
        found = {n.code: n for n in NaceCode.objects.filter(code__in=raw)}
        missing = [c for c in raw if c not in found]
        if missing:
            raise forms.ValidationError(
                _("Unknown NACE codes: %(codes)s") % {"codes": ", ".join(missing)}
            )
        return [found[c] for c in raw]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        region = data.get("nuts3_code")
        if (
            region is not None
            and data.get("country_code")
            and region.country_code != data["country_code"]
        ):
            self.add_error("nuts3_code", _("This region is not in the country given."))
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("latitude", _("Latitude must be between -90 and 90."))
        if lng is not None and not -180 <= lng <= 180:
            self.add_error("longitude", _("Longitude must be between -180 and 180."))
        return data

    def changes(self) -> dict[str, Any]:
        """The cleaned data in the shape the services take."""
        data = dict(self.cleaned_data)
        data["names"] = {
            lang: data.pop(f"name_{lang}") for lang in LANGUAGE_CODES if data.get(f"name_{lang}")
        }
        data["description"] = {
            lang: data.pop(f"description_{lang}")
            for lang in LANGUAGE_CODES
            if data.get(f"description_{lang}")
        }
        for lang in LANGUAGE_CODES:
            data.pop(f"name_{lang}", None)
            data.pop(f"description_{lang}", None)
        data["nuts3"] = data.pop("nuts3_code")
        data["nace_codes"] = data.pop("nace")
        return data


class MergeForm(forms.Form):
    kept = forms.IntegerField(label=_("Keep organisation (ID)"), min_value=1)
    absorbed = forms.IntegerField(label=_("Merge into it and remove (ID)"), min_value=1)
    reason = forms.CharField(label=_("Why"), max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kept") and data.get("kept") == data.get("absorbed"):
            raise forms.ValidationError(_("Choose two different organisations."))
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Member list (CSV or XLSX)"))

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if f.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return f
