"""Suggestions on a large directory read the ANN index's neighbours, not every profile.

Sixty organisations described in four languages (statements written for this test, not real
profiles) and the toy encoders of ``test_staged_embedding``; the ANN threshold is lowered so
that the small directory takes the large-directory path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from alpsbio.directory.models import Organisation, Participation, Project, Region
from alpsbio.directory.search_text import refresh_search_text
from alpsbio.matching import index
from alpsbio.matching.engine.embedding import CombinedEmbedder

from .toy import ToyEncoder, reloaded

TOPICS = {
    "en": [
        "liquid biopsy",
        "medical imaging",
        "vaccine adjuvants",
        "hospital logistics",
        "biobank",
    ],
    "fr": [
        "biopsie liquide",
        "imagerie médicale",
        "adjuvants vaccinaux",
        "logistique",
        "biobanque",
    ],
    "de": ["Flüssigbiopsie", "Bildgebung", "Impfstoffadjuvantien", "Logistik", "Biobank"],
    "it": ["biopsia liquida", "imaging medico", "adiuvanti vaccinali", "logistica", "biobanca"],
}


@pytest.fixture
def directory(
    make_org: Any, regions: dict[str, Region], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> list[Organisation]:
    fast, slow = ToyEncoder("toy-fast", 32), ToyEncoder("toy-slow", 16)
    combined = CombinedEmbedder([fast, slow], [0.5, 0.5])
    monkeypatch.setattr(index, "get_encoder", lambda: combined)
    settings.MATCHING_ANN_MIN_PROFILES = 10
    monkeypatch.setattr(index, "ANN_CANDIDATES", 10)
    out, k = [], 0
    for lang, words in TOPICS.items():
        for i in range(15):
            text = f"{words[i % 5]} {words[(i + 2) % 5]} {i}"
            out.append(
                make_org(
                    f"Lab {k}", nuts3=sorted(regions)[k % len(regions)], description={lang: text}
                )
            )
            k += 1
    index.embed_texts({p.hash: p.text for p in index.load_org_profiles() if p.text}, combined)
    return out


def _exact(idx: index.MatchIndex) -> index.MatchIndex:
    idx.ann = None
    return idx


def test_suggestions_read_the_neighbours_and_agree_with_exact_scoring(
    directory: list[Organisation],
) -> None:
    ann = index.MatchIndex()
    ann.build()
    assert ann.ann is not None
    assert len(ann.ann) == int(ann.has_vec.sum()) == len(directory)
    exact = index.MatchIndex()
    exact.build()
    _exact(exact)
    overlap = []
    for org in directory:
        row = ann.pos[f"org:{org.pk}"]
        allowed = ann.is_org & (ann.org_of != org.pk)
        text = ann._text_for_row(row, allowed, np.zeros(len(ann.profiles)), limit=1)
        full = exact.text_scores(np.array([row]))
        read = np.flatnonzero(text)
        assert 0 < len(read) < len(directory) - 1  # only the neighbours were scored...
        assert np.allclose(text[read], full[read])  # ...exactly as a full scan would
        got = ann.suggest_partners(org.pk, limit=1)
        want = exact.suggest_partners(org.pk, limit=1)
        overlap.append(got[0].key == want[0].key)
        assert got[0].score <= want[0].score + 1e-9
    assert np.mean(overlap) >= 0.8  # the best partner is nearly always among the neighbours


def test_an_edit_moves_the_profile_in_the_ann_index(directory: list[Organisation]) -> None:
    idx = index.get_index()
    assert idx.ann is not None
    org = directory[0]
    org.description = {"en": "organ on chip models of the human liver"}
    org.save()
    refresh_search_text([org.pk])
    assert index.get_index() is idx  # patched in place
    row = idx.pos[f"org:{org.pk}"]
    assert idx.ann.search(idx.E[row], 1)[0][0] == row


def test_the_ann_index_travels_in_the_snapshot(
    directory: list[Organisation], settings: Any, tmp_path: Any
) -> None:
    settings.MATCHING_SNAPSHOT_DIR = str(tmp_path)
    built, loaded, _path = reloaded()
    assert loaded.ann is not None
    assert len(loaded.ann) == len(built.ann)
    for org in directory[:10]:
        assert [(s.key, s.score) for s in loaded.suggest_partners(org.pk, limit=2)] == [
            (s.key, s.score) for s in built.suggest_partners(org.pk, limit=2)
        ]


def test_a_published_profile_joins_the_ann_index_and_an_expired_one_leaves_it(
    directory: list[Organisation], make_opp: Any, orgs: dict[str, Organisation]
) -> None:
    idx = index.get_index()
    n = len(idx.profiles)
    opp = make_opp(
        org=orgs["uga"], kind="TR", title={"en": "liquid biopsy biobank"}, status="published"
    )
    assert index.get_index() is idx  # appended, not rebuilt
    assert idx.n_builds == 1
    row = idx.pos[f"opp:{opp.pk}"]
    assert row == n
    assert idx.has_vec[row]
    assert idx.ann.search(idx.E[row], 1)[0][0] == row
    assert opp.pk in [s.opp_id for s in idx.search("liquid biopsy biobank")]
    opp.status = "expired"
    opp.save(update_fields=["status", "updated_at"])
    assert index.get_index() is idx
    assert not idx.has_vec[row]
    assert row not in [r for r, _s in idx.ann.search(idx.E[0], len(idx.ann))]
    assert opp.pk not in [s.opp_id for s in idx.search("liquid biopsy biobank")]


def test_readers_on_other_threads_never_see_a_half_appended_index(
    directory: list[Organisation], make_opp: Any, orgs: dict[str, Organisation]
) -> None:
    """A threaded server scores while another request's refresh appends a published profile:
    the index lock keeps every reader on whole arrays."""
    import threading

    idx = index.get_index()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                for org in directory[:5]:
                    idx.suggest_partners(org.pk, limit=3)
                idx.search("biopsia liquida", limit=3)
            except BaseException as exc:
                errors.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for k in range(8):
            make_opp(
                org=orgs["uga"], kind="EX", title={"en": f"biobank service {k}"}, status="published"
            )
            assert index.get_index() is idx  # appended under the lock
    finally:
        stop.set()
        for t in readers:
            t.join(30)
    assert errors == []
    assert sum(p.opp_id is not None for p in idx.profiles) == 8


def test_an_organisation_known_only_by_its_name_gets_no_embedding_credit(
    directory: list[Organisation], make_org: Any, regions: dict[str, Region]
) -> None:
    # A partner in a CORDIS project without a title, and no description: as 325 of the demo's
    # 10,779 organisations are.
    bare = make_org("Spectroswiss biobank", nuts3=sorted(regions)[0])
    project = Project.objects.create(source="h2020", rcn="9", acronym="P9", title="")
    Participation.objects.create(project=project, organisation=bare)
    index.embed_texts({p.hash: p.text for p in index.load_org_profiles([bare.pk])})
    idx = index.MatchIndex()
    idx.build()
    row = idx.pos[f"org:{bare.pk}"]
    assert idx.has_text[row]
    assert not idx.described[row]
    assert not idx.has_vec[row]  # its vector only encodes a name: no semantic credit
    assert row not in [r for r, _s in idx.ann.search(idx.E[row], len(idx.ann))]
    allowed = idx.is_org & (idx.org_of != bare.pk)
    assert not idx._text_for_row(row, allowed, np.zeros(len(idx.profiles)), limit=5).any()
    described = idx.pos[f"org:{directory[4].pk}"]  # "biobank ..." in English
    assert idx.described[described]
    assert idx.has_vec[described]
    # Its name is still found by name.
    assert idx.search("Spectroswiss")[0].org_id == bare.pk
