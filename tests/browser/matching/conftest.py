"""The matching tests' fixtures for the browser tests of matching: profiles made through the
services, a small project graph, and the settings they run under (TF-IDF text signal, immediate
tasks, no index snapshot on disk)."""

from tests.matching.conftest import (  # noqa: F401
    _matching_settings,
    make_opp,
    projects,
    published,
    texts,
)
