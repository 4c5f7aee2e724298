"""The product's text vectors are the engine's text signal: each base model centred on its own
language subspace, then weighted (``engine.combined_centred``), for profiles and for queries.

Until 26 Nov 2026 the index centred the concatenated vector once, which left most of one
model's language offset in: paraphrase@1 of search on the product path was 0.54 against the
engine's 0.76 (bench/match_search_quality.py). Two toy encoders stand in for USE and E5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from alpsbio.directory.models import Organisation
from alpsbio.matching import index
from alpsbio.matching.engine.embedding import CombinedEmbedder, LanguageCentredEmbedder

from .toy import ToyEncoder, reloaded

# Illustrative competence statements written for this test (not real organisations).
TOPICS = {
    "en": ["liquid biopsy for the early detection of cancer", "medical imaging of the heart"],
    "fr": ["la biopsie liquide pour le dépistage du cancer", "l'imagerie médicale du cœur"],
    "de": [
        "die Flüssigbiopsie für die Krebsfrüherkennung",
        "die medizinische Bildgebung des Herzens",
    ],
    "it": ["la biopsia liquida per la diagnosi del cancro", "l'imaging medico del cuore"],
}


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch, settings: Any) -> CombinedEmbedder:
    combined = CombinedEmbedder([ToyEncoder("toy-a", 32), ToyEncoder("toy-b", 16)], [0.5, 0.5])
    monkeypatch.setattr(index, "get_encoder", lambda: combined)
    settings.MATCHING_INLINE_EMBED_LIMIT = 10_000  # small directory: the build embeds inline
    return combined


@pytest.fixture
def statements(make_org: Callable[..., Organisation], regions: dict[str, Any]) -> list[str]:
    texts = []
    for k in range(64):  # above the centring pool minimum
        lang = sorted(TOPICS)[k % 4]
        text = f"{TOPICS[lang][k % 2]} ({k})"
        make_org(f"Lab {k}", nuts3=sorted(regions)[k % len(regions)], description={lang: text})
        texts.append(text)
    return texts


def _engine_signal(toy: CombinedEmbedder, pool: list[str]) -> CombinedEmbedder:
    engine = CombinedEmbedder([LanguageCentredEmbedder(p) for p in toy.parts], toy.weights)
    for part in engine.parts:
        part.fit(pool)
    return engine


def test_profile_and_query_vectors_are_the_engines(
    toy: CombinedEmbedder, statements: list[str]
) -> None:
    idx = index.MatchIndex()
    idx.build()
    assert idx.E.shape[1] == 48
    pool = [p.text for p in idx.profiles]
    engine = _engine_signal(toy, pool)
    assert np.allclose(idx.E, engine.embed(pool), atol=1e-5)
    query = "Wir suchen Partner für die Flüssigbiopsie"
    assert idx.centred is not None
    assert np.allclose(
        idx.centred.embed([query], query=True), engine.embed([query], query=True), atol=1e-5
    )
    # And the same after a snapshot round trip, where the centring is read back per model.


def test_the_centring_per_model_survives_the_snapshot(
    toy: CombinedEmbedder, statements: list[str], settings: Any, tmp_path: Any
) -> None:
    settings.MATCHING_SNAPSHOT_DIR = str(tmp_path)
    built, loaded, _path = reloaded()
    assert np.array_equal(loaded.E, built.E)
    query = "biopsia liquida per il cancro"
    assert [(s.key, s.score) for s in loaded.search(query)] == [
        (s.key, s.score) for s in built.search(query)
    ]


def test_matches_and_suggestions_weigh_tfidf_as_measured(
    toy: CombinedEmbedder,
    statements: list[str],
    make_opp: Callable[..., Any],
    orgs: dict[str, Organisation],
) -> None:
    """bench/match_search_quality.py chose 0.2 for search and for an opportunity's matches;
    organisation-to-organisation suggestions weigh it by pair (0.6 within a language: H2020's
    English titles; 0.2 across languages: --suggestions)."""
    request = make_opp(
        org=orgs["unimi"],
        kind="TR",
        title={"it": "Cerchiamo la biopsia liquida per la diagnosi del cancro"},
        status="published",
    )
    offer = make_opp(
        org=orgs["uga"],
        kind="TO",
        title={"fr": "La biopsie liquide pour le dépistage du cancer"},
        status="published",
    )
    idx = index.get_index(wait=True)

    def blend(a: str, b: str, w: float) -> float:
        ra, rb = idx.pos[a], idx.pos[b]
        emb = float(idx.E[ra] @ idx.E[rb])
        tf = float((idx.T[ra] @ idx.T[rb].T).toarray()[0, 0])
        return (1 - w) * emb + w * tf

    req, off = f"opp:{request.pk}", f"opp:{offer.pk}"
    got = {s.key: s for s in idx.opportunity_matches(request.pk)}
    assert got[off].reasons["text"] == pytest.approx(blend(req, off, 0.2), abs=1e-4)
    # Suggestions weigh TF-IDF by pair: 0.6 within a language, 0.2 across languages.
    lab = Organisation.objects.get(legal_name="Lab 0")
    key = f"org:{lab.pk}"
    own = idx.langs[idx.pos[key]]
    seen = {True: 0, False: 0}
    for partner in idx.suggest_partners(lab.pk, limit=100):
        if partner.reasons["text"] <= 0:
            continue
        same = bool(idx.langs[idx.pos[partner.key]] == own)
        weight = 0.6 if same else 0.2
        assert partner.reasons["text"] == pytest.approx(blend(key, partner.key, weight), abs=1e-4)
        seen[same] += 1
    assert seen[True] > 0
    assert seen[False] > 0
    labs = Organisation.objects.filter(legal_name__in=["Lab 0", "Lab 1", "Lab 2", "Lab 3"])
    assert {str(idx.langs[idx.pos[f"org:{o.pk}"]]) for o in labs} == {"de", "en", "fr", "it"}


def test_no_raw_vector_stays_cached_after_a_build_an_edit_or_a_search(
    toy: CombinedEmbedder, statements: list[str], orgs: dict[str, Organisation]
) -> None:
    """The centring's caches only carry the stored vectors through one computation: ``E`` holds
    the result. Kept, they doubled the vectors in memory (about 90 MB on the demo) and every
    distinct search added its own for the life of the process."""
    idx = index.get_index()
    assert idx.centred is not None

    def cached() -> int:
        return sum(len(part.cache.items()) for part in idx.centred.parts)

    assert cached() == 0
    for k in range(3):
        assert idx.search(f"biopsia liquida {k}")
    assert cached() == 0
    lab = Organisation.objects.get(legal_name="Lab 3")
    lab.description = {"fr": "la biopsie liquide pour le dépistage précoce du cancer"}
    lab.save()
    idx = index.get_index()  # patched in place
    assert idx.n_patches >= 1
    assert cached() == 0
    # The results are unchanged by forgetting: the same search twice ranks the same.
    first = [(s.key, s.score) for s in idx.search("liquid biopsy")]
    assert first == [(s.key, s.score) for s in idx.search("liquid biopsy")]
