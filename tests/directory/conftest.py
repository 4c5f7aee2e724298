"""Fixtures of the importer tests: small excerpts of the real data in tests/fixtures/directory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from alpsbio.directory.importers.cordis import import_cordis_orgs
from alpsbio.directory.importers.nace import import_nace
from alpsbio.directory.importers.nuts import import_nuts
from alpsbio.directory.importers.ror import import_ror

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "directory"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the excerpts, so a test may damage a file."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURES, target)
    return target


@pytest.fixture
def nuts(db: Any, data_dir: Path) -> Path:
    import_nuts(data_dir / "nuts")
    return data_dir


@pytest.fixture
def taxonomy(nuts: Path) -> Path:
    import_nace(nuts / "taxonomy" / "noga2008_nace_rev2_multilingual.csv")
    return nuts


@pytest.fixture
def ror_and_cordis(taxonomy: Path) -> Path:
    import_ror(taxonomy / "ror" / "ror_subset_FR_IT_CH_AT_DE.csv")
    import_cordis_orgs(taxonomy / "cordis" / "cordis_orgs_merged_by_pic.csv")
    return taxonomy
