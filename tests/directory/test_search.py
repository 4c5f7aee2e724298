"""Full-text search and facets, on whichever database the suite runs on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alpsbio.directory.models import Organisation, Sector
from alpsbio.directory.search import SearchFilters, normalise, query_words, search_organisations
from alpsbio.directory.search_text import refresh_search_text


@pytest.fixture
def indexed(orgs: dict[str, Organisation], networks: dict[str, Any]) -> dict[str, Organisation]:
    orgs["uga"].names = {"en": "Grenoble Alpes University", "fr": "Université Grenoble Alpes"}
    orgs["uga"].description = {"fr": "Immunologie, biocapteurs et dispositifs médicaux."}
    orgs["uga"].save()
    orgs["hcl"].description = {"en": "University hospital: oncology, clinical trials."}
    orgs["hcl"].save()
    orgs["unimi"].description = {"it": "Ricerca biomedica e diagnostica molecolare."}
    orgs["unimi"].save()
    medtech = Sector.objects.create(slug="medtech", name={"en": "Medtech", "fr": "Medtech"})
    orgs["uga"].sectors.add(medtech)
    orgs["epfl"].sectors.add(medtech)
    networks["diagnosis"].memberships.create(organisation=orgs["unimi"], since="2009-01-01")
    for org in orgs.values():
        refresh_search_text([org.pk])
    return orgs


def test_normalise_strips_accents_and_case() -> None:
    assert normalise("Université ÉCOLE Düsseldorf") == "universite ecole dusseldorf"
    assert query_words('"biocapteurs" AND (NEAR*)') == ["biocapteurs", "and", "near"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grenoble", {"uga"}),
        ("universite grenoble", {"uga"}),  # accents in the data, none in the query
        ("Université", {"uga"}),  # accents in the query too
        ("immuno", {"uga"}),  # prefix of a word of the French competences
        ("oncology", {"hcl"}),
        ("diagnostica", {"unimi"}),
        ("lausanne", {"epfl"}),
        ("EPFL", {"epfl"}),
        ("nothing-like-this", set()),
    ],
)
def test_text_search_finds_names_competences_and_cities(
    indexed: dict[str, Organisation], query: str, expected: set[str]
) -> None:
    result = search_organisations(query)
    keys = {k for k, o in indexed.items() if o in result.items}
    assert keys == expected
    assert result.total == len(expected)


def test_fts_syntax_in_the_query_cannot_break_the_search(
    indexed: dict[str, Organisation],
) -> None:
    for query in ['"', "NEAR(", "a OR", "*", "-x", "col:val", "'; DROP TABLE x; --"]:
        search_organisations(query)  # must not raise


def test_facets_are_disjunctive(indexed: dict[str, Organisation]) -> None:
    result = search_organisations("", SearchFilters(country=["FR"]))
    assert {o.pk for o in result.items} == {indexed["uga"].pk, indexed["hcl"].pk}
    countries = {f.value: (f.count, f.selected) for f in result.facets["country"]}
    # Other countries still show their counts so the user can add them.
    assert countries["FR"] == (2, True)
    assert countries["IT"] == (1, False)
    assert countries["CH"] == (1, False)
    types = {f.value: f.count for f in result.facets["type"]}
    assert types == {"university": 1, "hospital": 1}


def test_two_facets_and_text(indexed: dict[str, Organisation]) -> None:
    result = search_organisations("universit", SearchFilters(sector=["medtech"], region=["FRK2"]))
    assert [o.pk for o in result.items] == [indexed["uga"].pk]
    assert search_organisations("", SearchFilters(network=["new-diagnosis-therapies"])).total == 1
    assert search_organisations("", SearchFilters(region=["CH01"])).total == 1


def test_pagination_and_sorting(indexed: dict[str, Organisation]) -> None:
    first = search_organisations("", sort="name", page=1, per_page=3)
    second = search_organisations("", sort="name", page=2, per_page=3)
    assert first.total == 4
    assert first.pages == 2
    names = [o.legal_name for o in first.items + second.items]
    assert names == sorted(names)
    assert search_organisations("", sort="-name", per_page=1).items[0].legal_name == max(names)


def test_edits_reach_the_index(indexed: dict[str, Organisation]) -> None:
    org = indexed["epfl"]
    org.description = {"de": "Medizintechnik und Neuroprothetik"}
    org.save()
    refresh_search_text([org.pk])
    assert [o.pk for o in search_organisations("neuroprothetik").items] == [org.pk]
    org.delete()
    assert search_organisations("neuroprothetik").total == 0


def test_unknown_sort_is_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="sort must be one of"):
        search_organisations("", sort="random")


def test_many_words_are_capped(
    indexed: dict[str, Organisation], make_org: Callable[..., Any]
) -> None:
    long_query = " ".join(["grenoble"] * 50)
    assert search_organisations(long_query).total == 1
