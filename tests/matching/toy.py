"""Test helpers of the matching tests: a toy encoder and a snapshot round trip."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from alpsbio.matching import index


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


def reloaded() -> tuple[index.MatchIndex, index.MatchIndex, Path]:
    """A freshly built index, the same index written to the snapshot and loaded back, and the
    snapshot's path (``MATCHING_SNAPSHOT_DIR`` must be set)."""
    built = index.MatchIndex()
    built.build()
    path = index.save_snapshot(built)
    assert path is not None
    loaded = index.load_snapshot(path)
    assert loaded is not None
    return built, loaded, path
