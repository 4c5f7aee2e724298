"""In-process vector index: one interface, exact numpy by default, HNSW optional.

Measured (bench/match_speed.py, docs/benchmarks/matching.md), 896 dims on 2 cores: exact
float32 search takes ~1.5 ms p95 at 5,000 profiles but ~28 ms of CPU at 100,000, over the
20 ms budget; hnswlib answers in ~1 ms at 100,000 with recall 1.0 on clustered data but takes
minutes to build. ``make_index`` therefore picks exact (exact results, no build, O(1) edits)
up to ``EXACT_LIMIT`` profiles and HNSW beyond.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Hashable, Sequence
from functools import cache
from typing import Any, Protocol

import numpy as np


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    return ThreadpoolController()


class VectorIndex(Protocol):
    def add(self, ids: Sequence[Hashable], vectors: np.ndarray) -> None: ...

    def remove(self, ids: Sequence[Hashable]) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Hashable, float]]: ...

    def __len__(self) -> int: ...


class ExactIndex:
    """Cosine similarity by a float32 matrix product over all rows (vectors are L2-normalised)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids: list[Hashable] = []
        self._pos: dict[Hashable, int] = {}
        self._mat = np.zeros((0, dim), dtype=np.float32)
        self._alive = np.zeros(0, dtype=bool)
        self._pending: list[np.ndarray] = []

    def __len__(self) -> int:
        return int(self._alive.sum()) + sum(len(p) for p in self._pending)

    def _flush(self) -> None:
        if self._pending:
            self._mat = np.vstack([self._mat, *self._pending])
            self._pending = []

    def add(self, ids: Sequence[Hashable], vectors: np.ndarray) -> None:
        vecs = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self.remove([i for i in ids if i in self._pos])  # an edit replaces the old vector
        start = len(self._ids) - 0
        for k, ident in enumerate(ids):
            self._pos[ident] = start + k
        self._ids.extend(ids)
        self._pending.append(vecs)
        self._alive = np.concatenate([self._alive, np.ones(len(ids), dtype=bool)])

    def remove(self, ids: Sequence[Hashable]) -> None:
        for ident in ids:
            pos = self._pos.pop(ident, None)
            if pos is not None:
                self._alive[pos] = False

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Hashable, float]]:
        self._flush()
        if k <= 0 or not len(self._mat):
            return []
        # One BLAS thread: a matrix-vector product is memory-bound, and with several web
        # workers per core OpenBLAS's spinning threads made it 30x slower (measured, 5k x 896).
        with _blas().limit(limits=1, user_api="blas"):
            sims = self._mat @ np.asarray(vector, dtype=np.float32).ravel()
        sims = np.where(self._alive, sims, -np.inf)
        k = min(k, int(self._alive.sum()))
        if k == 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self._ids[i], float(sims[i])) for i in top]

    def search_many(self, vectors: np.ndarray, k: int) -> list[list[tuple[Hashable, float]]]:
        return [self.search(v, k) for v in np.atleast_2d(vectors)]


class HnswIndex:
    """Approximate nearest neighbours with hnswlib (inner product on normalised vectors)."""

    def __init__(self, dim: int, capacity: int = 1024, m: int = 16, ef: int = 100) -> None:
        import hnswlib

        self.dim = dim
        self._index = hnswlib.Index(space="ip", dim=dim)
        self._index.init_index(max_elements=capacity, M=m, ef_construction=100, random_seed=0)
        self._index.set_ef(ef)
        self._labels: dict[Hashable, int] = {}
        self._ids: dict[int, Hashable] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._labels)

    def add(self, ids: Sequence[Hashable], vectors: np.ndarray) -> None:
        self.remove([i for i in ids if i in self._labels])
        need = self._index.get_current_count() + len(ids)
        if need > self._index.get_max_elements():
            self._index.resize_index(max(need, 2 * self._index.get_max_elements()))
        labels = np.arange(self._next, self._next + len(ids))
        self._next += len(ids)
        self._index.add_items(np.asarray(vectors, dtype=np.float32), labels)
        for ident, lab in zip(ids, labels, strict=True):
            self._labels[ident] = int(lab)
            self._ids[int(lab)] = ident

    def remove(self, ids: Sequence[Hashable]) -> None:
        for ident in ids:
            lab = self._labels.pop(ident, None)
            if lab is not None:
                self._index.mark_deleted(lab)
                del self._ids[lab]

    def save(self, path: str) -> None:
        """Persist the graph (ids are kept by the caller) so workers need not rebuild it."""
        self._index.save_index(path)

    def to_bytes(self) -> tuple[bytes, list[tuple[Hashable, int]], int]:
        """The graph as bytes, the (id, label) pairs and the next label: enough for
        ``from_bytes`` (hnswlib reads and writes files only, so this goes through one)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hnsw.bin")
            self.save(path)
            with open(path, "rb") as fh:
                data = fh.read()
        return data, list(self._labels.items()), self._next

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        dim: int,
        labels: Sequence[tuple[Hashable, int]],
        next_label: int,
        ef: int = 100,
    ) -> HnswIndex:
        import hnswlib

        self = cls.__new__(cls)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hnsw.bin")
            with open(path, "wb") as fh:
                fh.write(data)
            index = hnswlib.Index(space="ip", dim=dim)
            index.load_index(path)
        index.set_ef(ef)
        self._index = index
        self.dim = dim
        self._labels = {ident: int(lab) for ident, lab in labels}
        self._ids = {lab: ident for ident, lab in self._labels.items()}
        self._next = int(next_label)
        return self

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Hashable, float]]:
        k = min(k, len(self._labels))
        if k <= 0:
            return []
        labels, dists = self._index.knn_query(np.asarray(vector, dtype=np.float32), k=k)
        return [
            (self._ids[int(lab)], 1.0 - float(d))
            for lab, d in zip(labels[0], dists[0], strict=True)
        ]


# Beyond this, exact search at 896 dims nears the 20 ms budget on a busy 2-core host.
EXACT_LIMIT = 10_000


def make_index(dim: int, expected: int = 0) -> VectorIndex:
    """Exact up to ``EXACT_LIMIT`` profiles (exact results, instant updates), HNSW beyond."""
    if expected > EXACT_LIMIT:
        try:
            return HnswIndex(dim, capacity=expected)
        except ImportError:  # hnswlib missing: exact is slower but still correct
            pass
    return ExactIndex(dim)
