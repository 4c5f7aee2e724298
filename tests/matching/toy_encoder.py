"""A toy encoder for the matching tests: hashed bags of words, deterministic, instant.

No Django here: the bulk embedding pass makes it again in spawned pool processes."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np


class ToyEncoder:
    def __init__(self, name: str, dim: int) -> None:
        self.name, self.version, self.dim = name, "1.0", dim
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = hashlib.sha256(f"{self.name}:{word}".encode()).digest()
                out[i, int.from_bytes(h[:4], "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def worker_factory(self) -> functools.partial[ToyEncoder]:
        """The same toy in a pool process (``index.embed_missing(processes=...)``)."""
        return functools.partial(ToyEncoder, self.name, self.dim)
