"""Cross-lingual text signal: language guess, request formulas, language-offset removal, test sets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from alpsbio.matching.engine.crossling import (
    HELDOUT_FILE,
    LANGS,
    PARA_FILES,
    build_task,
    load_statements,
    rank_texts,
    top1,
    with_paraphrases,
)
from alpsbio.matching.engine.embedding import LanguageCentredEmbedder
from alpsbio.matching.engine.io import TextItem
from alpsbio.matching.engine.lang import guess_language
from alpsbio.matching.engine.textsignal import strip_request_formula

FILLER = {
    "en": "the system for the",
    "fr": "le système pour les",
    "de": "das System für die",
    "it": "il sistema per gli",
}


class OffsetEmbedder:
    """A toy multilingual encoder: a topic direction plus a large per-language offset.

    Texts look like "<filler words of a language> tN" (or "...tN@de" to force the offset's
    language); the offset is what real encoders add and
    what makes a same-language text on another topic look closer than a translation.
    """

    name = "offset-toy"
    version = "1"

    def __init__(self, topics: int = 12, offset: float = 2.0) -> None:
        rng = np.random.default_rng(7)
        self.dim = topics + 8
        self.offsets = {lang: rng.normal(size=self.dim) for lang in LANGS}
        for lang in LANGS:
            self.offsets[lang] *= offset / np.linalg.norm(self.offsets[lang])
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        self.seen.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            text, _, lang = t.partition("@")
            out[i, int(text.rsplit("t", 1)[1])] = 1.0
            out[i] += self.offsets[lang or guess_language(text)]
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _toy_task(n: int = 12) -> tuple[list[TextItem], list[TextItem], dict[str, str]]:
    pool = [TextItem(f"p{k}", f"{FILLER[LANGS[k % 4]]} t{k}") for k in range(n)]
    queries = [TextItem(f"q{k}", f"{FILLER[LANGS[(k + 1) % 4]]} t{k}") for k in range(n)]
    return pool, queries, {f"q{k}": f"p{k}" for k in range(n)}


def test_language_guess_on_noun_phrases_and_requests() -> None:
    assert guess_language("Qualitätskontrolle steriler injizierbarer Arzneimittel.") == "de"
    assert (
        guess_language("Biosimilars monoklonaler Antikörper gegen Autoimmunerkrankungen.") == "de"
    )
    assert guess_language("Composti antivirali contro i virus respiratori.") == "it"
    assert guess_language("L'ospedale cerca uno strumento di previsione.") == "it"
    assert guess_language("Analyse génomique des tumeurs.") == "fr"
    assert guess_language("Wir suchen einen Partner für die Forschung") == "de"
    assert guess_language("We are looking for a partner for the research") == "en"
    assert guess_language("") == "en"
    assert guess_language("12345", default="fr") == "fr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wir suchen eine Firma für Zellkulturen.", "eine Firma für Zellkulturen."),
        ("Nous avons besoin d'un laboratoire", "un laboratoire"),
        ("nous   cherchons un partenaire", "un partenaire"),
        ("Cerchiamo un partner industriale", "un partner industriale"),
        ("We are looking for  biosensors", "biosensors"),
        ("Recherche sur le mal des montagnes.", "Recherche sur le mal des montagnes."),
        ("Biosensors for water.", "Biosensors for water."),
        ("We need", "We need"),  # nothing would remain: kept whole
    ],
)
def test_request_formula_stripped_from_the_start_only(text: str, expected: str) -> None:
    assert strip_request_formula(text) == expected


def test_language_offset_removed_from_a_toy_encoder() -> None:
    pool, queries, gold = _toy_task()
    raw = rank_texts(OffsetEmbedder(), pool, queries, top=1)
    assert top1(raw, gold) < 0.2  # the language offset wins: same-language texts come first
    for mode in ("subspace", "means"):
        emb = LanguageCentredEmbedder(OffsetEmbedder(), min_count=2, mode=mode)
        assert top1(rank_texts(emb, pool, queries, top=1), gold) == 1.0


def test_subspace_needs_no_language_guess_for_queries() -> None:
    """A query whose words mislead the language guess is still cleaned in subspace mode."""
    pool, _queries, _gold = _toy_task()
    emb = LanguageCentredEmbedder(OffsetEmbedder(), min_count=2)
    emb.fit([p.text for p in pool])
    assert emb.basis is not None
    assert emb.basis.shape[0] == 3
    # English filler words, German offset (``@de`` overrides the toy's guess): topic 5
    query = [TextItem("q", "the system for the t5@de")]
    assert rank_texts(emb, pool, query, top=1) == {"q": ["p5"]}


def test_centring_is_estimated_on_the_pool_only() -> None:
    pool, queries, _gold = _toy_task()
    base = OffsetEmbedder()
    emb = LanguageCentredEmbedder(base, min_count=2)
    rank_texts(emb, pool, queries, top=1)
    assert emb.overall is not None
    assert emb.basis is not None
    before = (emb.overall.copy(), emb.basis.copy())
    emb.embed([q.text for q in queries], query=True)
    assert np.array_equal(emb.overall, before[0])
    assert np.array_equal(emb.basis, before[1])
    # a tiny pool (fewer texts per language than min_count) only removes the overall mean
    small = LanguageCentredEmbedder(OffsetEmbedder()).fit([p.text for p in pool[:3]])
    assert small.basis is None
    assert small.overall is not None


def test_queries_lose_their_formula_before_embedding() -> None:
    base = OffsetEmbedder()
    emb = LanguageCentredEmbedder(base)
    emb.embed(["Wir suchen das System für die t3"], query=True)
    assert base.seen == ["das System für die t3"]
    LanguageCentredEmbedder(base, strip_requests=False).embed(["Wir suchen die t4"], query=True)
    assert base.seen[-1] == "Wir suchen die t4"
    with pytest.raises(ValueError, match="unknown centring mode"):
        LanguageCentredEmbedder(base, mode="whiten")


def test_heldout_set_is_well_formed_and_disjoint() -> None:
    main, held = load_statements(), load_statements(HELDOUT_FILE)
    assert len(main) == 100
    assert len(held) == 40
    assert not {s.id for s in main} & {s.id for s in held}
    main_texts = {t for s in main for t in [*s.texts.values(), s.need]}
    for s in held:
        assert s.need_lang in LANGS
        assert all(s.texts[lang].strip() for lang in LANGS)
        assert s.need not in s.texts.values()
        assert not ({*s.texts.values(), s.need} & main_texts)
    pool, trans, para, _gold = build_task(held)
    assert len(pool) == 40
    assert len(trans) == 120
    assert len(para) == 40
    for line in HELDOUT_FILE.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"id", "en", "fr", "de", "it", "need_lang", "need"}


def test_plain_paraphrases_replace_the_needs_in_the_same_language(tmp_path: Path) -> None:
    for statements, path in zip(
        (load_statements(), load_statements(HELDOUT_FILE)), PARA_FILES, strict=True
    ):
        plain = with_paraphrases(statements, path)
        assert [s.id for s in plain] == [s.id for s in statements]
        for before, after in zip(statements, plain, strict=True):
            assert after.need_lang == before.need_lang
            assert after.texts == before.texts  # the pool is unchanged
            assert after.need.strip()
            assert after.need not in (before.need, *before.texts.values())
    # A paraphrase in another language than the need would change the task: refused.
    wrong = tmp_path / "para.jsonl"
    first = load_statements()[0]
    other = next(lang for lang in LANGS if lang != first.need_lang)
    wrong.write_text(json.dumps({"id": first.id, "para_lang": other, "para": "x"}) + "\n")
    with pytest.raises(ValueError, match=f"{first.id} is in {other}"):
        with_paraphrases([first], wrong)
