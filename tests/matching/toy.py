"""Test helpers of the matching tests: a toy encoder and a snapshot round trip."""

from __future__ import annotations

from pathlib import Path

from alpsbio.matching import index

from .toy_encoder import ToyEncoder

__all__ = ["ToyEncoder", "reloaded"]


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
