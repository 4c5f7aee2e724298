"""Cross-lingual search quality on the product path: ``MatchIndex.search``, beside the engine.

Run: .venv/bin/python bench/match_search_quality.py [--sets main,heldout] [--keep-db PATH]
     [--cache DIR | --no-cache] [--variants] [--threads 1]

``bench/match_crosslingual.py`` measures the *engine's* text signal (USE+E5, each centred on a
language subspace fitted on the pool, request formulas stripped from queries). Users meet the
Django index instead (``alpsbio.matching.index``): 0.6 x embedding cosine + 0.4 x character
n-gram TF-IDF cosine, its own language centring, the ``text > 0.02`` filter and the dedup of an
organisation's own and expertise profiles. This script measures that path on the same test sets
and the same task (``engine.crossling.build_task``: the pool holds one language version per
statement, in rotation; queries are the other three translations and the paraphrased need):

1. a throwaway SQLite database (migrated in a temporary directory, or ``--keep-db PATH``, which
   keeps it between runs so the ``Embedding`` table, keyed by content hash, is reused);
2. one organisation per statement, created directly with the ORM (as ``tests/conftest.py``
   ``make_org`` does), named neutrally "Statement <n>" (never a real or topical name: only the
   offer's text should carry the topic) and without a description, so the index holds the
   offers only, exactly the engine's pool;
3. each pool statement published as a technology offer in its pool language through the real
   workflow (``services.create_opportunity`` -> ``submit_opportunity`` ->
   ``publish_opportunity``); the statement is the offer's title, so the profile text equals the
   engine's pool text;
4. vectors stored with ``index.embed_missing`` and the configured encoder
   (``MATCHING_ENCODER``, default the installed USE+E5; the models are inside the wheels);
   the base models are wrapped in ``match_crosslingual.DiskCached`` (the same vectors, cached on
   disk with the engine benchmark's cache), so a second run embeds nothing;
5. one ``MatchIndex`` per set (the other set's offers are set to expired in the database), and
   ``MatchIndex.search(query, limit=10)`` anonymously for every query; success = the first
   result belongs to the statement's organisation.

The engine's figures come from ``match_crosslingual`` (``factory(...)("engine")`` and
``rank_texts``) in the same run, and the ratio product/engine is printed.

``--variants`` adds diagnostics, applied by monkeypatching the built index in this process only
(``index.py`` is not edited): the TF-IDF blend weight (0.4 as shipped, 0.2, 0.1, 0), the
engine's centring (each model centred separately, then combined) instead of the product's
(one centring of the concatenated vector), request stripping off, and centring on pools under
``MIN_CENTRING_POOL`` (the held-out pool has 40 profiles, below the product's 50), and a gate
that ignores TF-IDF cosines under 0.2 or 0.3. Choose only on the tuning half (items 1-50).

``--variants`` also runs two lexical checks, with queries built from the pool itself:
* *rare word*: for each pool text, its longest word (6+ letters) that no other pool text of the
  set contains (case-insensitive substring), alone as the query; success = its statement first;
* *exact name*: every organisation of the main set is given its pool statement as its
  description (so it gets an organisation profile: name + description), and its exact name
  ("Statement 17") is the query; success = that organisation first. All names share the word
  "Statement", which makes this a hard case for the n-gram signal: real names differ more.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import match_crosslingual as xl  # noqa: E402  (the engine's side, measured in the same run)
from alpsbio.matching.engine.crossling import (  # noqa: E402
    HELDOUT_FILE,
    Statement,
    build_task,
    load_statements,
    rank_texts,
)
from alpsbio.matching.engine.io import TextItem  # noqa: E402

COUNTRIES = ("FR", "IT", "CH", "AT", "DE")  # rotated; an anonymous search ignores countries
_WORD = re.compile(r"[^\W\d_]{6,}", re.UNICODE)


@dataclass
class SetData:
    name: str
    statements: list[Statement]
    pool: list[TextItem]
    trans: list[TextItem]
    para: list[TextItem]
    gold: dict[str, str]  # query id -> statement id
    org_of: dict[str, int]  # statement id -> organisation id
    opp_ids: list[int]


# --- Database -------------------------------------------------------------------------------


def refuse_foreign_db(db_path: Path) -> None:
    """Stop before touching (migrating, wiping) a database this script did not make."""
    import sqlite3

    if not db_path.exists():
        return
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT legal_name FROM directory_organisation")]
    except sqlite3.Error:
        names = ["?"]  # not an alpsbio database, or an unreadable one
    finally:
        con.close()
    if any(not re.fullmatch(r"Statement [0-9]+", n) for n in names):
        sys.exit(f"refusing to use {db_path}: it is not a database made by this script")


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["ALPSBIO_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["ALPSBIO_MATCHING_SNAPSHOT_DIR"] = ""  # no snapshot: build from these rows
    os.environ["ALPSBIO_EMAIL_URL"] = "locmem://"
    os.environ.setdefault("ALPSBIO_LOG_LEVEL", "WARNING")  # not one audit line per offer
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpsbio.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def populate(sets: dict[str, tuple[list[Statement], Any]]) -> dict[str, SetData]:
    """Recreate the organisations and offers (vectors stay in ``Embedding``)."""
    from alpsbio.accounts.models import OrganisationRole, User
    from alpsbio.directory.models import Organisation, OrganisationType
    from alpsbio.matching import services
    from alpsbio.matching.models import Opportunity, OpportunityType

    Opportunity.objects.all().delete()
    Organisation.objects.all().delete()
    user, _ = User.objects.get_or_create(
        username="bench-search", defaults={"is_superuser": True, "is_staff": True}
    )
    out: dict[str, SetData] = {}
    orgs: dict[str, list[Any]] = {}
    n = 0
    for name, (statements, _task) in sets.items():
        orgs[name] = []
        for _s in statements:
            n += 1
            org = Organisation.objects.create(
                legal_name=f"Statement {n}",
                org_type=OrganisationType.SME,
                country_code=COUNTRIES[n % len(COUNTRIES)],
            )
            OrganisationRole.objects.create(
                user=user, organisation=org, role=OrganisationRole.Role.EDITOR
            )
            orgs[name].append(org)
    user = User.objects.get(pk=user.pk)  # its cached roles now include every organisation
    for name, (statements, task) in sets.items():
        pool, trans, para, gold = task
        org_of: dict[str, int] = {}
        opp_ids: list[int] = []
        for s, item, org in zip(statements, pool, orgs[name], strict=True):
            lang = next(k for k, v in s.texts.items() if v == item.text)
            opp = services.create_opportunity(
                user, org, {"kind": OpportunityType.TECHNOLOGY_OFFER, "title": {lang: item.text}}
            )
            services.submit_opportunity(user, opp)
            services.publish_opportunity(user, opp)
            org_of[s.id] = org.pk
            opp_ids.append(opp.pk)
        out[name] = SetData(name, statements, pool, trans, para, gold, org_of, opp_ids)
    return out


def only(data: SetData, describe_orgs: bool = False) -> None:
    """Publish this set's offers only (the others expire); optionally give this set's
    organisations their statement as description (the exact-name check)."""
    from alpsbio.directory.models import Organisation
    from alpsbio.matching.models import Opportunity, OpportunityStatus

    Opportunity.objects.filter(pk__in=data.opp_ids).update(status=OpportunityStatus.PUBLISHED)
    Opportunity.objects.exclude(pk__in=data.opp_ids).update(status=OpportunityStatus.EXPIRED)
    Organisation.objects.update(description={})
    if describe_orgs:
        for s, item in zip(data.statements, data.pool, strict=True):
            lang = next(k for k, v in s.texts.items() if v == item.text)
            Organisation.objects.filter(pk=data.org_of[s.id]).update(description={lang: item.text})


def wrap_encoder(cache: Path | None, threads: int) -> str:
    """The configured encoder, its base models behind the engine benchmark's disk cache."""
    from alpsbio.matching import index

    enc = index.get_encoder()
    if enc is None:
        return "tfidf (no model)"
    parts = getattr(enc, "parts", None)
    if cache is not None and parts:
        enc.parts = [xl.DiskCached(p, cache) for p in parts]  # type: ignore[attr-defined]
    return str(enc.name)


def embed_all(strip: Callable[[str], str], queries: list[str]) -> int:
    """Store the vectors of every profile; warm the query vectors (disk cache only)."""
    from alpsbio.matching import index

    profiles = index.load_org_profiles() + index.load_opp_profiles()
    made = index.embed_missing({p.hash: p.text for p in profiles if p.text}).made
    enc = index.get_encoder()
    texts = sorted({*queries, *(strip(q) for q in queries)})
    for part, _w in index.encoder_parts(enc):
        if isinstance(part, xl.DiskCached):
            part.embed(texts, query=True)
    return made


# --- Variants (monkeypatches of the built index, this process only) --------------------------

_ORIGINAL_TEXT_SCORES: Any = None
TFIDF_WEIGHT: list[float | None] = [None]  # None: index.py's own blend, untouched
TFIDF_GATE: list[float] = [0.0]  # TF-IDF cosines below this count 0 (0: no gate)


def blended_text_scores(
    self: Any,
    query_rows: np.ndarray | None = None,
    *,
    q_tfidf: Any = None,
    q_emb: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """``text_scores`` with another TF-IDF weight: (1 - w) x embedding + w x TF-IDF."""
    w = TFIDF_WEIGHT[0]
    if w is None or query_rows is not None or q_emb is None or not self.E.shape[1]:
        return np.asarray(
            _ORIGINAL_TEXT_SCORES(
                self, query_rows, q_tfidf=q_tfidf, q_emb=q_emb, rows=rows, **kwargs
            )
        )
    tf = np.asarray(_ORIGINAL_TEXT_SCORES(self, None, q_tfidf=q_tfidf, q_emb=None, rows=rows))
    E = self.E if rows is None else self.E[rows]
    has_vec = self.has_vec if rows is None else self.has_vec[rows]
    if not np.any(q_emb):
        return tf
    emb = E @ np.asarray(q_emb, dtype=np.float32).ravel()
    gated = np.where(tf >= TFIDF_GATE[0], tf, 0.0)
    return np.asarray(np.where(has_vec, (1 - w) * emb + w * gated, tf))


def engine_centring(idx: Any, E_raw: np.ndarray) -> tuple[np.ndarray, Any]:
    """The engine's centring on the index's pool: each base model centred on its own language
    subspace, then combined (``embedding.combined_centred``), instead of one centring of the
    concatenated vector."""
    from alpsbio.matching.engine.embedding import CombinedEmbedder, LanguageCentredEmbedder

    parts = idx.parts
    centred = CombinedEmbedder(
        [LanguageCentredEmbedder(p) for p, _w in parts], [w for _p, w in parts]
    )
    rows = [i for i, p in enumerate(idx.profiles) if p.text and np.any(E_raw[i])]
    texts = [idx.profiles[i].text for i in rows]
    centred.fit(texts)
    E = np.zeros_like(E_raw)
    if rows:
        E[rows] = centred.embed(texts)
    return E, centred


@contextmanager
def variant(idx: Any, spec: dict[str, Any], base: dict[str, Any]) -> Iterator[None]:
    TFIDF_WEIGHT[0] = spec.get("w")
    TFIDF_GATE[0] = spec.get("gate", 0.0)
    idx.E, idx.centred = base["E"], base["centred"]
    if spec.get("centring") == "engine":
        idx.E, idx.centred = base["engine"]
    strip_before = None
    if spec.get("strip") is False and idx.centred is not None:
        targets = getattr(idx.centred, "parts", [idx.centred])
        strip_before = [t.strip_requests for t in targets]
        for t in targets:
            t.strip_requests = False
    try:
        yield
    finally:
        TFIDF_WEIGHT[0], TFIDF_GATE[0] = None, 0.0
        if strip_before is not None:
            for t, s in zip(
                getattr(idx.centred, "parts", [idx.centred]), strip_before, strict=True
            ):
                t.strip_requests = s
        idx.E, idx.centred = base["E"], base["centred"]


VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("product (index.py as it is)", {}),
    ("product, TF-IDF w 0.2", {"w": 0.2}),
    ("product, TF-IDF w 0.1", {"w": 0.1}),
    ("product, TF-IDF w 0", {"w": 0.0}),
    ("product, no request strip", {"strip": False}),
    ("engine centring, w 0.4", {"centring": "engine", "w": 0.4}),
    ("engine centring, w 0.3", {"centring": "engine", "w": 0.3}),
    ("engine centring, w 0.2", {"centring": "engine", "w": 0.2}),
    ("engine centring, w 0.15", {"centring": "engine", "w": 0.15}),
    ("engine centring, w 0.1", {"centring": "engine", "w": 0.1}),
    ("engine centring, w 0", {"centring": "engine", "w": 0.0}),
    ("engine centring, w 0.4, tf>=0.2", {"centring": "engine", "w": 0.4, "gate": 0.2}),
    ("engine centring, w 0.4, tf>=0.3", {"centring": "engine", "w": 0.4, "gate": 0.3}),
    ("engine centring, w 0.2, tf>=0.2", {"centring": "engine", "w": 0.2, "gate": 0.2}),
]
LEXICAL_VARIANTS = [v for v in VARIANTS if v[0] != "product, no request strip"]


# --- Measurement ----------------------------------------------------------------------------


def build_index(small_pool_centring: bool = False) -> Any:
    from alpsbio.matching import index

    before = index.MIN_CENTRING_POOL
    if small_pool_centring:
        index.MIN_CENTRING_POOL = 1
    try:
        idx = index.MatchIndex()
        idx.build()
    finally:
        index.MIN_CENTRING_POOL = before
    return idx


def raw_vectors(idx: Any) -> np.ndarray:
    """The index's uncentred vectors (what ``_embeddings`` assembles from the stored rows)."""
    return np.asarray(idx._embeddings(idx.profiles, idx.parts))


def top_org(idx: Any, query: str) -> int | None:
    res = idx.search(query, limit=10)
    return int(res[0].org_id) if res else None


def product_hits(idx: Any, data: SetData) -> dict[str, list[bool]]:
    """Per query group, whether the first result is the statement's organisation."""
    out: dict[str, list[bool]] = {"trans": [], "para": [], "empty": []}
    for group, items in (("trans", data.trans), ("para", data.para)):
        for q in items:
            got = top_org(idx, q.text)
            out[group].append(got == data.org_of[data.gold[q.id]])
            out["empty"].append(got is None)
    return out


def engine_hits(make: Callable[[str], Any], data: SetData) -> dict[str, list[bool]]:
    r = rank_texts(make("engine"), data.pool, data.trans + data.para, top=10)
    return {
        group: [r[q.id][:1] == [data.gold[q.id]] for q in items]
        for group, items in (("trans", data.trans), ("para", data.para))
    }


def rare_word_queries(data: SetData) -> list[tuple[str, str, int]]:
    """(word, statement id, its position): the longest word (6+ letters) of a pool text that
    no other pool text of the set contains."""
    low = [p.text.lower() for p in data.pool]
    out = []
    for k, item in enumerate(data.pool):
        words = sorted(set(_WORD.findall(item.text)), key=lambda w: (-len(w), w))
        for w in words:
            if not any(w.lower() in t for j, t in enumerate(low) if j != k):
                out.append((w, item.id, k))
                break
    return out


LEXICAL_COLUMNS = (
    "rare.main.tune",
    "rare.main.report",
    "rare.heldout",
    "name.tune",
    "name.report",
)


def split(key: str, hits: list[tuple[int, bool]], half: int) -> dict[str, list[bool]]:
    """Hits by half of the main set (positions below ``half`` are the tuning half)."""
    if not half:
        return {key: [h for _k, h in hits]}
    return {
        f"{key}.tune": [h for k, h in hits if k < half],
        f"{key}.report": [h for k, h in hits if k >= half],
    }


def fmt(x: list[bool]) -> str:
    return f"{np.mean(x):.2f}" if x else "  -"


def summary_row(label: str, res: dict[str, dict[str, list[bool]]], half: int) -> str:
    m = res.get("main", {})
    h = res.get("heldout", {})
    para = m.get("para", [])
    empty = sum(m.get("empty", [])) + sum(h.get("empty", []))
    return (
        f"{label:32s} {fmt(m.get('trans', [])):>7s} | {fmt(para[:half]):>11s} "
        f"{fmt(para[half:]):>6s} {fmt(para):>5s} | {fmt(h.get('trans', [])):>10s} "
        f"{fmt(h.get('para', [])):>5s} | {empty:5d}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="main,heldout", help="main, heldout or both (default)")
    ap.add_argument("--heldout", action="store_true", help="the held-out set only")
    ap.add_argument(
        "--keep-db", type=Path, help="SQLite file kept between runs (vectors are reused)"
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "alpsbio-xling-cache",
        help="the engine benchmark's vector cache, shared (default %(default)s)",
    )
    ap.add_argument("--no-cache", action="store_true", help="embed everything again")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--variants", action="store_true", help="also the diagnostics and lexical checks"
    )
    a = ap.parse_args()
    names = ["heldout"] if a.heldout else [s.strip() for s in a.sets.split(",") if s.strip()]
    if not set(names) <= {"main", "heldout"} or not names:
        ap.error("--sets takes main and/or heldout")
    cache = None if a.no_cache else a.cache
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alpsbio-search-quality-") as tmp:
        db = a.keep_db.resolve() if a.keep_db else Path(tmp) / "bench.sqlite3"
        refuse_foreign_db(db)
        setup_django(db)
        from alpsbio.matching import index
        from alpsbio.matching.engine.textsignal import strip_request_formula

        text_model = wrap_encoder(cache, a.threads)
        loaded = {
            "main": load_statements(),
            "heldout": load_statements(HELDOUT_FILE),
        }
        sets = populate({n: (loaded[n], build_task(loaded[n])) for n in names})
        queries = [q.text for d in sets.values() for q in d.trans + d.para]
        made = embed_all(strip_request_formula, queries)
        setup_s = time.perf_counter() - t0
        half = len(loaded["main"]) // 2
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load};"
            f" text model {text_model}; sets {', '.join(f'{n} {len(sets[n].pool)}' for n in sets)}"
            f"; setup {setup_s:.0f}s ({made} vectors stored); db {db}"
        )
        header = (
            f"{'path':32s} {'trans@1':>7s} | {'para@1 tune':>11s} {'report':>6s} {'all':>5s} | "
            f"{'held trans':>10s} {'para':>5s} | {'empty':>5s}"
        )
        make = xl.factory(a.threads, cache)
        engine = {n: engine_hits(make, d) for n, d in sets.items()}
        global _ORIGINAL_TEXT_SCORES
        _ORIGINAL_TEXT_SCORES = index.MatchIndex.text_scores
        index.MatchIndex.text_scores = blended_text_scores  # type: ignore[method-assign]
        specs = VARIANTS if a.variants else VARIANTS[:1]
        results: dict[str, dict[str, dict[str, list[bool]]]] = {label: {} for label, _ in specs}
        small: dict[str, dict[str, list[bool]]] = {}
        lexical: dict[str, dict[str, list[bool]]] = {label: {} for label, _ in LEXICAL_VARIANTS}
        half = len(loaded["main"]) // 2
        for n, data in sets.items():
            only(data)
            idx = build_index()
            raw = raw_vectors(idx)
            base = {"E": idx.E, "centred": idx.centred, "engine": engine_centring(idx, raw)}
            for label, spec in specs:
                with variant(idx, spec, base):
                    results[label][n] = product_hits(idx, data)
            if a.variants:
                rare = rare_word_queries(data)
                for label, spec in LEXICAL_VARIANTS:
                    with variant(idx, spec, base):
                        hits = [(k, top_org(idx, w) == data.org_of[sid]) for w, sid, k in rare]
                    lexical[label].update(split(f"rare.{n}", hits, half if n == "main" else 0))
                if idx.centred is None:  # the product skips centring below MIN_CENTRING_POOL
                    idx2 = build_index(small_pool_centring=True)
                    small[n] = product_hits(idx2, data)
        print(header)
        print(summary_row("engine (match_crosslingual)", engine, half))
        for label, _spec in specs:
            print(summary_row(label, results[label], half))
        for n, res in small.items():
            print(summary_row(f"product, centred at {len(sets[n].pool)} ({n})", {n: res}, half))
        prod = results[specs[0][0]]
        for n in sets:
            e, p = np.mean(engine[n]["para"]), np.mean(prod[n]["para"])
            et, pt = np.mean(engine[n]["trans"]), np.mean(prod[n]["trans"])
            print(
                f"ratio product/engine, {n}: paraphrase@1 {p:.2f}/{e:.2f} = "
                f"{p / e if e else float('nan'):.2f}; translation@1 {pt:.3f}/{et:.3f} = "
                f"{pt / et if et else float('nan'):.2f}"
            )
        if a.variants and "main" in sets:
            data = sets["main"]
            only(data, describe_orgs=True)
            idx = build_index()
            embedded = index.embed_missing({p.hash: p.text for p in idx.profiles if p.text}).made
            if embedded:
                idx = build_index()
            raw = raw_vectors(idx)
            base = {"E": idx.E, "centred": idx.centred, "engine": engine_centring(idx, raw)}
            from alpsbio.directory.models import Organisation

            legal = dict(Organisation.objects.values_list("pk", "legal_name"))
            names_q = [(str(legal[org]), org) for org in data.org_of.values()]
            for label, spec in LEXICAL_VARIANTS:
                with variant(idx, spec, base):
                    hits = [(k, top_org(idx, q) == org) for k, (q, org) in enumerate(names_q)]
                lexical[label].update(split("name", hits, half))
            n_rare = {n: len(rare_word_queries(d)) for n, d in sets.items()}
            print(
                "\nlexical checks (top-1): rare word alone "
                + ", ".join(f"{n} {k} queries" for n, k in n_rare.items())
                + f"; exact organisation name, main set with descriptions, {len(names_q)} queries"
            )
            cols = [c for c in LEXICAL_COLUMNS if any(c in r for r in lexical.values())]
            print(f"{'path':32s} " + " ".join(f"{c:>16s}" for c in cols))
            for label, res in lexical.items():
                print(f"{label:32s} " + " ".join(f"{fmt(res.get(c, [])):>16s}" for c in cols))
        print(
            f"# total {time.perf_counter() - t0:.0f}s, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


if __name__ == "__main__":
    main()
