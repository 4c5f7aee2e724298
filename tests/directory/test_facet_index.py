"""The in-memory facet index: same answers as SQL, kept current by the database's change token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.db import transaction

from alpsbio.directory import facet_index
from alpsbio.directory.models import NaceCode, Organisation, Region, Sector
from alpsbio.directory.search import FACETS, SearchFilters, SearchResult, search_organisations


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    facet_index.reset()
    yield
    facet_index.reset()


@pytest.fixture
def world(
    orgs: dict[str, Organisation],
    networks: dict[str, Any],
    make_org: Callable[..., Organisation],
) -> dict[str, Organisation]:
    medtech = Sector.objects.create(slug="medtech", name={"en": "Medtech"})
    pharma = NaceCode.objects.create(code="21.10", level="class", label_en="Pharma")
    devices = NaceCode.objects.create(code="32.50", level="class", label_en="Devices")
    orgs["uga"].sectors.add(medtech)
    orgs["epfl"].sectors.add(medtech)
    orgs["uga"].nace_codes.add(pharma)
    orgs["hcl"].nace_codes.add(devices)
    networks["diagnosis"].memberships.create(organisation=orgs["unimi"], since="2009-01-01")
    networks["autonomy"].memberships.create(organisation=orgs["uga"], since="2009-01-01")
    orgs["biolab"] = make_org("Biolab Grenoble", "FRK24", org_type="sme", n_projects=0)
    orgs["inactive"] = make_org("Grenoble Closed Institute", "FRK24", is_active=False)
    Organisation.objects.filter(pk=orgs["hcl"].pk).update(validation_status="validated")
    return orgs


SEARCHES: list[tuple[str, SearchFilters, str]] = [
    ("", SearchFilters(), "name"),
    ("", SearchFilters(country=["FR"]), "name"),
    ("grenoble", SearchFilters(), "name"),
    ("universit", SearchFilters(type=["university"], region=["FRK2"]), "name"),
    ("", SearchFilters(region=["FR"], sector=["medtech"]), "-name"),
    ("", SearchFilters(nace=["C21", "21"]), "name"),
    ("", SearchFilters(nace=["32"]), "newest"),
    ("", SearchFilters(network=["new-diagnosis-therapies", "autonomy-healthcare"]), "name"),
    ("", SearchFilters(validated_only=True), "name"),
    ("", SearchFilters(member_regions_only=True, country=["CH", "IT"]), "projects"),
    ("lyon", SearchFilters(type=["hospital"]), "relevance"),
    ("nothing-like-this", SearchFilters(country=["FR"]), "relevance"),
]


def _shape(result: SearchResult) -> dict[str, Any]:
    return {
        "total": result.total,
        "items": [o.pk for o in result.items],
        "facets": {
            name: sorted((v.value, v.count, v.selected) for v in values)
            for name, values in result.facets.items()
        },
    }


@pytest.mark.parametrize(("text", "filters", "sort"), SEARCHES)
def test_index_and_sql_give_the_same_answers(
    world: dict[str, Organisation], settings: Any, text: str, filters: SearchFilters, sort: str
) -> None:
    settings.DIRECTORY_FACET_INDEX = False
    by_sql = _shape(search_organisations(text, filters, sort=sort, per_page=50))
    settings.DIRECTORY_FACET_INDEX = True
    by_index = _shape(search_organisations(text, filters, sort=sort, per_page=50))
    assert facet_index.current() is not None  # the second answer really came from the index
    if sort == "relevance":  # the two rankings differ; the results may not
        by_sql["items"].sort()
        by_index["items"].sort()
    assert by_index == by_sql


def test_writes_that_bypass_django_signals_still_refresh_the_index(
    world: dict[str, Organisation],
) -> None:
    before = search_organisations("", SearchFilters(country=["AT"]))
    assert before.total == 0
    Organisation.objects.filter(pk=world["epfl"].pk).update(country_code="AT")
    after = search_organisations("", SearchFilters(country=["AT"]))
    assert [o.pk for o in after.items] == [world["epfl"].pk]
    # A many-to-many write and a region's membership change reach it too.
    world["hcl"].sectors.add(Sector.objects.get(slug="medtech"))
    assert search_organisations("", SearchFilters(sector=["medtech"])).total == 3
    Region.objects.filter(code="CH01").update(is_member=False)
    members = search_organisations("", SearchFilters(member_regions_only=True))
    assert world["epfl"] not in members.items
    assert world["unimi"] in members.items


def test_an_index_built_inside_a_rolled_back_transaction_is_not_reused(
    world: dict[str, Organisation],
) -> None:
    token_before = facet_index.read_change_token()
    seen_inside: list[int] = []

    def change_search_and_fail() -> None:
        with transaction.atomic():
            Organisation.objects.filter(pk=world["uga"].pk).update(org_type="sme")
            seen_inside.append(search_organisations("", SearchFilters(type=["sme"])).total)
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_search_and_fail()
    assert seen_inside == [2]
    assert facet_index.read_change_token() == token_before
    assert search_organisations("", SearchFilters(type=["sme"])).total == 1


@pytest.mark.django_db(transaction=True)
def test_a_large_directory_is_indexed_in_the_background_meanwhile_sql_answers(
    regions: dict[str, Region], make_org: Callable[..., Organisation], settings: Any
) -> None:
    make_org("Biolab Grenoble", "FRK24")
    settings.DIRECTORY_FACET_INDEX_SYNC_LIMIT = 0  # every directory counts as large
    first = search_organisations("biolab")
    assert first.total == 1  # answered in SQL while the index builds
    facet_index.wait_for_background_build()
    index = facet_index.current()
    assert index is not None
    assert index.size == 1
    assert search_organisations("biolab").total == 1


def test_relevance_prefers_repeated_words_short_texts_and_active_actors(
    world: dict[str, Organisation], make_org: Callable[..., Organisation]
) -> None:
    long = make_org("Grenoble", "FRK24", description={"en": "word " * 200})
    short = make_org("Grenoble", "FRK24")
    result = search_organisations("grenoble", sort="relevance")
    order = [o.pk for o in result.items]
    assert order.index(short.pk) < order.index(long.pk)
    # UGA's names repeat "grenoble" in each language, and it has EU projects.
    Organisation.objects.filter(pk=world["uga"].pk).update(n_projects=40)
    assert search_organisations("grenoble", sort="relevance").items[0] == world["uga"]


def test_bm25_formula() -> None:
    tf = np.array([[1.0], [2.0], [1.0]])
    lengths = np.array([10.0, 10.0, 40.0])
    scores = facet_index.bm25(tf, [2.0], lengths, average_length=20.0)
    norm = 1.2 * (1 - 0.75 + 0.75 * 10 / 20)
    assert scores[0] == pytest.approx(2.0 * 2.2 / (1 + norm))
    assert scores[1] > scores[0] > scores[2]
    assert facet_index.idf(100, 10) == pytest.approx(np.log(90.5 / 10.5))
    assert facet_index.idf(100, 99) == pytest.approx(1e-6)  # floored, never negative
    counts = facet_index.word_start_counts(["bio", "gre"], ["biolab bio grenoble", "abio"])
    assert counts.tolist() == [[2.0, 1.0], [0.0, 0.0]]


def test_every_facet_is_counted(world: dict[str, Organisation]) -> None:
    result = search_organisations("")
    assert set(result.facets) == set(FACETS)
    sectors = {v.value: v.count for v in result.facets["sector"]}
    assert sectors == {"medtech": 2}
    regions = {v.value: v.count for v in result.facets["region"]}
    assert regions == {"FRK2": 3, "ITC4": 1, "CH01": 1}  # the inactive one is not counted


def test_a_word_in_the_name_outranks_the_same_word_in_a_description(
    world: dict[str, Organisation], make_org: Callable[..., Organisation]
) -> None:
    described = make_org("Alpine Devices", "FRK24", description={"en": "Biosensor platforms."})
    Organisation.objects.filter(pk=described.pk).update(n_projects=60)
    named = make_org("Biosensor-Lab Grenoble", "FRK24")
    order = [o.pk for o in search_organisations("biosensor", sort="relevance").items]
    assert order == [named.pk, described.pk]
    assert (
        facet_index.fold_name("UGA-Université  Grenoble_Alpes") == "uga universite grenoble alpes"
    )
