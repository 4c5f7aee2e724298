"""Cross-lingual search quality on the product path: ``MatchIndex.search``, beside the engine.

Run: .venv/bin/python bench/match_search_quality.py [--sets main,heldout] [--keep-db PATH]
     [--cache DIR | --no-cache] [--variants] [--matches] [--suggestions] [--threads 1]

``bench/match_crosslingual.py`` measures the *engine's* text signal (USE+E5, each centred on a
language subspace fitted on the pool, request formulas stripped from queries). Users meet the
Django index instead (``alpsbio.matching.index``): (1 - w) x embedding cosine + w x character
n-gram TF-IDF cosine (w = ``SEARCH_TFIDF_WEIGHT`` in search), its own language centring (per
model since aad69ea), the ``text > 0.02`` filter and the dedup of an organisation's own and
expertise profiles. This script measures that path on the same test sets
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

``--matches`` measures the other place users meet cross-lingual matching: an opportunity's
"matches" (``MatchIndex.opportunity_matches``, profile to profile, ``MATCHES_TFIDF_WEIGHT``, the
policy parts of ``engine.scoring.score_pair``). Each paraphrased need is published, through the
same workflow, as a technology request (TR) of a second organisation per item ("Statement <n>"
as well, numbered after the offers' organisations: an organisation's own offers are excluded
from its matches). With ``--matches`` every organisation is an SME in one country, so that the
policy parts (complementarity, partner sought, border, sector, networks, history) are the same
for every candidate; the script checks that on every request/offer pair and prints any
difference. The requests stay expired while search is measured and are published, with their
set's offers, for this part only, so they enter the index's centring pool and the TF-IDF IDF
(they are profiles too). ``opportunity_matches(request, limit=10)`` is called for every request;
a hit is the statement's offer first. Variants (monkeypatches, this process only): the
profile-to-profile TF-IDF weight (0.4 as shipped, 0.3, 0.2, 0.1, 0), and the request's vector
taken with its request formula stripped (``strip_request_formula``, as search treats a query),
with its TF-IDF row unchanged or also stripped, and the centring fitted on the offers only.
With ``--variants`` too, the rare-word check is run on matches: the rare word alone replaces
its statement's request (the request row's vector and TF-IDF row, in this process; the IDF and
centring stay fitted on the published texts), and a hit is the statement's offer first. The
ANN path (HNSW, used above ``MATCHING_ANN_MIN_PROFILES`` profiles) is forced on the small pool,
as shipped and with 20 candidates only.

``--suggestions`` measures suggested partners, organisation to organisation
(``MatchIndex.suggest_partners``, ``PROFILE_TFIDF_WEIGHT``), across languages: per statement,
its organisation is described by the pool statement in its pool language
(``Organisation.description = {lang: statement}``) and a second organisation ("Statement <n>",
numbered after them) by the paraphrased need in the need's language; every opportunity is
expired, so the index holds these organisations only (their profile text: legal name +
description). All are SMEs in one country, without projects: the script checks that the policy
parts and history are identical on every need/candidate pair. ``suggest_partners(need's
organisation, limit=10)``; a hit is the statement's organisation first. Candidates are every
other organisation, the other needs' included; "statements only" (the first of the
statements' organisations in the whole ranking) is printed beside it. With ``--variants``:
weights 0, 0.2, 0.4, 0.6, 0.8 (monkeypatched, this process only), and the profiles rebuilt
(this process only, ``index._org_texts_of`` wrapped; the database keeps its names) without
the name, with 8-consonant code names instead of "Statement <n>" (no word shared by every
profile), and with the needs' request formula ("Nous cherchons ...") stripped from their
descriptions.

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import match_crosslingual as xl  # noqa: E402  (the engine's side, measured in the same run)
from alpsbio.matching.engine.crossling import (  # noqa: E402
    HELDOUT_FILE,
    PARA_FILES,
    Statement,
    build_task,
    load_statements,
    rank_texts,
    with_paraphrases,
)
from alpsbio.matching.engine.io import TextItem  # noqa: E402

COUNTRIES = ("FR", "IT", "CH", "AT", "DE")  # rotated; an anonymous search ignores countries
MATCHES_COUNTRY = "FR"  # --matches: one country for all, so no candidate gets a border bonus
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
    offer_of: dict[str, int] = field(default_factory=dict)  # statement id -> offer id
    req_of: dict[str, int] = field(default_factory=dict)  # statement id -> request (TR) id
    req_org: dict[str, int] = field(default_factory=dict)  # statement id -> requester org id


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
    from django.conf import settings

    django.setup()
    # Imported into a process whose Django was set up before (a scratch script), the settings
    # keep that process's database, which this script would then empty: refuse.
    name = str(settings.DATABASES["default"]["NAME"])
    if Path(name).resolve() != db_path.resolve():
        raise SystemExit(f"refusing to run: Django is already set up on {name}, not {db_path}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def populate(
    sets: dict[str, tuple[list[Statement], Any]], matches: bool = False, suggestions: bool = False
) -> dict[str, SetData]:
    """Recreate the organisations and offers (vectors stay in ``Embedding``); with
    ``matches``, also one requesting organisation per statement and its need as a published
    technology request; with ``suggestions``, that second organisation per statement (its need
    becomes its description in ``measure_suggestions``)."""
    one_country = matches or suggestions
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
                country_code=MATCHES_COUNTRY if one_country else COUNTRIES[n % len(COUNTRIES)],
            )
            OrganisationRole.objects.create(
                user=user, organisation=org, role=OrganisationRole.Role.EDITOR
            )
            orgs[name].append(org)
    requesters: dict[str, list[Any]] = {name: [] for name in sets}
    for name, (statements, _task) in sets.items() if one_country else ():
        for _s in statements:
            n += 1  # neutral names too, numbered after the offers' organisations
            org = Organisation.objects.create(
                legal_name=f"Statement {n}",
                org_type=OrganisationType.SME,
                country_code=MATCHES_COUNTRY,
            )
            OrganisationRole.objects.create(
                user=user, organisation=org, role=OrganisationRole.Role.EDITOR
            )
            requesters[name].append(org)
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
        data = SetData(name, statements, pool, trans, para, gold, org_of, opp_ids)
        data.offer_of = {s.id: pk for s, pk in zip(statements, opp_ids, strict=True)}
        # Second organisations exist only for --matches and --suggestions.
        for s, org in zip(statements, requesters[name] if one_country else [], strict=False):
            data.req_org[s.id] = org.pk
            if not matches:
                continue
            req = services.create_opportunity(
                user,
                org,
                {"kind": OpportunityType.TECHNOLOGY_REQUEST, "title": {s.need_lang: s.need}},
            )
            services.submit_opportunity(user, req)
            services.publish_opportunity(user, req)
            data.req_of[s.id] = req.pk
        out[name] = data
    return out


def only(data: SetData, describe_orgs: bool = False, requests: Sequence[int] | None = None) -> None:
    """Publish this set's offers only (the others expire), and the ``requests`` if given;
    optionally give this set's organisations their statement as description (the exact-name
    check)."""
    from alpsbio.directory.models import Organisation
    from alpsbio.matching.models import Opportunity, OpportunityStatus

    keep = [*data.opp_ids, *(requests or [])]
    Opportunity.objects.filter(pk__in=keep).update(status=OpportunityStatus.PUBLISHED)
    Opportunity.objects.exclude(pk__in=keep).update(status=OpportunityStatus.EXPIRED)
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
# Profile to profile (``query_rows`` given: matches, suggestions): None keeps index.py's
# ``PROFILE_TFIDF_WEIGHT`` (the default of ``text_scores``, bound when index.py is imported,
# so patching the module constant would not reach it).
PROFILE_WEIGHT: list[float | None] = [None]
# Profile-to-profile calls: [all rows scored, a subset of rows scored (the ANN path)].
PROFILE_CALLS = [0, 0]


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
    if query_rows is not None:
        PROFILE_CALLS[rows is not None] += 1
        if PROFILE_WEIGHT[0] is not None:  # one weight for every pair, whatever the languages
            kwargs["tfidf_weight"] = PROFILE_WEIGHT[0]
            kwargs["cross_tfidf_weight"] = None
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


# --- Matches of an opportunity (--matches) ---------------------------------------------------

PROFILE_WEIGHTS = (0.4, 0.3, 0.2, 0.1, 0.0)
MATCH_MODES: list[tuple[str, dict[str, Any]]] = [
    ("matches (index.py)", {}),
    ("request vector stripped", {"strip": "vector"}),
    ("request vector+TF-IDF stripped", {"strip": "both"}),
    ("centring fitted on offers only", {"centre": "offers"}),
    ("offers-only centring + stripped", {"centre": "offers", "strip": "vector"}),
]


def _l2(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.where(n > 0, n, 1.0), dtype=np.float32)


def row_vectors(idx: Any, texts: list[str], centred: Any, as_query: bool) -> np.ndarray:
    """Index rows for ``texts``: per base model, centred with ``centred`` (or not, if None),
    normalised and weighted as ``MatchIndex._centre`` does. ``as_query``: the text is embedded
    the way search embeds a query (request formula stripped; the models' vectors do not
    depend on the query flag otherwise), else as a profile (as the index does)."""
    from alpsbio.matching.engine.textsignal import strip_request_formula

    total = sum(w for _p, w in idx.parts)
    models = centred.parts if centred is not None else [p for p, _w in idx.parts]
    blocks = []
    for m, (_p, w) in zip(models, idx.parts, strict=True):
        if centred is None and as_query:
            v = m.embed([strip_request_formula(t) for t in texts], query=True)
        else:
            v = m.embed(texts, query=as_query)
        blocks.append(_l2(np.asarray(v)) * np.float32(np.sqrt(w / total)))
    return np.hstack(blocks).astype(np.float32)


def offers_centring(idx: Any, offer_rows: list[int]) -> tuple[np.ndarray, Any]:
    """The product's per-model centring, fitted on the offers only (as in the search part)
    instead of every profile with a vector (offers and requests), applied to every row."""
    from alpsbio.matching.engine.embedding import CombinedEmbedder, LanguageCentredEmbedder

    centred = CombinedEmbedder(
        [LanguageCentredEmbedder(p) for p, _w in idx.parts], [w for _p, w in idx.parts]
    )
    centred.fit([idx.profiles[i].text for i in offer_rows])
    rows = [i for i, p in enumerate(idx.profiles) if p.text and np.any(idx.E[i])]
    E = np.zeros_like(idx.E)
    if rows:
        E[rows] = centred.embed([idx.profiles[i].text for i in rows])
    return E, centred


@contextmanager
def match_variant(
    idx: Any,
    spec: dict[str, Any],
    weight: float | None,
    req_rows: list[int],
    offer_rows: list[int],
    texts: list[str] | None = None,
) -> Iterator[None]:
    """A variant of the built index for ``opportunity_matches``. ``texts``: the requests'
    rows are replaced by these texts' vector and TF-IDF row (the rare-word check)."""
    import scipy.sparse as sp

    from alpsbio.matching.engine.textsignal import strip_request_formula

    saved = (idx.E, idx.centred, idx.P, idx.patch_pos)
    PROFILE_WEIGHT[0] = weight
    try:
        centred = idx.centred
        E = idx.E
        if spec.get("centre") == "offers":
            E, centred = offers_centring(idx, offer_rows)
        req_texts = [idx.profiles[r].text for r in req_rows]
        new_texts = texts if texts is not None else req_texts
        if spec.get("strip") or texts is not None or E is not idx.E:
            E = E.copy()
            E[req_rows] = row_vectors(idx, new_texts, centred, bool(spec.get("strip")))
        tf_texts = None
        if spec.get("strip") == "both":
            tf_texts = [strip_request_formula(t) for t in new_texts]
        elif texts is not None:
            tf_texts = list(texts)
        if tf_texts is not None:
            idx.P = sp.csr_matrix(idx.tfidf.embed_sparse(tf_texts))
            idx.patch_pos = {r: k for k, r in enumerate(req_rows)}
        idx.E = E
        yield
    finally:
        PROFILE_WEIGHT[0] = None
        idx.E, idx.centred, idx.P, idx.patch_pos = saved


def match_hits(idx: Any, data: SetData, limit: int = 10) -> dict[str, list[bool]]:
    """Per request, whether its statement's offer is the first of its matches (and among the
    first three: "top3", a finer tie-breaker on the tuning half)."""
    out: dict[str, list[bool]] = {"para": [], "top3": [], "empty": []}
    for s in data.statements:
        res = idx.opportunity_matches(data.req_of[s.id], limit=limit)
        ids = [r.opp_id for r in res]
        out["para"].append(ids[:1] == [data.offer_of[s.id]])
        out["top3"].append(data.offer_of[s.id] in ids[:3])
        out["empty"].append(not res)
    return out


def _tally_parts(
    idx: Any, row: int, allowed: np.ndarray, distinct: dict[tuple[float, ...], int]
) -> int:
    """Count the score parts other than text (history, complementarity, sought, border,
    sector, network) of the profile at ``row`` against every allowed candidate, as
    ``score_pair`` computes them in ``_rank``; returns the number of pairs."""
    from alpsbio.matching.engine import scoring

    src = idx.profiles[row]
    graph = idx.graph_scores(src.org_id)
    me = src.as_engine()
    rows = np.flatnonzero(allowed)
    for r in rows:
        p = scoring.score_pair(me, idx.profiles[r].as_engine(), 0.0, float(graph[r]), idx.policy)
        key = tuple(getattr(p.parts, k) for k in scoring.WEIGHTED_PARTS[1:])
        distinct[key] = distinct.get(key, 0) + 1
    return len(rows)


def print_rows(
    row: Any,
    engine: dict[str, dict[str, list[bool]]],
    results: dict[str, dict[str, dict[str, list[bool]]]],
    sets: Any,
    what: str,
) -> None:
    """The engine's row, each result's row (``row`` formats one), and the first result's
    paraphrase@1 as a ratio to the engine's per set."""
    print(row("engine (match_crosslingual), paraphrase@1", engine))
    for label, res in results.items():
        print(row(label, res))
    shipped = next(iter(results.values()))
    for n in sets:
        e, p = np.mean(engine[n]["para"]), np.mean(shipped[n]["para"])
        print(
            f"ratio {what}/engine, {n}: paraphrase@1 {p:.2f}/{e:.2f} = "
            f"{p / e if e else float('nan'):.2f}"
        )


def policy_parts(idx: Any, data: SetData) -> tuple[int, dict[tuple[float, ...], int], set[int]]:
    """Every request/offer pair's score parts other than text: the number of pairs, the
    distinct part tuples with their counts, and the numbers of candidates."""
    distinct: dict[tuple[float, ...], int] = {}
    n_pairs, n_cand = 0, set()
    for s in data.statements:
        row = idx.pos[f"opp:{data.req_of[s.id]}"]
        allowed = idx.match_candidates(row)
        n_cand.add(int(allowed.sum()))
        n_pairs += _tally_parts(idx, row, allowed, distinct)
    return n_pairs, distinct, n_cand


def measure_matches(
    sets: dict[str, SetData], engine: dict[str, dict[str, list[bool]]], half: int, lexical: bool
) -> None:
    """``opportunity_matches`` of every request (its need), per set, beside the engine."""
    from alpsbio.matching import index

    results: dict[str, dict[str, dict[str, list[bool]]]] = {}
    rare: dict[str, dict[str, list[bool]]] = {}
    notes = []
    for n, data in sets.items():
        only(data, requests=list(data.req_of.values()))
        idx = build_index()
        made = index.embed_missing({p.hash: p.text for p in idx.profiles if p.text}).made
        if made:
            idx = build_index()
        req_rows = [idx.pos[f"opp:{data.req_of[s.id]}"] for s in data.statements]
        offer_rows = [idx.pos[f"opp:{data.offer_of[s.id]}"] for s in data.statements]
        # Harness check: the helper reproduces the index's own request rows.
        if idx.E.shape[1]:
            again = row_vectors(idx, [idx.profiles[r].text for r in req_rows], idx.centred, False)
            drift = float(np.abs(again - idx.E[req_rows]).max())
        else:
            drift = float("nan")
        pool = int(np.count_nonzero(np.any(idx.E != 0, axis=1))) if idx.E.shape[1] else 0
        n_pairs, distinct, n_cand = policy_parts(idx, data)
        from alpsbio.matching.engine.textsignal import strip_request_formula

        req_texts = [idx.profiles[r].text for r in req_rows]
        n_formula = sum(strip_request_formula(t) != t for t in req_texts)
        # What stripping does to the requests' TF-IDF cosines to the offers (harness check).
        tf_delta = []
        for spec in ({"strip": "vector"}, {"strip": "both"}):
            with match_variant(idx, spec, 1.0, req_rows, offer_rows):
                tf_delta.append(
                    np.vstack([idx.text_scores(np.array([r]))[offer_rows] for r in req_rows])
                )
        delta = np.abs(tf_delta[1] - tf_delta[0])
        notes.append(
            f"{n}: {len(idx.profiles)} profiles ({len(offer_rows)} offers + {len(req_rows)} "
            f"requests), centring {'on' if idx.centred is not None else 'OFF'} (pool {pool}); "
            f"candidates per request {sorted(n_cand)}; policy parts other than text "
            f"(history, complementarity, sought, border, sector, network) on {n_pairs} pairs: "
            + (f"identical {next(iter(distinct))}" if len(distinct) == 1 else f"DIFFER {distinct}")
            + f"; helper vs index rows max |diff| {drift:.1e}; requests opening with a "
            f"request formula {n_formula}/{len(req_texts)}; stripping it changes their TF-IDF "
            f"cosines to the offers by {delta.mean():.3f} on average (max {delta.max():.3f})"
        )
        results.setdefault(f"matches as index.py is (w {index.MATCHES_TFIDF_WEIGHT:g})", {})[n] = (
            match_hits(idx, data)
        )
        for mode, spec in MATCH_MODES:
            for w in PROFILE_WEIGHTS:
                label = f"{mode}, w {w:g}"
                with match_variant(idx, spec, w, req_rows, offer_rows):
                    results.setdefault(label, {})[n] = match_hits(idx, data)
        # The ANN path, forced on this small pool (it starts above MATCHING_ANN_MIN_PROFILES).
        from django.conf import settings

        before = settings.MATCHING_ANN_MIN_PROFILES
        cand_before = index.ANN_CANDIDATES
        settings.MATCHING_ANN_MIN_PROFILES = 0
        try:
            idx._build_ann()
            if idx.ann is not None:
                PROFILE_CALLS[:] = [0, 0]
                results.setdefault(f"ANN forced (HNSW), w {index.MATCHES_TFIDF_WEIGHT:g}", {})[
                    n
                ] = match_hits(idx, data)
                # With ANN_CANDIDATES 400 the whole pool is a candidate; 20 candidates for
                # limit 1 restricts the exact scoring to the 20 nearest vectors (~10%).
                index.ANN_CANDIDATES = 20
                results.setdefault(f"ANN, 20 nearest only, w {index.MATCHES_TFIDF_WEIGHT:g}", {})[
                    n
                ] = match_hits(idx, data, limit=1)
                notes.append(
                    f"{n}: ANN forced: {PROFILE_CALLS[1]} of {sum(PROFILE_CALLS)} requests "
                    "scored on the HNSW candidates only (the rest fell back to exact scoring)"
                )
            else:
                notes.append(f"{n}: ANN not built (hnswlib missing?)")
        finally:
            settings.MATCHING_ANN_MIN_PROFILES = before
            index.ANN_CANDIDATES = cand_before
            idx.ann = None
        if lexical:
            words = rare_word_queries(data)
            pos_of = {s.id: k for k, s in enumerate(data.statements)}
            texts = [idx.profiles[r].text for r in req_rows]
            for w_, sid, _k in words:
                texts[pos_of[sid]] = w_
            asked = {sid for _w, sid, _k in words}
            for w in PROFILE_WEIGHTS:
                with match_variant(idx, {}, w, req_rows, offer_rows, texts=texts):
                    hits = [
                        (k, ok)
                        for k, (s, ok) in enumerate(
                            zip(data.statements, match_hits(idx, data)["para"], strict=True)
                        )
                        if s.id in asked
                    ]
                rare.setdefault(f"w {w:g}", {}).update(
                    split(f"rare.{n}", hits, half if n == "main" else 0)
                )
    print("\nmatches of an opportunity: each need as a TR of another organisation,")
    print("opportunity_matches(request, limit=10); hit = its statement's offer first")
    for line in notes:
        print(f"# {line}")
    print(
        f"{'path':44s} | {'para@1 tune':>11s} {'report':>6s} {'all':>5s} | "
        f"{'held para':>9s} | {'empty':>5s} | {'@3 tune':>7s}"
    )

    def row(label: str, res: dict[str, dict[str, list[bool]]]) -> str:
        m, h = res.get("main", {}), res.get("heldout", {})
        para = m.get("para", [])
        empty = sum(m.get("empty", [])) + sum(h.get("empty", []))
        return (
            f"{label:44s} | {fmt(para[:half]):>11s} {fmt(para[half:]):>6s} {fmt(para):>5s} | "
            f"{fmt(h.get('para', [])):>9s} | {empty:5d} | {fmt(m.get('top3', [])[:half]):>7s}"
        )

    print_rows(row, engine, results, sets, "matches")
    if rare:
        cols = ["rare.main.tune", "rare.main.report", "rare.heldout"]
        print("\nrare word alone as the request's text (its row's vector and TF-IDF replaced):")
        print(f"{'weight':44s} " + " ".join(f"{c:>16s}" for c in cols))
        for label, got in rare.items():
            print(f"{label:44s} " + " ".join(f"{fmt(got.get(c, [])):>16s}" for c in cols))


# --- Suggested partners across languages (--suggestions) -------------------------------------

SUGGEST_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8)
_CONSONANTS = "bcdfghjklmnpqrstvwxz"


def code_name(legal_name: str) -> str:
    """A neutral name with no word shared with the others (the ``names`` check): eight
    consonants drawn from a generator seeded with the organisation's number."""
    import random

    rng = random.Random(legal_name)
    return "".join(rng.choice(_CONSONANTS) for _ in range(8)).capitalize()


# (label, legal name in the profile text, needs written without their request formula)
NAME_MODES: list[tuple[str, Callable[[str], str] | None, bool]] = [
    ('"Statement N" (as stored)', None, False),
    ("no name (description only)", lambda _n: "", False),
    ("8-consonant code names", code_name, False),
    ('"Statement N", needs without request formula', None, True),
]


@contextmanager
def profile_names(rename: Callable[[str], str] | None) -> Iterator[None]:
    """Organisation profiles built with another legal name (this process only: ``index``'s
    ``_org_texts_of`` is wrapped; the database keeps "Statement N")."""
    from alpsbio.matching import index

    original = index._org_texts_of
    if rename is not None:

        def renamed(
            names: Any, description: Any, legal_name: str, titles: list[str]
        ) -> dict[str, str]:
            return original(names, description, rename(legal_name), titles)

        index._org_texts_of = renamed
    try:
        yield
    finally:
        index._org_texts_of = original


def describe_for_suggestions(data: SetData, strip_needs: bool = False) -> None:
    """Only this set's organisations are profiles: each statement's organisation described by
    the pool statement in its pool language, each need's organisation by the paraphrased need
    in its language (``strip_needs``: without its opening request formula, "Nous cherchons"...,
    which real organisation descriptions do not have). Every opportunity expires (the index
    holds organisations only)."""
    from alpsbio.directory.models import Organisation
    from alpsbio.matching.engine.textsignal import strip_request_formula
    from alpsbio.matching.models import Opportunity, OpportunityStatus

    Opportunity.objects.update(status=OpportunityStatus.EXPIRED)
    Organisation.objects.update(description={})
    for s, item in zip(data.statements, data.pool, strict=True):
        lang = next(k for k, v in s.texts.items() if v == item.text)
        Organisation.objects.filter(pk=data.org_of[s.id]).update(description={lang: item.text})
        Organisation.objects.filter(pk=data.req_org[s.id]).update(
            description={s.need_lang: strip_request_formula(s.need) if strip_needs else s.need}
        )


def suggestion_hits(idx: Any, data: SetData) -> dict[str, list[bool]]:
    """Per need organisation, whether the statement's organisation is its first suggestion
    ("para"), among the first three ("top3"), whether the first is another need's
    organisation ("need1": the same-side confusion), and whether the statement's organisation
    is the first of the statements' organisations ("stmt1": the other needs ignored, as in an
    opportunity's matches; from the whole ranking, ``limit`` = every profile)."""
    needs = set(data.req_org.values())
    out: dict[str, list[bool]] = {"para": [], "top3": [], "empty": [], "need1": [], "stmt1": []}
    for s in data.statements:
        res = idx.suggest_partners(data.req_org[s.id], limit=10)
        ids = [r.org_id for r in res]
        out["para"].append(ids[:1] == [data.org_of[s.id]])
        out["top3"].append(data.org_of[s.id] in ids[:3])
        out["empty"].append(not res)
        out["need1"].append(bool(ids) and ids[0] in needs)
        full = idx.suggest_partners(data.req_org[s.id], limit=len(idx.profiles))
        stmts = [r.org_id for r in full if r.org_id not in needs]
        out["stmt1"].append(stmts[:1] == [data.org_of[s.id]])
    return out


def suggestion_policy(idx: Any, data: SetData) -> tuple[int, dict[tuple[float, ...], int]]:
    """Every need organisation/candidate pair's score parts other than text, as
    ``suggest_partners`` scores them (the candidates it allows)."""
    distinct: dict[tuple[float, ...], int] = {}
    n_pairs = 0
    for s in data.statements:
        org_id = data.req_org[s.id]
        row = idx.pos[f"org:{org_id}"]
        n_pairs += _tally_parts(idx, row, idx.partner_candidates(org_id), distinct)
    return n_pairs, distinct


def measure_suggestions(
    sets: dict[str, SetData], engine: dict[str, dict[str, list[bool]]], half: int, variants: bool
) -> None:
    """``suggest_partners`` of every need's organisation, per set, beside the engine."""
    from alpsbio.matching import index

    cross = getattr(index, "PROFILE_CROSS_TFIDF_WEIGHT", None)
    w_prod = (
        f"{index.PROFILE_TFIDF_WEIGHT:g} / {cross:g} across languages"
        if cross is not None
        else f"{index.PROFILE_TFIDF_WEIGHT:g}"
    )
    weights: list[float | None] = [None, *(SUGGEST_WEIGHTS if variants else ())]
    results: dict[str, dict[str, dict[str, list[bool]]]] = {}
    notes = []
    for name_label, rename, strip_needs in NAME_MODES if variants else NAME_MODES[:1]:
        with profile_names(rename):
            for n, data in sets.items():
                describe_for_suggestions(data, strip_needs)
                idx = build_index()
                made = index.embed_missing({p.hash: p.text for p in idx.profiles if p.text}).made
                if made:
                    idx = build_index()
                n_pairs, distinct = suggestion_policy(idx, data)
                pool = int(np.count_nonzero(np.any(idx.E != 0, axis=1))) if idx.E.shape[1] else 0
                sample = idx.profiles[idx.pos[f"org:{data.req_org[data.statements[0].id]}"]]
                notes.append(
                    f"{name_label}, {n}: {len(idx.profiles)} profiles (organisations: "
                    f"{int(np.sum(idx.is_org))}), centring "
                    f"{'on' if idx.centred is not None else 'OFF'} (pool {pool}), "
                    f"{made} vectors made; policy parts other than text (history, "
                    f"complementarity, sought, border, sector, network) on {n_pairs} pairs: "
                    + (
                        f"identical {next(iter(distinct))}"
                        if len(distinct) == 1
                        else f"DIFFER {distinct}"
                    )
                    + f"; e.g. {sample.text[:60]!r}"
                )
                for w in weights:
                    label = f"{name_label}, w {w_prod if w is None else f'{w:g}'}" + (
                        " (index.py)" if w is None else ""
                    )
                    PROFILE_WEIGHT[0] = w
                    try:
                        results.setdefault(label, {})[n] = suggestion_hits(idx, data)
                    finally:
                        PROFILE_WEIGHT[0] = None
    print("\nsuggested partners across languages: one organisation described by each pool")
    print("statement, one by each paraphrased need; suggest_partners(need's org, limit=10);")
    print("hit = the statement's organisation first")
    for line in notes:
        print(f"# {line}")
    print(
        "# 'statements only': the first of the statements' organisations in the whole ranking"
        " (the other needs' organisations ignored); 'need 1st': the first suggestion is another"
        " need's organisation"
    )
    print(
        f"{'path':56s} | {'para@1 tune':>11s} {'report':>6s} {'all':>5s} | "
        f"{'held para':>9s} | {'@3 tune':>7s} | {'need 1st tune':>13s} | "
        f"{'statements only: tune':>21s} {'report':>6s} {'held':>5s} | {'empty':>5s}"
    )

    def row(label: str, res: dict[str, dict[str, list[bool]]]) -> str:
        m, h = res.get("main", {}), res.get("heldout", {})
        para, stmt = m.get("para", []), m.get("stmt1", [])
        empty = sum(m.get("empty", [])) + sum(h.get("empty", []))
        return (
            f"{label:56s} | {fmt(para[:half]):>11s} {fmt(para[half:]):>6s} {fmt(para):>5s} | "
            f"{fmt(h.get('para', [])):>9s} | {fmt(m.get('top3', [])[:half]):>7s} | "
            f"{fmt(m.get('need1', [])[:half]):>13s} | {fmt(stmt[:half]):>21s} "
            f"{fmt(stmt[half:]):>6s} {fmt(h.get('stmt1', [])):>5s} | {empty:5d}"
        )

    print_rows(row, engine, results, sets, "suggestions")


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
    ap.add_argument(
        "--matches",
        action="store_true",
        help="also an opportunity's matches: each need as a technology request",
    )
    ap.add_argument(
        "--suggestions",
        action="store_true",
        help="also suggested partners: each statement and each need as an organisation's "
        "description",
    )
    ap.add_argument(
        "--plain-paraphrases",
        action="store_true",
        help="queries: the plain paraphrases (crossling.PARA_FILES) instead of the lay needs",
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
        if a.plain_paraphrases:
            loaded = {
                "main": with_paraphrases(loaded["main"], PARA_FILES[0]),
                "heldout": with_paraphrases(loaded["heldout"], PARA_FILES[1]),
            }
        sets = populate(
            {n: (loaded[n], build_task(loaded[n])) for n in names}, a.matches, a.suggestions
        )
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
        if a.matches:
            measure_matches(sets, engine, half, a.variants)
        if a.suggestions:
            measure_suggestions(sets, engine, half, a.variants)
        print(
            f"# total {time.perf_counter() - t0:.0f}s, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


if __name__ == "__main__":
    main()
