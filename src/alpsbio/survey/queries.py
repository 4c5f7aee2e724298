"""Reads of the survey app: response rates, exports, survey scores, and the assembled analysis.

The territorial analysis itself is pure (``alpsbio.survey.analysis``); this module builds its
input tables from the database (directory, CORDIS participations, indicators, survey answers),
runs it, caches the result for a few minutes and shapes it for pages, the API and the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Max, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from alpsbio.core.i18n import localized
from alpsbio.directory.models import Organisation, OrganisationType, Region, Sector
from alpsbio.survey import indicators as ind
from alpsbio.survey.models import (
    THEMES,
    Answer,
    Indicator,
    IndicatorValue,
    Invitation,
    Question,
    QuestionType,
    Response,
    Survey,
)

logger = logging.getLogger("alpsbio.survey")

CACHE_SECONDS = 600

# Member region names in the four languages (the directory holds the official, native names).
REGION_NAMES: dict[str, dict[str, str]] = {
    "FRK2": {"en": "Rhône-Alpes", "fr": "Rhône-Alpes", "it": "Rodano-Alpi", "de": "Rhône-Alpes"},
    "ITC4": {"en": "Lombardy", "fr": "Lombardie", "it": "Lombardia", "de": "Lombardei"},
    "ITC1": {"en": "Piedmont", "fr": "Piémont", "it": "Piemonte", "de": "Piemont"},
    "CH01": {
        "en": "Lake Geneva Region",
        "fr": "Région lémanique",
        "it": "Regione del Lemano",
        "de": "Genferseeregion",
    },
    "CH02": {
        "en": "Espace Mittelland",
        "fr": "Espace Mittelland",
        "it": "Espace Mittelland",
        "de": "Espace Mittelland",
    },
    "AT33": {"en": "Tyrol", "fr": "Tyrol", "it": "Tirolo", "de": "Tirol"},
    "DE21": {
        "en": "Upper Bavaria",
        "fr": "Haute-Bavière",
        "it": "Alta Baviera",
        "de": "Oberbayern",
    },
    "DE2": {"en": "Bavaria", "fr": "Bavière", "it": "Baviera", "de": "Bayern"},
}


def region_name(code: str, lang: str | None = None) -> str:
    if code in REGION_NAMES:
        return localized(REGION_NAMES[code], lang)
    region = Region.objects.filter(code=code).only("name", "name_latin", "member_label").first()
    return region.display_name if region else code


def region_names(codes: Sequence[str], lang: str | None = None) -> dict[str, str]:
    out = {c: localized(REGION_NAMES[c], lang) for c in codes if c in REGION_NAMES}
    rest = [c for c in codes if c not in out]
    if rest:
        for r in Region.objects.filter(code__in=rest).only(
            "code", "name", "name_latin", "member_label"
        ):
            out[r.code] = r.display_name
    return {c: out.get(c, c) for c in codes}


# --- survey reads ---------------------------------------------------------------------------


def surveys_for(user: Any) -> QuerySet[Survey]:
    return Survey.objects.annotate(
        n_invitations=Count("invitations", distinct=True),
        n_submitted=Count(
            "invitations", filter=Q(invitations__submitted_at__isnull=False), distinct=True
        ),
    ).order_by("-created_at")


def sections_with_questions(survey: Survey) -> list[dict[str, Any]]:
    questions = list(
        Question.objects.filter(section__survey=survey)
        .select_related("condition_question")
        .order_by("position", "pk")
    )
    out = []
    for s in survey.sections.order_by("position", "pk"):
        out.append({"section": s, "questions": [q for q in questions if q.section_id == s.pk]})
    return out


@dataclass
class Rate:
    key: str
    label: str
    invited: int
    started: int
    submitted: int

    @property
    def rate(self) -> float | None:
        return self.submitted / self.invited if self.invited else None


def response_rates(survey: Survey) -> dict[str, Any]:
    """Invited / started / submitted per region and per organisation type, and in total.

    Counted on invitations (an anonymous response is detached from its invitation, but the
    invitation still records that it was submitted)."""
    qs = Invitation.objects.filter(survey=survey)
    fields = {
        "invited": Count("id"),
        "started": Count("id", filter=Q(started_at__isnull=False)),
        "submitted": Count("id", filter=Q(submitted_at__isnull=False)),
    }
    total = qs.aggregate(**fields)
    by_region_rows: list[dict[str, Any]] = list(
        cast(Any, qs)
        .values("organisation__nuts2__code")
        .annotate(**fields)
        .order_by("organisation__nuts2__code")
    )
    codes = [r["organisation__nuts2__code"] or "" for r in by_region_rows]
    names = region_names([c for c in codes if c])
    by_region = [
        Rate(
            r["organisation__nuts2__code"] or "",
            names.get(r["organisation__nuts2__code"] or "", "") or _("Unknown region"),
            r["invited"],
            r["started"],
            r["submitted"],
        )
        for r in by_region_rows
    ]
    type_labels = dict(OrganisationType.choices)
    by_type = [
        Rate(
            r["organisation__org_type"],
            str(type_labels.get(r["organisation__org_type"], r["organisation__org_type"])),
            r["invited"],
            r["started"],
            r["submitted"],
        )
        for r in cast(
            list[dict[str, Any]],
            list(
                qs.values("organisation__org_type")
                .annotate(**fields)
                .order_by("organisation__org_type")
            ),
        )
    ]
    return {
        "total": Rate("total", _("All"), total["invited"], total["started"], total["submitted"]),
        "by_region": by_region,
        "by_type": by_type,
    }


def rates_as_dict(rates: dict[str, Any]) -> dict[str, Any]:
    def one(r: Rate) -> dict[str, Any]:
        return {
            "key": r.key,
            "label": r.label,
            "invited": r.invited,
            "started": r.started,
            "submitted": r.submitted,
            "rate": r.rate,
        }

    return {
        "total": one(rates["total"]),
        "by_region": [one(r) for r in rates["by_region"]],
        "by_type": [one(r) for r in rates["by_type"]],
    }


def _answer_text(q: Question, value: Any, lang: str | None) -> Any:
    if value is None:
        return ""
    if q.qtype == QuestionType.MULTIPLE:
        return "; ".join(q.choice_label(v, lang) for v in value)
    if q.qtype == QuestionType.SINGLE:
        return q.choice_label(str(value), lang)
    return value


def export_table(
    responses: QuerySet[Response], survey: Survey, lang: str | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows, one row per response. Anonymous surveys: no organisation, no dates
    beyond the day, only region and organisation type."""
    questions = list(
        Question.objects.filter(section__survey=survey).order_by(
            "section__position", "position", "pk"
        )
    )
    header = ["response", "region", "region_name", "organisation_type", "status", "submitted_on"]
    if not survey.anonymous:
        header[1:1] = ["organisation_id", "organisation"]
    header += [q.key for q in questions]
    resp_list = list(responses.select_related("region", "invitation__organisation").order_by("pk"))
    answers: dict[int, dict[int, Any]] = {}
    for a in Answer.objects.filter(response__in=[r.pk for r in resp_list]).values_list(
        "response_id", "question_id", "value"
    ):
        answers.setdefault(a[0], {})[a[1]] = a[2]
    type_labels = dict(OrganisationType.choices)
    rows: list[list[Any]] = []
    for i, r in enumerate(resp_list, start=1):
        base: list[Any] = [
            i if survey.anonymous else r.pk,
            r.region.code if r.region else "",
            region_name(r.region.code, lang) if r.region else "",
            str(type_labels.get(r.org_type, r.org_type)),
            r.status,
            r.submitted_on.isoformat() if r.submitted_on else "",
        ]
        if not survey.anonymous:
            org = r.invitation.organisation if r.invitation else None
            base[1:1] = [org.pk if org else "", org.display_name if org else ""]
        vals = answers.get(r.pk, {})
        rows.append(base + [_answer_text(q, vals.get(q.pk), lang) for q in questions])
    return header, rows


def survey_theme_scores(survey: Survey | None = None, submitted_only: bool = True) -> pd.DataFrame:
    """Mean rating per region (NUTS-2 of the respondent) and theme: region, theme, mean, n."""
    qs = Answer.objects.filter(question__qtype=QuestionType.SCALE).exclude(question__theme="")
    if survey is not None:
        qs = qs.filter(response__survey=survey)
    if submitted_only:
        qs = qs.filter(response__status=Response.Status.SUBMITTED)
    rows = list(
        qs.filter(response__region__isnull=False).values_list(
            "response__region__code", "question__theme", "value", "response_id"
        )
    )
    df = pd.DataFrame(rows, columns=["region", "theme", "value", "response"])
    if df.empty:
        return pd.DataFrame(columns=["region", "theme", "mean", "n"])
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df = df.dropna(subset=["value"])
    out = df.groupby(["region", "theme"]).agg(mean=("value", "mean"), n=("response", "nunique"))
    return out.reset_index()


def count_survey_respondents(start: dt.date, end: dt.date) -> int:
    """Submitted responses (all surveys) with a submission day in [start, end], inclusive."""
    return Response.objects.filter(
        status=Response.Status.SUBMITTED, submitted_on__gte=start, submitted_on__lte=end
    ).count()


# --- indicators -----------------------------------------------------------------------------


def indicator_series(
    indicator: str, unit: str, dims: str, codes: Sequence[str]
) -> dict[str, list[tuple[int, float]]]:
    rows = (
        IndicatorValue.objects.filter(
            indicator__code=indicator,
            unit=unit,
            dims=dims,
            region_code__in=list(codes),
            value__isnull=False,
        )
        .order_by("year")
        .values_list("region_code", "year", "value")
    )
    out: dict[str, list[tuple[int, float]]] = {c: [] for c in codes}
    for code, year, value in rows:
        out[code].append((year, float(value or 0.0)))
    return out


def indicator_overview() -> list[dict[str, Any]]:
    rows = Indicator.objects.annotate(
        n=Count("values"),
        last_year=Max("values__year"),
        n_regions=Count("values__region_code", distinct=True),
    ).order_by("code")
    return [
        {
            "code": i.code,
            "label": i.display_label,
            "source": i.source,
            "values": i.n,
            "regions": i.n_regions,
            "last_year": i.last_year,
        }
        for i in rows
    ]


def default_series() -> list[tuple[str, str, str]]:
    return list(ind.DEFAULT_SERIES)


def series_label(indicator: str, unit: str, dims: str) -> str:
    obj = Indicator.objects.filter(code=indicator).first()
    label = obj.display_label if obj else indicator
    detail = ", ".join(x for x in [unit, dims.replace(";", ", ")] if x)
    return f"{label} ({detail})" if detail else label


# --- the assembled analysis -----------------------------------------------------------------


@dataclass
class Analysis:
    """The analysis over the current data, plus what pages need to show it."""

    members: list[str]
    result: Any  # alpsbio.survey.analysis.AnalysisResult or None when there is too little data
    platform: ind.PlatformIndicators | None
    sector_vocabulary: str
    measure: str  # what the specialisation counts: "participations" or "organisations"
    org_names: dict[Any, str] = field(default_factory=dict)
    sector_labels: dict[str, str] = field(default_factory=dict)
    survey_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _data_version() -> str:
    """Changes whenever the inputs change (see ``analysis_cache.data_version``)."""
    from alpsbio.survey.analysis_cache import data_version

    return data_version()


def _sector_labels(vocabulary: str) -> dict[str, str]:
    if vocabulary == "sector":
        return {s.slug: str(s) for s in Sector.objects.all()}
    if vocabulary == "org_type":
        return {k: str(v) for k, v in OrganisationType.choices}
    if vocabulary == "nace_division":
        from alpsbio.directory.models import NaceCode

        return {n.code.replace(".", ""): n.label for n in NaceCode.objects.filter(level="division")}
    return {}


def _specs() -> list[Any]:
    from alpsbio.survey.analysis import IndicatorSpec

    out = []
    for code, unit, dims in ind.DEFAULT_SERIES:
        hib = ind.KNOWN_INDICATORS.get(code, {}).get("higher_is_better")
        if hib is None:
            continue  # e.g. population: neither a strength nor a weakness
        out.append(IndicatorSpec(code, unit, dims, bool(hib), "Eurostat"))
    return out


def compute_analysis(members: Sequence[str] | None = None) -> Analysis:
    """Run the territorial analysis over the database. Never raises for missing data: what is
    missing is listed in ``notes`` (stable codes, translated by ``note_text``)."""
    from alpsbio.survey.analysis import NetworkInput, run_regional_analysis

    started = time.perf_counter()
    member_list = list(members) if members else ind.member_region_codes()
    notes: list[str] = []
    try:
        orgs = ind._region_of_orgs()
        sectors, vocabulary = ind.org_sectors()
        parts = ind.participations_frame()
        indicators = ind.indicator_frame(level=None)
        survey = survey_theme_scores()
    except DatabaseError:
        logger.exception("analysis inputs unavailable")
        return Analysis(member_list, None, None, "", "", notes=["no_database"])
    orgs = orgs[orgs["region"].notna()]
    if orgs.empty:
        notes.append("no_organisations")
    if parts.empty:
        notes.append("no_participations")
    if indicators.empty:
        notes.append("no_indicators")
    if survey.empty:
        notes.append("no_survey_responses")
    if vocabulary == "org_type":
        notes.append("sectors_are_org_types")
    # One sector per organisation for the network's attributes (the first, by slug).
    first_sector = sectors.sort_values(["org", "sector"]).drop_duplicates("org")
    org_table = orgs.merge(first_sector, on="org", how="left")
    org_table["sector"] = org_table["sector"].fillna("")
    sec_region = sectors.merge(orgs[["org", "region"]], on="org")
    establishments = (
        sec_region.pivot_table(
            index="region", columns="sector", values="org", aggfunc="count", fill_value=0
        ).astype(float)
        if not sec_region.empty
        else pd.DataFrame()
    )
    measure = "organisations"
    counts = establishments
    if not parts.empty and not sec_region.empty:
        p = parts.merge(sec_region, on="org")
        if not p.empty:
            counts = p.pivot_table(
                index="region", columns="sector", values="project", aggfunc="count", fill_value=0
            ).astype(float)
            measure = "participations"
            establishments = establishments.reindex(
                index=counts.index, columns=counts.columns, fill_value=0.0
            )
    missing = [m for m in member_list if counts.empty or m not in counts.index]
    if missing:
        notes.append("no_sector_counts:" + ",".join(missing))
    network_input = None
    if not parts.empty:
        network_input = NetworkInput(
            participations=parts[["project", "org"]],
            orgs=org_table[["org", "region", "type", "sector"]],
        )
    result = None
    platform = None
    if counts.shape[0] >= 2 and counts.shape[1] >= 2:
        try:
            # Degenerate inputs (a handful of regions) make numpy warn (e.g. a correlation of a
            # constant); the analysis handles them, so the warnings are not errors here.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = run_regional_analysis(
                    counts,
                    indicators=indicators if not indicators.empty else None,
                    survey=survey if not survey.empty else None,
                    network=network_input,
                    member_regions=member_list,
                    establishments=establishments if measure == "participations" else None,
                    indicator_specs=_specs(),
                )
        except Exception:  # the pages and the report must stay up whatever the data
            logger.exception("analysis failed")
            notes.append("analysis_failed")
    else:
        notes.append("too_little_data")
    platform = ind.platform_indicators(
        result.network.region_summary if result is not None and result.network is not None else None
    )
    org_names: dict[Any, str] = {}
    if result is not None and result.network is not None and not result.network.key_players.empty:
        ids = [int(x) for x in result.network.key_players["org"]]
        org_names = {o.pk: o.display_name for o in Organisation.objects.filter(pk__in=ids)}
    if result is not None:
        notes.extend(f"analysis:{n}" for n in result.notes)
    return Analysis(
        members=member_list,
        result=result,
        platform=platform,
        sector_vocabulary=vocabulary,
        measure=measure,
        org_names=org_names,
        sector_labels=_sector_labels(vocabulary),
        survey_scores=survey,
        notes=notes,
        seconds=time.perf_counter() - started,
    )


def analysis(members: Sequence[str] | None = None, use_cache: bool = True) -> Analysis:
    """The analysis for pages, the API and the report: the stored result of the current data
    version (computed once, in the background or on demand; ``analysis_cache``)."""
    if not use_cache:
        return compute_analysis(members)
    from alpsbio.survey.analysis_cache import get_analysis

    return cast(Analysis, get_analysis(members))


def note_text(note: str) -> str:
    """A note code in words (translated)."""
    code, _sep, detail = note.partition(":")
    texts = {
        "no_database": _("The database is not set up: no data."),
        "no_organisations": _("No data: the directory holds no organisations with a region."),
        "no_participations": _(
            "No data: no EU project participations are loaded, so there is no collaboration network."
        ),
        "no_indicators": _(
            "No data: no official statistics are loaded (import Eurostat indicators)."
        ),
        "no_survey_responses": _("No data: no survey responses have been submitted yet."),
        "sectors_are_org_types": _(
            "No sector data: organisations carry no sector, so organisation types stand in for sectors."
        ),
        "no_sector_counts": _("No sector data for: %(regions)s") % {"regions": detail},
        "too_little_data": _(
            "No data: too little data for the specialisation analysis (two regions and two sectors at least)."
        ),
        "analysis_failed": _("The analysis could not be computed on the current data."),
        "being_recomputed": _(
            "The data changed since this analysis was computed: it is being recomputed; "
            "reload the page in a minute."
        ),
        "analysis": detail,
    }
    return str(texts.get(code, note))


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def records(frame: pd.DataFrame | None, limit: int | None = None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    data = frame if limit is None else frame.head(limit)
    return [{str(k): _clean(v) for k, v in r.items()} for r in data.to_dict("records")]


def swot_sentence(code: str, topic: str, a: Analysis) -> str:
    """One SWOT point in the active language (templates below are marked for translation)."""
    templates = {
        "swot.strength.sector": _("Specialised in %(topic)s"),
        "swot.weakness.sector": _("Under-represented in %(topic)s"),
        "swot.strength.survey": _("Rated a strength by respondents: %(topic)s"),
        "swot.weakness.survey": _("Rated a weakness by respondents: %(topic)s"),
        "swot.strength.indicator": _("Favourable position among European regions: %(topic)s"),
        "swot.weakness.indicator": _("Unfavourable position among European regions: %(topic)s"),
        "swot.threat.indicator_trend": _("Weak recent trend of %(topic)s"),
        "swot.opportunity.related_sector": _("Related sector to develop: %(topic)s"),
        "swot.strength.international_links": _("Many collaboration links abroad"),
        "swot.weakness.international_links": _("Few collaboration links abroad"),
        "swot.threat.dependence_on_one_actor": _("Network depends on one actor: %(topic)s"),
        "swot.opportunity.partner_strength": _(
            "Partner region strong where this region is weak: %(topic)s"
        ),
    }
    return templates.get(code, code) % {"topic": topic_label(topic, a)}


def topic_label(topic: str, a: Analysis) -> str:
    if "@" in topic:  # "sector:x@ITC4" or "theme:y@FRK2" (complementarity)
        dim, region = topic.rsplit("@", 1)
        return f"{topic_label(dim, a)} ({region_name(region)})"
    if topic.startswith("sector:"):
        return topic_label(topic[7:], a)
    if topic.startswith("theme:"):
        return str(THEMES.get(topic[6:], topic[6:]))
    if topic in THEMES:
        return str(THEMES[topic])
    if topic in a.sector_labels:
        return a.sector_labels[topic]
    if topic in ind.KNOWN_INDICATORS:
        return localized(ind.KNOWN_INDICATORS[topic]["label"])
    if topic.isdigit() and a.org_names.get(int(topic)):
        return a.org_names[int(topic)]
    return topic


def region_profile(code: str, a: Analysis | None = None) -> dict[str, Any]:
    """Everything the region page, the API and the report show for one region."""
    a = a or analysis()
    lang = translation.get_language()
    out: dict[str, Any] = {
        "code": code,
        "name": region_name(code, lang),
        "is_member": code in a.members,
        "notes": [note_text(n) for n in a.notes],
        "measure": a.measure,
        "sector_vocabulary": a.sector_vocabulary,
        "swot": {"strength": [], "weakness": [], "opportunity": [], "threat": []},
        "specialisation": [],
        "key_players": [],
        "network": None,
        "eci": None,
        "diversity": None,
        "opportunities": [],
    }
    res = a.result
    if res is not None:
        prof = res.region_profile(code)
        out["eci"] = _clean(prof.get("eci"))
        out["diversity"] = _clean(prof.get("diversity"))
        for p in res.swot.get(code, []):
            out["swot"][p.category].append(
                {
                    "code": p.code,
                    "topic": p.topic,
                    "text": swot_sentence(p.code, p.topic, a),
                    "score": _clean(p.score),
                    "evidence": [
                        {
                            "measure": e.measure,
                            "value": _clean(e.value),
                            "threshold": _clean(e.threshold),
                            "comparison": e.comparison,
                            "source": e.source,
                        }
                        for e in p.evidence
                    ],
                }
            )
        spec = [r for r in prof.get("specialisation", []) if r.get("value", 0) > 0]
        out["specialisation"] = [
            {
                "sector": r["sector"],
                "label": a.sector_labels.get(str(r["sector"]), str(r["sector"])),
                "value": _clean(r["value"]),
                "lq": _clean(r["lq"]),
                "stars": int(r["stars"]),
                "us_strong": bool(r.get("us_strong", False)),
                "establishments": _clean(r.get("establishments")),
            }
            for r in spec
        ]
        out["opportunities"] = [
            {
                "sector": r["sector"],
                "label": a.sector_labels.get(str(r["sector"]), str(r["sector"])),
                "density": _clean(r["density"]),
            }
            for r in prof.get("opportunities", [])
        ]
        out["key_players"] = [
            {
                "org": int(r["org"]),
                "name": a.org_names.get(int(r["org"]), str(r["org"])),
                "degree": int(r["degree"]),
                "betweenness": _clean(r["betweenness"]),
                "type": str(dict(OrganisationType.choices).get(r["type"], r["type"])),
            }
            for r in prof.get("key_players", [])
        ]
        net = prof.get("network") or []
        out["network"] = {k: _clean(v) for k, v in net[0].items()} if net else None
    if a.platform is not None:
        p = a.platform
        out["actors_by_type"] = (
            {
                str(dict(OrganisationType.choices).get(k, k)): int(v)
                for k, v in p.actors_by_type.loc[code].items()
                if v
            }
            if not p.actors_by_type.empty and code in p.actors_by_type.index
            else {}
        )
        out["actors_by_sector"] = (
            {
                a.sector_labels.get(str(k), str(k)): int(v)
                for k, v in p.actors_by_sector.loc[code].items()
                if v
            }
            if not p.actors_by_sector.empty and code in p.actors_by_sector.index
            else {}
        )
        part = p.participations[p.participations["region"] == code]
        out["eu_projects"] = (
            {
                "participations": int(part.iloc[0]["participations"]),
                "projects": int(part.iloc[0]["projects"]),
                "eu_funding": str(Decimal(part.iloc[0]["eu_funding"]).quantize(Decimal("0.01"))),
            }
            if not part.empty
            else None
        )
    scores = a.survey_scores
    mine = scores[scores["region"] == code] if not scores.empty else scores
    out["survey"] = (
        [
            {
                "theme": r["theme"],
                "label": str(THEMES.get(r["theme"], r["theme"])),
                "mean": _clean(r["mean"]),
                "n": int(r["n"]),
            }
            for r in mine.to_dict("records")
        ]
        if not mine.empty
        else []
    )
    out["indicators"] = []
    series = indicator_series_for(code)
    out["indicators"] = series
    return out


def indicator_series_for(code: str) -> list[dict[str, Any]]:
    out = []
    for indicator, unit, dims in ind.DEFAULT_SERIES:
        values = indicator_series(indicator, unit, dims, [code]).get(code, [])
        if not values:
            continue
        out.append(
            {
                "indicator": indicator,
                "unit": unit,
                "dims": dims,
                "label": series_label(indicator, unit, dims),
                "values": [{"year": y, "value": v} for y, v in values],
                "source": "Eurostat",
            }
        )
    return out


def overview(a: Analysis | None = None) -> dict[str, Any]:
    a = a or analysis()
    lang = translation.get_language()
    names = region_names(a.members, lang)
    out: dict[str, Any] = {
        "members": [{"code": m, "name": names[m]} for m in a.members],
        "notes": [note_text(n) for n in a.notes],
        "matrix": [],
        "sector_pairs": [],
        "top_links": [],
        "measure": a.measure,
    }
    res = a.result
    if res is None:
        return out
    m = res.complementarity.matrix
    out["matrix"] = [
        {
            "strong_region": i,
            "cells": [
                {
                    "weak_region": j,
                    "value": _clean(float(m.loc[i, j]))
                    if i in m.index and j in m.columns
                    else None,
                }
                for j in a.members
            ],
        }
        for i in a.members
    ]
    pairs = res.complementarity.sector_pairs
    out["sector_pairs"] = [
        {
            "region_a": r["region_a"],
            "region_a_name": names.get(r["region_a"], r["region_a"]),
            "sector_a": a.sector_labels.get(str(r["sector_a"]), str(r["sector_a"])),
            "lq_a": _clean(r["lq_a"]),
            "region_b": r["region_b"],
            "region_b_name": names.get(r["region_b"], r["region_b"]),
            "sector_b": a.sector_labels.get(str(r["sector_b"]), str(r["sector_b"])),
            "lq_b": _clean(r["lq_b"]),
            "proximity": _clean(r["proximity"]),
            "score": _clean(r["score"]),
        }
        for r in pairs.head(15).to_dict("records")
    ]
    details = res.complementarity.details
    out["top_links"] = [
        {
            "strong_region": names.get(r["strong_region"], r["strong_region"]),
            "weak_region": names.get(r["weak_region"], r["weak_region"]),
            "dimension": topic_label(str(r["dimension"]), a),
            "contribution": _clean(r["contribution"]),
        }
        for r in details.head(10).to_dict("records")
    ]
    return out


# --- maps -----------------------------------------------------------------------------------


def choropleth(
    series: tuple[str, str, str],
    extent: str = "alps",
    highlight: Sequence[str] = (),
    svg_id: str = "map",
) -> dict[str, Any]:
    """An SVG choropleth of NUTS-2 regions for one indicator series (latest year); cached."""
    lang = translation.get_language() or "en"
    key = (
        "survey:map:"
        + hashlib.sha256(
            repr((series, extent, tuple(highlight), svg_id, lang, _data_version())).encode()
        ).hexdigest()
    )
    hit = cache.get(key)
    if hit is not None:
        return cast(dict[str, Any], hit)
    result = _choropleth(series, extent, highlight, svg_id)
    cache.set(key, result, CACHE_SECONDS)
    return result


@lru_cache(maxsize=1)
def _nuts2_geojson() -> dict[str, Any]:
    from alpsbio.survey.analysis import maps

    return maps.load_geojson(maps.BUNDLED_NUTS2)


def _choropleth(
    series: tuple[str, str, str], extent: str, highlight: Sequence[str], svg_id: str
) -> dict[str, Any]:
    from alpsbio.survey.analysis import maps

    indicator, unit, dims = series
    year, values = ind.latest_values(indicator, unit, dims, level=2)
    label = series_label(indicator, unit, dims)
    title = f"{label}, {year}" if year else label
    labels = maps.MapLabels(
        title=title,
        description=_(
            "Choropleth map of NUTS-2 regions; darker means a higher value. Source: Eurostat."
        ),
        legend_title=unit or label,
        no_data=_("no data"),
        region_names={c: localized(n) for c, n in REGION_NAMES.items()},
        attribution=_("© EuroGeographics for the administrative boundaries; Source: Eurostat"),
    )
    svg = maps.choropleth_svg(
        _nuts2_geojson(),
        values,
        labels,
        extent="alps" if extent == "alps" else "europe",
        highlight=highlight,
        svg_id=svg_id,
    )
    return {"svg": svg, "year": year, "n_regions": len(values), "title": title}
