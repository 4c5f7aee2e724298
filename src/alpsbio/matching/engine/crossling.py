"""The committed cross-lingual test sets and their retrieval measurement.

``data/xling_biomed.jsonl``: 100 biotech/medtech statements, each written in EN, FR, DE and IT,
plus a paraphrased *need* in one language (different words, same intent). Items 1-50 are the
half the text signal was tuned on, items 51-100 the half it is reported on.
``data/xling_biomed_heldout.jsonl``: 40 further statements in the same form, written before the
final choices and never tuned on (``HELDOUT_FILE``).
``data/xling_biomed_para.jsonl`` and ``data/xling_biomed_heldout_para.jsonl``: for the same
statements, a *plain* paraphrase in the need's language (the same technology in other words, as
a professional would search for it) where the need describes a problem in lay terms; written
after every choice of the text signal, and measured once (``PARA_FILES``).

The pool holds every statement once, in a language other than its need's; queries are the other
three translations and the need. Success = the right statement ranked first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .embedding import Embedder
from .io import TextItem

LANGS = ("en", "fr", "de", "it")
HELDOUT_FILE = Path(__file__).resolve().parent / "data" / "xling_biomed_heldout.jsonl"
PARA_FILES = (
    Path(__file__).resolve().parent / "data" / "xling_biomed_para.jsonl",
    Path(__file__).resolve().parent / "data" / "xling_biomed_heldout_para.jsonl",
)


@dataclass(frozen=True)
class Statement:
    id: str
    texts: dict[str, str]
    need_lang: str
    need: str


def load_statements(path: str | Path | None = None) -> list[Statement]:
    if path is None:
        raw = resources.files("alpsbio.matching.engine").joinpath("data/xling_biomed.jsonl")
        lines = raw.read_text(encoding="utf-8").splitlines()
    else:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if line.strip():
            d = json.loads(line)
            out.append(Statement(d["id"], {k: d[k] for k in LANGS}, d["need_lang"], d["need"]))
    return out


def with_paraphrases(statements: list[Statement], path: str | Path) -> list[Statement]:
    """The statements with their need replaced by the plain paraphrase of ``path`` (lines
    ``{"id", "para_lang", "para"}``, same language as the need, so the pool is unchanged)."""
    paras = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            paras[d["id"]] = d
    out = []
    for s in statements:
        d = paras[s.id]
        if d["para_lang"] != s.need_lang:
            raise ValueError(f"{path}: {s.id} is in {d['para_lang']}, its need in {s.need_lang}")
        out.append(Statement(s.id, s.texts, s.need_lang, d["para"]))
    return out


def build_task(
    statements: list[Statement],
) -> tuple[list[TextItem], list[TextItem], list[TextItem], dict[str, str]]:
    """Pool, translation queries, paraphrase queries, and query id -> expected pool id."""
    pool, trans, para, gold = [], [], [], {}
    for k, s in enumerate(statements):
        others = [lang for lang in LANGS if lang != s.need_lang]
        pool_lang = others[k % len(others)]  # rotate so the pool mixes all four languages
        pool.append(TextItem(s.id, s.texts[pool_lang]))
        for lang in LANGS:
            if lang != pool_lang:
                qid = f"{s.id}:{lang}"
                trans.append(TextItem(qid, s.texts[lang]))
                gold[qid] = s.id
        para.append(TextItem(f"{s.id}:need", s.need))
        gold[f"{s.id}:need"] = s.id
    return pool, trans, para, gold


def rank_texts(
    embedder: Embedder, pool: list[TextItem], queries: list[TextItem], top: int
) -> dict[str, list[str]]:
    """Rank pool items for each query by cosine similarity of the embedder's vectors."""
    if not pool or not queries:
        return {q.id: [] for q in queries}
    fit = getattr(embedder, "fit", None)
    if callable(fit):  # the TF-IDF fallback learns its IDF from the pool
        fit([p.text for p in pool])
    p = embedder.embed([x.text for x in pool])
    q = embedder.embed([x.text for x in queries], query=True)
    sims = q @ p.T
    k = min(top, len(pool))
    out: dict[str, list[str]] = {}
    for i, item in enumerate(queries):
        order = np.argsort(-sims[i], kind="stable")[:k]
        out[item.id] = [pool[j].id for j in order]
    return out


def top1(ranking: dict[str, list[str]], gold: dict[str, str]) -> float:
    hits = [bool(ranking.get(q)) and ranking[q][0] == g for q, g in gold.items() if q in ranking]
    return float(np.mean(hits)) if hits else 0.0
